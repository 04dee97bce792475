#include <minihttp/response.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

TEST_SUITE_BEGIN("response");

TEST_CASE("response: builders set status, type and body") {
    const auto t = http::response::text("hi", http::status::created);
    CHECK(t.code() == http::status::created);
    CHECK(t.header("content-type") == "text/plain; charset=utf-8");
    CHECK(t.kind() == http::response::body_kind::bytes);
    CHECK(t.body() == "hi");
    const auto h = http::response::html("<p>");
    CHECK(h.header("Content-Type") == "text/html; charset=utf-8");
    CHECK(http::response().kind() == http::response::body_kind::none);
}

TEST_CASE("response: fields keep order, allow repeats, and set_header replaces") {
    http::response r;
    r.add_header("Set-Cookie", "a=1").add_header("X-A", "1").add_header("Set-Cookie", "b=2");
    CHECK(r.fields() == "Set-Cookie: a=1\r\nX-A: 1\r\nSet-Cookie: b=2\r\n");
    r.set_header("set-cookie", "c=3");
    CHECK(r.fields() == "X-A: 1\r\nset-cookie: c=3\r\n");
    CHECK(r.remove_header("X-A") == 1);
    CHECK(r.remove_header("X-A") == 0);
    CHECK(r.header("SET-COOKIE") == "c=3");
    CHECK_FALSE(r.header("x-missing"));
    CHECK(r.header("x") == std::nullopt);
}

TEST_CASE("response: refuses fields that would split the response or break framing") {
    http::response r;
    CHECK_THROWS_AS(r.add_header("X", "a\r\nInjected: 1"), std::invalid_argument);
    CHECK_THROWS_AS(r.add_header("X", "a\nb"), std::invalid_argument);
    CHECK_THROWS_AS(r.add_header("X", std::string("a\0b", 3)), std::invalid_argument);
    CHECK_THROWS_AS(r.add_header("Bad Name", "v"), std::invalid_argument);
    CHECK_THROWS_AS(r.add_header("", "v"), std::invalid_argument);
    CHECK_THROWS_AS(r.add_header("X", " padded"), std::invalid_argument);
    CHECK_THROWS_AS(r.add_header("Content-Length", "5"), std::invalid_argument);
    CHECK_THROWS_AS(r.add_header("Transfer-Encoding", "chunked"), std::invalid_argument);
    CHECK_THROWS_AS(r.add_header("Date", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.add_header("Connection", "upgrade"), std::invalid_argument);
    CHECK(r.fields().empty());
    CHECK_NOTHROW(r.add_header("X-Tab", "a\tb"));
    CHECK_NOTHROW(r.add_header("X-Utf8", "caf\xc3\xa9"));
    CHECK_FALSE(r.closes_connection());
    r.add_header("Connection", "close");
    CHECK(r.closes_connection());
    CHECK_FALSE(r.header("connection"));
}

TEST_CASE("response: owns a file body's descriptor and closes it") {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    {
        http::response r;
        r.set_file(fd, 0, 0);
        CHECK(r.file_descriptor() == fd);
        http::response moved = std::move(r);
        CHECK(moved.file_descriptor() == fd);
        CHECK(r.file_descriptor() == -1);
    }
    CHECK(::fcntl(fd, F_GETFD) == -1); // closed exactly once, by the last owner
    const int fd2 = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    {
        http::response r;
        r.set_file(fd2, 0, 0);
        r.set_body("replaced");
        CHECK(r.file_descriptor() == -1);
    }
    CHECK(::fcntl(fd2, F_GETFD) == -1);
}

TEST_SUITE_END();
