// detail/chars.hpp: the character classes and ASCII helpers the parser, policies and cookies
// share. Each class is checked over all 256 byte values against the grammar it implements.
#include <minihttp/detail/chars.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace d = http::detail;

namespace {

bool in(std::string_view set, unsigned c) {
    return set.find(static_cast<char>(c)) != std::string_view::npos;
}

constexpr std::string_view alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view digit = "0123456789";

std::vector<std::string> elements(std::string_view list) {
    std::vector<std::string> out;
    d::for_each_list_element(list, [&out](std::string_view e) {
        out.emplace_back(e);
        return true;
    });
    return out;
}

} // namespace

TEST_SUITE_BEGIN("detail chars");

TEST_CASE("chars: each class matches its grammar over all 256 bytes") {
    for (unsigned c = 0; c < 256; ++c) {
        CAPTURE(c);
        const char ch = static_cast<char>(c);
        // RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
        // "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
        const bool tchar = in(alpha, c) || in(digit, c) || in("!#$%&'*+-.^_`|~", c);
        CHECK(d::is_tchar(ch) == tchar);
        CHECK(d::is(ch, d::cc_tchar) == tchar);
        // RFC 9110 §5.5: field-vchar = VCHAR / obs-text, plus SP and HTAB inside a value.
        CHECK(d::is(ch, d::cc_field_vchar) ==
              ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t'));
        // RFC 9112 §3.2: a request-target is visible ASCII; '#' starts a fragment, never sent.
        CHECK(d::is(ch, d::cc_target) == (c >= 0x21 && c <= 0x7e && c != '#'));
        CHECK(d::is_hex(ch) == (in(digit, c) || in("abcdefABCDEF", c)));
        CHECK(d::is_digit(ch) == in(digit, c));
        CHECK(d::is(ch, d::cc_digit) == in(digit, c));
        // RFC 3986 §3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims ), '%' apart.
        CHECK(d::is(ch, d::cc_reg_name) ==
              (in(alpha, c) || in(digit, c) || in("-._~", c) || in("!$&'()*+,;=", c)));
        CHECK(d::is_ows(ch) == (c == ' ' || c == '\t'));
    }
}

TEST_CASE("chars: hex_value and ascii_lower") {
    const std::string_view lower = "0123456789abcdef", upper = "0123456789ABCDEF";
    for (unsigned v = 0; v < 16; ++v) {
        CAPTURE(v);
        CHECK(d::hex_value(lower[v]) == v);
        CHECK(d::hex_value(upper[v]) == v);
    }
    for (unsigned c = 0; c < 256; ++c) {
        CAPTURE(c);
        const char ch = static_cast<char>(c);
        const char expected = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : ch;
        CHECK(d::ascii_lower(ch) == expected); // bytes >= 0x80 are not letters here
    }
}

TEST_CASE("chars: iequals is ASCII case-insensitive and exact otherwise") {
    CHECK(d::iequals("Content-Length", "content-length"));
    CHECK(d::iequals("", ""));
    CHECK_FALSE(d::iequals("Host", "Hos"));
    CHECK_FALSE(d::iequals("Host", "Hosts"));
    CHECK_FALSE(d::iequals("a-b", "a_b"));
    CHECK_FALSE(d::iequals("\xc3\x89", "\xc3\xa9")); // no Unicode folding: É is not é
    CHECK_FALSE(d::iequals("@", "`"));               // 0x40 | 0x20 == 0x60, yet not letters
    CHECK_FALSE(d::iequals("[", "{"));
}

TEST_CASE("chars: is_token") {
    CHECK(d::is_token("GET"));
    CHECK(d::is_token("x-custom_field.1~"));
    CHECK_FALSE(d::is_token(""));
    CHECK_FALSE(d::is_token("a b"));
    CHECK_FALSE(d::is_token("a:"));
    CHECK_FALSE(d::is_token("caf\xc3\xa9"));
}

TEST_CASE("chars: parse_u64 reads 1*DIGIT up to 2^64-1 and nothing else") {
    std::uint64_t v = 7;
    CHECK(d::parse_u64("0", v));
    CHECK(v == 0);
    CHECK(d::parse_u64("000123", v));
    CHECK(v == 123);
    CHECK(d::parse_u64("18446744073709551615", v));
    CHECK(v == 18446744073709551615u);
    for (const char* bad : {"", "18446744073709551616", "99999999999999999999", "-1", "+1", " 1",
                            "1 ", "1a", "0x10", "1.0"}) {
        CAPTURE(bad);
        v = 42;
        CHECK_FALSE(d::parse_u64(bad, v));
        CHECK(v == 42); // untouched on failure
    }
}

TEST_CASE("chars: trim_ows strips SP and HTAB only, at both ends") {
    CHECK(d::trim_ows(" \t a b \t ") == "a b");
    CHECK(d::trim_ows("") == "");
    CHECK(d::trim_ows(" \t ") == "");
    CHECK(d::trim_ows("\r\na\r\n") == "\r\na\r\n");
}

TEST_CASE("chars: for_each_list_element walks RFC 9110 §5.6.1 lists") {
    CHECK(elements("gzip, br") == std::vector<std::string>{"gzip", "br"});
    CHECK(elements(" a ,\tb\t, c") == std::vector<std::string>{"a", "b", "c"});
    // Recipients accept and ignore empty elements (§5.6.1).
    CHECK(elements(",, a , ,b,") == std::vector<std::string>{"a", "b"});
    CHECK(elements("").empty());
    CHECK(elements(" , ").empty());
    std::vector<std::string> seen;
    const bool finished = d::for_each_list_element("a, stop, c", [&seen](std::string_view e) {
        seen.emplace_back(e);
        return e != "stop";
    });
    CHECK_FALSE(finished);
    CHECK(seen == std::vector<std::string>{"a", "stop"});
}

TEST_SUITE_END();
