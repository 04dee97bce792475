#include <minihttp/json.hpp>

#include <doctest/doctest.h>

#include "guard_page.hpp"
#include "json_reference.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

// Tests of http::validate_json against RFC 8259 (plus RFC 7493 §2.1 on surrogates): tables of
// valid and invalid texts with the exact message and offset of each error, the depth limit,
// hostile nesting, every lead/second byte pair of UTF-8, and a cross-check against a separate
// recursive-descent reference validator on pseudo-random mutations of valid texts. Every table
// input is also validated from right before a PROT_NONE guard page (picohttpparser's test.c).

using namespace std::string_view_literals;

namespace {

constexpr std::string_view eof = "unexpected end of input";

using test::guard_page;

/// `s` with bytes outside printable ASCII (and the backslash) shown as escapes, for messages.
std::string printable(std::string_view s) {
    std::string out;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\\') {
            out += "\\\\";
        } else if (c >= 0x20 && c < 0x7f) {
            out += ch;
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        }
    }
    return out;
}

/// Validates `text` both where it is and right before a guard page, and checks that the two
/// agree and that the result is well-formed (an offset inside the text, a known message).
http::json_error validate(std::string_view text, const http::json_limits& lim = {}) {
    static guard_page guard(1 << 16);
    REQUIRE(guard.ok());
    const http::json_error e = http::validate_json(text, lim);
    if (text.size() <= guard.capacity()) {
        const http::json_error g = http::validate_json(guard.place(text), lim);
        CHECK(g.offset == e.offset);
        CHECK(g.message == e.message);
    }
    if (!e) CHECK(e.offset == 0);
    CHECK(e.offset <= text.size());
    return e;
}

// ---- tables ---------------------------------------------------------------------------------

constexpr std::string_view valid_texts[] = {
    // Scalars at top level (RFC 8259 §2 allows any value).
    "0"sv,
    "-0"sv,
    "1"sv,
    "-1"sv,
    "9"sv,
    "123456789"sv,
    "12345678901234567890123456789"sv,
    "0.5"sv,
    "-0.0"sv,
    "0.5e+10"sv,
    "1E-2"sv,
    "1e2"sv,
    "1E+2"sv,
    "0e0"sv,
    "-1.25e-300"sv,
    "1e999"sv,
    "-9.9E9"sv,
    "1.0000000000000000000001"sv,
    "true"sv,
    "false"sv,
    "null"sv,
    "\"\""sv,
    "\"abc\""sv,
    " \t\r\n\"x\" \t\r\n"sv,
    // Containers.
    "[]"sv,
    "{}"sv,
    "[ ]"sv,
    "{ }"sv,
    "[ \t\r\n]"sv,
    "[1,2,3]"sv,
    "{\"a\":1}"sv,
    "[[[]]]"sv,
    "[{}]"sv,
    "[ [ ] , { } ]"sv,
    "{\"\":\"\"}"sv,
    "{\"a b\":\"c d\"}"sv,
    "{\"a\":1,\"a\":2}"sv, // duplicate names: §4 says SHOULD be unique, not MUST
    "{\"a\":{\"b\":{\"c\":[]}}}"sv,
    "{\"a\":[{\"b\":[{\"c\":null}]}]}"sv,
    "[1,\"a\",true,null,{},[],-0.5e-5]"sv,
    "[0,-0,0.0,0e0,0E+0,0e-0]"sv,
    " \t\r\n[ 1 , 2 ] \t\r\n"sv,
    "{ \"a\" : [ true , false , null ] , \"b\" : { } }"sv,
    "{\"x\":[1,{\"y\":[2,[3,{\"z\":4}]]}],\"w\":\"v\"}"sv,
    // Escapes (§7).
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""sv,
    "\"\\/\""sv,
    "\"/\""sv,
    "\"\\\\u\""sv, // an escaped backslash, then a plain 'u'
    "\"\\\\\""sv,
    "\"\\u0000\""sv, // an escaped NUL is fine; only a raw one is not
    "\"\\u001f\\u0020\""sv,
    "\"\\u00e9\\u00E9\""sv,
    "\"\\uD83D\\uDE00\""sv,
    "\"\\ud800\\udc00\""sv,
    "\"\\udbff\\udfff\""sv,
    "\"\\uD7FF\\uE000\""sv,
    "\"\\uFFFF\\uFFFE\""sv,
    "\"abcdefgh\\u0041abcdefgh\xC3\xA9\""sv,
    // Raw UTF-8 (§8.1), at the edges of each length and around the surrogate gap.
    "\"\xC3\xA9\""sv,
    "\"\xE2\x82\xAC\""sv,
    "\"\xF0\x9F\x98\x80\""sv,
    "\"\xC2\x80\""sv,
    "\"\xDF\xBF\""sv,
    "\"\xE0\xA0\x80\""sv,
    "\"\xED\x9F\xBF\""sv,
    "\"\xEE\x80\x80\""sv,
    "\"\xEF\xBF\xBF\""sv,
    "\"\xEF\xBB\xBF\""sv, // U+FEFF inside a string is a character, not a byte order mark
    "\"\xF0\x90\x80\x80\""sv,
    "\"\xF4\x8F\xBF\xBF\""sv,
    "{\"\xC3\xA9t\xC3\xA9\":\"\xE6\x97\xA5\xE6\x9C\xAC\"}"sv,
    // Other printable ASCII in strings, including DEL (not a control character in §7).
    "\"\x7F\""sv,
    "\" \""sv,
    "\"'\""sv,
    "\"// not a comment\""sv,
    "\"a long string of plain ASCII that spans several 8-byte words...\""sv,
    "\"]}\\\",:[{\""sv,
};

