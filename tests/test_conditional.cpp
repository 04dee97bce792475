#include <minihttp/conditional.hpp>
// Tests of the validator, conditional-request, range and Accept-Encoding parsers
// (RFC 9110 §5.6.7, §8.8.3, §12.5.3, §13.1, §14). Every parsed input is also placed right
// before a PROT_NONE guard page, so a read past its end faults.
#include <doctest/doctest.h>

#include <minihttp/detail/http_date.hpp>

#include "guard_page.hpp"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace std::string_view_literals;

// Compile-time checks: the pure parsers are constexpr.
static_assert(http::detail::days_from_civil(1970, 1, 1) == 0);
static_assert(http::detail::days_from_civil(2000, 3, 1) == 11017);
static_assert(http::detail::year_from_days(-1) == 1969);
static_assert(http::parse_entity_tag("W/\"x\"")->weak);
static_assert(http::parse_entity_tag("\"x\"")->opaque == "\"x\"");
static_assert(!http::parse_entity_tag("x"));
static_assert(http::if_none_match_matches("\"a\", W/\"b\"", "\"b\""));
static_assert(http::detail::parse_qvalue("0.5") == 500);
static_assert(http::select_coding("gzip, br", {"br", "gzip"}) == "br");

namespace {

/// Copies `s` so that its last byte is the last readable one before a PROT_NONE page.
std::string_view guarded(std::string_view s) {
    static test::guard_page page(1 << 16);
    REQUIRE(page.ok());
    return page.place(s);
}

constexpr std::time_t y2024 = 1717200000; // 2024-06-01T00:00:00Z

std::optional<std::time_t> date(std::string_view s, std::time_t now = y2024) {
    return http::parse_http_date(guarded(s), now);
}

} // namespace

TEST_SUITE_BEGIN("conditional");

// ---------------------------------------------------------------------------------------------
// HTTP-date
// ---------------------------------------------------------------------------------------------

