// Tests of http::chunked_decoder (RFC 9112 §7.1) against DESIGN.md's input rules. Inputs that go
// through `decode_checked` or `status_of` are also decoded from every prefix and split in two
// at every byte offset, each piece placed right before a PROT_NONE guard page, and must give the
// same outcome (Boost.Beast's parsegrind, picohttpparser's guard page). Split input is fed as
// `decode` asks: the bytes a call left unconsumed come again at the front of the next call.
#include <minihttp/chunked.hpp> // first: proves the header is self-contained

#include <minihttp/parser.hpp>

#include <doctest/doctest.h>

#include "guard_page.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace std::string_view_literals;

namespace {

using http::errc;
using http::parse_status;
using http::status;
using limits = http::chunked_decoder::limits;

/// Stands for `need_more` where a test compares outcomes as statuses.
constexpr auto incomplete = static_cast<status>(0);

using test::guard_page;

/// What a decoder made of a whole input.
struct outcome {
    parse_status state = parse_status::need_more;
    status error = status::ok;
    errc code{};
    std::size_t consumed = 0; ///< raw bytes used, over all calls
    std::string content;
    std::uint64_t size = 0; ///< the decoder's size() at the end

    bool operator==(const outcome&) const = default;
};

/// Checks what every `decode` result promises: consumed and produced within bounds, a code
/// exactly on error, with its status and message.
void check_result(const http::chunked_decoder::result& r, std::size_t in_size) {
    CHECK(r.produced <= r.consumed);
    CHECK(r.consumed <= in_size);
    if (r.state == parse_status::error) {
        CHECK(r.code != errc{});
        CHECK(r.error == http::status_of(r.code));
        CHECK(r.reason == http::message_of(r.code));
    } else {
        CHECK(r.code == errc{});
        CHECK(r.error == status::ok);
        CHECK(r.reason.empty());
    }
}

/// Feeds `raw` to a fresh decoder as reads ending at `cuts` (ascending offsets; empty reads
/// allowed) would deliver it, until it completes or fails. Each call gets the bytes the previous
/// call left unconsumed followed by the new read, as `decode`'s re-feed contract asks, copied
/// right before `guard` when given.
outcome feed(std::string_view raw, const std::vector<std::size_t>& cuts, const limits& lim,
             guard_page* guard) {
    http::chunked_decoder dec(lim);
    outcome o;
    std::size_t from = 0; // the first byte not consumed yet
    for (std::size_t c = 0; c <= cuts.size(); ++c) {
        const std::size_t to = c < cuts.size() ? cuts[c] : raw.size();
        const auto pending = raw.substr(from, to - from);
        const auto in = guard != nullptr ? guard->place(pending) : pending;
        std::string out(in.size(), '\0');
        const auto r = dec.decode(in, out.data());
        check_result(r, in.size());
        o.content.append(out, 0, r.produced);
        from += r.consumed;
        o.state = r.state;
        o.error = r.error;
        o.code = r.code;
        if (r.state != parse_status::need_more) break;
    }
    o.consumed = from;
    o.size = dec.size();
    return o;
}

/// Decodes `raw` in one piece, and checks that every prefix of it and every split in two pieces,
/// each placed right before a guard page, agrees: a prefix of a complete body is need_more,
/// one of an erroneous body is need_more or the same error, and any split gives the same
/// outcome as the whole.
outcome decode_checked(std::string_view raw, const limits& lim = {}) {
    const outcome whole = feed(raw, {}, lim, nullptr);
    guard_page guard(raw.size());
    REQUIRE(guard.ok());
    constexpr auto none = std::string_view::npos;
    std::size_t bad_prefix = none, bad_split = none;
    for (std::size_t i = 0; i <= raw.size(); ++i) {
        if (bad_prefix == none && i < whole.consumed) {
            const outcome p = feed(raw.substr(0, i), {}, lim, &guard);
            const bool agrees =
                p.state == parse_status::need_more ||
                (p.state == parse_status::error && whole.state == parse_status::error &&
                 p.error == whole.error && p.code == whole.code);
            if (!agrees) bad_prefix = i;
        }
        if (bad_split == none && feed(raw, {i}, lim, &guard) != whole) bad_split = i;
    }
    CAPTURE(raw);
    CHECK_MESSAGE(bad_prefix == none, "the prefix of ", bad_prefix, " bytes disagrees");
    CHECK_MESSAGE(bad_split == none, "the split at ", bad_split, " disagrees");
    return whole;
}

/// The outcome of decoding `raw` (checked as in `decode_checked`) as a status: `status::ok`
/// when complete, the error status, or `incomplete`.
status status_of(std::string_view raw, const limits& lim = {}) {
    const outcome o = decode_checked(raw, lim);
    switch (o.state) {
    case parse_status::complete: return status::ok;
    case parse_status::error: return o.error;
    case parse_status::need_more: break;
    }
    return incomplete;
}

/// A body whose only chunk has the size line `line` (without CRLF) and the content "hello".
std::string with_size_line(std::string_view line) {
    return std::string(line) + "\r\nhello\r\n0\r\n\r\n";
}

/// A body "hello" whose trailer section is `trailers` (each line ending in CRLF), then CRLF.
std::string with_trailers(std::string_view trailers) {
    return "5\r\nhello\r\n0\r\n" + std::string(trailers) + "\r\n";
}

} // namespace