struct invalid_case {
    std::string_view text;
    std::string_view message;
    std::size_t offset;
};

const invalid_case invalid_cases[] = {
    // Nothing, or only whitespace (§2: a JSON text is a value).
    {""sv, "empty input", 0},
    {"   "sv, "empty input", 3},
    {"\t\r\n"sv, "empty input", 3},
    // A byte order mark (§8.1 lets parsers ignore it; we refuse it).
    {"\xEF\xBB\xBF{}"sv, "byte order mark is not allowed", 0},
    {"\xEF\xBB\xBF"sv, "byte order mark is not allowed", 0},
    {"\xEF\xBB\xBF"
     "1"sv,
     "byte order mark is not allowed", 0},
    // Whitespace other than SP HTAB LF CR (§2).
    {"\f1"sv, "expected a value", 0},
    {"[1,\v2]"sv, "expected a value", 3},
    {"1\f"sv, "trailing data", 1},
    {"\xC2\xA0"
     "1"sv,
     "expected a value", 0},
    // Anything after the value.
    {"1 2"sv, "trailing data", 2},
    {"{}x"sv, "trailing data", 2},
    {"[] []"sv, "trailing data", 3},
    {"\"a\"\"b\""sv, "trailing data", 3},
    {"truex"sv, "trailing data", 4},
    {"nulll"sv, "trailing data", 4},
    {"1\0"sv, "trailing data", 1},
    {"[1]]"sv, "trailing data", 3},
    {"{}}"sv, "trailing data", 2},
    {"1,2"sv, "trailing data", 1},
    {"{\"a\":1}{\"b\":2}"sv, "trailing data", 7},
    {"0x1F"sv, "trailing data", 1},
    {"1_000"sv, "trailing data", 1},
    {"0.5.1"sv, "trailing data", 3},
    {"1.5e3.2"sv, "trailing data", 5},
    {"1 // c"sv, "trailing data", 2},
    // Trailing commas.
    {"[1,]"sv, "trailing comma", 2},
    {"[1, ]"sv, "trailing comma", 2},
    {"[[],]"sv, "trailing comma", 3},
    {"{\"a\":1,}"sv, "trailing comma", 6},
    {"{\"a\":1 , }"sv, "trailing comma", 7},
    // Missing or doubled separators.
    {"[,]"sv, "expected a value", 1},
    {"[,1]"sv, "expected a value", 1},
    {"[1,,2]"sv, "expected a value", 3},
    {"{,}"sv, "expected string key", 1},
    {"[1 2]"sv, "expected ',' or ']'", 3},
    {"[\"a\" \"b\"]"sv, "expected ',' or ']'", 5},
    {"{\"a\":1 \"b\":2}"sv, "expected ',' or '}'", 7},
    {"{\"a\":1:2}"sv, "expected ',' or '}'", 6},
    {"[\"a\":1]"sv, "expected ',' or ']'", 4},
    // Mismatched or unbalanced brackets.
    {"]"sv, "expected a value", 0},
    {"}"sv, "expected a value", 0},
    {"[}"sv, "expected a value", 1},
    {"{]"sv, "expected string key", 1},
    {"[1}"sv, "expected ',' or ']'", 2},
    {"{\"a\":1]"sv, "expected ',' or '}'", 6},
    {"[{]}"sv, "expected string key", 2},
    {"[[]"sv, eof, 3},
    {"[]]"sv, "trailing data", 2},
    {":"sv, "expected a value", 0},
    {","sv, "expected a value", 0},
    {"\0"sv, "expected a value", 0},
    // Object members (§4).
    {"{a:1}"sv, "expected string key", 1},
    {"{1:1}"sv, "expected string key", 1},
    {"{\"a\"}"sv, "expected ':'", 4},
    {"{\"a\" 1}"sv, "expected ':'", 5},
    {"{\"a\"=1}"sv, "expected ':'", 4},
    {"{\"a\",1}"sv, "expected ':'", 4},
    {"{\"a\":}"sv, "expected a value", 5},
    {"{\"a\"::1}"sv, "expected a value", 5},
    {"{\"a\":1, 2}"sv, "expected string key", 8},
    // Comments and single quotes (neither exists in JSON).
    {"// c\n1"sv, "comments are not allowed", 0},
    {"/* c */ 1"sv, "comments are not allowed", 0},
    {"[/*c*/1]"sv, "comments are not allowed", 1},
    {"{/*c*/}"sv, "comments are not allowed", 1},
    {"[1 /* c */]"sv, "expected ',' or ']'", 3},
    {"'a'"sv, "single quotes are not allowed", 0},
    {"['a']"sv, "single quotes are not allowed", 1},
    {"{'a':1}"sv, "single quotes are not allowed", 1},
    // Literals (§3: lower case only) and NaN/Infinity (§6).
    {"NaN"sv, "invalid literal", 0},
    {"Infinity"sv, "invalid literal", 0},
    {"-Infinity"sv, "expected digit after '-'", 1},
    {"nan"sv, "invalid literal", 1},
    {"True"sv, "invalid literal", 0},
    {"tRue"sv, "invalid literal", 1},
    {"falsy"sv, "invalid literal", 4},
    {"undefined"sv, "invalid literal", 0},
    {"[tru]"sv, "invalid literal", 4},
    {"nul"sv, eof, 3},
    {"fals"sv, eof, 4},
    // Numbers (§6).
    {"01"sv, "leading zero in number", 1},
    {"00"sv, "leading zero in number", 1},
    {"-01"sv, "leading zero in number", 2},
    {"[01]"sv, "leading zero in number", 2},
    {"007.5"sv, "leading zero in number", 1},
    {"+1"sv, "leading '+' in number", 0},
    {"[+1]"sv, "leading '+' in number", 1},
    {".5"sv, "expected digit before '.'", 0},
    {"-.5"sv, "expected digit after '-'", 1},
    {"--1"sv, "expected digit after '-'", 1},
    {"- 1"sv, "expected digit after '-'", 1},
    {"[-]"sv, "expected digit after '-'", 2},
    {"-"sv, eof, 1},
    {"1."sv, eof, 2},
    {"-0."sv, eof, 3},
    {"[1.]"sv, "expected digit after '.'", 3},
    {"1.e5"sv, "expected digit after '.'", 2},
    {"1.x"sv, "expected digit after '.'", 2},
    {"1e"sv, eof, 2},
    {"0e"sv, eof, 2},
    {"1E"sv, eof, 2},
    {"1e+"sv, eof, 3},
    {"1e-"sv, eof, 3},
    {"[1e]"sv, "expected digit in exponent", 3},
    {"1e+-1"sv, "expected digit in exponent", 3},
    {"1ee1"sv, "expected digit in exponent", 2},
    {"1e.5"sv, "expected digit in exponent", 2},
    {"[1e5e]"sv, "expected ',' or ']'", 4},
    // Strings: termination and raw control characters (§7).
    {"\""sv, eof, 1},
    {"\"abc"sv, eof, 4},
    {"[\"abc]"sv, eof, 6},
    {"\"a\0b\""sv, "control character in string", 2},
    {"\"\x01\""sv, "control character in string", 1},
    {"\"\x1F\""sv, "control character in string", 1},
    {"\"\t\""sv, "control character in string", 1},
    {"\"\n\""sv, "control character in string", 1},
    {"\"\r\""sv, "control character in string", 1},
    {"\"abcdefghij\x01\""sv, "control character in string", 11},
    {"{\"a\nb\":1}"sv, "control character in string", 3},
    // Escapes (§7).
    {"\"\\x41\""sv, "invalid escape", 2},
    {"\"\\a\""sv, "invalid escape", 2},
    {"\"\\'\""sv, "invalid escape", 2},
    {"\"\\U0041\""sv, "invalid escape", 2},
    {"\"\\0\""sv, "invalid escape", 2},
    {"\"\\ \""sv, "invalid escape", 2},
    {"\"\\\xC3\xA9\""sv, "invalid escape", 2},
    {"\"\\"sv, eof, 2},
    {"\"\\u\""sv, "invalid \\u escape", 3},
    {"\"\\u12\""sv, "invalid \\u escape", 5},
    {"\"\\u12G4\""sv, "invalid \\u escape", 5},
    {"\"\\u-123\""sv, "invalid \\u escape", 3},
    {"\"\\u 123\""sv, "invalid \\u escape", 3},
    {"\"\\u12"sv, eof, 5},
    // Surrogates (RFC 7493 §2.1): a high one must be followed at once by a low one.
    {"\"\\uD800\""sv, "unpaired surrogate", 1},
    {"\"\\uDBFF\""sv, "unpaired surrogate", 1},
    {"\"\\uDC00\""sv, "unpaired surrogate", 1},
    {"\"\\udfff\""sv, "unpaired surrogate", 1},
    {"\"a\\uDC00\\uD800\""sv, "unpaired surrogate", 2},
    {"\"\\uD800\\uD800\""sv, "unpaired surrogate", 1},
    {"\"\\uD800x\""sv, "unpaired surrogate", 1},
    {"\"\\uD800\\n\""sv, "unpaired surrogate", 1},
    {"\"\\uD800\\u0041\""sv, "unpaired surrogate", 1},
    {"\"\\uD800\\uE000\""sv, "unpaired surrogate", 1},
    {"\"\\uD800 \\uDC00\""sv, "unpaired surrogate", 1},
    {"\"\\ud83d\\ude00\\ude00\""sv, "unpaired surrogate", 13},
    {"\"\\uD800\\uDC0G\""sv, "invalid \\u escape", 12},
    {"\"\\uD800"sv, eof, 7},
    {"\"\\uD800\\"sv, eof, 8},
    {"\"\\uD800\\u"sv, eof, 9},
    {"\"\\uD800\\uDC"sv, eof, 11},
    // UTF-8 (§8.1): stray continuations, bad lead bytes, overlong forms, encoded surrogates,
    // code points above U+10FFFF, and sequences cut short.
    {"\"\x80\""sv, "invalid UTF-8", 1},
    {"\"\xBF\""sv, "invalid UTF-8", 1},
    {"\"\xC3\xA9\xA9\""sv, "invalid UTF-8", 3},
    {"\"\xC0\x80\""sv, "invalid UTF-8", 1},
    {"\"\xC1\xBF\""sv, "invalid UTF-8", 1},
    {"\"\xC2\""sv, "invalid UTF-8", 2},
    {"\"\xC2\x41\""sv, "invalid UTF-8", 2},
    {"\"\xC2\xC0\""sv, "invalid UTF-8", 2},
    {"\"\xE0\x80\x80\""sv, "invalid UTF-8", 2},
    {"\"\xE0\x9F\xBF\""sv, "invalid UTF-8", 2},
    {"\"\xE2\""sv, "invalid UTF-8", 2},
    {"\"\xE2\x82\""sv, "invalid UTF-8", 3},
    {"\"\xE2\x82\x41\""sv, "invalid UTF-8", 3},
    {"\"\xED\xA0\x80\""sv, "invalid UTF-8", 2},
    {"\"\xED\xBF\xBF\""sv, "invalid UTF-8", 2},
    {"\"\xF0\x80\x80\x80\""sv, "invalid UTF-8", 2},
    {"\"\xF0\x8F\xBF\xBF\""sv, "invalid UTF-8", 2},
    {"\"\xF0\x9F\""sv, "invalid UTF-8", 3},
    {"\"\xF0\x9F\x98\""sv, "invalid UTF-8", 4},
    {"\"\xF4\x90\x80\x80\""sv, "invalid UTF-8", 2},
    {"\"\xF5\x80\x80\x80\""sv, "invalid UTF-8", 1},
    {"\"\xF8\x88\x80\x80\x80\""sv, "invalid UTF-8", 1},
    {"\"\xFE\""sv, "invalid UTF-8", 1},
    {"\"\xFF\""sv, "invalid UTF-8", 1},
    {"\"abcdefgh\x80\""sv, "invalid UTF-8", 9},
    {"{\"\xFF\":1}"sv, "invalid UTF-8", 2},
    {"\"\xC2"sv, eof, 2},
    {"\"\xE2\x82"sv, eof, 3},
    {"\"\xF0\x9F\x98"sv, eof, 4},
    // Non-ASCII outside strings.
    {"\xC3\xA9"sv, "expected a value", 0},
    {"[\xFF]"sv, "expected a value", 1},
    // Input that stops early.
    {"["sv, eof, 1},
    {"{"sv, eof, 1},
    {"[1"sv, eof, 2},
    {"[1,"sv, eof, 3},
    {"[1, "sv, eof, 4},
    {"{\"a\""sv, eof, 4},
    {"{\"a\":"sv, eof, 5},
    {"{\"a\":1"sv, eof, 6},
    {"{\"a\":1,"sv, eof, 7},
    {"{\"a"sv, eof, 3},
};