TEST_CASE("parse_http_date: accepts the three formats of RFC 9110 §5.6.7") {
    struct row {
        std::string_view in;
        std::time_t want;
    };
    const row rows[] = {
        // RFC 9110's own examples, all the same instant.
        {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
        {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
        {"Sun Nov  6 08:49:37 1994", 784111777},
        {"Sun Nov 06 08:49:37 1994", 784111777}, // date3 allows 2DIGIT as well
        {"Wed, 09 Nov 1994 08:49:37 GMT", 784370977},
        {"Wednesday, 09-Nov-94 08:49:37 GMT", 784370977},
        {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
        {"Thursday, 01-Jan-70 00:00:00 GMT", 3155760000}, // 2070: only 46 years ahead of 2024
        {"Thu Jan  1 00:00:00 1970", 0},
        {"Thu, 29 Feb 2024 12:00:00 GMT", 1709208000}, // leap year
        {"Thu Feb 29 12:00:00 2024", 1709208000},
        {"Tue, 29 Feb 2000 00:00:00 GMT", 951782400}, // divisible by 400: leap
        {"Fri, 31 Dec 9999 23:59:59 GMT", 253402300799},
        {"Sat, 31 Dec 2016 23:59:60 GMT", 1483228800},  // leap second: folds into next minute
        {"Fri, 13 Dec 1901 20:45:52 GMT", -2147483648}, // before the epoch
        {"Mon, 01 Jan 0001 00:00:00 GMT", -62135596800},
        {"Mon, 06 Nov 1994 08:49:37 GMT", 784111777}, // day name not checked against the date
        {"Sat Nov 16 08:49:37 1994", 784111777 + 10 * 86400},
        {"Monday, 31-Jan-22 23:59:59 GMT", 1643673599},
        {"Saturday, 30-Apr-22 00:00:00 GMT", 1651276800},
        {"Friday, 01-Jan-75 00:00:00 GMT", 157766400},   // 2075 is > 50 years ahead: 1975
        {"Tuesday, 01-Jan-74 00:00:00 GMT", 3281990400}, // 2074 is exactly 50 ahead: kept
    };
    for (const auto& r : rows) {
        CAPTURE(r.in);
        const auto t = date(r.in);
        REQUIRE(t.has_value());
        CHECK(*t == r.want);
    }
}

TEST_CASE("parse_http_date: rejects anything that is not exactly the grammar") {
    const std::string_view bad[] = {
        "",
        "Sun",
        "Sun,",
        "Sun, 06 Nov 1994 08:49:37 gmt", // GMT is case-sensitive
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 +0000",
        "Sun, 06 Nov 1994 08:49:37",
        "sun, 06 Nov 1994 08:49:37 GMT", // day and month names are case-sensitive
        "SUN, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 06 NOV 1994 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT", // bad names
        "Sun, 06 Nox 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT", // field widths
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 06 Nov 01994 08:49:37 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:9:37 GMT",
        "Sun, 06 Nov 1994 08:49:7 GMT",
        "Sun,  06 Nov 1994 08:49:37 GMT", // whitespace
        "Sun, 06  Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37  GMT",
        "Sun,\t06 Nov 1994 08:49:37 GMT",
        " Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT ",
        "Sun, 06 Nov 1994 08:49:37 GMTx", // trailing garbage
        "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08-49-37 GMT", // separators
        "Sun 06 Nov 1994 08:49:37 GMT",
        "Sun, 06-Nov-1994 08:49:37 GMT",
        "Sun, 0a Nov 1994 08:49:37 GMT", // digits
        "Sun, +6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov -994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:3a GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT", // ranges
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Sun, 32 Dec 1994 08:49:37 GMT",
        "Sun, 29 Feb 2023 08:49:37 GMT",
        "Sun, 30 Feb 2024 08:49:37 GMT",
        "Sun, 29 Feb 1900 08:49:37 GMT", // divisible by 100, not 400: common year
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:37 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sunday, 06 Nov 1994 08:49:37 GMT", // format mix-ups
        "Sun, 06-Nov-94 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37",
        "Sunday, 06-Nov-94 08:49:37 gmt",
        "Sunday,06-Nov-94 08:49:37 GMT",
        "Sunday, 6-Nov-94 08:49:37 GMT",
        "sunday, 06-Nov-94 08:49:37 GMT",
        "Sundae, 06-Nov-94 08:49:37 GMT",
        "Sun, 06-Nov-94 08:49:37 GMT",
        "Sunday, 06-nov-94 08:49:37 GMT",
        "Sunday, 31-Jun-94 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT ",
        "Sun Nov 6 08:49:37 1994", // asctime: day is SP DIGIT or 2DIGIT
        "Sun Nov   6 08:49:37 1994",
        "Sun Nov  6 08:49:37 94",
        "Sun Nov  6 08:49:37 1994 GMT",
        "Sun Nov  6 08:49:37 1994 ",
        "Sun Nov  0 08:49:37 1994",
        "Sun nov  6 08:49:37 1994",
        "Sunday Nov  6 08:49:37 1994",
        "Sun Nov 6  08:49:37 1994",
        "Sun, 06 Nov 1994 08:49:37 GMT\0"sv, // control bytes
        "Sun, 06 Nov 1994\r08:49:37 GMT",
        "\0un, 06 Nov 1994 08:49:37 GMT"sv,
        "784111777",
    };
    for (auto in : bad) {
        CAPTURE(in);
        CHECK_FALSE(date(in).has_value());
    }
}

TEST_CASE("parse_http_date: reads rfc850 two-digit years per RFC 9110 §5.6.7") {
    struct row {
        std::time_t now;
        std::string_view in;
        std::time_t want;
    };
    const row rows[] = {
        {959817600, "Friday, 01-Jan-99 00:00:00 GMT", 915148800},      // 2000: 2099 → 1999
        {959817600, "Saturday, 01-Jan-50 00:00:00 GMT", 2524608000},   // 2050: 50 ahead, kept
        {959817600, "Monday, 01-Jan-51 00:00:00 GMT", -599616000},     // 2051 → 1951
        {3484425600, "Wednesday, 01-Jan-20 00:00:00 GMT", 1577836800}, // 2080: 2020, past
        {3484425600, "Thursday, 01-Jan-99 00:00:00 GMT", 4070908800},  // 2080: 2099
        {4102358400, "Friday, 01-Jan-49 00:00:00 GMT", 2493072000},    // 2099-12-31: 2049
        {-1, "Thursday, 01-Jan-70 00:00:00 GMT", 0},                   // 1969: 1970
    };
    for (const auto& r : rows) {
        CAPTURE(r.in);
        CAPTURE(r.now);
        const auto t = date(r.in, r.now);
        REQUIRE(t.has_value());
        CHECK(*t == r.want);
    }
    // The one-argument form reads the clock: "94" is 1994 until 2044.
    CHECK(http::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777);
    CHECK(http::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
}

TEST_CASE("parse_http_date: round-trips format_http_date and the obsolete forms") {
    constexpr const char* long_days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};
    constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    constexpr std::int64_t lo = -2208988800;  // 1900-01-01
    constexpr std::int64_t hi = 253402300799; // 9999-12-31T23:59:59
    std::vector<std::time_t> ts = {0,
                                   1,
                                   -1,
                                   86399,
                                   86400,
                                   784111777,
                                   951782400,
                                   951868799,
                                   1709208000,
                                   2147483647,
                                   static_cast<std::time_t>(lo),
                                   static_cast<std::time_t>(hi)};
    std::uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 20000; ++i) {
        x = x * 6364136223846793005u + 1442695040888963407u; // LCG
        ts.push_back(static_cast<std::time_t>(
            lo + static_cast<std::int64_t>((x >> 11) % static_cast<std::uint64_t>(hi - lo + 1))));
    }
    int mismatches = 0;
    for (const auto t : ts) {
        char imf[http::detail::http_date_size];
        http::detail::format_http_date(t, imf);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char rfc850[40], asct[40];
        std::snprintf(rfc850, sizeof rfc850, "%s, %02d-%s-%02d %02d:%02d:%02d GMT",
                      long_days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year % 100,
                      tm.tm_hour, tm.tm_min, tm.tm_sec);
        std::snprintf(asct, sizeof asct, "%.3s %s %2d %02d:%02d:%02d %04d", long_days[tm.tm_wday],
                      months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                      tm.tm_year + 1900);
        const auto a = date({imf, sizeof imf});
        const auto b = date(rfc850, t); // `now` = t: the two-digit year is t's own
        const auto c = date(asct);
        if (a != t || b != t || c != t) {
            ++mismatches;
            CAPTURE(t);
            CHECK(a == t);
            CHECK(b == t);
            CHECK(c == t);
        }
    }
    CHECK(mismatches == 0);
}

// ---------------------------------------------------------------------------------------------
// Entity tags
// ---------------------------------------------------------------------------------------------

TEST_CASE("parse_entity_tag: accepts strong and weak tags, opaque with its DQUOTEs") {
    struct row {
        std::string_view in;
        bool weak;
        std::string_view opaque;
    };
    const row rows[] = {
        {"\"xyzzy\"", false, "\"xyzzy\""},
        {"W/\"xyzzy\"", true, "\"xyzzy\""},
        {"\"\"", false, "\"\""},
        {"W/\"\"", true, "\"\""},
        {"\"a,b\"", false, "\"a,b\""}, // ',' is an etagc
        {"\"!#$~/W\"", false, "\"!#$~/W\""},
        {"\"\x80\xff\"", false, "\"\x80\xff\""}, // obs-text
        {"\"5f3a-1b2.0\"", false, "\"5f3a-1b2.0\""},
    };
    for (const auto& r : rows) {
        CAPTURE(r.in);
        const auto t = http::parse_entity_tag(guarded(r.in));
        REQUIRE(t.has_value());
        CHECK(t->weak == r.weak);
        CHECK(t->opaque == r.opaque);
    }
}

TEST_CASE("parse_entity_tag: rejects malformed tags") {
    const std::string_view bad[] = {
        "",
        "xyzzy",        // unquoted
        "\"xyzzy",      // missing closing quote
        "xyzzy\"",      // missing opening quote
        "\"",           //
        "w/\"xyzzy\"",  // weak indicator is case-sensitive
        "W/xyzzy",      //
        "W\"xyzzy\"",   //
        "W/",           //
        "W/ \"xyzzy\"", //
        "\"a\"b\"",     // DQUOTE inside
        "\"a\"\"b\"",   // two tags
        "\"a b\"",      // SP is not an etagc
        "\"a\tb\"",     // nor HTAB
        "\"a\x01\"",    // nor controls
        "\"a\x7f\"",    //
        "\"a\0\""sv,    //
        " \"a\"",       // surrounding whitespace
        "\"a\" ",       //
        "*",            //
        "\"a\", \"b\"", // a list
    };
    for (auto in : bad) {
        CAPTURE(in);
        CHECK_FALSE(http::parse_entity_tag(guarded(in)).has_value());
    }
}

TEST_CASE("strong_match and weak_match follow the table of RFC 9110 §8.8.3.2") {
    struct row {
        std::string_view a, b;
        bool strong, weak;
    };
    const row rows[] = {
        {"W/\"1\"", "W/\"1\"", false, true},
        {"W/\"1\"", "W/\"2\"", false, false},
        {"W/\"1\"", "\"1\"", false, true},
        {"\"1\"", "\"1\"", true, true},
        {"\"1\"", "\"2\"", false, false},
        {"\"a\"", "\"A\"", false, false}, // opaque-tags compare octet by octet
    };
    for (const auto& r : rows) {
        CAPTURE(r.a);
        CAPTURE(r.b);
        const auto a = http::parse_entity_tag(r.a), b = http::parse_entity_tag(r.b);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(http::strong_match(*a, *b) == r.strong);
        CHECK(http::strong_match(*b, *a) == r.strong);
        CHECK(http::weak_match(*a, *b) == r.weak);
        CHECK(http::weak_match(*b, *a) == r.weak);
    }
}

TEST_CASE("for_each_entity_tag: classifies If-Match / If-None-Match values") {
    using http::etag_list_result;
    struct row {
        std::string_view in;
        etag_list_result want;
        std::string_view tags; // the tags seen, each as [W/]opaque followed by '|'
    };
    const row rows[] = {
        {"*", etag_list_result::any, ""},
        {"\"a\"", etag_list_result::list, "\"a\"|"},
        {"\"a\", W/\"b\" ,\"c\"", etag_list_result::list, "\"a\"|W/\"b\"|\"c\"|"},
        {"\"a\"\t,\t\"b\"", etag_list_result::list, "\"a\"|\"b\"|"},
        {", ,\"a\",,  ,\"b\",", etag_list_result::list, "\"a\"|\"b\"|"}, // empty elements
        {"", etag_list_result::list, ""},
        {" , ", etag_list_result::list, ""},
        {"\"a,b\", \"c\"", etag_list_result::list, "\"a,b\"|\"c\"|"}, // not split at ','
        {"\"\"", etag_list_result::list, "\"\"|"},
        {"*, \"a\"", etag_list_result::malformed, ""}, // "*" is the whole value or nothing
        {"\"a\", *", etag_list_result::malformed, ""},
        {"**", etag_list_result::malformed, ""},
        {"\"a\" \"b\"", etag_list_result::malformed, ""},
        {"\"a\"; \"b\"", etag_list_result::malformed, ""},
        {"a", etag_list_result::malformed, ""},
        {"\"a\", b", etag_list_result::malformed, ""}, // f sees nothing of a malformed value
        {"\"a\", \"b", etag_list_result::malformed, ""},
        {"\"a\", w/\"b\"", etag_list_result::malformed, ""},
        {"\"a\"x", etag_list_result::malformed, ""},
        {"\"a b\"", etag_list_result::malformed, ""},
        {"\"a\x01\"", etag_list_result::malformed, ""},
    };
    for (const auto& r : rows) {
        CAPTURE(r.in);
        std::string seen;
        const auto got = http::for_each_entity_tag(guarded(r.in), [&](http::entity_tag t) {
            if (t.weak) seen += "W/";
            seen.append(t.opaque).append("|");
        });
        CHECK(got == r.want);
        CHECK(seen == r.tags);
    }
}

TEST_CASE("if_none_match_matches: weak comparison, '*', malformed never matches") {
    struct row {
        std::string_view field, current;
        bool want;
    };
    const row rows[] = {
        {"\"a\"", "\"a\"", true},
        {"W/\"a\"", "\"a\"", true}, // §13.1.2: weak comparison
        {"\"a\"", "W/\"a\"", true},
        {"W/\"a\"", "W/\"a\"", true},
        {"\"b\"", "\"a\"", false},
        {"\"b\", \"a\"", "\"a\"", true},
        {"\"b\",W/\"a\"", "\"a\"", true},
        {"\"A\"", "\"a\"", false},
        {"*", "\"a\"", true}, // the resource exists
        {"*", "", true},
        {"\"a\"", "", false},  // no current tag
        {"\"a\"", "a", false}, // current tag malformed: treated as none
        {"", "\"a\"", false},  // empty list
        {"a", "\"a\"", false}, // malformed: no 304 from garbage
        {"\"a\", garbage", "\"a\"", false},
        {"*, \"a\"", "\"a\"", false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.field);
        CAPTURE(r.current);
        CHECK(http::if_none_match_matches(guarded(r.field), r.current) == r.want);
    }
}

TEST_CASE("if_match_matches: strong comparison, '*', malformed never matches") {
    struct row {
        std::string_view field, current;
        bool want;
    };
    const row rows[] = {
        {"\"a\"", "\"a\"", true},
        {"W/\"a\"", "\"a\"", false}, // §13.1.1: strong comparison; weak tags never match
        {"\"a\"", "W/\"a\"", false},
        {"W/\"a\"", "W/\"a\"", false},
        {"\"b\", \"a\"", "\"a\"", true},
        {"\"b\"", "\"a\"", false},
        {"*", "\"a\"", true},
        {"*", "", true},
        {"\"a\"", "", false},
        {"", "\"a\"", false},
        {"a", "\"a\"", false}, // malformed: 412, not success
        {"\"a\", b", "\"a\"", false},
        {"\"a\",*", "\"a\"", false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.field);
        CAPTURE(r.current);
        CHECK(http::if_match_matches(guarded(r.field), r.current) == r.want);
    }
}

TEST_CASE("make_etag: a strong tag of hex metadata fields") {
    CHECK(http::make_etag(0x1234, 0x10, 0x5f5e100, 123) == "\"1234-10-5f5e100.7b\"");
    CHECK(http::make_etag(0, 0, 0, 0) == "\"0-0-0.0\"");
    CHECK(http::make_etag(UINT64_MAX, UINT64_MAX, INT64_MAX, 999999999) ==
          "\"ffffffffffffffff-ffffffffffffffff-7fffffffffffffff.3b9ac9ff\"");
    CHECK(http::make_etag(1, 2, -1, 0) == "\"1-2-ffffffffffffffff.0\"");
    CHECK(http::make_etag(1, 2, 3, 4) != http::make_etag(1, 2, 3, 5)); // nanoseconds count
    const auto tag = http::make_etag(77, 4096, 1700000000, 5);
    const auto parsed = http::parse_entity_tag(tag);
    REQUIRE(parsed);
    CHECK_FALSE(parsed->weak);
    CHECK(http::if_none_match_matches(tag, tag));
    CHECK(http::if_match_matches(tag, tag));
}

// ---------------------------------------------------------------------------------------------
// Range, Content-Range, If-Range
// ---------------------------------------------------------------------------------------------

namespace {

struct range_row {
    std::string_view in;
    std::uint64_t size;
    http::range_result want;
    http::byte_range range; // compared only for `satisfiable`
};

void check_ranges(const std::vector<range_row>& rows) {
    for (const auto& r : rows) {
        CAPTURE(r.in);
        CAPTURE(r.size);
        constexpr http::byte_range sentinel{12345, 67890};
        http::byte_range out = sentinel;
        const auto got = http::parse_range(guarded(r.in), r.size, out);
        CHECK(got == r.want);
        if (r.want == http::range_result::satisfiable) {
            CHECK(out.first == r.range.first);
            CHECK(out.last == r.range.last);
        } else {
            CHECK(out == sentinel); // written only when satisfiable
        }
    }
}

constexpr auto sat = http::range_result::satisfiable;
constexpr auto unsat = http::range_result::unsatisfiable;
constexpr auto ignore = http::range_result::ignore;
constexpr auto multiple = http::range_result::multiple;
constexpr std::uint64_t max64 = std::numeric_limits<std::uint64_t>::max();

} // namespace

TEST_CASE("parse_range: single ranges (RFC 9110 §14.1.2 examples, size 10000)") {
    check_ranges({
        {"bytes=0-0", 10000, sat, {0, 0}},
        {"bytes=0-499", 10000, sat, {0, 499}},
        {"bytes=500-999", 10000, sat, {500, 999}},
        {"bytes=500-", 10000, sat, {500, 9999}},
        {"bytes=-500", 10000, sat, {9500, 9999}},
        {"bytes=9500-", 10000, sat, {9500, 9999}},
        {"bytes=9999-9999", 10000, sat, {9999, 9999}},
        {"bytes=0-99999", 10000, sat, {0, 9999}}, // last-pos clamped
        {"bytes=0-18446744073709551615", 10000, sat, {0, 9999}},
        {"bytes=-10000", 10000, sat, {0, 9999}},
        {"bytes=-20000", 10000, sat, {0, 9999}}, // longer than the representation: all of it
        {"bytes=-1", 10000, sat, {9999, 9999}},
        {"Bytes=0-1", 10000, sat, {0, 1}}, // the unit is case-insensitive
        {"BYTES=0-1", 10000, sat, {0, 1}},
        {"bytes=0-1,", 10000, sat, {0, 1}}, // empty list elements (§5.6.1)
        {"bytes=,0-1", 10000, sat, {0, 1}},
        {"bytes=, 0-1", 10000, sat, {0, 1}},
        {"bytes=0-1 , ,", 10000, sat, {0, 1}},
        {"bytes=000-001", 10000, sat, {0, 1}},
    });
}

TEST_CASE("parse_range: unsatisfiable ranges are 416") {
    check_ranges({
        {"bytes=10000-", 10000, unsat, {}},
        {"bytes=10000-10000", 10000, unsat, {}},
        {"bytes=10000-20000", 10000, unsat, {}},
        {"bytes=20000-", 10000, unsat, {}},
        {"bytes=18446744073709551615-", 10000, unsat, {}},
        {"bytes=-0", 10000, unsat, {}}, // zero-length suffix
        {"bytes=-0,10000-", 10000, unsat, {}},
        {"bytes=-000", 10000, unsat, {}},
    });
}

TEST_CASE("parse_range: anything invalid, another unit or no field is ignored (200)") {
    check_ranges({
        {"", 10000, ignore, {}},
        {"bytes", 10000, ignore, {}},
        {"bytes=", 10000, ignore, {}},
        {"bytes=,", 10000, ignore, {}}, // 1#range-spec: at least one
        {"bytes= , ", 10000, ignore, {}},
        {"bytes=5-4", 10000, ignore, {}},     // last-pos < first-pos: invalid
        {"bytes=5-4,0-1", 10000, ignore, {}}, // one invalid spec spoils the field
        {"bytes=0-1,abc", 10000, ignore, {}},
        {"bytes=abc", 10000, ignore, {}},
        {"bytes=-", 10000, ignore, {}},
        {"bytes=--1", 10000, ignore, {}},
        {"bytes=1-2-3", 10000, ignore, {}},
        {"bytes=+1-2", 10000, ignore, {}},
        {"bytes=1-+2", 10000, ignore, {}},
        {"bytes=0x1-2", 10000, ignore, {}},
        {"bytes=1.5-2", 10000, ignore, {}},
        {"bytes= 1-2", 10000, ignore, {}}, // no OWS after "=" in the grammar
        {"bytes=\t1-2", 10000, ignore, {}},
        {"bytes=1 -2", 10000, ignore, {}}, // none inside a spec
        {"bytes=1- 2", 10000, ignore, {}},
        {"bytes=0-1 2-3", 10000, ignore, {}},
        {"bytes=0-1;2-3", 10000, ignore, {}},
        {"bytes =0-1", 10000, ignore, {}},
        {"bytes 0-1", 10000, ignore, {}},
        {"bytes:0-1", 10000, ignore, {}},
        {"bytes==0-1", 10000, ignore, {}},
        {"=0-1", 10000, ignore, {}},
        {"byte=0-1", 10000, ignore, {}},
        {"items=0-1", 10000, ignore, {}}, // unknown unit (§14.1.1)
        {"none", 10000, ignore, {}},
        {"bytes=0-18446744073709551616", 10000, ignore, {}}, // overflow
        {"bytes=18446744073709551616-", 10000, ignore, {}},
        {"bytes=-18446744073709551616", 10000, ignore, {}},
        {"bytes=99999999999999999999999999-", 10000, ignore, {}},
        {"bytes=0-1\x01", 10000, ignore, {}},
    });
}

TEST_CASE("parse_range: several ranges are coalesced, else reported as multiple") {
    check_ranges({
        {"bytes=0-4,5-9", 10000, sat, {0, 9}}, // adjacent
        {"bytes=5-9,0-4", 10000, sat, {0, 9}}, // out of order
        {"bytes=0-1,2-3", 10000, sat, {0, 3}},
        {"bytes=0-10,5-20", 10000, sat, {0, 20}}, // overlapping
        {"bytes=0-20,5-10", 10000, sat, {0, 20}}, // contained
        {"bytes=0-0,2-2,1-1", 10000, sat, {0, 2}},
        {"bytes=0-,100-200", 10000, sat, {0, 9999}},
        {"bytes=-100,9000-", 10000, sat, {9000, 9999}},
        {"bytes=9999-,-1", 10000, sat, {9999, 9999}},
        {"bytes=500-600 , 601-999", 10000, sat, {500, 999}},
        {"bytes=0-1,20000-", 10000, sat, {0, 1}}, // unsatisfiable specs are dropped
        {"bytes=-0,0-1", 10000, sat, {0, 1}},
        {"bytes=0-1,5-6", 10000, multiple, {}},
        {"bytes=0-1,3-4", 10000, multiple, {}}, // one byte apart: not adjacent
        {"bytes=0-499,-500", 10000, multiple, {}},
        {"bytes=0-1,5-6,2-4", 10000, sat, {0, 6}},
        {"bytes=0-1,5-6,5-9999", 10000, multiple, {}},
    });
}

TEST_CASE("parse_range: more than max_range_specs specs are ignored") {
    const auto list = [](std::size_t n, std::size_t step) {
        std::string s = "bytes=";
        for (std::size_t i = 0; i < n; ++i) {
            if (i != 0) s += ',';
            s += std::to_string(i * step) + "-" + std::to_string(i * step);
        }
        return s;
    };
    const auto at_limit = list(http::max_range_specs, 1);
    const auto over = list(http::max_range_specs + 1, 1);
    const auto disjoint = list(http::max_range_specs, 2);
    http::byte_range out;
    CHECK(http::parse_range(guarded(at_limit), 10000, out) == sat);
    CHECK(out == http::byte_range{0, http::max_range_specs - 1});
    CHECK(http::parse_range(guarded(over), 10000, out) == ignore);
    CHECK(http::parse_range(guarded(disjoint), 10000, out) == multiple);
    // Empty elements do not count as range-specs.
    const std::string commas = "bytes=" + std::string(1000, ',') + "0-1" + std::string(1000, ',');
    CHECK(http::parse_range(guarded(commas), 10000, out) == sat);
}

TEST_CASE("parse_range: small and huge representations") {
    check_ranges({
        // Zero length: no int-range is satisfiable (first-pos >= 0), nor "-0"; a suffix-range
        // with n > 0 is satisfiable as "all of it" (§14.1.2), i.e. 200 with the empty body.
        {"bytes=0-", 0, unsat, {}},
        {"bytes=0-0", 0, unsat, {}},
        {"bytes=0-499", 0, unsat, {}},
        {"bytes=-0", 0, unsat, {}},
        {"bytes=-5", 0, ignore, {}},
        {"bytes=0-1,-5", 0, ignore, {}},
        {"bytes=5-4", 0, ignore, {}},
        {"items=0-1", 0, ignore, {}},
        {"bytes=0-", 1, sat, {0, 0}},
        {"bytes=-1", 1, sat, {0, 0}},
        {"bytes=-2", 1, sat, {0, 0}},
        {"bytes=0-5", 1, sat, {0, 0}},
        {"bytes=1-", 1, unsat, {}},
        {"bytes=0-", max64, sat, {0, max64 - 1}},
        {"bytes=18446744073709551614-", max64, sat, {max64 - 1, max64 - 1}},
        {"bytes=0-5,6-", max64, sat, {0, max64 - 1}},
        {"bytes=-18446744073709551615", max64, sat, {0, max64 - 1}},
        {"bytes=18446744073709551615-", max64, unsat, {}},
    });
}

TEST_CASE("append_content_range: formats 206 and 416 Content-Range values") {
    std::string s;
    http::append_content_range(s, 0, 499, 10000);
    CHECK(s == "bytes 0-499/10000");
    s = "Content-Range: ";
    http::append_content_range(s, 9500, 9999, 10000);
    CHECK(s == "Content-Range: bytes 9500-9999/10000");
    s.clear();
    http::append_content_range(s, max64 - 1, max64 - 1, max64);
    CHECK(s == "bytes 18446744073709551614-18446744073709551614/18446744073709551615");
    s.clear();
    http::append_unsatisfied_content_range(s, 10000);
    CHECK(s == "bytes */10000");
    s.clear();
    http::append_unsatisfied_content_range(s, 0);
    CHECK(s == "bytes */0");
    s.clear();
    http::append_unsatisfied_content_range(s, max64);
    CHECK(s == "bytes */18446744073709551615");
}

TEST_CASE("if_range_matches: strong etag match or exact Last-Modified (RFC 9110 §13.1.5)") {
    constexpr std::time_t lm = 784111777;
    struct row {
        std::string_view if_range, current;
        std::time_t last_modified;
        bool want;
    };
    const row rows[] = {
        {"\"abc\"", "\"abc\"", lm, true},
        {"\"abd\"", "\"abc\"", lm, false},
        {"W/\"abc\"", "\"abc\"", lm, false}, // weak never matches
        {"\"abc\"", "W/\"abc\"", lm, false},
        {"W/\"abc\"", "W/\"abc\"", lm, false},
        {"\"abc\"", "", lm, false},
        {"\"abc", "\"abc\"", lm, false},
        {"\"abc\", \"abd\"", "\"abc\"", lm, false}, // one validator, not a list
        {"*", "\"abc\"", lm, false},
        {"", "\"abc\"", lm, false},
        {"garbage", "\"abc\"", lm, false},
        {"Sun, 06 Nov 1994 08:49:37 GMT", "\"abc\"", lm, true},
        {"Sun Nov  6 08:49:37 1994", "\"abc\"", lm, true},
        {"Sunday, 06-Nov-94 08:49:37 GMT", "\"abc\"", lm, true},
        {"Sun, 06 Nov 1994 08:49:38 GMT", "\"abc\"", lm, false}, // exact equality only
        {"Sun, 06 Nov 1994 08:49:36 GMT", "\"abc\"", lm, false},
        {"Wed, 09 Nov 1994 08:49:37 GMT", "\"abc\"", 784370977, true}, // "W" but not "W/"
        {"Wednesday, 09-Nov-94 08:49:37 GMT", "", 784370977, true},
        {"Sun, 06 Nov 1994 08:49:37 gmt", "\"abc\"", lm, false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.if_range);
        CAPTURE(r.current);
        CHECK(http::if_range_matches(guarded(r.if_range), r.current, r.last_modified) == r.want);
    }
}

// ---------------------------------------------------------------------------------------------
// Accept-Encoding
// ---------------------------------------------------------------------------------------------

TEST_CASE("accept_encoding_quality: weights per RFC 9110 §12.5.3 and §12.4.2") {
    struct row {
        std::string_view header, coding;
        double want;
    };
    const row rows[] = {
        {"gzip", "gzip", 1},
        {"gzip", "br", 0},
        {"gzip", "identity", 1}, // identity is acceptable unless excluded
        {"gzip, deflate, br", "br", 1},
        {"gzip;q=0.5", "gzip", 0.5},
        {"gzip; q=0.5", "gzip", 0.5},
        {"gzip ; q=0.5 ", "gzip", 0.5},
        {"gzip;Q=0.5", "gzip", 0.5},
        {"GZIP", "gzip", 1}, // codings are case-insensitive
        {"gzip", "GZip", 1},
        {"x-gzip", "gzip", 1}, // §8.4.1.3
        {"gzip", "x-gzip", 1},
        {"X-Compress", "compress", 1},
        {"gzip;q=0", "gzip", 0},
        {"gzip;q=0.000", "gzip", 0},
        {"gzip;q=0.", "gzip", 0},
        {"gzip;q=0.001", "gzip", 0.001},
        {"gzip;q=0.1", "gzip", 0.1},
        {"gzip;q=0.12", "gzip", 0.12},
        {"gzip;q=1", "gzip", 1},
        {"gzip;q=1.", "gzip", 1},
        {"gzip;q=1.000", "gzip", 1},
        {"*", "br", 1},
        {"*", "identity", 1},
        {"*;q=0.3", "br", 0.3},
        {"br;q=0.9, *;q=0.1", "gzip", 0.1},
        {"br;q=0.9, *;q=0.1", "br", 0.9},
        {"*;q=0", "gzip", 0},
        {"*;q=0", "identity", 0}, // excluded by "*;q=0"
        {"identity;q=0", "identity", 0},
        {"IDENTITY;q=0", "identity", 0},
        {"*;q=0, identity;q=0.5", "identity", 0.5}, // the specific entry wins
        {"identity, *;q=0", "identity", 1},
        {"gzip;q=0.5, gzip;q=0", "gzip", 0}, // listed twice: the lowest weight
        {"gzip;level=9", "gzip", 1},         // other parameters are ignored
        {"gzip;level=9;q=0.4", "gzip", 0.4},
        {"gzip;q=0.4;level=9", "gzip", 0.4},
        {"gzip;foo=\"a,b;q=0\";q=0.5", "gzip", 0.5},
        {"gzip;foo=\"a\\\"b\"", "gzip", 1},
        {", ,gzip, ,", "gzip", 1},
        {"", "gzip", 0}, // empty (or absent): identity only
        {"", "identity", 1},
        // Malformed: the whole field is treated as absent, i.e. identity only.
        {"gzip;q=1.5", "gzip", 0},
        {"gzip;q=1.5", "identity", 1},
        {"identity;q=2", "identity", 1},
        {"br;q=2, gzip", "gzip", 0},
        {"gzip;q=2", "gzip", 0},
        {"gzip;q=0.1234", "gzip", 0},
        {"gzip;q=1.001", "gzip", 0},
        {"gzip;q=-1", "gzip", 0},
        {"gzip;q=.5", "gzip", 0},
        {"gzip;q=", "gzip", 0},
        {"gzip;q", "gzip", 0},
        {"gzip;q=\"0.5\"", "gzip", 0},
        {"gzip;q=0.5;q=0.6", "gzip", 0},
        {"gzip q=1", "gzip", 0},
        {"gzip;", "gzip", 0},
        {"gzip;;q=1", "gzip", 0},
        {"gzip;foo", "gzip", 0},
        {"gzip;foo=\"abc", "gzip", 0},
        {"gz/ip", "gzip", 0},
        {"gzip\x01", "gzip", 0},
        {"*;q=0, garbage/", "identity", 1},
    };
    for (const auto& r : rows) {
        CAPTURE(r.header);
        CAPTURE(r.coding);
        CHECK(http::accept_encoding_quality(guarded(r.header), r.coding) ==
              doctest::Approx(r.want));
    }
}

TEST_CASE("select_coding: highest weight, ties by server order, identity as the fallback") {
    struct row {
        std::string_view header;
        std::string_view want;
    };
    const row rows[] = {
        {"gzip, br", "br"}, // tie: server order {"br", "gzip"}
        {"gzip, deflate, br, zstd", "br"},
        {"gzip;q=1, br;q=0.5", "gzip"},
        {"br;q=0.1,gzip;q=0.2", "gzip"},
        {"gzip", "gzip"},
        {"GZIP", "gzip"},
        {"x-gzip", "gzip"},
        {"gzip;q=0.5", "gzip"}, // identity unlisted: a fallback only
        {"gzip;q=0.5, identity;q=0.6", ""},
        {"gzip;q=0.5, identity;q=0.5", "gzip"}, // a tie goes to compression
        {"gzip;q=0.5, *;q=0.8", "br"},          // br via "*" outweighs gzip
        {"*", "br"},
        {"*;q=0", ""},
        {"br;q=0, *", "gzip"},
        {"br;q=0, gzip;q=0", ""},
        {"identity", ""},
        {"deflate", ""},
        {"", ""},
        {"gzip;q=2, br", ""}, // malformed: identity
        {"br;q=0.001", "br"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.header);
        CHECK(http::select_coding(guarded(r.header), {"br", "gzip"}) == r.want);
    }
    CHECK(http::select_coding("gzip, br", {"gzip", "br"}) == "gzip");
    CHECK(http::select_coding("br;q=0.5, gzip;q=0.5", {"gzip", "br"}) == "gzip");
    CHECK(http::select_coding("gzip, br", {}) == "");
    // The result views the caller's string, not the header's.
    constexpr std::string_view gzip = "gzip";
    CHECK(http::select_coding("GZIP", {gzip}).data() == gzip.data());
}

TEST_SUITE_END();