TEST_SUITE_BEGIN("chunked");

TEST_CASE("chunked: decodes a single chunk") {
    constexpr std::string_view raw = "5\r\nhello\r\n0\r\n\r\n";
    const outcome o = decode_checked(raw);
    CHECK(o.state == parse_status::complete);
    CHECK(o.content == "hello");
    CHECK(o.consumed == raw.size());
    CHECK(o.size == 5);
}

TEST_CASE("chunked: decodes several chunks") {
    constexpr std::string_view raw = "5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n";
    const outcome o = decode_checked(raw);
    CHECK(o.state == parse_status::complete);
    CHECK(o.content == "hello world!");
    CHECK(o.consumed == raw.size());
    CHECK(o.size == 12);
}

TEST_CASE("chunked: decodes an empty body") {
    const outcome o = decode_checked("0\r\n\r\n");
    CHECK(o.state == parse_status::complete);
    CHECK(o.content.empty());
    CHECK(o.consumed == 5);
    CHECK(o.size == 0);
}

TEST_CASE("chunked: passes CR, LF and any byte through inside chunk data") {
    constexpr std::string_view raw = "7\r\n\r\n0\r\n\0\xff\r\n0\r\n\r\n"sv;
    const outcome o = decode_checked(raw);
    CHECK(o.state == parse_status::complete);
    CHECK(o.content == "\r\n0\r\n\0\xff"sv);
}

TEST_CASE("chunked: reports need_more until the final CRLF") {
    // Chunk lines and data are consumed as they come; a trailer line only once it is whole.
    constexpr std::string_view raw = "5\r\nhello\r\n0\r\nX: y\r\n\r\n";
    constexpr std::size_t trailer_line = 13, section_end = 19; // where each line starts
    for (std::size_t i = 0; i < raw.size(); ++i) {
        CAPTURE(i);
        http::chunked_decoder dec;
        std::string out(raw.size(), '\0');
        const auto r = dec.decode(raw.substr(0, i), out.data());
        CHECK(r.state == parse_status::need_more);
        CHECK(r.consumed == (i <= trailer_line ? i : i < section_end ? trailer_line : section_end));
    }
}

TEST_CASE("chunked: accepts upper- and lower-case hex sizes") {
    const std::string ten = "0123456789";
    const std::string big(31, 'x');
    SUBCASE("a") {
        const outcome o = decode_checked("a\r\n" + ten + "\r\n0\r\n\r\n");
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == ten);
    }
    SUBCASE("A") {
        const outcome o = decode_checked("A\r\n" + ten + "\r\n0\r\n\r\n");
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == ten);
    }
    SUBCASE("1f") {
        const outcome o = decode_checked("1f\r\n" + big + "\r\n0\r\n\r\n");
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == big);
    }
    SUBCASE("1F") {
        const outcome o = decode_checked("1F\r\n" + big + "\r\n0\r\n\r\n");
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == big);
    }
    SUBCASE("mixed case across chunks") {
        const outcome o = decode_checked("a\r\n" + ten + "\r\nA\r\n" + ten + "\r\n0\r\n\r\n");
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == ten + ten);
    }
}

TEST_CASE("chunked: accepts leading zeros in chunk sizes") {
    SUBCASE("0005") {
        const outcome o = decode_checked(with_size_line("0005"));
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == "hello");
    }
    SUBCASE("more zeros than a 64-bit size has digits") {
        const outcome o = decode_checked(with_size_line(std::string(40, '0') + "5"));
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == "hello");
    }
    SUBCASE("a last chunk written 000") {
        const outcome o = decode_checked("5\r\nhello\r\n000\r\n\r\n");
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == "hello");
    }
}

TEST_CASE("chunked: accepts well-formed chunk extensions") {
    // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ) (RFC 9112 §7.1.1)
    for (const std::string_view line :
         {"5;a=b"sv, "5 ; a = \"q\\\"x\""sv, "5;a;b=c"sv, "5;a"sv, "5 ;a"sv, "5\t;\ta\t=\tb"sv,
          "5;a=b;c=\"d\""sv, "5;a=\"\""sv, "5;a=\"x\\\\\""sv, "5;a=\"sp ace;=,\""sv,
          "5;a=\"\xe9\""sv, "5;a ;b"sv, "5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~"sv}) {
        CAPTURE(line);
        const outcome o = decode_checked(with_size_line(line));
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == "hello");
    }
    SUBCASE("on the last chunk") {
        const outcome o = decode_checked("5\r\nhello\r\n0;last=1\r\n\r\n");
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == "hello");
    }
}