// The recursive reference validator and the list of messages, shared with fuzz/fuzz_json.cpp.
namespace ref = test::json_ref;
using test::json_ref::is_known_message;

/// splitmix64: a tiny PRNG whose sequence is the same with every standard library.
class rng {
  public:
    explicit rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
    /// Uniform enough in [0, n) for n > 0.
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

  private:
    std::uint64_t state_;
};

/// The concatenation of `parts` (GCC 12 at -O3 warns falsely on `"literal" + std::string&&`).
std::string cat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (const auto part : parts) out.append(part);
    return out;
}

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

} // namespace

TEST_SUITE_BEGIN("json");

TEST_CASE("json: the API is noexcept and json_error converts to true on error") {
    static_assert(noexcept(http::validate_json(std::string_view{})));
    static_assert(noexcept(http::validate_json(std::string_view{}, http::json_limits{})));
    const http::json_error ok = http::validate_json("{}");
    CHECK_FALSE(static_cast<bool>(ok));
    CHECK(ok.message.empty());
    CHECK(ok.offset == 0);
    const http::json_error bad = http::validate_json("[1,]");
    CHECK(static_cast<bool>(bad));
    CHECK(bad.message == "trailing comma");
    CHECK(http::json_limits{}.max_depth == 128);
}

TEST_CASE("json: accepts every valid text of the table") {
    for (const auto text : valid_texts) {
        CAPTURE(printable(text));
        const auto e = validate(text);
        CHECK(e.message == "");
        CHECK(ref::valid(text, 200));
    }
}

