// Integration tests: a real server on 127.0.0.1:0, raw bytes over sockets.
#include <minihttp/server.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace std::string_view_literals;
using test::client;
using test::eventually;
using test::running_server;

namespace {

// Designated initialisers, as the README shows them: must compile cleanly under -Wextra -Werror.
http::server_options one_thread() { return {.threads = 1, .max_connections = 10'000}; }

std::string get(std::string_view target, std::string_view extra = {}) {
    std::string r = "GET ";
    r.append(target).append(" HTTP/1.1\r\nHost: localhost\r\n").append(extra).append("\r\n");
    return r;
}

// A deterministic byte pattern, so that any corruption or misplacement shows.
std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

struct temp_file {
    std::string path;
    explicit temp_file(const std::string& content) {
        char name[] = "/tmp/minihttp-test-XXXXXX";
        const int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, content.data(), content.size()) ==
                static_cast<ssize_t>(content.size()));
        ::close(fd);
        path = name;
    }
    ~temp_file() { ::unlink(path.c_str()); }
};

} // namespace

TEST_SUITE_BEGIN("server");

TEST_CASE("server: binds port 0 and answers a GET with Date and Content-Length") {
    running_server srv(&test::echo, one_thread());
    CHECK(srv.port() != 0);
    const auto r = test::exchange(srv.port(), get("/hello?x=1"));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->reason == "OK");
    CHECK(r->header("x-target") == "/hello?x=1");
    CHECK(r->header("content-length") == "0");
    const auto date = r->header("date");
    REQUIRE(date);
    CHECK(date->size() == 29);
    CHECK(date->substr(25) == " GMT");
    CHECK(!r->header("connection"));
}

TEST_CASE("server: keeps an HTTP/1.1 connection alive across requests") {
    running_server srv(&test::echo, one_thread());
    client c(srv.port());
    for (int i = 0; i < 5; ++i) {
        CAPTURE(i);
        REQUIRE(c.send(get("/n" + std::to_string(i))));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->header("x-target") == "/n" + std::to_string(i));
    }
    CHECK_FALSE(c.eof());
}

TEST_CASE("server: HTTP/1.0 closes unless keep-alive is asked for") {
    running_server srv(&test::echo, one_thread());
    SUBCASE("without keep-alive the response says close and the server closes") {
        client c(srv.port());
        REQUIRE(c.send("GET / HTTP/1.0\r\n\r\n"));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->header("connection") == "close");
        CHECK(c.wait_closed());
    }
    SUBCASE("with Connection: keep-alive the connection serves a second request") {
        client c(srv.port());
        REQUIRE(c.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        const auto r1 = c.read_response();
        REQUIRE(r1);
        CHECK(r1->header("connection") == "keep-alive");
        REQUIRE(c.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        const auto r2 = c.read_response();
        REQUIRE(r2);
        CHECK(r2->header("x-target") == "/b");
    }
}

TEST_CASE("server: Connection: close from an HTTP/1.1 client closes after the response") {
    running_server srv(&test::echo, one_thread());
    client c(srv.port());
    REQUIRE(c.send(get("/", "Connection: close\r\n")));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->header("connection") == "close");
    CHECK(c.wait_closed());
}

TEST_CASE("server: answers pipelined requests in order") {
    running_server srv(&test::echo, one_thread());
    client c(srv.port());
    std::string batch;
    for (int i = 0; i < 16; ++i) batch += get("/p" + std::to_string(i));
    batch += "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz";
    batch += get("/last");
    REQUIRE(c.send(batch));
    for (int i = 0; i < 16; ++i) {
        CAPTURE(i);
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->header("x-target") == "/p" + std::to_string(i));
    }
    const auto post = c.read_response();
    REQUIRE(post);
    CHECK(post->body == "xyz");
    const auto last = c.read_response();
    REQUIRE(last);
    CHECK(last->header("x-target") == "/last");
}

TEST_CASE("server: a head split into single bytes is parsed") {
    running_server srv(&test::echo, one_thread());
    client c(srv.port());
    const std::string req = "POST /split HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody";
    for (char ch : req) REQUIRE(c.send(std::string(1, ch)));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->header("x-target") == "/split");
    CHECK(r->body == "body");
}