TEST_CASE("chunked: rejects malformed chunk extensions with 400") {
    SUBCASE("trailing SP after the size") {
        CHECK(status_of(with_size_line("5 ")) == status::bad_request);
    }
    SUBCASE("trailing HTAB after the size") {
        CHECK(status_of(with_size_line("5\t")) == status::bad_request);
    }
    SUBCASE("';' without a name") { CHECK(status_of(with_size_line("5;")) == status::bad_request); }
    SUBCASE("a value without a name") {
        CHECK(status_of(with_size_line("5;=x")) == status::bad_request);
    }
    SUBCASE("'=' without a value") {
        CHECK(status_of(with_size_line("5;a=")) == status::bad_request);
    }
    SUBCASE("two ';'") { CHECK(status_of(with_size_line("5;;a")) == status::bad_request); }
    SUBCASE("two '='") { CHECK(status_of(with_size_line("5;a=b=c")) == status::bad_request); }
    SUBCASE("trailing SP after a name") {
        CHECK(status_of(with_size_line("5;a ")) == status::bad_request);
    }
    SUBCASE("trailing SP after a value") {
        CHECK(status_of(with_size_line("5;a=b ")) == status::bad_request);
    }
    SUBCASE("trailing SP after a quoted value") {
        CHECK(status_of(with_size_line("5;a=\"b\" ")) == status::bad_request);
    }
    SUBCASE("SP inside a token value") {
        CHECK(status_of(with_size_line("5;a=b c")) == status::bad_request);
    }
    SUBCASE("junk after a quoted value") {
        CHECK(status_of(with_size_line("5;a=\"b\"c")) == status::bad_request);
    }
    SUBCASE("a non-token name") {
        CHECK(status_of(with_size_line("5;a@b")) == status::bad_request);
        CHECK(status_of(with_size_line("5;(a)")) == status::bad_request);
    }
    SUBCASE("a non-token value") {
        CHECK(status_of(with_size_line("5;a=b@c")) == status::bad_request);
    }
    SUBCASE("an unterminated quoted value") {
        CHECK(status_of(with_size_line("5;a=\"x")) == status::bad_request);
        CHECK(status_of(with_size_line("5;a=\"x\\\"")) == status::bad_request);
    }
    SUBCASE("a control byte in a name") {
        CHECK(status_of(with_size_line("5;a\001")) == status::bad_request);
    }
    SUBCASE("a control byte in a token value") {
        CHECK(status_of(with_size_line("5;a=b\177")) == status::bad_request);
    }
    SUBCASE("a control byte in a quoted value") {
        CHECK(status_of(with_size_line("5;a=\"\001\"")) == status::bad_request);
    }
    SUBCASE("a control byte in a quoted-pair") {
        CHECK(status_of(with_size_line("5;a=\"\\\001\"")) == status::bad_request);
    }
    SUBCASE("NUL") { CHECK(status_of(with_size_line("5;a\0"sv)) == status::bad_request); }
    SUBCASE("bare LF inside a quoted value") {
        CHECK(status_of(with_size_line("5;a=\"x\ny\"")) == status::bad_request);
    }
}

TEST_CASE("chunked: rejects malformed chunk sizes with 400") {
    SUBCASE("empty size line") { CHECK(status_of(with_size_line("")) == status::bad_request); }
    SUBCASE("not hex") { CHECK(status_of(with_size_line("x")) == status::bad_request); }
    SUBCASE("-5") { CHECK(status_of(with_size_line("-5")) == status::bad_request); }
    SUBCASE("+5") { CHECK(status_of(with_size_line("+5")) == status::bad_request); }
    SUBCASE("0x5") { CHECK(status_of(with_size_line("0x5")) == status::bad_request); }
    SUBCASE("leading SP") { CHECK(status_of(with_size_line(" 5")) == status::bad_request); }
    SUBCASE("two numbers") { CHECK(status_of(with_size_line("5 5")) == status::bad_request); }
    SUBCASE("an extension without a size") {
        CHECK(status_of(with_size_line(";a=b")) == status::bad_request);
    }
    SUBCASE("a bare CR after the size") {
        CHECK(status_of("5\rhello\r\n0\r\n\r\n") == status::bad_request);
    }
}

TEST_CASE("chunked: rejects a bare LF after the chunk size with 400") {
    SUBCASE("after the size") { CHECK(status_of("5\nhello\r\n0\r\n\r\n") == status::bad_request); }
    SUBCASE("after an extension name") {
        CHECK(status_of("5;a\nhello\r\n0\r\n\r\n") == status::bad_request);
    }
    SUBCASE("after an extension value") {
        CHECK(status_of("5;a=b\nhello\r\n0\r\n\r\n") == status::bad_request);
    }
    SUBCASE("after a quoted extension value") {
        CHECK(status_of("5;a=\"b\"\nhello\r\n0\r\n\r\n") == status::bad_request);
    }
    SUBCASE("after the last chunk") {
        CHECK(status_of("5\r\nhello\r\n0\n\r\n") == status::bad_request);
    }
}