TEST_CASE("json: accepts every valid text as an array element and as a member value") {
    for (const auto text : valid_texts) {
        CAPTURE(printable(text));
        const std::string in_array = cat({"[", text, "]"});
        const std::string in_object = cat({"{\"k\":", text, "}"});
        const std::string listed = cat({"[ ", text, " , ", text, " ]"});
        CHECK(validate(in_array).message == "");
        CHECK(validate(in_object).message == "");
        CHECK(validate(listed).message == "");
    }
}

TEST_CASE("json: rejects every invalid text of the table with its message and offset") {
    for (const auto& c : invalid_cases) {
        CAPTURE(printable(c.text));
        const auto e = validate(c.text);
        CHECK(e.message == c.message);
        CHECK(e.offset == c.offset);
        CHECK(is_known_message(e.message));
        CHECK_FALSE(ref::valid(c.text, 200));
    }
}

TEST_CASE("json: every proper prefix of a valid text is valid or ends early at its end") {
    // What "unexpected end of input" promises: a text cut short is reported at its end, never
    // as some other error at some other byte, including in the middle of UTF-8 or an escape.
    for (const auto text : valid_texts) {
        for (std::size_t len = 0; len < text.size(); ++len) {
            const auto prefix = text.substr(0, len);
            CAPTURE(printable(prefix));
            const auto e = validate(prefix);
            if (!e) continue;
            CHECK((e.message == eof || e.message == "empty input"));
            CHECK(e.offset == len);
        }
    }
}

