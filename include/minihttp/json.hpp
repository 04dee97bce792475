#pragma once
/// @file
/// A strict validator of JSON texts (RFC 8259), for request bodies that are stored as received
/// and must be JSON: it checks the bytes and builds nothing.
///
/// It is a single forward pass with no recursion: nesting is tracked by a depth counter and a
/// bit stack of container kinds on the stack frame, so a hostile "[[[[..." costs one bit per
/// level up to the limit and cannot overflow the call stack. It never allocates.

#include <minihttp/detail/chars.hpp>
#include <minihttp/version.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN

/// Result of validating a JSON text.
struct json_error {
    /// Byte offset of the first offending byte (or of the end).
    std::size_t offset = 0;
    /// Static English description, e.g. "trailing comma"; empty when valid.
    std::string_view message;
    /// True when the text is invalid.
    [[nodiscard]] explicit operator bool() const noexcept { return !message.empty(); }
};

/// Limits applied by `validate_json`.
struct json_limits {
    /// Deepest nesting of arrays and objects accepted: a scalar text has depth 0, `[]` depth 1.
    /// Values above `depth_cap` act as `depth_cap`.
    std::size_t max_depth = 128;
    /// Size of the validator's bit stack of container kinds (512 bytes of stack frame).
    static constexpr std::size_t depth_cap = 4096;
};

namespace detail {

// Classes of a byte inside a string. The UTF-8 lead bytes are split by the range their second
// byte must fall in, which is where RFC 3629 §4 excludes overlong forms, UTF-16 surrogates and
// code points above U+10FFFF; later continuation bytes are always 80..BF.
enum json_string_class : std::uint8_t {
    jsc_plain,     // printable ASCII other than '"' and '\\': stands for itself
    jsc_quote,     // '"' ends the string
    jsc_backslash, // starts an escape
    jsc_control,   // U+0000..U+001F must be escaped (RFC 8259 §7)
    jsc_invalid,   // 80..BF (stray continuation), C0 C1 (overlong), F5..FF (beyond U+10FFFF)
    jsc_2,         // C2..DF: 80..BF
    jsc_e0,        // E0: A0..BF (below is an overlong 3-byte form), then 1 more
    jsc_3,         // E1..EC, EE, EF: 80..BF, then 1 more
    jsc_ed,        // ED: 80..9F (above encodes a surrogate D800..DFFF), then 1 more
    jsc_f0,        // F0: 90..BF (below is an overlong 4-byte form), then 2 more
    jsc_4,         // F1..F3: 80..BF, then 2 more
    jsc_f4,        // F4: 80..8F (above is beyond U+10FFFF), then 2 more
};

inline constexpr std::array<std::uint8_t, 256> json_string_table = [] {
    std::array<std::uint8_t, 256> t{};
    for (unsigned c = 0; c < 0x20; ++c) t[c] = jsc_control;
    t['"'] = jsc_quote;
    t['\\'] = jsc_backslash;
    for (unsigned c = 0x80; c <= 0xff; ++c) t[c] = jsc_invalid;
    for (unsigned c = 0xc2; c <= 0xdf; ++c) t[c] = jsc_2;
    for (unsigned c = 0xe1; c <= 0xef; ++c) t[c] = jsc_3;
    t[0xe0] = jsc_e0;
    t[0xed] = jsc_ed;
    t[0xf0] = jsc_f0;
    for (unsigned c = 0xf1; c <= 0xf3; ++c) t[c] = jsc_4;
    t[0xf4] = jsc_f4;
    return t;
}();

/// For a lead byte class (from `jsc_2`): the second byte's range and how many bytes follow it.
struct json_utf8_rule {
    unsigned char lo, hi, more;
};
inline constexpr json_utf8_rule json_utf8_rules[] = {
    {0x80, 0xbf, 0}, {0xa0, 0xbf, 1}, {0x80, 0xbf, 1}, {0x80, 0x9f, 1},
    {0x90, 0xbf, 2}, {0x80, 0xbf, 2}, {0x80, 0x8f, 2},
};

inline constexpr std::string_view json_eof = "unexpected end of input";

/// True if some byte of the 8 in `w` needs a closer look inside a string: below 0x20, '"',
/// '\\', or non-ASCII. These are the exact "has a zero byte" / "has a byte less than n"
/// tests of Bit Twiddling Hacks: a borrow can flag a wrong byte, but only when some byte really
/// matches, and the byte loop finds which one. Byte order plays no part, so it is endian-neutral.
[[nodiscard]] constexpr bool json_word_needs_care(std::uint64_t w) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
    const std::uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    const std::uint64_t flags =
        ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w;
    return (flags & highs) != 0;
}

[[nodiscard]] constexpr bool json_is_ws(char c) noexcept {
    // RFC 8259 §2: ws = SP / HTAB / LF / CR, and nothing else (no FF, VT, NBSP...).
    constexpr std::uint64_t mask = (1ull << ' ') | (1ull << '\t') | (1ull << '\n') | (1ull << '\r');
    const auto u = static_cast<unsigned char>(c);
    return u <= ' ' && ((mask >> u) & 1) != 0;
}