TEST_CASE("chunked: rejects a chunk size that overflows 64 bits with 400") {
    limits unbounded;
    unbounded.max_body = UINT64_MAX;
    SUBCASE("17 significant hex digits") {
        CHECK(status_of("10000000000000000\r\n", unbounded) == status::bad_request);
    }
    SUBCASE("17 F") { CHECK(status_of("FFFFFFFFFFFFFFFFF\r\n", unbounded) == status::bad_request); }
    SUBCASE("17 significant digits after leading zeros") {
        CHECK(status_of("000010000000000000000\r\n", unbounded) == status::bad_request);
    }
    SUBCASE("16 significant hex digits fit") {
        CHECK(status_of("FFFFFFFFFFFFFFFF\r\nabc", unbounded) == incomplete);
    }
    SUBCASE("with the default max_body, 16 digits are too large a body") {
        CHECK(status_of("FFFFFFFFFFFFFFFF\r\n") == status::content_too_large);
    }
}

TEST_CASE("chunked: answers 413 when the content exceeds max_body") {
    limits lim;
    lim.max_body = 10;
    SUBCASE("exactly max_body is accepted") {
        const outcome o = decode_checked("a\r\n0123456789\r\n0\r\n\r\n", lim);
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == "0123456789");
    }
    SUBCASE("one chunk over the limit") {
        CHECK(status_of("b\r\n0123456789a\r\n0\r\n\r\n", lim) == status::content_too_large);
    }
    SUBCASE("the sum of chunks over the limit") {
        CHECK(status_of("6\r\n012345\r\n5\r\n01234\r\n0\r\n\r\n", lim) ==
              status::content_too_large);
    }
    SUBCASE("refused at the size line, before any of its data") {
        http::chunked_decoder dec(lim);
        std::string out(32, '\0');
        const auto r = dec.decode("b\r\n", out.data());
        CHECK(r.state == parse_status::error);
        CHECK(r.error == status::content_too_large);
        CHECK(r.produced == 0);
    }
    SUBCASE("the default limit is 1 MiB") {
        http::chunked_decoder fits, over;
        std::string out(32, '\0');
        CHECK(fits.decode("100000\r\n", out.data()).state == parse_status::need_more);
        const auto r = over.decode("100001\r\n", out.data());
        CHECK(r.state == parse_status::error);
        CHECK(r.error == status::content_too_large);
    }
}

TEST_CASE("chunked: rejects a missing CRLF after chunk data with 400") {
    SUBCASE("another byte instead of CR") {
        CHECK(status_of("5\r\nhelloX\r\n0\r\n\r\n") == status::bad_request);
    }
    SUBCASE("more data than the size") {
        CHECK(status_of("5\r\nhelloo\r\n0\r\n\r\n") == status::bad_request);
    }
    SUBCASE("bare LF") { CHECK(status_of("5\r\nhello\n0\r\n\r\n") == status::bad_request); }
    SUBCASE("bare CR") { CHECK(status_of("5\r\nhello\r0\r\n\r\n") == status::bad_request); }
    SUBCASE("the next size line right after the data") {
        CHECK(status_of("5\r\nhello0\r\n\r\n") == status::bad_request);
    }
}

TEST_CASE("chunked: rejects a chunk-size line over max_line with 400") {
    limits lim;
    lim.max_line = 16;
    SUBCASE("a short line is accepted") {
        CHECK(status_of(with_size_line("5;a=bcdefgh"), lim) == status::ok);
    }
    SUBCASE("the limit applies per line, not to the whole body") {
        std::string raw;
        for (int i = 0; i < 10; ++i) raw += "1;ext=val\r\nx\r\n";
        raw += "0;ext=val\r\n\r\n";
        const outcome o = decode_checked(raw, lim);
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == std::string(10, 'x'));
    }
    SUBCASE("a long extension") {
        CHECK(status_of(with_size_line("5;a=" + std::string(40, 'b')), lim) == status::bad_request);
    }
    SUBCASE("a long run of leading zeros") {
        CHECK(status_of(with_size_line(std::string(40, '0') + "5"), lim) == status::bad_request);
    }
}

TEST_CASE("chunked: accepts trailer fields and validates them") {
    SUBCASE("one trailer field") {
        const outcome o = decode_checked(with_trailers("Checksum: abc\r\n"));
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == "hello");
    }
    SUBCASE("several trailer fields, an empty value, HTAB and obs-text") {
        const outcome o = decode_checked(with_trailers("A: 1\r\nB:\r\nC:\tx y \xe9\r\n"));
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == "hello");
    }
    SUBCASE("trailers after an empty body") {
        const outcome o = decode_checked("0\r\nA: 1\r\n\r\n");
        CHECK(o.state == parse_status::complete);
        CHECK(o.content.empty());
    }
}