TEST_CASE("json: checks every byte value in a string, at every position of the word loop") {
    // Strings are scanned 8 bytes at a time first; each special byte must be caught wherever it
    // falls in a word and whatever follows it.
    for (unsigned b = 0; b < 256; ++b) {
        for (std::size_t pos = 0; pos < 20; ++pos) {
            std::string s = cat({"\"", std::string(pos, 'a')});
            s += static_cast<char>(b);
            s += std::string(20 - pos, 'z') + "\"";
            CAPTURE(b);
            CAPTURE(pos);
            const auto e = validate(s);
            const std::size_t at = 1 + pos;
            if (b < 0x20) {
                CHECK(e.message == "control character in string");
                CHECK(e.offset == at);
            } else if (b == '"') {
                CHECK(e.message == "trailing data");
                CHECK(e.offset == at + 1);
            } else if (b == '\\') {
                CHECK(e.message == "invalid escape"); // "\z"
                CHECK(e.offset == at + 1);
            } else if (b < 0x80) {
                CHECK(e.message == "");
            } else {
                // A lone lead byte fails at the 'z' after it; any other byte fails itself.
                const bool lead = b >= 0xC2 && b <= 0xF4;
                CHECK(e.message == "invalid UTF-8");
                CHECK(e.offset == (lead ? at + 1 : at));
            }
        }
    }
}