TEST_CASE("server: empty lines before a request line are ignored") {
    running_server srv(&test::echo, one_thread());
    client c(srv.port());
    REQUIRE(c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok\r\n\r\n" +
                   get("/after")));
    REQUIRE(c.read_response());
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("x-target") == "/after");
}

TEST_CASE("server: Expect: 100-continue") {
    auto o = one_thread();
    o.max_body_bytes = 1000;
    running_server srv(&test::echo, o);
    SUBCASE("gets 100 Continue before the body is sent, then the final response") {
        client c(srv.port());
        REQUIRE(c.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                       "Expect: 100-continue\r\n\r\n"));
        REQUIRE(c.read_until(
            [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; }));
        CHECK(c.pending() == "HTTP/1.1 100 Continue\r\n\r\n");
        const auto interim = c.read_response();
        REQUIRE(interim);
        CHECK(interim->status == 100);
        REQUIRE(c.send("hello"));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body == "hello");
    }
    SUBCASE("gets no 100 Continue when the body came with the head") {
        client c(srv.port());
        REQUIRE(c.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                       "Expect: 100-continue\r\n\r\nhello"));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body == "hello");
    }
    SUBCASE("gets 413 instead of 100 Continue when the body is too large") {
        client c(srv.port());
        REQUIRE(c.send("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n"
                       "Expect: 100-continue\r\n\r\n"));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 413);
        CHECK(r->header("connection") == "close");
        CHECK(c.wait_closed());
    }
}

TEST_CASE("server: decodes a chunked upload with extensions and trailers") {
    running_server srv(&test::echo, one_thread());
    const std::string content = pattern(70000);
    std::string req = "POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::size_t pos = 0, size = 1;
    while (pos < content.size()) {
        const std::size_t n = std::min(size, content.size() - pos);
        char hex[32];
        std::snprintf(hex, sizeof hex, "%zX;ext=\"v\"\r\n", n);
        req += hex;
        req += content.substr(pos, n);
        req += "\r\n";
        pos += n;
        size = size * 3 + 1;
    }
    req += "0\r\nX-Checksum: 1\r\n\r\n";
    req += get("/next");
    client c(srv.port());
    // Sent in uneven pieces to cross every internal buffer boundary.
    for (std::size_t off = 0; off < req.size(); off += 997) REQUIRE(c.send(req.substr(off, 997)));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("x-body-length") == std::to_string(content.size()));
    CHECK(r->body == content);
    const auto next = c.read_response();
    REQUIRE(next);
    CHECK(next->header("x-target") == "/next");
}

TEST_CASE("server: a large Content-Length body arriving in pieces is read whole") {
    auto o = one_thread();
    o.max_body_bytes = 4 << 20;
    running_server srv(&test::echo, o);
    const std::string content = pattern(3 << 20);
    client c(srv.port());
    REQUIRE(c.send("PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: " +
                   std::to_string(content.size()) + "\r\n\r\n"));
    for (std::size_t off = 0; off < content.size(); off += 65536)
        REQUIRE(c.send(content.substr(off, 65536)));
    const auto r = c.read_response(false, 20s);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.size() == content.size());
    CHECK(r->body == content);
}

TEST_CASE("server: limits of the head are answered 414, 431 and close") {
    auto o = one_thread();
    o.max_request_line = 100;
    o.max_header_bytes = 200;
    o.max_header_fields = 5;
    running_server srv(&test::echo, o);
    SUBCASE("request line over the limit: 414") {
        client c(srv.port());
        REQUIRE(c.send("GET /" + std::string(200, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n"));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 414);
        CHECK(r->header("connection") == "close");
        CHECK(c.wait_closed());
    }
    SUBCASE("request line over the limit with no end in sight: 414") {
        client c(srv.port());
        REQUIRE(c.send("GET /" + std::string(5000, 'a')));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 414);
    }
    SUBCASE("header section over the limit: 431") {
        client c(srv.port());
        REQUIRE(c.send(get("/", "X-Big: " + std::string(300, 'b') + "\r\n")));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 431);
        CHECK(c.wait_closed());
    }
    SUBCASE("more fields than allowed: 431") {
        client c(srv.port());
        REQUIRE(c.send(get("/", "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n")));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 431);
    }
    SUBCASE("exactly at the field limit: 200") {
        client c(srv.port());
        REQUIRE(c.send(get("/", "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n")));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 200);
    }
}

