// A second translation unit including every header: if any non-template function defined in
// a header lacked `inline`, linking the test binary would fail with a duplicate symbol.
#include <minihttp.hpp>

#include <doctest/doctest.h>

TEST_CASE("odr: headers link from a second translation unit") {
    http::request req;
    const auto r = http::parse_request("GET / HTTP/1.1\r\nHost: a\r\n\r\n", req);
    CHECK(r.state == http::parse_status::complete);
}