TEST_CASE("json: checks every lead and second byte pair of UTF-8 against the reference") {
    // All 2-byte prefixes of multi-byte sequences, completed with the lowest and the highest
    // continuation byte, left incomplete, or cut off by the end of input. Counting the pairs
    // that make well-formed sequences pins down each range of RFC 3629 §4 independently of the
    // reference: 30 two-byte leads × 64, E0 32 + E1..EC 12×64 + ED 32 + EE..EF 2×64, and
    // F0 48 + F1..F3 3×64 + F4 16.
    std::size_t valid2 = 0, valid3 = 0, valid4 = 0, mismatches = 0;
    std::string first_mismatch;
    for (unsigned b1 = 0x80; b1 <= 0xFF; ++b1) {
        for (unsigned b2 = 0; b2 <= 0xFF; ++b2) {
            const std::string pair{static_cast<char>(b1), static_cast<char>(b2)};
            for (const std::string_view tail :
                 {""sv, "\x80"sv, "\xBF"sv, "\x80\x80"sv, "\xBF\xBF"sv, "\x80\xBF\x80"sv}) {
                for (const bool closed : {true, false}) {
                    const std::string s = cat({"\"", pair, tail, closed ? "\"" : ""});
                    const auto e = http::validate_json(s);
                    const bool expect = ref::valid(s, 200);
                    if (!e != expect ||
                        (e && e.message != "invalid UTF-8" && e.message != eof &&
                         e.message != "control character in string" &&
                         e.message != "trailing data" && e.message != "invalid escape")) {
                        if (mismatches++ == 0) first_mismatch = printable(s);
                    }
                    if (!e && closed) {
                        if (tail.empty()) ++valid2;
                        if (tail.size() == 1 && tail[0] == '\x80') ++valid3;
                        if (tail == "\x80\x80"sv) ++valid4;
                    }
                    // Cut off by the end of input, a sequence that could still be completed
                    // is the end of input, and one that cannot is invalid before the end.
                    if (!closed && e && e.message == eof) CHECK(e.offset == s.size());
                }
            }
        }
    }
    CAPTURE(first_mismatch);
    CHECK(mismatches == 0);
    // Pairs that are complete 2-byte characters, plus 3-byte/4-byte characters whose last one
    // or two bytes are 0x80 (a complete pair followed by 0x80 is a stray continuation).
    CHECK(valid2 == 30 * 64);
    CHECK(valid3 == 32 + 12 * 64 + 32 + 2 * 64);
    CHECK(valid4 == 48 + 3 * 64 + 16);
}

TEST_CASE("json: reports cut-short UTF-8 as the end of input, and broken UTF-8 where it breaks") {
    constexpr std::string_view sequences[] = {
        "\xC2\x80"sv,     "\xDF\xBF"sv,         "\xE0\xA0\x80"sv,     "\xED\x9F\xBF"sv,
        "\xEF\xBF\xBF"sv, "\xF0\x90\x80\x80"sv, "\xF4\x8F\xBF\xBF"sv, "\xF3\xBF\xBF\xBF"sv,
    };
    for (const auto seq : sequences) {
        for (std::size_t len = 1; len < seq.size(); ++len) {
            const std::string cut = cat({"\"", seq.substr(0, len)});
            CAPTURE(printable(cut));
            const auto at_end = validate(cut);
            CHECK(at_end.message == eof);
            CHECK(at_end.offset == cut.size());
            const auto closed = validate(cut + "\"");
            CHECK(closed.message == "invalid UTF-8");
            CHECK(closed.offset == cut.size());
        }
        CHECK(validate(cat({"\"", seq, "\""})).message == "");
    }
}

