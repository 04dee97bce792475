// detail/http_date.hpp: IMF-fixdate (RFC 9110 §5.6.7), formatted by hand, and its per-second
// cache.
#include <minihttp/detail/http_date.hpp>

#include <doctest/doctest.h>

#include <ctime>
#include <string>
#include <string_view>

namespace {

std::string date(std::time_t t) {
    std::string out(http::detail::http_date_size + 2, '#'); // '#': any write past the end shows
    http::detail::format_http_date(t, out.data());
    CHECK(out.substr(http::detail::http_date_size) == "##");
    return out.substr(0, http::detail::http_date_size);
}

} // namespace

TEST_SUITE_BEGIN("detail http date");

TEST_CASE("http date: RFC 9110's example and other known instants") {
    CHECK(date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"); // RFC 9110 §5.6.7
    CHECK(date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");    // a leap day
    CHECK(date(1735689599) == "Tue, 31 Dec 2024 23:59:59 GMT");   // end of a year
    CHECK(date(2147483648) == "Tue, 19 Jan 2038 03:14:08 GMT");   // past 32-bit time_t
    CHECK(date(253402300799) == "Fri, 31 Dec 9999 23:59:59 GMT"); // the last 4-digit year
}

TEST_CASE("http date: every weekday and month name, in English") {
    // 2023-01-01 was a Sunday; the first of each month of 2023 at noon.
    const char* const expected[] = {
        "Sun, 01 Jan 2023 12:00:00 GMT", "Wed, 01 Feb 2023 12:00:00 GMT",
        "Wed, 01 Mar 2023 12:00:00 GMT", "Sat, 01 Apr 2023 12:00:00 GMT",
        "Mon, 01 May 2023 12:00:00 GMT", "Thu, 01 Jun 2023 12:00:00 GMT",
        "Sat, 01 Jul 2023 12:00:00 GMT", "Tue, 01 Aug 2023 12:00:00 GMT",
        "Fri, 01 Sep 2023 12:00:00 GMT", "Sun, 01 Oct 2023 12:00:00 GMT",
        "Wed, 01 Nov 2023 12:00:00 GMT", "Fri, 01 Dec 2023 12:00:00 GMT",
    };
    const std::time_t firsts[] = {1672574400, 1675252800, 1677672000, 1680350400,
                                  1682942400, 1685620800, 1688212800, 1690891200,
                                  1693569600, 1696161600, 1698840000, 1701432000};
    for (int m = 0; m < 12; ++m) {
        CAPTURE(m);
        CHECK(date(firsts[m]) == expected[m]);
    }
    const char* const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    for (int d = 0; d < 7; ++d) { // 2023-01-02 was a Monday
        CAPTURE(d);
        CHECK(date(1672660800 + d * 86400).substr(0, 3) == days[d]);
    }
}

TEST_CASE("date_cache: the date of the second asked for, reformatted when it changes") {
    http::detail::date_cache cache;
    const std::string first(cache.get(784111777));
    CHECK(first == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(cache.get(784111777) == first);
    CHECK(cache.get(784111778) == "Sun, 06 Nov 1994 08:49:38 GMT");
    CHECK(cache.get(0) == "Thu, 01 Jan 1970 00:00:00 GMT"); // backwards too (clock set back)
    CHECK(cache.get(784111777) == first);
}

TEST_SUITE_END();
