// http::cookies: the lenient reading of Cookie fields that cookies.hpp documents
// (RFC 6265 §4.2.1 for the syntax a user agent sends, §5.4 for the order of duplicates).
#include <minihttp/cookies.hpp>

#include "parsed_request.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <string_view>

namespace {

/// The cookies of a GET whose head carries `fields` (each "Name: value"), shown as
/// "name=[value]" separated by spaces, so that a failure prints what was found.
std::string cookies_of(std::initializer_list<std::string_view> fields) {
    std::string raw = "GET / HTTP/1.1\r\nHost: localhost\r\n";
    for (const auto f : fields) raw.append(f).append("\r\n");
    raw += "\r\n";
    const test::parsed_request p(raw);
    std::string out;
    for (const auto& c : http::cookies(p.req)) {
        if (!out.empty()) out += ' ';
        out.append(c.name).append("=[").append(c.value).append("]");
    }
    return out;
}

} // namespace

TEST_SUITE_BEGIN("cookies");

TEST_CASE("cookies: a request without Cookie has none") {
    CHECK(cookies_of({}) == "");
    CHECK(cookies_of({"Set-Cookie: a=1", "Cookie2: b=2", "X-Cookie: c=3"}) == "");
}

TEST_CASE("cookies: the cookie-string of RFC 6265 §4.2.1, pairs in order") {
    CHECK(cookies_of({"Cookie: SID=31d4d96e407aad42"}) == "SID=[31d4d96e407aad42]");
    CHECK(cookies_of({"Cookie: SID=31d4d96e407aad42; lang=en-US"}) ==
          "SID=[31d4d96e407aad42] lang=[en-US]");
    CHECK(cookies_of({"Cookie: a=1; b=2; c=3"}) == "a=[1] b=[2] c=[3]");
}

TEST_CASE("cookies: the field name is matched case-insensitively") {
    CHECK(cookies_of({"cookie: a=1"}) == "a=[1]");
    CHECK(cookies_of({"COOKIE: a=1"}) == "a=[1]");
}

TEST_CASE("cookies: leniency a server needs") {
    SUBCASE("whitespace around pairs, names and values is dropped") {
        CHECK(cookies_of({"Cookie: a=1;b=2"}) == "a=[1] b=[2]");
        CHECK(cookies_of({"Cookie: a = 1 ;\tb\t=\t2"}) == "a=[1] b=[2]");
    }
    SUBCASE("empty pairs between semicolons are skipped") {
        CHECK(cookies_of({"Cookie: ;;a=1;; ;b=2;"}) == "a=[1] b=[2]");
        CHECK(cookies_of({"Cookie: ;"}) == "");
    }
    SUBCASE("a pair without '=' is skipped, its neighbours are kept") {
        CHECK(cookies_of({"Cookie: a=1; flag; b=2"}) == "a=[1] b=[2]");
        CHECK(cookies_of({"Cookie: flag"}) == "");
    }
    SUBCASE("a pair with an empty name is skipped") {
        CHECK(cookies_of({"Cookie: =orphan; a=1"}) == "a=[1]");
        CHECK(cookies_of({"Cookie: a=1;  =orphan"}) == "a=[1]");
    }
    SUBCASE("an empty value is a value") { CHECK(cookies_of({"Cookie: a=; b=2"}) == "a=[] b=[2]"); }
    SUBCASE("only the first '=' separates name and value") {
        CHECK(cookies_of({"Cookie: token=YWJj==; q=a=b"}) == "token=[YWJj==] q=[a=b]");
    }
}

TEST_CASE("cookies: a value in double quotes loses them (RFC 6265 §4.1.1 cookie-value)") {
    CHECK(cookies_of({"Cookie: a=\"quoted\""}) == "a=[quoted]");
    CHECK(cookies_of({"Cookie: a=\"\""}) == "a=[]");
    CHECK(cookies_of({"Cookie: a=\"x\"; b=\"y\""}) == "a=[x] b=[y]");
    // Not a quoted pair: kept as sent.
    CHECK(cookies_of({"Cookie: a=\""}) == "a=[\"]");
    CHECK(cookies_of({"Cookie: a=\"open"}) == "a=[\"open]");
    CHECK(cookies_of({"Cookie: a=close\""}) == "a=[close\"]");
    CHECK(cookies_of({"Cookie: a=x\"y\""}) == "a=[x\"y\"]");
}

TEST_CASE("cookies: several Cookie fields are read in order, other fields between them") {
    CHECK(cookies_of({"Cookie: a=1", "Accept: */*", "Cookie: b=2; c=3", "cookie: d=4"}) ==
          "a=[1] b=[2] c=[3] d=[4]");
}

TEST_CASE("cookies: duplicates are kept, in the order sent (RFC 6265 §5.4)") {
    // The user agent sends the cookie with the longer path first: the most specific one.
    CHECK(cookies_of({"Cookie: id=specific; id=general"}) == "id=[specific] id=[general]");
    CHECK(cookies_of({"Cookie: id=1", "Cookie: id=2"}) == "id=[1] id=[2]");
}

TEST_CASE("cookies: names and values are views into the request, not copies") {
    const test::parsed_request p("GET / HTTP/1.1\r\nHost: h\r\nCookie: name=\"value\"\r\n\r\n");
    const auto got = http::cookies(p.req);
    REQUIRE(got.size() == 1);
    const auto inside = [&](std::string_view v) {
        return v.data() >= p.raw.data() && v.data() + v.size() <= p.raw.data() + p.raw.size();
    };
    CHECK(got[0].name == "name");
    CHECK(got[0].value == "value");
    CHECK(inside(got[0].name));
    CHECK(inside(got[0].value));
    CHECK(got[0].value.data() == p.raw.data() + p.raw.find("value"));
}

TEST_SUITE_END();