TEST_CASE("json: accepts nesting of exactly max_depth and refuses one more") {
    SUBCASE("arrays, at the default limit of 128") {
        CHECK(validate(nested(128)).message == "");
        const auto e = validate(nested(129));
        CHECK(e.message == "nesting too deep");
        CHECK(e.offset == 128);
    }
    SUBCASE("objects and arrays count alike") {
        std::string deep;
        for (int d = 0; d < 128; ++d) deep += d % 2 == 0 ? "{\"k\":" : "[";
        std::string closing;
        for (int d = 127; d >= 0; --d) closing += d % 2 == 0 ? "}" : "]";
        CHECK(validate(deep + "1" + closing).message == "");
        const auto e = validate(deep + "[1]" + closing);
        CHECK(e.message == "nesting too deep");
        CHECK(e.offset == deep.size());
    }
    SUBCASE("small limits") {
        for (std::size_t max : {0u, 1u, 2u, 5u, 64u, 65u}) {
            CAPTURE(max);
            const http::json_limits lim{.max_depth = max};
            if (max > 0) CHECK(validate(nested(max), lim).message == "");
            const auto e = validate(nested(max + 1), lim);
            CHECK(e.message == "nesting too deep");
            CHECK(e.offset == max);
            CHECK(validate("\"scalar\"", lim).message == "");
        }
        const auto e = validate("{}", {.max_depth = 0});
        CHECK(e.message == "nesting too deep");
        CHECK(e.offset == 0);
    }
    SUBCASE("depth is the current nesting, not the number of containers") {
        std::string wide = "[";
        for (int k = 0; k < 1000; ++k) wide += "[[[]]],{\"a\":[{}]},";
        wide += "0]";
        CHECK(validate(wide, {.max_depth = 4}).message == "");
        CHECK(validate(wide, {.max_depth = 3}).message == "nesting too deep");
    }
    SUBCASE("a limit above depth_cap acts as depth_cap") {
        constexpr std::size_t cap = http::json_limits::depth_cap;
        const http::json_limits lim{.max_depth = SIZE_MAX};
        CHECK(validate(nested(cap), lim).message == "");
        const auto e = validate(nested(cap + 1), lim);
        CHECK(e.message == "nesting too deep");
        CHECK(e.offset == cap);
    }
}

TEST_CASE("json: tracks the kind of each open container across 64-level words") {
    // The kinds live in a bit stack of 64-bit words: a closing bracket must match its opener at
    // every depth, including on either side of a word boundary.
    const http::json_limits lim{.max_depth = 300};
    for (std::size_t depth : {1u, 2u, 63u, 64u, 65u, 127u, 128u, 129u, 200u, 300u}) {
        for (std::uint64_t pattern : {0x0ull, ~0x0ull, 0x5555555555555555ull, 0x3C3C0FF0ull}) {
            // Container d (1-based) is an object when bit (d - 1) % 64 of pattern is set.
            const auto object_at = [&](std::size_t d) { return (pattern >> ((d - 1) % 64)) & 1; };
            std::string open, close;
            for (std::size_t d = 1; d <= depth; ++d) open += object_at(d) ? "{\"k\":" : "[";
            for (std::size_t d = depth; d >= 1; --d) close += object_at(d) ? "}" : "]";
            CAPTURE(depth);
            CAPTURE(pattern);
            const std::string text = open + "0" + close;
            CHECK(validate(text, lim).message == "");
            CHECK(ref::valid(text, 300));
            // Swap each closer in turn for the wrong kind.
            for (std::size_t k = 0; k < close.size(); k += 1 + close.size() / 7) {
                std::string wrong = text;
                const std::size_t at = open.size() + 1 + k;
                wrong[at] = wrong[at] == '}' ? ']' : '}';
                const auto e = validate(wrong, lim);
                CHECK(e.message ==
                      (close[k] == '}' ? "expected ',' or '}'" : "expected ',' or ']'"));
                CHECK(e.offset == at);
            }
        }
    }
}