TEST_CASE("server: bodies over max_body_bytes get 413 and close") {
    auto o = one_thread();
    o.max_body_bytes = 1000;
    running_server srv(&test::echo, o);
    SUBCASE("declared by Content-Length") {
        client c(srv.port());
        REQUIRE(c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n" +
                       std::string(1001, 'x')));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 413);
        CHECK(c.wait_closed());
    }
    SUBCASE("reached while decoding chunks") {
        client c(srv.port());
        REQUIRE(c.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "300\r\n" +
                       std::string(0x300, 'x') + "\r\n300\r\n"));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 413);
        CHECK(c.wait_closed());
    }
    SUBCASE("exactly at the limit is accepted") {
        client c(srv.port());
        REQUIRE(c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" +
                       std::string(1000, 'x')));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body.size() == 1000);
    }
}

TEST_CASE("server: a framing error is answered and nothing after it is") {
    running_server srv(&test::echo, one_thread());
    struct bad {
        const char* name;
        std::string bytes;
        int status;
    };
    const bad cases[] = {
        {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  2\r\n\r\n", 400},
        {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
        {"CL and TE",
         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: "
         "chunked\r\n\r\n0\r\n\r\n",
         400},
        {"differing CL",
         "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
        {"TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        {"TE not ending in chunked",
         "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
        {"unimplemented coding",
         "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
        {"bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
         400},
        {"no CRLF after chunk data",
         "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400},
        {"missing Host", "GET / HTTP/1.1\r\n\r\n", 400},
        {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        {"bad version", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400},
        {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
        {"bare CR", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400},
        {"NUL in value", std::string("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"sv), 400},
        {"byte >= 0x80 in target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"asterisk with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    };
    for (const auto& b : cases) {
        CAPTURE(b.name);
        client c(srv.port());
        // A second request follows: it must never be answered (no smuggling).
        REQUIRE(c.send(b.bytes + get("/smuggled")));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == b.status);
        CHECK(r->header("connection") == "close");
        CHECK(c.wait_closed());
        CHECK(c.pending().find("smuggled") == std::string::npos);
        CHECK(c.pending().find("HTTP/1.1") == std::string::npos);
    }
}

TEST_CASE("server: unknown methods get 501 and the connection stays usable") {
    running_server srv(&test::echo, one_thread());
    client c(srv.port());
    REQUIRE(c.send("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n"));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 501);
    CHECK(!r->header("connection"));
    REQUIRE(c.send(get("/after")));
    const auto r2 = c.read_response();
    REQUIRE(r2);
    CHECK(r2->status == 200);
}

TEST_CASE("server: a chain answers 404, 405 with Allow, and OPTIONS with Allow") {
    http::chain app{http::route({http::method::get}, "/page",
                                [](const http::request&) { return http::response::text("page"); }),
                    http::route({http::method::post}, "/upload", [](const http::request&) {
                        return http::response(http::status::created);
                    })};
    running_server srv(std::move(app), one_thread());
    client c(srv.port());
    REQUIRE(c.send(get("/page")));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "page");
    REQUIRE(c.send("DELETE /page HTTP/1.1\r\nHost: a\r\n\r\n"));
    r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 405);
    CHECK(r->header("allow") == "GET, HEAD, OPTIONS");
    REQUIRE(c.send("OPTIONS /upload HTTP/1.1\r\nHost: a\r\n\r\n"));
    r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 204);
    CHECK(r->header("allow") == "POST, OPTIONS");
    REQUIRE(c.send("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"));
    r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 204);
    CHECK(r->header("allow") == "GET, HEAD, POST, OPTIONS");
    REQUIRE(c.send(get("/missing")));
    r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 404);
}

TEST_CASE("server: HEAD gets GET's fields without content, for every body kind") {
    const std::string content = pattern(50000);
    temp_file file(content);
    auto handler = [&](const http::request& r) {
        if (r.path() == "/file") {
            http::response res;
            res.set_file(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC), 0, content.size(),
                         "application/octet-stream");
            return res;
        }
        if (r.path() == "/stream") {
            http::response res;
            res.set_stream([](char*, std::size_t) -> std::ptrdiff_t { return 0; });
            return res;
        }
        return http::response::text(content);
    };
    running_server srv(handler, one_thread());
    client c(srv.port());
    for (const char* path : {"/bytes", "/file"}) {
        CAPTURE(path);
        REQUIRE(c.send(std::string("HEAD ") + path + " HTTP/1.1\r\nHost: a\r\n\r\n"));
        const auto r = c.read_response(true);
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->header("content-length") == std::to_string(content.size()));
    }
    REQUIRE(c.send("HEAD /stream HTTP/1.1\r\nHost: a\r\n\r\n"));
    const auto s = c.read_response(true);
    REQUIRE(s);
    CHECK(s->header("transfer-encoding") == "chunked");
    // Nothing but the heads arrived: the next response starts right where the last head ended.
    REQUIRE(c.send(get("/bytes")));
    const auto g = c.read_response();
    REQUIRE(g);
    CHECK(g->body == content);
}