TEST_CASE("chunked: rejects malformed trailer lines with 400") {
    SUBCASE("obs-fold") {
        CHECK(status_of(with_trailers("A: 1\r\n 2\r\n")) == status::bad_request);
    }
    SUBCASE("a line starting with HTAB") {
        CHECK(status_of(with_trailers("\tA: 1\r\n")) == status::bad_request);
    }
    SUBCASE("whitespace before the colon") {
        CHECK(status_of(with_trailers("A : 1\r\n")) == status::bad_request);
    }
    SUBCASE("no colon") { CHECK(status_of(with_trailers("A 1\r\n")) == status::bad_request); }
    SUBCASE("empty name") { CHECK(status_of(with_trailers(": 1\r\n")) == status::bad_request); }
    SUBCASE("non-token name") {
        CHECK(status_of(with_trailers("A(b): 1\r\n")) == status::bad_request);
    }
    SUBCASE("a control byte in the value") {
        CHECK(status_of(with_trailers("A: 1\001\r\n")) == status::bad_request);
    }
    SUBCASE("NUL in the value") {
        CHECK(status_of(with_trailers("A: 1\0\r\n"sv)) == status::bad_request);
    }
    SUBCASE("a bare CR in the value") {
        CHECK(status_of(with_trailers("A: 1\r2\r\n")) == status::bad_request);
    }
    SUBCASE("a bare LF ending a field") {
        CHECK(status_of(with_trailers("A: 1\n")) == status::bad_request);
    }
    SUBCASE("a bare LF ending the section") {
        CHECK(status_of("5\r\nhello\r\n0\r\n\n") == status::bad_request);
    }
    SUBCASE("a bare CR ending the section") {
        CHECK(status_of("5\r\nhello\r\n0\r\n\rX") == status::bad_request);
    }
}

TEST_CASE("chunked: answers 431 to too many or too big trailers") {
    SUBCASE("max_trailer_fields fields are accepted") {
        limits lim;
        lim.max_trailer_fields = 2;
        CHECK(status_of(with_trailers("A: 1\r\nB: 2\r\n"), lim) == status::ok);
    }
    SUBCASE("one field over max_trailer_fields") {
        limits lim;
        lim.max_trailer_fields = 2;
        CHECK(status_of(with_trailers("A: 1\r\nB: 2\r\nC: 3\r\n"), lim) ==
              status::request_header_fields_too_large);
    }
    // The trailer section "A: 1\r\nB: 2\r\n\r\n" is 14 bytes, CRLFs included (as for the
    // head's max_header_bytes).
    SUBCASE("a section of exactly max_trailer_bytes is accepted") {
        limits lim;
        lim.max_trailer_bytes = 14;
        CHECK(status_of(with_trailers("A: 1\r\nB: 2\r\n"), lim) == status::ok);
    }
    SUBCASE("a section one byte over max_trailer_bytes") {
        limits lim;
        lim.max_trailer_bytes = 13;
        CHECK(status_of(with_trailers("A: 1\r\nB: 2\r\n"), lim) ==
              status::request_header_fields_too_large);
    }
    SUBCASE("one long trailer field") {
        limits lim;
        lim.max_trailer_bytes = 64;
        CHECK(status_of(with_trailers("A: " + std::string(100, 'v') + "\r\n"), lim) ==
              status::request_header_fields_too_large);
    }
    SUBCASE("the default limits: 100 fields") {
        std::string fields;
        for (int i = 0; i < 101; ++i)
            fields.append("T").append(std::to_string(i)).append(": v\r\n");
        http::chunked_decoder dec;
        const std::string raw = with_trailers(fields);
        std::string out(raw.size(), '\0');
        const auto r = dec.decode(raw, out.data());
        CHECK(r.state == parse_status::error);
        CHECK(r.error == status::request_header_fields_too_large);
    }
    SUBCASE("the default limits: 8 KiB") {
        http::chunked_decoder dec;
        const std::string raw = with_trailers("A: " + std::string(8200, 'v') + "\r\n");
        std::string out(raw.size(), '\0');
        const auto r = dec.decode(raw, out.data());
        CHECK(r.state == parse_status::error);
        CHECK(r.error == status::request_header_fields_too_large);
    }
}

TEST_CASE("chunked: decodes in place into its own input buffer") {
    constexpr std::string_view raw =
        "5;ext=1\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nT: x\r\n\r\n";
    SUBCASE("in one call") {
        std::string buf(raw);
        http::chunked_decoder dec;
        const auto r = dec.decode(buf, buf.data());
        CHECK(r.state == parse_status::complete);
        CHECK(r.consumed == raw.size());
        CHECK(r.produced == 12);
        CHECK(buf.substr(0, r.produced) == "hello world!");
    }
    SUBCASE("in pieces, each written after the content decoded so far") {
        // As the engine does: raw bytes from the first unconsumed one up to the end of what
        // has arrived, content written right after the content decoded so far.
        for (std::size_t step = 1; step <= raw.size(); ++step) {
            CAPTURE(step);
            std::string buf(raw);
            http::chunked_decoder dec;
            std::size_t produced = 0, consumed = 0;
            http::chunked_decoder::result r;
            for (std::size_t arrived = step;; arrived += step) {
                arrived = std::min(arrived, buf.size());
                r = dec.decode(std::string_view(buf).substr(consumed, arrived - consumed),
                               buf.data() + produced);
                produced += r.produced;
                consumed += r.consumed;
                if (r.state != parse_status::need_more || arrived == buf.size()) break;
            }
            CHECK(r.state == parse_status::complete);
            CHECK(consumed == raw.size());
            CHECK(buf.substr(0, produced) == "hello world!");
        }
    }
}