TEST_CASE("json: refuses 100,000 levels of nesting without exhausting the stack") {
    const std::string opens(100'000, '[');
    const auto e = validate(opens);
    CHECK(e.message == "nesting too deep");
    CHECK(e.offset == 128);
    const auto balanced = validate(nested(100'000));
    CHECK(balanced.message == "nesting too deep");
    CHECK(balanced.offset == 128);
    std::string objects;
    for (int k = 0; k < 100'000; ++k) objects += "{\"a\":";
    const auto o = validate(objects);
    CHECK(o.message == "nesting too deep");
    CHECK(o.offset == 128 * 5);
    const auto capped = validate(opens, {.max_depth = SIZE_MAX});
    CHECK(capped.message == "nesting too deep");
    CHECK(capped.offset == http::json_limits::depth_cap);
}

TEST_CASE("json: agrees with the reference validator on 20,000 mutated texts") {
    constexpr std::string_view samples[] = {
        "{\"a\":[1,2,{\"b\":null}],\"c\":\"\\u00e9\\ud83d\\ude00\"}"sv,
        "[true,false,null,-0.5e+10,1E-2,0,\"\"]"sv,
        "{\"name\":\"caf\xC3\xA9\",\"emoji\":\"\xF0\x9F\x98\x80\",\"euro\":\"\xE2\x82\xAC\"}"sv,
        " [ { } , [ ] , \"x\\n\\t\\\"\" , 12.5 ] "sv,
        "\"\\uD834\\uDD1E and \\\\u and \\/\""sv,
        "-123.456e-7"sv,
        "{\"k\":{\"k\":{\"k\":[[[\"deep\"]]]}}}"sv,
        "[\"\xED\x9F\xBF\",\"\xEE\x80\x80\",\"\xF4\x8F\xBF\xBF\",\"\xE0\xA0\x80\"]"sv,
        "{\"a\":\"abcdefghijklmnopqrstuvwxyz0123456789\",\"b\":[0.0,1e1,2E+2]}"sv,
        "null"sv,
        "[1,[2,[3,[4,[5]]]]]"sv,
        "{\"\\u0000\":\"\\u001f\",\"\\uFFFF\":\"\\uDBFF\\uDFFF\"}"sv,
    };
    constexpr std::string_view specials[] = {
        ","sv,
        ":"sv,
        "["sv,
        "]"sv,
        "{"sv,
        "}"sv,
        "\""sv,
        "\\"sv,
        "\\u"sv,
        "\\uD800"sv,
        "\\uDC00"sv,
        "\\uDBFF\\uDFFF"sv,
        "\\n"sv,
        "0"sv,
        "-"sv,
        "+"sv,
        "."sv,
        "e"sv,
        "E"sv,
        "1"sv,
        " "sv,
        "\t"sv,
        "\n"sv,
        "\f"sv,
        "\0"sv,
        "\x1F"sv,
        "\x7F"sv,
        "\x80"sv,
        "\xBF"sv,
        "\xC0"sv,
        "\xC2"sv,
        "\xDF"sv,
        "\xE0"sv,
        "\xED"sv,
        "\xF0"sv,
        "\xF4"sv,
        "\xF5"sv,
        "\xFF"sv,
        "\xEF\xBB\xBF"sv,
        "\xE2\x82\xAC"sv,
        "\xED\xA0\x80"sv,
        "\xF4\x90\x80\x80"sv,
        "\xC3\xA9"sv,
        "'"sv,
        "/"sv,
        "/*"sv,
        "true"sv,
        "null"sv,
        "NaN"sv,
        "u"sv,
        "n"sv,
        "00"sv,
    };
    constexpr int depth_limit = 200;
    const http::json_limits lim{.max_depth = depth_limit};
    rng r(0x6A736F6E); // "json"
    std::size_t valid = 0, invalid = 0, mismatches = 0;
    std::vector<std::string> examples;
    for (int n = 0; n < 20'000; ++n) {
        std::string s(samples[static_cast<std::size_t>(n) % std::size(samples)]);
        const std::size_t edits = 1 + r.below(3);
        for (std::size_t k = 0; k < edits; ++k) {
            const std::size_t at = s.empty() ? 0 : r.below(s.size());
            switch (r.below(6)) {
            case 0: // flip one bit
                if (!s.empty()) s[at] = static_cast<char>(s[at] ^ (1 << r.below(8)));
                break;
            case 1: // replace a byte with any byte
                if (!s.empty()) s[at] = static_cast<char>(r.below(256));
                break;
            case 2: // insert a special token
                s.insert(at, specials[r.below(std::size(specials))]);
                break;
            case 3: // delete a byte
                if (!s.empty()) s.erase(at, 1);
                break;
            case 4: // truncate
                s.resize(at);
                break;
            default: // duplicate a slice
                s.insert(at, s.substr(at, r.below(8)));
                break;
            }
        }
        const http::json_error e = validate(s, lim);
        const bool expect = ref::valid(s, depth_limit);
        if (e) {
            ++invalid;
            CHECK(is_known_message(e.message));
            if (e.message == eof || e.message == "empty input") {
                CHECK(e.offset == s.size());
            } else if (e.message != "trailing comma" && e.message != "unpaired surrogate") {
                CHECK(e.offset < s.size());
            }
        } else {
            ++valid;
        }
        if (!e != expect) {
            ++mismatches;
            if (examples.size() < 5)
                examples.push_back(printable(s) + (expect ? "  (reference: valid, ours: " +
                                                                std::string(e.message) + ")"
                                                          : "  (reference: invalid)"));
        }
    }
    for (const auto& x : examples) MESSAGE("mismatch: " << x);
    CHECK(mismatches == 0);
    // Both outcomes must be well represented for the comparison to mean anything.
    CAPTURE(valid);
    CAPTURE(invalid);
    CHECK(valid > 1'000);
    CHECK(invalid > 10'000);
}

TEST_SUITE_END();