TEST_CASE("server: sends a file region with sendfile, byte-exact") {
    const std::string content = pattern(3 << 20);
    temp_file file(content);
    auto handler = [&](const http::request& r) {
        const auto q = r.query();
        const std::uint64_t off = q.empty() ? 0 : std::stoull(std::string(q));
        const std::uint64_t len = std::min<std::uint64_t>(content.size() - off, 1 << 20);
        http::response res;
        res.set_file(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC), off, len);
        return res;
    };
    running_server srv(handler, one_thread());
    client c(srv.port());
    for (std::size_t off : {std::size_t{0}, std::size_t{12345}, content.size() - 100}) {
        CAPTURE(off);
        REQUIRE(c.send(get("/f?" + std::to_string(off))));
        const auto r = c.read_response(false, 20s);
        REQUIRE(r);
        CHECK(r->body == content.substr(off, std::min<std::size_t>(content.size() - off, 1 << 20)));
    }
}

TEST_CASE("server: a streamed body is chunked to HTTP/1.1 and close-delimited to HTTP/1.0") {
    const std::string content = pattern(100000);
    auto handler = [&](const http::request&) {
        auto pos = std::make_shared<std::size_t>(0);
        http::response res;
        res.set_stream(
            [pos, &content](char* buf, std::size_t cap) -> std::ptrdiff_t {
                const std::size_t n = std::min({cap, std::size_t{7001}, content.size() - *pos});
                std::memcpy(buf, content.data() + *pos, n);
                *pos += n;
                return static_cast<std::ptrdiff_t>(n);
            },
            "text/plain");
        return res;
    };
    running_server srv(handler, one_thread());
    {
        client c(srv.port());
        REQUIRE(c.send(get("/s") + get("/s")));
        for (int i = 0; i < 2; ++i) {
            const auto r = c.read_response();
            REQUIRE(r);
            CHECK(r->header("transfer-encoding") == "chunked");
            CHECK(!r->header("content-length"));
            CHECK(r->body == content);
        }
    }
    {
        client c(srv.port());
        REQUIRE(c.send("GET /s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->header("connection") == "close");
        CHECK(!r->header("transfer-encoding"));
        CHECK(r->body == content);
    }
}

TEST_CASE("server: a large in-memory body is sent whole") {
    const std::string content = pattern(5 << 20);
    auto handler = [&](const http::request&) { return http::response::text(content); };
    running_server srv(handler, one_thread());
    client c(srv.port());
    REQUIRE(c.send(get("/") + get("/")));
    for (int i = 0; i < 2; ++i) {
        const auto r = c.read_response(false, 20s);
        REQUIRE(r);
        CHECK(r->body == content);
    }
}

TEST_CASE("server: a handler exception becomes 500 and the connection stays usable") {
    auto handler = [](const http::request& r) -> http::response {
        if (r.path() == "/throw") throw std::runtime_error("boom");
        if (r.path() == "/bad-header") {
            http::response res;
            res.add_header("X-Split", "a\r\nInjected: yes");
            return res;
        }
        return http::response::text("fine");
    };
    std::vector<std::string> logged;
    std::mutex m;
    auto o = one_thread();
    o.error_log = [&](std::string_view msg) {
        std::lock_guard lock(m);
        logged.emplace_back(msg);
    };
    running_server srv(handler, o);
    client c(srv.port());
    for (const char* path : {"/throw", "/bad-header"}) {
        CAPTURE(path);
        REQUIRE(c.send(get(path)));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 500);
        CHECK(!r->header("injected"));
    }
    REQUIRE(c.send(get("/ok")));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == "fine");
    std::lock_guard lock(m);
    REQUIRE(logged.size() == 2);
    CHECK(logged[0].find("boom") != std::string::npos);
}