inline void json_skip_ws(std::string_view t, std::size_t& i) noexcept {
    while (i < t.size() && json_is_ws(t[i])) ++i;
}

/// Reads the 4 hex digits of a `\u` escape at `i` into `cp`. On failure `i` is the bad byte.
[[nodiscard]] inline std::string_view json_hex4(std::string_view t, std::size_t& i,
                                                unsigned& cp) noexcept {
    cp = 0;
    for (int k = 0; k < 4; ++k, ++i) {
        if (i == t.size()) return json_eof;
        if (!is_hex(t[i])) return "invalid \\u escape";
        cp = cp << 4 | hex_value(t[i]);
    }
    return {};
}

/// Checks the escape whose backslash is at `i`; leaves `i` after it. RFC 8259 §7 lists the
/// escapes. A `\u` escape of a UTF-16 surrogate must be a high one immediately followed by a
/// low one: a lone surrogate is no character, and I-JSON (RFC 7493 §2.1) forbids it.
[[nodiscard]] inline std::string_view json_escape(std::string_view t, std::size_t& i) noexcept {
    const std::size_t start = i;
    if (++i == t.size()) return json_eof;
    if (t[i] != 'u') {
        if (std::string_view("\"\\/bfnrt").find(t[i]) == std::string_view::npos)
            return "invalid escape";
        ++i;
        return {};
    }
    unsigned cp = 0;
    if (auto m = json_hex4(t, ++i, cp); !m.empty()) return m;
    if (cp < 0xd800 || cp > 0xdfff) return {};
    if (cp <= 0xdbff) {
        // A high surrogate: a prefix of the text could still end in its low half, so running
        // out of input here is the end of input, not a surrogate error.
        if (i == t.size() || (t[i] == '\\' && i + 1 == t.size())) {
            i = t.size();
            return json_eof;
        }
        if (t[i] == '\\' && t[i + 1] == 'u') {
            i += 2;
            if (auto m = json_hex4(t, i, cp); !m.empty()) return m;
            if (cp >= 0xdc00 && cp <= 0xdfff) return {};
        }
    }
    i = start;
    return "unpaired surrogate";
}

/// Checks the string whose opening quote is at `i`; leaves `i` after the closing quote.
[[nodiscard]] inline std::string_view json_string(std::string_view t, std::size_t& i) noexcept {
    const char* const p = t.data();
    const std::size_t n = t.size();
    ++i;
    while (true) {
        // Most string bytes are plain ASCII: skip them 8 at a time, then byte by byte up to the
        // first one that needs work, so the UTF-8 and escape checks cost nothing on ASCII runs.
        while (n - i >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            if (json_word_needs_care(w)) break;
            i += 8;
        }
        while (i < n && json_string_table[static_cast<unsigned char>(p[i])] == jsc_plain) ++i;
        if (i == n) return json_eof;
        const unsigned cls = json_string_table[static_cast<unsigned char>(p[i])];
        switch (cls) {
        case jsc_quote: ++i; return {};
        case jsc_backslash:
            if (auto m = json_escape(t, i); !m.empty()) return m;
            continue;
        case jsc_control: return "control character in string";
        case jsc_invalid: return "invalid UTF-8";
        default: break;
        }
        // RFC 8259 §8.1: the text is UTF-8. A sequence cut short by the end of input is the end
        // of input (a longer text could complete it); cut short by any other byte, it is invalid.
        const json_utf8_rule& r = json_utf8_rules[cls - jsc_2];
        if (++i == n) return json_eof;
        auto u = static_cast<unsigned char>(p[i]);
        if (u < r.lo || u > r.hi) return "invalid UTF-8";
        for (unsigned k = 0; k < r.more; ++k) {
            if (++i == n) return json_eof;
            u = static_cast<unsigned char>(p[i]);
            if (u < 0x80 || u > 0xbf) return "invalid UTF-8";
        }
        ++i;
    }
}

/// Checks the number starting at `i` ('-' or a digit); leaves `i` after it. RFC 8259 §6:
///   number = [ "-" ] int [ frac ] [ exp ]     int = "0" / ( digit1-9 *DIGIT )
///   frac = "." 1*DIGIT                        exp = ( "e" / "E" ) [ "-" / "+" ] 1*DIGIT
[[nodiscard]] inline std::string_view json_number(std::string_view t, std::size_t& i) noexcept {
    const std::size_t n = t.size();
    if (t[i] == '-') {
        if (++i == n) return json_eof;
        if (!is_digit(t[i])) return "expected digit after '-'";
    }
    if (t[i] == '0') {
        if (++i < n && is_digit(t[i])) return "leading zero in number";
    } else {
        while (++i < n && is_digit(t[i])) {}
    }
    if (i < n && t[i] == '.') {
        if (++i == n) return json_eof;
        if (!is_digit(t[i])) return "expected digit after '.'";
        while (++i < n && is_digit(t[i])) {}
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        if (++i == n) return json_eof;
        if (t[i] == '+' || t[i] == '-') {
            if (++i == n) return json_eof;
        }
        if (!is_digit(t[i])) return "expected digit in exponent";
        while (++i < n && is_digit(t[i])) {}
    }
    return {};
}

