#include <minihttp/serializer.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>

#include <string>

namespace {
constexpr std::string_view date = "Thu, 26 Nov 2026 13:00:00 GMT";

std::string head_of(const http::response& r, http::head_context c,
                    http::head_result* out = nullptr) {
    std::string s;
    c.date = date;
    const auto res = http::serialize_head(s, r, c);
    if (out != nullptr) *out = res;
    return s;
}
} // namespace

TEST_SUITE_BEGIN("serializer");

TEST_CASE("serializer: a bytes body gets Content-Length and keeps the connection") {
    http::head_result res;
    const auto s = head_of(http::response::text("hello"), {}, &res);
    CHECK(s == "HTTP/1.1 200 OK\r\nDate: Thu, 26 Nov 2026 13:00:00 GMT\r\nContent-Length: 5\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\n");
    CHECK(res.framing == http::framing::length);
    CHECK(res.keep_alive);
}

TEST_CASE("serializer: HEAD keeps GET's Content-Length but sends no content") {
    http::head_result res;
    http::head_context c;
    c.head_request = true;
    const auto s = head_of(http::response::text("hello"), c, &res);
    CHECK(s.find("Content-Length: 5\r\n") != std::string::npos);
    CHECK(res.framing == http::framing::none);
}

TEST_CASE("serializer: 1xx, 204 and 304 carry no Content-Length (RFC 9110 §8.6)") {
    for (auto st : {http::status::no_content, http::status::not_modified}) {
        CAPTURE(http::to_int(st));
        http::head_result res;
        auto r = http::response::text("ignored", st);
        const auto s = head_of(r, {}, &res);
        CHECK(s.find("Content-Length") == std::string::npos);
        CHECK(res.framing == http::framing::none);
    }
}

TEST_CASE("serializer: no body is Content-Length: 0") {
    http::head_result res;
    const auto s = head_of(http::response(http::status::created), {}, &res);
    CHECK(s.find("HTTP/1.1 201 Created\r\n") == 0);
    CHECK(s.find("Content-Length: 0\r\n") != std::string::npos);
    CHECK(res.framing == http::framing::none);
}

TEST_CASE("serializer: a stream is chunked to HTTP/1.1 and close-delimited to HTTP/1.0") {
    http::response r;
    r.set_stream([](char*, std::size_t) -> std::ptrdiff_t { return 0; });
    http::head_result res;
    auto s = head_of(r, {}, &res);
    CHECK(s.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
    CHECK(res.framing == http::framing::chunked);
    CHECK(res.keep_alive);
    http::head_context old;
    old.version_minor = 0;
    s = head_of(r, old, &res);
    CHECK(s.find("Transfer-Encoding") == std::string::npos);
    CHECK(s.find("Connection: close\r\n") != std::string::npos);
    CHECK(res.framing == http::framing::until_close);
    CHECK_FALSE(res.keep_alive);
}

TEST_CASE("serializer: connection fields follow the keep-alive decision") {
    http::head_context c;
    c.keep_alive = false;
    auto s = head_of(http::response::text("x"), c);
    CHECK(s.find("Connection: close\r\n") != std::string::npos);
    c.keep_alive = true;
    c.version_minor = 0;
    s = head_of(http::response::text("x"), c);
    CHECK(s.find("Connection: keep-alive\r\n") != std::string::npos);
    auto closing = http::response::text("x");
    closing.close_connection();
    http::head_result res;
    s = head_of(closing, {}, &res);
    CHECK(s.find("Connection: close\r\n") != std::string::npos);
    CHECK_FALSE(res.keep_alive);
}

TEST_CASE("serializer: a file body's length is its region's") {
    http::response r;
    r.set_file(::open("/dev/null", O_RDONLY | O_CLOEXEC), 10, 1234);
    http::head_result res;
    const auto s = head_of(r, {}, &res);
    CHECK(s.find("Content-Length: 1234\r\n") != std::string::npos);
    CHECK(res.framing == http::framing::length);
}

TEST_CASE("serializer: chunk headers are lowercase hex lines") {
    std::string s;
    http::append_chunk_header(s, 255);
    http::append_chunk_header(s, 1);
    CHECK(s == "ff\r\n1\r\n");
    CHECK(http::last_chunk == "0\r\n\r\n");
}

TEST_CASE("serializer: unknown status codes still give a valid status line") {
    const auto s = head_of(http::response(static_cast<http::status>(299)), {});
    CHECK(s.find("HTTP/1.1 299 Unknown\r\n") == 0);
}

TEST_SUITE_END();