TEST_CASE("server: an absolute-form target is routed by its path") {
    running_server srv(&test::echo, one_thread());
    const auto r = test::exchange(
        srv.port(), "GET http://example.com:8080/p?q=1 HTTP/1.1\r\nHost: other\r\n\r\n");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("x-target") == "http://example.com:8080/p?q=1");
}

TEST_CASE("server: timeouts") {
    auto o = one_thread();
    o.header_timeout = 300ms;
    o.body_timeout = 300ms;
    o.min_body_rate = 1 << 20;
    o.keep_alive_timeout = 300ms;
    o.write_timeout = 300ms;
    o.linger_timeout = 200ms;
    running_server srv(&test::echo, o);
    SUBCASE("an incomplete head gets 408 after the header timeout") {
        client c(srv.port());
        const auto t0 = test::clock::now();
        REQUIRE(c.send("GET / HTTP/1.1\r\nHost: a\r\n"));
        const auto r = c.read_response(false, 3s);
        REQUIRE(r);
        CHECK(r->status == 408);
        CHECK(r->header("connection") == "close");
        CHECK(c.wait_closed(3s));
        CHECK(test::clock::now() - t0 >= 300ms);
    }
    SUBCASE("the header timeout is a total deadline, not per read (slowloris)") {
        client c(srv.port());
        const auto t0 = test::clock::now();
        bool answered = false;
        for (int i = 0; i < 40 && !answered; ++i) { // a byte every 50 ms would go on for 2 s
            c.send("X");
            answered = c.read_until([](const std::string& b) { return !b.empty(); }, 50ms);
        }
        CHECK(answered);
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 408);
        CHECK(test::clock::now() - t0 < 1500ms);
    }
    SUBCASE("a body slower than the minimum rate gets 408") {
        client c(srv.port());
        REQUIRE(c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789"));
        const auto r = c.read_response(false, 3s);
        REQUIRE(r);
        CHECK(r->status == 408);
        CHECK(c.wait_closed(3s));
    }
    SUBCASE("an idle keep-alive connection is closed silently") {
        client c(srv.port());
        REQUIRE(c.send(get("/")));
        REQUIRE(c.read_response());
        CHECK(c.wait_closed(3s));
        CHECK(c.pending().empty());
    }
    SUBCASE("a connection that never sends is closed silently") {
        client c(srv.port());
        CHECK(c.wait_closed(3s));
        CHECK(c.pending().empty());
    }
    SUBCASE("a client that does not read its response is dropped after the write timeout") {
        const std::string big = pattern(32 << 20);
        running_server big_srv([&](const http::request&) { return http::response::text(big); }, o);
        client c(big_srv.port());
        c.set_rcvbuf(4096);
        REQUIRE(c.send(get("/")));
        CHECK(eventually([&] { return big_srv.get().open_connections() == 1; }));
        CHECK(eventually([&] { return big_srv.get().open_connections() == 0; }, 5s));
    }
}

TEST_CASE("server: the last response before max_requests_per_connection says close") {
    auto o = one_thread();
    o.max_requests_per_connection = 3;
    running_server srv(&test::echo, o);
    client c(srv.port());
    for (int i = 1; i <= 3; ++i) {
        CAPTURE(i);
        REQUIRE(c.send(get("/")));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 200);
        if (i < 3)
            CHECK(!r->header("connection"));
        else
            CHECK(r->header("connection") == "close");
    }
    CHECK(c.wait_closed());
}