/// Checks that `word` (true, false or null) is at `i`; leaves `i` after it.
[[nodiscard]] inline std::string_view json_literal(std::string_view t, std::size_t& i,
                                                   std::string_view word) noexcept {
    for (char c : word) {
        if (i == t.size()) return json_eof;
        if (t[i] != c) return "invalid literal";
        ++i;
    }
    return {};
}

/// Why the byte `c` cannot start a value; names the usual non-JSON habits.
[[nodiscard]] constexpr std::string_view json_not_a_value(char c) noexcept {
    switch (c) {
    case '\'': return "single quotes are not allowed";
    case '/': return "comments are not allowed";
    case '+': return "leading '+' in number";
    case '.': return "expected digit before '.'";
    default: break;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return "invalid literal"; // NaN, True
    return "expected a value";
}

/// Checks an object member's name and the colon after it, starting at `i` (whitespace skipped);
/// leaves `i` after the colon.
[[nodiscard]] inline std::string_view json_member_name(std::string_view t,
                                                       std::size_t& i) noexcept {
    if (i == t.size()) return json_eof;
    if (t[i] != '"') {
        if (t[i] == '\'' || t[i] == '/') return json_not_a_value(t[i]);
        return "expected string key";
    }
    if (auto m = json_string(t, i); !m.empty()) return m;
    json_skip_ws(t, i);
    if (i == t.size()) return json_eof;
    if (t[i] != ':') return "expected ':'";
    ++i;
    return {};
}

} // namespace detail

/// Validates `text` as one JSON text (RFC 8259 §2: ws value ws). Returns an empty json_error when
/// valid. Pure function; thread-safe; never allocates, never throws.
/// On error, `offset` is the first byte that cannot be there (`text.size()` when the text is a
/// cut-short prefix of valid JSON), except for "trailing comma" (the comma) and "unpaired
/// surrogate" (the backslash of the unpaired escape).
[[nodiscard]] inline json_error validate_json(std::string_view text,
                                              const json_limits& limits = {}) noexcept {
    using detail::json_eof;
    using detail::json_skip_ws;
    const std::size_t n = text.size();
    std::size_t i = 0;

    // RFC 8259 §8.1 forbids generating a byte order mark and lets parsers ignore one; a strict
    // validator refuses it, so that whatever stores the body need not strip it.
    if (text.starts_with("\xEF\xBB\xBF")) return {0, "byte order mark is not allowed"};

    const std::size_t max_depth = std::min(limits.max_depth, json_limits::depth_cap);
    // Bit d-1 is set when the container at depth d is an object. The counter plus this stack
    // replaces recursion; levels beyond max_depth are refused before they are pushed.
    std::uint64_t is_object[json_limits::depth_cap / 64] = {};
    std::size_t depth = 0;
    const auto in_object = [&] { return (is_object[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1; };

    json_skip_ws(text, i);
    if (i == n) return {i, "empty input"};

    while (true) {
        // A value is expected at `i`.
        json_skip_ws(text, i);
        if (i == n) return {i, json_eof};
        std::string_view m;
        switch (text[i]) {
        case '[':
        case '{': {
            if (depth == max_depth) return {i, "nesting too deep"};
            const bool obj = text[i] == '{';
            const std::uint64_t bit = std::uint64_t{1} << (depth % 64);
            auto& word = is_object[depth / 64];
            word = obj ? word | bit : word & ~bit;
            ++depth;
            ++i;
            json_skip_ws(text, i);
            if (i == n) return {i, json_eof};
            if (text[i] == (obj ? '}' : ']')) { // empty: a complete value
                --depth;
                ++i;
                break;
            }
            if (obj) m = detail::json_member_name(text, i);
            if (!m.empty()) return {i, m};
            continue;
        }
        case '"': m = detail::json_string(text, i); break;
        case 't': m = detail::json_literal(text, i, "true"); break;
        case 'f': m = detail::json_literal(text, i, "false"); break;
        case 'n': m = detail::json_literal(text, i, "null"); break;
        default:
            if (text[i] != '-' && !detail::is_digit(text[i]))
                return {i, detail::json_not_a_value(text[i])};
            m = detail::json_number(text, i);
            break;
        }
        if (!m.empty()) return {i, m};

        // A value has ended at `i`: close containers until a comma calls for another value.
        while (true) {
            json_skip_ws(text, i);
            if (depth == 0) {
                if (i != n) return {i, "trailing data"};
                return {};
            }
            if (i == n) return {i, json_eof};
            const bool obj = in_object();
            const char close = obj ? '}' : ']';
            if (text[i] == close) {
                --depth;
                ++i;
                continue;
            }
            if (text[i] != ',') return {i, obj ? "expected ',' or '}'" : "expected ',' or ']'"};
            const std::size_t comma = i++;
            json_skip_ws(text, i);
            if (i < n && text[i] == close) return {comma, "trailing comma"};
            if (obj) m = detail::json_member_name(text, i);
            if (!m.empty()) return {i, m};
            break;
        }
    }
}

MINIHTTP_NAMESPACE_END