TEST_CASE("chunked: decodes the same content when split at every byte offset") {
    // decode_checked splits each input in two at every offset; these inputs cover every state.
    const std::string_view samples[] = {
        "5\r\nhello\r\n0\r\n\r\n",
        "5 ; a = \"q\\\"x\"\r\nhello\r\n1;b\r\n!\r\n0;c=d\r\nT: v\r\nU:\r\n\r\n",
        "000a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n",
        "5\r\nhelloX\r\n",
        "5;a=\"x\r\n",
        "5\r\nhello\r\n0\r\nA : b\r\n\r\n",
    };
    for (const auto raw : samples) {
        CAPTURE(raw);
        const outcome o = decode_checked(raw);
        CHECK(o.state != parse_status::need_more);
    }
}

TEST_CASE("chunked: decodes the same content from random-sized pieces") {
    std::string raw;
    std::string expected;
    for (int i = 1; i <= 40; ++i) {
        const std::string data(static_cast<std::size_t>(i * 7 % 23 + 1),
                               static_cast<char>('a' + i % 26));
        char size[16];
        std::snprintf(size, sizeof size, "%zX", data.size());
        raw += size;
        raw += (i % 3 == 0) ? ";n=\"v\\\"\"\r\n" : (i % 3 == 1) ? " ;x\r\n" : "\r\n";
        raw += data + "\r\n";
        expected += data;
    }
    raw += "0\r\nT1: a\r\nT2: b\r\n\r\nGET / HTTP/1.1\r\n";
    const std::size_t body_size = raw.size() - "GET / HTTP/1.1\r\n"sv.size();
    std::mt19937 rng(20240531);
    std::uniform_int_distribution<std::size_t> piece(0, 9);
    guard_page guard(raw.size());
    REQUIRE(guard.ok());
    for (int round = 0; round < 200; ++round) {
        std::vector<std::size_t> cuts;
        for (std::size_t at = piece(rng); at < raw.size(); at += piece(rng)) cuts.push_back(at);
        CAPTURE(round);
        const outcome o = feed(raw, cuts, {}, round % 2 == 0 ? &guard : nullptr);
        CHECK(o.state == parse_status::complete);
        CHECK(o.content == expected);
        CHECK(o.consumed == body_size);
        CHECK(o.size == expected.size());
    }
}

TEST_CASE("chunked: stops consuming right after the final CRLF") {
    constexpr std::string_view body = "5\r\nhello\r\n0\r\nT: v\r\n\r\n";
    constexpr std::string_view next = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    const std::string raw = std::string(body) + std::string(next);
    SUBCASE("in one call, decoding in place") {
        std::string buf = raw;
        http::chunked_decoder dec;
        const auto r = dec.decode(buf, buf.data());
        CHECK(r.state == parse_status::complete);
        CHECK(r.consumed == body.size());
        CHECK(buf.substr(0, r.produced) == "hello");
        CHECK(buf.substr(r.consumed) == next); // the pipelined request is untouched
    }
    SUBCASE("split at every offset") {
        const outcome o = decode_checked(raw);
        CHECK(o.state == parse_status::complete);
        CHECK(o.consumed == body.size());
    }
    SUBCASE("without trailers") {
        const std::string plain = "0\r\n\r\n" + std::string(next);
        http::chunked_decoder dec;
        std::string out(plain.size(), '\0');
        const auto r = dec.decode(plain, out.data());
        CHECK(r.state == parse_status::complete);
        CHECK(r.consumed == 5);
    }
    SUBCASE("the next request parses from there") {
        http::chunked_decoder dec;
        std::string out(raw.size(), '\0');
        const auto r = dec.decode(raw, out.data());
        REQUIRE(r.state == parse_status::complete);
        http::request req;
        const auto h = http::parse_request(std::string_view(raw).substr(r.consumed), req);
        CHECK(h.state == parse_status::complete);
        CHECK(req.target() == "/next");
    }
}

TEST_CASE("chunked: stays failed after an error, repeating it") {
    http::chunked_decoder dec;
    std::string out(64, '\0');
    const auto r = dec.decode("5\r\nhelloX", out.data());
    CHECK(r.state == parse_status::error);
    CHECK(r.error == status::bad_request);
    CHECK(r.code == errc::chunk_data_not_crlf);
    CHECK(r.consumed == 9); // up to and including the offending byte
    for (const std::string_view more : {"\r\n0\r\n\r\n"sv, ""sv}) {
        const auto again = dec.decode(more, out.data());
        CHECK(again.state == parse_status::error);
        CHECK(again.code == errc::chunk_data_not_crlf);
        CHECK(again.produced == 0);
    }
}