TEST_CASE("server: beyond max_connections a client gets 503 with Retry-After and is closed") {
    auto o = one_thread();
    o.max_connections = 2;
    running_server srv(&test::echo, o);
    client a(srv.port()), b(srv.port());
    for (client* c : {&a, &b}) { // both accepted and served
        REQUIRE(c->send(get("/")));
        REQUIRE(c->read_response());
    }
    client third(srv.port());
    third.send(get("/"));
    const auto r = third.read_response();
    REQUIRE(r);
    CHECK(r->status == 503);
    CHECK(r->header("retry-after") == "5");
    CHECK(r->header("connection") == "close");
    CHECK(third.wait_closed());
    // The two established connections still work, and a freed slot is reusable.
    REQUIRE(a.send(get("/still")));
    REQUIRE(a.read_response());
    REQUIRE(b.send(get("/", "Connection: close\r\n")));
    REQUIRE(b.read_response());
    REQUIRE(b.wait_closed());
    CHECK(eventually([&] { return srv.get().open_connections() == 1; }));
    const auto again = test::exchange(srv.port(), get("/again"));
    REQUIRE(again);
    CHECK(again->status == 200);
}

TEST_CASE("server: defer_accept leaves silent connections in the kernel, uncounted") {
    // With TCP_DEFER_ACCEPT a connection reaches the server with its first bytes. A silent
    // one is therefore not open as far as max_connections is concerned; without the option
    // the same silent connection takes the only slot and the talking client gets 503.
    for (const bool defer : {true, false}) {
        CAPTURE(defer);
        auto o = one_thread();
        o.max_connections = 1;
        o.defer_accept = defer;
        running_server srv(&test::echo, o);
        client silent(srv.port());
        if (!defer) // wait until the server holds it, so the next one is over the limit
            REQUIRE(eventually([&] { return srv.get().open_connections() == 1; }));
        client talking(srv.port());
        REQUIRE(talking.send(get("/deferred")));
        const auto r = talking.read_response();
        REQUIRE(r);
        CHECK(r->status == (defer ? 200 : 503));
        if (defer) CHECK(srv.get().open_connections() == 1); // the talking one only
    }
}

TEST_CASE("server: a peer that resets during a file transfer does not kill the process") {
    const std::string content = pattern(8 << 20);
    temp_file file(content);
    auto handler = [&](const http::request&) {
        http::response res;
        res.set_file(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC), 0, content.size());
        return res;
    };
    running_server srv(handler, one_thread());
    for (int i = 0; i < 5; ++i) {
        client c(srv.port());
        c.set_rcvbuf(4096);
        REQUIRE(c.send(get("/")));
        REQUIRE(c.read_until([](const std::string& b) { return b.size() > 1000; }));
        linger lg{1, 0}; // close with RST
        ::setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    const auto r = test::exchange(srv.port(), "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", true);
    REQUIRE(r);
    CHECK(r->status == 200);
}

TEST_CASE("server: stop() closes idle connections and returns promptly") {
    running_server srv(&test::echo, one_thread());
    client idle(srv.port());
    REQUIRE(idle.send(get("/")));
    REQUIRE(idle.read_response());
    const auto took = srv.stop();
    CHECK(took < 1000ms);
    CHECK(idle.wait_closed(1s));
}

TEST_CASE("server: stop() lets an in-flight response finish") {
    const std::string big = pattern(16 << 20);
    running_server srv([&](const http::request&) { return http::response::text(big); },
                       one_thread());
    client c(srv.port());
    c.set_rcvbuf(65536);
    REQUIRE(c.send(get("/")));
    REQUIRE(c.read_until([](const std::string& b) { return b.size() > 100000; }));
    std::thread stopper([&] { srv.stop(); });
    const auto r = c.read_response(false, 20s); // keeps reading while the server drains
    stopper.join();
    REQUIRE(r);
    CHECK(r->body.size() == big.size());
    CHECK(r->body == big);
    CHECK(r->header("connection") != "close"); // decided before stop; the close comes after
    CHECK(c.wait_closed(2s));
}

