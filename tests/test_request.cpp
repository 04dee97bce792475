// http::request and http::endpoint: what a handler reads. The parser fills requests in
// (test_parser.cpp tests that); here the accessors and the address type themselves.
#include <minihttp/request.hpp>

#include "parsed_request.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

TEST_SUITE_BEGIN("request");

TEST_CASE("endpoint: an IPv4 address, its port, text and bytes") {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(8080);
    REQUIRE(::inet_pton(AF_INET, "192.0.2.7", &in.sin_addr) == 1);
    const http::endpoint e(in);
    CHECK(e.family() == AF_INET);
    CHECK(e.port() == 8080);
    CHECK(e.address() == "192.0.2.7");
    const std::vector<unsigned char> bytes(e.bytes().begin(), e.bytes().end());
    CHECK(bytes == std::vector<unsigned char>{192, 0, 2, 7});
}

TEST_CASE("endpoint: an IPv6 address, its port, text and bytes") {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(443);
    REQUIRE(::inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr) == 1);
    const http::endpoint e(in6);
    CHECK(e.family() == AF_INET6);
    CHECK(e.port() == 443);
    CHECK(e.address() == "2001:db8::1");
    REQUIRE(e.bytes().size() == 16);
    CHECK(std::memcmp(e.bytes().data(), &in6.sin6_addr, 16) == 0);
}

TEST_CASE("endpoint: loopback is 127/8, ::1 and IPv4-mapped 127/8, nothing else") {
    const auto v4 = [](const char* text) {
        sockaddr_in in{};
        in.sin_family = AF_INET;
        REQUIRE(::inet_pton(AF_INET, text, &in.sin_addr) == 1);
        return http::endpoint(in).is_loopback();
    };
    const auto v6 = [](const char* text) {
        sockaddr_in6 in6{};
        in6.sin6_family = AF_INET6;
        REQUIRE(::inet_pton(AF_INET6, text, &in6.sin6_addr) == 1);
        return http::endpoint(in6).is_loopback();
    };
    CHECK(v4("127.0.0.1"));
    CHECK(v4("127.255.3.9"));
    CHECK_FALSE(v4("128.0.0.1"));
    CHECK_FALSE(v4("10.127.0.1"));
    CHECK(v6("::1"));
    CHECK(v6("::ffff:127.0.0.2"));
    CHECK_FALSE(v6("::ffff:10.0.0.1"));
    CHECK_FALSE(v6("::2"));
    CHECK_FALSE(v6("2001:db8::1"));
    CHECK_FALSE(http::endpoint().is_loopback());
}

TEST_CASE("endpoint: from a sockaddr_storage, by family; anything else is empty") {
    sockaddr_storage ss{};
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(1);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(http::endpoint(ss).address() == "127.0.0.1");
    CHECK(http::endpoint(ss).port() == 1);

    sockaddr_storage ss6{};
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss6);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(2);
    in6->sin6_addr = in6addr_loopback;
    CHECK(http::endpoint(ss6).address() == "::1");
    CHECK(http::endpoint(ss6).port() == 2);

    sockaddr_storage unix_ss{};
    unix_ss.ss_family = AF_UNIX;
    for (const http::endpoint& e : {http::endpoint(unix_ss), http::endpoint()}) {
        CHECK(e.family() == AF_UNSPEC);
        CHECK(e.port() == 0);
        CHECK(e.address().empty());
        CHECK(e.bytes().empty());
    }
}

TEST_CASE("request: a default request is an empty HTTP/1.1 keep-alive request") {
    const http::request r;
    CHECK(r.method() == http::method::other);
    CHECK(r.method_name().empty());
    CHECK(r.target().empty());
    CHECK(r.version_minor() == 1);
    CHECK(r.keep_alive());
    CHECK(r.headers().empty());
    CHECK_FALSE(r.header("Host"));
    CHECK(r.body().empty());
    CHECK(r.content_length() == 0);
    CHECK_FALSE(r.chunked());
    CHECK_FALSE(r.expects_continue());
    CHECK(r.remote().family() == AF_UNSPEC);
}

TEST_CASE("request: header() finds the first field of a name, case-insensitively") {
    const test::parsed_request p("GET / HTTP/1.1\r\nHost: h\r\nX-Dup: first\r\nAccept: */*\r\n"
                                 "x-dup: second\r\nX-Empty: \r\n\r\n");
    const http::request& r = p.req;
    CHECK(r.header("X-Dup") == "first");
    CHECK(r.header("x-DUP") == "first");
    CHECK(r.header("accept") == "*/*");
    REQUIRE(r.header("X-Empty"));
    CHECK(r.header("X-Empty")->empty()); // present and empty differs from absent
    CHECK_FALSE(r.header("X-Missing"));
    CHECK_FALSE(r.header("X-Du")); // whole names only
    CHECK_FALSE(r.header(""));
    // headers() keeps every field line, duplicates too, in the order received.
    REQUIRE(r.headers().size() == 5);
    CHECK(r.headers()[1].name == "X-Dup");
    CHECK(r.headers()[3].name == "x-dup");
    CHECK(r.headers()[3].value == "second");
}

TEST_CASE("request: its views point into the bytes it was parsed from") {
    const test::parsed_request p("POST /a/b?x=1 HTTP/1.1\r\nHost: example.org\r\n"
                                 "Content-Length: 4\r\n\r\nbody");
    const http::request& r = p.req;
    const auto inside = [&](std::string_view v) {
        return v.data() >= p.raw.data() && v.data() + v.size() <= p.raw.data() + p.raw.size();
    };
    CHECK(r.method() == http::method::post);
    CHECK(r.path() == "/a/b");
    CHECK(r.query() == "x=1");
    CHECK(r.host() == "example.org");
    CHECK(r.body() == "body");
    for (const auto v : {r.method_name(), r.target(), r.path(), r.query(), r.host(), r.body(),
                         r.headers()[0].name, r.headers()[0].value})
        CHECK(inside(v));
}

TEST_CASE("request: reset by request_access restores a default request") {
    test::parsed_request p("PUT /x HTTP/1.0\r\nHost: h\r\nContent-Length: 2\r\n\r\nab");
    REQUIRE(p.req.version_minor() == 0);
    REQUIRE_FALSE(p.req.keep_alive());
    http::detail::request_access::reset(p.req);
    CHECK(p.req.method() == http::method::other);
    CHECK(p.req.target().empty());
    CHECK(p.req.host().empty());
    CHECK(p.req.headers().empty());
    CHECK(p.req.body().empty());
    CHECK(p.req.content_length() == 0);
    CHECK(p.req.version_minor() == 1);
    CHECK(p.req.keep_alive());
}

TEST_SUITE_END();
