// libFuzzer target: http::chunked_decoder (RFC 9112 §7.1 chunked transfer coding, trailers too).
//
// The input is a request body as the client sends it. Checked for every input:
//  - Splitting: decoding the whole buffer in place (out == in) equals decoding the same bytes
//    as reads ending at arbitrary points (drawn from a PRNG seeded with a hash of the input)
//    deliver them, each call getting what the previous one left unconsumed plus the new read
//    (decode's re-feed contract), from its own exact-size heap copy into a separate output
//    buffer: same final state, same total consumed, same content, same error code. A third run
//    decodes in place with the output some bytes before the input in one buffer (the
//    `out <= in.data()` contract).
//  - Invariants, per call: produced <= consumed <= size; what need_more leaves unconsumed is an
//    incomplete trailer line (no LF, a CR only as its last byte, at most max_trailer_bytes);
//    an error carries an http::errc whose status and message are its `error` and `reason`, and
//    nothing else carries one; after complete, size() is the content length and more input is
//    an error (an empty one is complete again); after an error, any input repeats the error.
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
    http::errc code{};
    std::string content;
};

std::string describe(const outcome& o) {
    std::string s = o.state == parse_status::complete    ? "complete"
                    : o.state == parse_status::need_more ? "need_more"
                                                         : "error";
    if (o.state == parse_status::error) s += " " + std::string(http::message_of(o.code));
    s += " consumed=" + std::to_string(o.consumed) + " content=" + fuzz::printable(o.content, 80);
    return s;
}

bool operator==(const outcome& a, const outcome& b) {
    return a.state == b.state && a.consumed == b.consumed && a.code == b.code &&
           a.content == b.content;
}

/// Checks one decode call on `in`.
void check_call(const http::chunked_decoder::result& r, std::string_view in,
                const http::chunked_decoder::limits& lim) {
    FUZZ_CHECK(r.produced <= r.consumed && r.consumed <= in.size(),
               "produced %zu, consumed %zu, size %zu", r.produced, r.consumed, in.size());
    switch (r.state) {
    case parse_status::need_more: {
        // Only an incomplete trailer line is held back: it has no line end yet.
        const auto held = in.substr(r.consumed);
        const auto cr = held.find('\r');
        FUZZ_CHECK(held.find('\n') == std::string_view::npos &&
                       (cr == std::string_view::npos || cr + 1 == held.size()) &&
                       held.size() <= lim.max_trailer_bytes,
                   "need_more held back %s", fuzz::printable(held, 80).c_str());
        FUZZ_CHECK(r.error == http::status::ok && r.code == http::errc{},
                   "need_more with a status");
        break;
    }
    case parse_status::error:
        FUZZ_CHECK(r.error == http::status::bad_request ||
                       r.error == http::status::content_too_large ||
                       r.error == http::status::request_header_fields_too_large,
                   "unexpected status %u", http::to_int(r.error));
        FUZZ_CHECK(r.code != http::errc{} && r.error == http::status_of(r.code) &&
                       r.reason == http::message_of(r.code),
                   "code %d disagrees with status %u / reason %s", static_cast<int>(r.code),
                   http::to_int(r.error), std::string(r.reason).c_str());
        break;
    case parse_status::complete:
        FUZZ_CHECK(r.error == http::status::ok && r.code == http::errc{}, "complete with a status");
    }
}

/// After the decoder stopped: more bytes are refused, and nothing changes state.
void check_final(http::chunked_decoder& dec, const outcome& o) {
    char out[8];
    const auto again = dec.decode("0\r\n\r\n", out);
    FUZZ_CHECK(again.state == parse_status::error && again.produced == 0,
               "a stopped decoder accepted more input");
    const auto want = o.state == parse_status::error ? o.code : http::errc::data_after_chunked_body;
    FUZZ_CHECK(again.code == want, "a stopped decoder said %s", std::string(again.reason).c_str());
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
    const std::string_view raw(buf.data() + gap, in.size());
    const auto r = dec.decode(raw, buf.data());
    check_call(r, raw, lim);
    outcome o{r.state, r.consumed, r.code, std::string(buf.data(), r.produced)};
    if (r.state != parse_status::need_more) check_final(dec, o);
    return o;
}

/// Decodes `in` as reads of random sizes deliver it: each call gets the bytes the previous
/// one left unconsumed plus the new read, as an exact-size copy, and writes to a separate
/// exact-size output buffer.
outcome decode_in_pieces(std::string_view in, const http::chunked_decoder::limits& lim,
                         fuzz::rng& rng) {
    http::chunked_decoder dec(lim);
    outcome o;
    std::size_t arrived = 0;
    const std::size_t max_read = rng.one_in(2) ? 4 : in.size() / 4 + 2;
    do {
        arrived += std::min(in.size() - arrived, rng.below(max_read + 1));
        fuzz::exact_copy piece(in.substr(o.consumed, arrived - o.consumed));
        const std::size_t len = piece.view().size();
        std::vector<char> out(len + 1); // +1: a zero-size vector has no distinct storage
        const auto r = dec.decode(piece.view(), out.data());
        check_call(r, piece.view(), lim);
        o.content.append(out.data(), r.produced);
        o.consumed += r.consumed;
        o.state = r.state;
        o.code = r.code;
        if (r.state != parse_status::need_more) {
            check_final(dec, o);
            break;
        }
        FUZZ_CHECK(dec.size() >= o.content.size(), "size() below the content decoded");
    } while (arrived < in.size());
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