TEST_CASE("chunked: refuses bytes after the end of the body once it is complete") {
    http::chunked_decoder dec;
    std::string out(64, '\0');
    REQUIRE(dec.decode("0\r\n\r\n", out.data()).state == parse_status::complete);
    CHECK(dec.decode("", out.data()).state == parse_status::complete);
    const auto r = dec.decode("0\r\n\r\n", out.data());
    CHECK(r.state == parse_status::error);
    CHECK(r.code == errc::data_after_chunked_body);
    CHECK(r.error == status::bad_request);
    CHECK(r.reason == http::message_of(errc::data_after_chunked_body));
}

TEST_CASE("chunked: reset starts a new body with the same limits") {
    limits lim;
    lim.max_body = 5;
    http::chunked_decoder dec(lim);
    std::string out(64, '\0');
    REQUIRE(dec.decode("5\r\nhello\r\n0\r\n\r\n", out.data()).state == parse_status::complete);
    CHECK(dec.size() == 5);
    dec.reset();
    CHECK(dec.size() == 0);
    const auto ok = dec.decode("3\r\nabc\r\n0\r\n\r\n", out.data());
    CHECK(ok.state == parse_status::complete);
    CHECK(out.substr(0, ok.produced) == "abc");
    dec.reset();
    const auto over = dec.decode("6\r\n", out.data());
    CHECK(over.state == parse_status::error);
    CHECK(over.error == status::content_too_large);
    dec.reset();
    CHECK(dec.decode("1\r\nx\r\n0\r\n\r\n", out.data()).state == parse_status::complete);
}

TEST_CASE("chunked: never reads past the end of its input (guard page)") {
    const std::string_view samples[] = {
        "5\r\nhello\r\n0\r\nT: v\r\n\r\n",
        "5;a=\"x\\",
        "5;a=b",
        "5 ;",
        "FFFF",
        "5\r\nhel",
        "5\r\nhello\r",
        "0\r\nT: v\r",
        "0\r\n\r",
    };
    for (const auto raw : samples) {
        CAPTURE(raw);
        guard_page guard(raw.size());
        REQUIRE(guard.ok());
        std::size_t decoded = 0;
        for (std::size_t i = 0; i <= raw.size(); ++i) {
            const auto in = guard.place(raw.substr(0, i));
            std::string out(in.size(), '\0');
            http::chunked_decoder dec;
            const auto r = dec.decode(in, out.data());
            if (r.state != parse_status::error) ++decoded; // an over-read would have crashed
        }
        CHECK(decoded == raw.size() + 1);
    }
}