TEST_CASE("server: stop() under load from several clients joins every thread") {
    auto o = http::server_options{};
    o.threads = 2;
    running_server srv(&test::echo, o);
    std::atomic<bool> go{true};
    std::atomic<int> ok{0}, bad{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t) {
        clients.emplace_back([&, t] {
            while (go) {
                try {
                    client c(srv.port());
                    for (int i = 0; i < 50 && go; ++i) {
                        if (!c.send(get("/load/" + std::to_string(t)))) break;
                        const auto r = c.read_response(false, 3s);
                        if (!r) break; // closed by stop(): acceptable, a partial response is not
                        if (r->status == 200 &&
                            r->header("x-target") == "/load/" + std::to_string(t))
                            ++ok;
                        else
                            ++bad;
                    }
                } catch (const std::exception&) {
                    // connect refused after the listener closed
                }
            }
        });
    }
    CHECK(eventually([&] { return ok.load() > 500; }, 10s));
    const auto took = srv.stop();
    go = false;
    for (auto& t : clients) t.join();
    CHECK(took < 6000ms);
    CHECK(bad.load() == 0);
}

TEST_CASE("server: stop_on_signals makes a signal stop the server") {
    http::server srv(&test::echo, one_thread());
    REQUIRE(!srv.listen("127.0.0.1", 0));
    REQUIRE(http::stop_on_signals(srv, {SIGUSR1}));
    std::atomic<bool> returned{false};
    std::thread t([&] {
        srv.run();
        returned = true;
    });
    client idle(srv.port()); // kept alive after one exchange: stop() must close it
    const bool served = idle.send(get("/")) && idle.read_response().has_value();
    CHECK(served);
    CHECK_FALSE(returned.load()); // serving, until the signal
    ::kill(::getpid(), SIGUSR1);
    // The signal alone must make run() return; stop() here only turns a hang into a failure.
    const bool stopped_by_signal = eventually([&] { return returned.load(); }, 5s);
    CHECK(stopped_by_signal);
    if (!stopped_by_signal) srv.stop();
    t.join();
    CHECK(idle.wait_closed(1s)); // stop()'s effect seen from outside: idle connections closed
    signal(SIGUSR1, SIG_DFL);
}

TEST_CASE("server: listen reports errors instead of throwing") {
    running_server first(&test::echo, one_thread());
    http::server second(&test::echo, one_thread());
    const auto ec = second.listen("127.0.0.1", first.port());
    CHECK(ec == std::errc::address_in_use);
    http::server third(&test::echo, one_thread());
    CHECK(third.listen("no-such-host.invalid", 0));
}

