// libFuzzer target: http::chunked_decoder (RFC 9112 §7.1 chunked transfer coding, trailers too).
//
// The input is a request body as the client sends it. Checked for every input:
//  - Splitting: decoding the whole buffer in place (out == in) equals decoding the same bytes
//    split at arbitrary points (drawn from a PRNG seeded with a hash of the input), each piece
//    from its own exact-size heap copy into a separate output buffer: same final state, same
//    total consumed, same content, same error status. A third run decodes in place with the
//    output some bytes before the input in one buffer (the `out <= in.data()` contract).
//  - Invariants, per call: produced <= consumed <= size; need_more consumes the whole piece;
//    after complete, size() is the content length and more input is an error (an empty one is
//    complete again); after an error, any input is an error.
//  - Content: on complete, the content equals what a plain re-reading of the accepted framing
//    (hex size, skip to CRLF, data, CRLF, until size 0) extracts.
//  - Limits: half of inputs use small limits drawn from the hash (413, 431, long lines).

#include <minihttp/chunked.hpp>

#include "common.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using http::parse_status;

struct outcome {
    parse_status state = parse_status::need_more;
    std::size_t consumed = 0;
    http::status error = http::status::ok;
    std::string content;
};

std::string describe(const outcome& o) {
    std::string s = o.state == parse_status::complete    ? "complete"
                    : o.state == parse_status::need_more ? "need_more"
                                                         : "error";
    if (o.state == parse_status::error) s += " " + std::to_string(http::to_int(o.error));
    s += " consumed=" + std::to_string(o.consumed) + " content=" + fuzz::printable(o.content, 80);
    return s;
}

bool operator==(const outcome& a, const outcome& b) {
    return a.state == b.state && a.consumed == b.consumed && a.error == b.error &&
           a.content == b.content;
}

/// Checks one decode call on `in_size` bytes.
void check_call(const http::chunked_decoder::result& r, std::size_t in_size) {
    FUZZ_CHECK(r.produced <= r.consumed && r.consumed <= in_size,
               "produced %zu, consumed %zu, size %zu", r.produced, r.consumed, in_size);
    switch (r.state) {
    case parse_status::need_more:
        FUZZ_CHECK(r.consumed == in_size, "need_more consumed %zu of %zu", r.consumed, in_size);
        FUZZ_CHECK(r.error == http::status::ok, "need_more with a status");
        break;
    case parse_status::error:
        FUZZ_CHECK(r.error == http::status::bad_request ||
                       r.error == http::status::content_too_large ||
                       r.error == http::status::request_header_fields_too_large,
                   "unexpected status %u", http::to_int(r.error));
        FUZZ_CHECK(!r.reason.empty(), "error without a reason");
        break;
    case parse_status::complete: FUZZ_CHECK(r.error == http::status::ok, "complete with a status");
    }
}

/// After the decoder stopped: more bytes are refused, and nothing changes state.
void check_final(http::chunked_decoder& dec, const outcome& o) {
    char out[8];
    const auto again = dec.decode("0\r\n\r\n", out);
    FUZZ_CHECK(again.state == parse_status::error && again.produced == 0,
               "a stopped decoder accepted more input");
    if (o.state == parse_status::complete)
        FUZZ_CHECK(dec.size() == o.content.size(), "size() %llu, content %zu",
                   static_cast<unsigned long long>(dec.size()), o.content.size());
}

/// The content of an accepted chunked body, re-read plainly: the decoder has validated the
/// grammar, so each chunk is a hex size, anything up to CRLF, the data and CRLF.
std::string reread(std::string_view body) {
    std::string content;
    std::size_t i = 0;
    while (true) {
        std::uint64_t size = 0;
        while (i < body.size() && http::detail::is_hex(body[i]))
            size = size * 16 + http::detail::hex_value(body[i++]);
        const auto eol = body.find("\r\n", i);
        FUZZ_CHECK(eol != std::string_view::npos, "no CRLF after a chunk size");
        i = eol + 2;
        if (size == 0) return content;
        FUZZ_CHECK(size <= body.size() - i, "chunk larger than the body");
        content.append(body.substr(i, static_cast<std::size_t>(size)));
        i += static_cast<std::size_t>(size);
        FUZZ_CHECK(body.substr(i, 2) == "\r\n", "no CRLF after chunk data");
        i += 2;
    }
}

/// Decodes `in` in one call, in place in a buffer where the output starts `gap` bytes before
/// the input.
outcome decode_in_place(std::string_view in, const http::chunked_decoder::limits& lim,
                        std::size_t gap) {
    std::vector<char> buf(gap + in.size());
    std::copy(in.begin(), in.end(), buf.begin() + static_cast<std::ptrdiff_t>(gap));
    http::chunked_decoder dec(lim);
    const auto r = dec.decode(std::string_view(buf.data() + gap, in.size()), buf.data());
    check_call(r, in.size());
    outcome o{r.state, r.consumed, r.error, std::string(buf.data(), r.produced)};
    if (r.state != parse_status::need_more) check_final(dec, o);
    return o;
}

/// Decodes `in` in pieces, each an exact-size copy, into separate exact-size output buffers.
outcome decode_in_pieces(std::string_view in, const http::chunked_decoder::limits& lim,
                         fuzz::rng& rng) {
    http::chunked_decoder dec(lim);
    outcome o;
    std::size_t at = 0;
    const std::size_t max_piece = rng.one_in(2) ? 4 : in.size() / 4 + 2;
    do {
        const std::size_t len = std::min(in.size() - at, rng.below(max_piece + 1));
        fuzz::exact_copy piece(in.substr(at, len));
        std::vector<char> out(len + 1); // +1: a zero-size vector has no distinct storage
        const auto r = dec.decode(piece.view(), out.data());
        check_call(r, len);
        o.content.append(out.data(), r.produced);
        o.consumed += r.consumed;
        o.state = r.state;
        o.error = r.error;
        at += len;
        if (r.state != parse_status::need_more) {
            check_final(dec, o);
            break;
        }
        FUZZ_CHECK(dec.size() >= o.content.size(), "size() below the content decoded");
    } while (at < in.size());
    return o;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    fuzz::rng rng(fuzz::hash(in));
    http::chunked_decoder::limits lim;
    if (rng.one_in(2)) {
        lim.max_body = rng.below(300);
        lim.max_line = 1 + rng.below(64);
        lim.max_trailer_bytes = rng.below(128);
        lim.max_trailer_fields = rng.below(5);
    }

    const outcome whole = decode_in_place(in, lim, 0);
    const outcome pieces = decode_in_pieces(in, lim, rng);
    FUZZ_CHECK(pieces == whole, "in pieces: %s\nwhole: %s", describe(pieces).c_str(),
               describe(whole).c_str());
    const outcome shifted = decode_in_place(in, lim, 1 + rng.below(16));
    FUZZ_CHECK(shifted == whole, "output before input: %s\nwhole: %s", describe(shifted).c_str(),
               describe(whole).c_str());
    if (whole.state == parse_status::complete) {
        const std::string content = reread(in.substr(0, whole.consumed));
        FUZZ_CHECK(content == whole.content, "content %s, re-read %s",
                   fuzz::printable(whole.content, 80).c_str(),
                   fuzz::printable(content, 80).c_str());
        FUZZ_CHECK(content.size() <= lim.max_body, "content over max_body");
    }
    return 0;
}
