#pragma once
/// @file
/// Character classes of RFC 9110 §5.6 and RFC 3986 as 256-entry tables, plus ASCII helpers.
/// Tables beat chains of comparisons in the parser's inner loops: one load per byte.

#include <minihttp/version.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Bit flags of a byte's classes.
enum char_class : std::uint8_t {
    cc_tchar = 1,       // token character (RFC 9110 §5.6.2)
    cc_field_vchar = 2, // allowed inside a field value: VCHAR, obs-text, SP, HTAB (§5.5)
    cc_target = 4,      // allowed in a request-target: visible ASCII except '#' (RFC 9112 §3.2)
    cc_hex = 8,         // HEXDIG
    cc_reg_name = 16,   // unreserved / sub-delims (RFC 3986 §3.2.2), '%' handled apart
    cc_digit = 32,
};

inline constexpr std::array<std::uint8_t, 256> char_table = [] {
    std::array<std::uint8_t, 256> t{};
    auto add = [&t](std::string_view chars, std::uint8_t cls) {
        for (char c : chars) t[static_cast<unsigned char>(c)] |= cls;
    };
    constexpr std::string_view digits = "0123456789";
    constexpr std::string_view lower = "abcdefghijklmnopqrstuvwxyz";
    constexpr std::string_view upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (auto set : {digits, lower, upper}) {
        add(set, cc_tchar);
        add(set, cc_reg_name);
    }
    add(digits, cc_digit);
    add("!#$%&'*+-.^_`|~", cc_tchar);
    add("-._~", cc_reg_name);        // unreserved punctuation
    add("!$&'()*+,;=", cc_reg_name); // sub-delims
    add(digits, cc_hex);
    add("abcdefABCDEF", cc_hex);
    for (unsigned c = 0x21; c <= 0x7e; ++c) {
        t[c] |= cc_field_vchar;
        if (c != '#') t[c] |= cc_target;
    }
    for (unsigned c = 0x80; c <= 0xff; ++c) t[c] |= cc_field_vchar;
    t[' '] |= cc_field_vchar;
    t['\t'] |= cc_field_vchar;
    return t;
}();

[[nodiscard]] constexpr bool is(char c, char_class cls) noexcept {
    return (char_table[static_cast<unsigned char>(c)] & cls) != 0;
}
[[nodiscard]] constexpr bool is_tchar(char c) noexcept { return is(c, cc_tchar); }
[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr bool is_hex(char c) noexcept { return is(c, cc_hex); }
[[nodiscard]] constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/// Value of a hex digit; the caller has checked `is_hex`.
[[nodiscard]] constexpr unsigned hex_value(char c) noexcept {
    if (c <= '9') return static_cast<unsigned>(c - '0');
    return static_cast<unsigned>((c | 0x20) - 'a' + 10);
}

[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

/// ASCII case-insensitive equality, the comparison for field names, tokens and schemes.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

/// True if the whole of `s` is a token (non-empty, tchar only).
[[nodiscard]] constexpr bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

/// Parses 1*DIGIT into `out`; false if empty, not digits, or more than 64 bits (the one
/// decimal reader of the library: Content-Length, Range, and the like).
[[nodiscard]] constexpr bool parse_u64(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty()) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (!is_digit(c)) return false;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
        v = v * 10 + d;
    }
    out = v;
    return true;
}

/// Strips optional whitespace (SP / HTAB) at both ends.
[[nodiscard]] constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

/// Calls `f(element)` for each non-empty element of a comma-separated list (RFC 9110 §5.6.1),
/// trimmed of OWS. Empty elements are skipped, as §5.6.1 requires of recipients. Stops early and
/// returns false when `f` returns false.
template <class F>
constexpr bool for_each_list_element(std::string_view list, F&& f) {
    while (true) {
        const auto comma = list.find(',');
        const auto element = trim_ows(list.substr(0, comma));
        if (!element.empty() && !f(element)) return false;
        if (comma == std::string_view::npos) return true;
        list.remove_prefix(comma + 1);
    }
}

} // namespace detail
MINIHTTP_NAMESPACE_END