TEST_CASE("server: IPv6 loopback works when available") {
    std::FILE* f = std::fopen("/proc/net/if_inet6", "r");
    bool has_v6_loopback = false;
    char line[256];
    while (f != nullptr && std::fgets(line, sizeof line, f) != nullptr)
        has_v6_loopback |= std::string_view(line).starts_with("00000000000000000000000000000001");
    if (f != nullptr) std::fclose(f);
    if (!has_v6_loopback) {
        MESSAGE("this machine has no ::1; the IPv6 case cannot run here");
        return;
    }
    http::server srv(&test::echo, one_thread());
    REQUIRE(!srv.listen("::1", 0));
    std::thread t([&] { srv.run(); });
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(srv.port());
    a.sin6_addr = in6addr_loopback;
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    const std::string req = "GET / HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n";
    REQUIRE(::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    CHECK(got.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    srv.stop();
    t.join();
}

TEST_CASE("server: a declared Content-Length alone does not allocate the body (regression)") {
    auto rss_kib = [] {
        std::FILE* f = std::fopen("/proc/self/status", "r");
        char line[256];
        long kib = 0;
        while (f != nullptr && std::fgets(line, sizeof line, f) != nullptr)
            if (std::string_view(line).starts_with("VmRSS:")) kib = std::atol(line + 6);
        if (f != nullptr) std::fclose(f);
        return kib;
    };
    auto o = one_thread();
    o.max_body_bytes = 1 << 20;
    running_server srv(&test::echo, o);
    const long before = rss_kib();
    std::vector<std::unique_ptr<client>> clients;
    for (int i = 0; i < 100; ++i) {
        clients.push_back(std::make_unique<client>(srv.port()));
        REQUIRE(
            clients.back()->send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\nx"));
    }
    CHECK(eventually([&] { return srv.get().open_connections() == 100; }));
    // Let the worker read every head, then measure: 100 x 1 MiB would be 100 MiB.
    REQUIRE(test::exchange(srv.port(), get("/sync")));
    const long grown = rss_kib() - before;
    CAPTURE(grown);
    CHECK(grown < 30 * 1024);
}

TEST_CASE(
    "server: bytes sent after a Connection: close request do not reset the response (regression)") {
    const std::string big = pattern(200000);
    auto handler = [&](const http::request& r) {
        if (r.path() == "/slow")
            std::this_thread::sleep_for(200ms); // the next bytes arrive meanwhile
        return http::response::text(big);
    };
    running_server srv(handler, one_thread());
    for (int i = 0; i < 3; ++i) {
        client c(srv.port());
        c.set_rcvbuf(16384);
        REQUIRE(c.send(get("/slow", "Connection: close\r\n")));
        std::this_thread::sleep_for(50ms);
        c.send(get("/ignored"));
        const auto r = c.read_response(false, 10s);
        REQUIRE(r);
        CHECK(r->body.size() == big.size());
        CHECK(c.wait_closed());
        CHECK_FALSE(c.reset());
    }
}

TEST_CASE(
    "server: a request followed at once by the client's FIN is answered and closed (regression)") {
    auto o = one_thread();
    o.keep_alive_timeout = 10s;
    running_server srv(&test::echo, o);
    client c(srv.port());
    REQUIRE(c.send(get("/fin")));
    c.shutdown_write();
    const auto t0 = test::clock::now();
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(c.wait_closed(3s));
    CHECK(test::clock::now() - t0 < 2s);
}

TEST_CASE("server: a CRLF after a body leaves the connection idle, not in a head (regression)") {
    auto o = one_thread();
    o.header_timeout = 200ms;
    o.keep_alive_timeout = 5s;
    running_server srv(&test::echo, o);
    client c(srv.port());
    REQUIRE(c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab\r\n"));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == "ab");
    CHECK_FALSE(c.read_until([](const std::string& b) { return !b.empty(); }, 700ms)); // no 408
    REQUIRE(c.send("\r\n"));
    CHECK_FALSE(c.read_until([](const std::string& b) { return !b.empty(); }, 500ms));
    REQUIRE(c.send(get("/second")));
    const auto r2 = c.read_response();
    REQUIRE(r2);
    CHECK(r2->header("x-target") == "/second");
}

TEST_CASE("server: a handler returning an interim status gets 500 (regression)") {
    auto handler = [](const http::request& r) {
        return http::response(r.path() == "/101" ? http::status::switching_protocols
                                                 : http::status::ok);
    };
    auto o = one_thread();
    o.error_log = [](std::string_view) {};
    running_server srv(handler, o);
    client c(srv.port());
    REQUIRE(c.send(get("/101") + get("/x")));
    const auto r1 = c.read_response();
    REQUIRE(r1);
    CHECK(r1->status == 500);
    const auto r2 = c.read_response();
    REQUIRE(r2);
    CHECK(r2->status == 200);
}

TEST_CASE("server: a file shorter than its promised length closes at once (regression)") {
    temp_file file("short");
    auto handler = [&](const http::request&) {
        http::response res;
        res.set_file(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC), 0, 1 << 20);
        return res;
    };
    auto o = one_thread();
    o.write_timeout = 10s;
    running_server srv(handler, o);
    client c(srv.port());
    REQUIRE(c.send(get("/")));
    const auto t0 = test::clock::now();
    CHECK(c.wait_closed(5s));
    CHECK(test::clock::now() - t0 < 2s);
    CHECK(c.pending().find("short") != std::string::npos);
}

TEST_SUITE_END();
