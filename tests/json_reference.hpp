#pragma once
// The reference JSON validator that http::validate_json is cross-checked against, shared by
// tests/test_json.cpp (mutation tests) and fuzz/fuzz_json.cpp (libFuzzer target).
//
// A deliberately plain validator, written straight from the RFC 8259 ABNF as recursive descent,
// with UTF-8 checked apart by decoding code points (rather than by lead-byte ranges, as the
// validator under test does). It only answers valid or not. Its recursion is bounded by the
// `max_depth` it is given, so hostile nesting costs at most that many stack frames.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace test::json_ref {

/// Every message validate_json can give.
inline constexpr std::string_view known_messages[] = {
    "empty input",
    "byte order mark is not allowed",
    "trailing data",
    "trailing comma",
    "nesting too deep",
    "expected a value",
    "expected string key",
    "expected ':'",
    "expected ',' or ']'",
    "expected ',' or '}'",
    "comments are not allowed",
    "single quotes are not allowed",
    "invalid literal",
    "leading zero in number",
    "leading '+' in number",
    "expected digit before '.'",
    "expected digit after '-'",
    "expected digit after '.'",
    "expected digit in exponent",
    "control character in string",
    "invalid escape",
    "invalid \\u escape",
    "unpaired surrogate",
    "invalid UTF-8",
    "unexpected end of input",
};

inline bool is_known_message(std::string_view m) {
    for (const auto k : known_messages)
        if (k == m) return true;
    return false;
}

/// Well-formed UTF-8 (RFC 3629 §3–§4): each sequence decodes to a code point that needs exactly
/// its length, is not a surrogate, and is at most U+10FFFF.
inline bool utf8_valid(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 1;
        std::uint32_t cp = c, min = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1Fu, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0Fu, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (s.size() - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) return false;
            cp = cp << 6 | (b & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

struct parser {
    std::string_view s;
    int max_depth;
    std::size_t i = 0;

    bool more() const { return i < s.size(); }
    bool peek(char c) const { return more() && s[i] == c; }
    bool eat(char c) {
        if (!peek(c)) return false;
        ++i;
        return true;
    }
    bool digit() const { return more() && s[i] >= '0' && s[i] <= '9'; }
    // ws = *( %x20 / %x09 / %x0A / %x0D )
    void ws() {
        while (peek(' ') || peek('\t') || peek('\n') || peek('\r')) ++i;
    }
    // value = false / null / true / object / array / number / string
    bool value(int depth) {
        if (!more()) return false;
        switch (s[i]) {
        case '{': return object(depth + 1);
        case '[': return array(depth + 1);
        case '"': return string();
        case 't': return word("true");
        case 'f': return word("false");
        case 'n': return word("null");
        default: return number();
        }
    }
    bool word(std::string_view w) {
        if (s.substr(i, w.size()) != w) return false;
        i += w.size();
        return true;
    }
    // object = begin-object [ member *( value-separator member ) ] end-object
    // member = string name-separator value
    bool object(int depth) {
        if (depth > max_depth) return false;
        eat('{');
        ws();
        if (eat('}')) return true;
        while (true) {
            if (!string()) return false;
            ws();
            if (!eat(':')) return false;
            ws();
            if (!value(depth)) return false;
            ws();
            if (eat('}')) return true;
            if (!eat(',')) return false;
            ws();
        }
    }
    // array = begin-array [ value *( value-separator value ) ] end-array
    bool array(int depth) {
        if (depth > max_depth) return false;
        eat('[');
        ws();
        if (eat(']')) return true;
        while (true) {
            if (!value(depth)) return false;
            ws();
            if (eat(']')) return true;
            if (!eat(',')) return false;
            ws();
        }
    }
    // number = [ minus ] int [ frac ] [ exp ]
    bool number() {
        eat('-');
        if (!eat('0')) {
            if (!digit() || s[i] == '0') return false;
            while (digit()) ++i;
        }
        if (eat('.')) {
            if (!digit()) return false;
            while (digit()) ++i;
        }
        if (eat('e') || eat('E')) {
            if (!eat('+')) eat('-');
            if (!digit()) return false;
            while (digit()) ++i;
        }
        return true;
    }
    long hex4() {
        long v = 0;
        for (int k = 0; k < 4; ++k, ++i) {
            if (!more()) return -1;
            const char c = s[i];
            int d = -1;
            if (c >= '0' && c <= '9') d = c - '0';
            if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
            if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        return v;
    }
    // string = quotation-mark *char quotation-mark; unescaped = %x20-21 / %x23-5B / %x5D-10FFFF
    bool string() {
        if (!eat('"')) return false;
        while (true) {
            if (!more()) return false;
            const auto c = static_cast<unsigned char>(s[i++]);
            if (c == '"') return true;
            if (c < 0x20) return false;
            if (c != '\\') continue; // bytes >= 0x80: utf8_valid covers them
            if (!more()) return false;
            const char e = s[i++];
            if (e != 'u') {
                if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) return false;
                continue;
            }
            const long u = hex4();
            if (u < 0 || (u >= 0xDC00 && u <= 0xDFFF)) return false;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (!eat('\\') || !eat('u')) return false;
                const long lo = hex4();
                if (lo < 0xDC00 || lo > 0xDFFF) return false;
            }
        }
    }
};

/// JSON-text = ws value ws, in UTF-8 without a byte order mark.
inline bool valid(std::string_view s, int max_depth) {
    if (!utf8_valid(s) || s.starts_with("\xEF\xBB\xBF")) return false;
    parser p{s, max_depth};
    p.ws();
    if (!p.value(0)) return false;
    p.ws();
    return !p.more();
}

} // namespace test::json_ref