TEST_CASE("chunked: each rule is refused with its own errc and status") {
    struct rule {
        const char* name;
        std::string raw;
        limits lim;
        errc code;
    };
    limits unbounded, short_line, small_body, small_trailers, two_trailers;
    unbounded.max_body = UINT64_MAX;
    short_line.max_line = 16;
    small_body.max_body = 10;
    small_trailers.max_trailer_bytes = 8;
    two_trailers.max_trailer_fields = 2;
    const rule rules[] = {
        {"a size that is not hex", with_size_line("x"), {}, errc::invalid_chunk_size},
        {"a size followed by junk", with_size_line("5x"), {}, errc::invalid_chunk_size},
        {"a sign before the size", with_size_line("+5"), {}, errc::invalid_chunk_size},
        {"a size over 64 bits", "10000000000000000\r\n", unbounded, errc::chunk_size_overflow},
        {"a chunk line over max_line", with_size_line("5;a=" + std::string(40, 'b')), short_line,
         errc::chunk_line_too_long},
        {"an extension without a name", with_size_line("5;=x"), {}, errc::invalid_chunk_extension},
        {"whitespace ending a size line", with_size_line("5 "), {}, errc::invalid_chunk_extension},
        {"an unterminated quoted extension",
         with_size_line("5;a=\"x"),
         {},
         errc::invalid_chunk_extension},
        {"a bare CR after the size", "5\rhello\r\n0\r\n\r\n", {}, errc::chunk_line_not_crlf},
        {"a bare LF after the size", "5\nhello\r\n0\r\n\r\n", {}, errc::chunk_line_not_crlf},
        {"a bare LF after an extension",
         "5;a=b\nhello\r\n0\r\n\r\n",
         {},
         errc::chunk_line_not_crlf},
        {"a bare LF ending the last chunk", "5\r\nhello\r\n0\n\r\n", {}, errc::chunk_line_not_crlf},
        {"chunk data longer than its size",
         "5\r\nhelloX\r\n0\r\n\r\n",
         {},
         errc::chunk_data_not_crlf},
        {"chunk data ended by a bare LF", "5\r\nhello\n0\r\n\r\n", {}, errc::chunk_data_not_crlf},
        {"content over max_body", "b\r\n0123456789a\r\n0\r\n\r\n", small_body,
         errc::body_too_large},
        {"obs-fold in the trailers",
         with_trailers("A: 1\r\n 2\r\n"),
         {},
         errc::invalid_trailer_field},
        {"whitespace before a trailer colon",
         with_trailers("A : 1\r\n"),
         {},
         errc::invalid_trailer_field},
        {"a trailer line without a colon",
         with_trailers("A 1\r\n"),
         {},
         errc::invalid_trailer_field},
        {"a control byte in a trailer value",
         with_trailers("A: 1\001\r\n"),
         {},
         errc::invalid_trailer_field},
        {"a trailer line ended by a bare LF",
         with_trailers("A: 1\n"),
         {},
         errc::invalid_trailer_field},
        {"a bare LF ending the trailer section",
         "5\r\nhello\r\n0\r\n\n",
         {},
         errc::invalid_trailer_field},
        {"a bare CR ending the trailer section",
         "5\r\nhello\r\n0\r\n\rX",
         {},
         errc::invalid_trailer_field},
        {"a trailer section over max_trailer_bytes", with_trailers("A: 1\r\nB: 2\r\n"),
         small_trailers, errc::trailer_section_too_large},
        {"a trailer field over max_trailer_fields", with_trailers("A: 1\r\nB: 2\r\nC: 3\r\n"),
         two_trailers, errc::trailer_section_too_large},
        // A syntax error after the limit is answered as the limit: a read stopping before the
        // error would have seen only that.
        {"a trailer syntax error past max_trailer_bytes", with_trailers("ABCDEFGHIJ K: 1\r\n"),
         small_trailers, errc::trailer_section_too_large},
        {"a trailer syntax error within max_trailer_bytes", with_trailers("AB C: 1\r\n"),
         small_trailers, errc::invalid_trailer_field},
    };
    for (const rule& r : rules) {
        CAPTURE(r.name);
        const outcome o = decode_checked(r.raw, r.lim);
        CHECK(o.state == parse_status::error);
        CHECK(o.code == r.code);
        CHECK(o.error == http::status_of(r.code));
    }
}

TEST_CASE("chunked: holds back an incomplete trailer line until its CRLF arrives") {
    http::chunked_decoder dec;
    std::string out(64, '\0');
    const std::string raw = "0\r\nX-Sum: ab";
    const auto first = dec.decode(raw, out.data());
    CHECK(first.state == parse_status::need_more);
    CHECK(first.consumed == 3); // the trailer line starts after "0\r\n"
    // The caller passes the unconsumed bytes again, with what arrived since.
    const std::string rest = raw.substr(first.consumed) + "c\r\n\r\nGET";
    const auto second = dec.decode(rest, out.data());
    CHECK(second.state == parse_status::complete);
    CHECK(second.consumed == rest.size() - 3);
    CHECK(second.produced == 0);
}

TEST_CASE("chunked: refuses a trailer line without end as soon as it passes the limit") {
    // Fed one byte per read, as a slow client would: the decoder holds at most
    // max_trailer_bytes unconsumed, and refuses with 431 on the byte that would exceed it.
    for (const std::size_t max :
         {std::size_t{0}, std::size_t{1}, std::size_t{64}, limits{}.max_trailer_bytes}) {
        CAPTURE(max);
        limits lim;
        lim.max_trailer_bytes = max;
        http::chunked_decoder dec(lim);
        std::string pending;
        std::string out(max + 8, '\0');
        const std::string prefix = "0\r\n";
        http::chunked_decoder::result r;
        std::size_t sent = 0;
        for (; sent < prefix.size() + max + 10; ++sent) {
            pending.push_back(sent < prefix.size() ? prefix[sent] : 'v');
            r = dec.decode(pending, out.data());
            if (r.state != parse_status::need_more) break;
            pending.erase(0, r.consumed);
            REQUIRE(pending.size() <= max);
        }
        CHECK(r.state == parse_status::error);
        CHECK(r.code == errc::trailer_section_too_large);
        CHECK(r.error == status::request_header_fields_too_large);
        CHECK(sent == prefix.size() + max); // the first byte over the limit
    }
}

TEST_CASE("chunked: counts trailer fields when their line is complete, as the head does") {
    limits lim;
    lim.max_trailer_fields = 1;
    http::chunked_decoder dec(lim);
    std::string out(64, '\0');
    const auto partial = dec.decode("0\r\nA: 1\r\nB", out.data());
    CHECK(partial.state == parse_status::need_more);
    CHECK(partial.consumed == 9);
    const auto whole = dec.decode("B: 2\r\n\r\n", out.data());
    CHECK(whole.state == parse_status::error);
    CHECK(whole.code == errc::trailer_section_too_large);
}

TEST_SUITE_END();
