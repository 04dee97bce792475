// A second translation unit including <minihttp/compression.hpp> in the gzip suite: if a
// non-template function it defines lacked `inline`, linking the suite would fail.
#include <minihttp/compression.hpp>

#include <doctest/doctest.h>

TEST_CASE("odr: compression.hpp links from a second translation unit") {
    CHECK(http::gzip().coding == "gzip");
}
