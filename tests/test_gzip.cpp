// On-the-fly gzip of static_files (MINIHTTP_WITH_ZLIB; built with meson -Dzlib=enabled).
#include <minihttp/policies/static_files.hpp>

#include "example/process.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <zlib.h>

#include <fcntl.h>

#include <functional>
#include <string>

#ifndef MINIHTTP_WITH_ZLIB
#error "this suite tests the MINIHTTP_WITH_ZLIB build"
#endif

namespace {

std::string text(std::size_t n) {
    std::string s;
    while (s.size() < n)
        s += "The quick brown fox jumps over the lazy dog " + std::to_string(s.size()) + "\n";
    s.resize(n);
    return s;
}

std::string gunzip(const std::string& in) {
    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
    std::string out;
    char buf[65536];
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    int rc;
    do {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
    } while (rc == Z_OK);
    inflateEnd(&z);
    CHECK(rc == Z_STREAM_END);
    return out;
}

using handler_fn = std::function<http::response(const http::request&)>;

std::string req(std::string_view method, std::string_view target, std::string_view extra = {},
                std::string_view version = "HTTP/1.1") {
    std::string r(method);
    r.append(" ").append(target).append(" ").append(version).append("\r\nHost: localhost\r\n");
    return r.append(extra).append("\r\n");
}

} // namespace

TEST_SUITE_BEGIN("gzip");

TEST_CASE("gzip: text is compressed on the fly for clients that accept it, nothing else is") {
    example::temp_dir dir;
    const std::string big = text(200'000), small = text(500);
    auto write = [&](const std::string& name, const std::string& content) {
        const std::string p = (dir.path() / name).string();
        const int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, content.data(), content.size()) ==
                static_cast<ssize_t>(content.size()));
        ::close(fd);
    };
    write("big.txt", big);
    write("small.txt", small);
    write("img.png", big);
    http::chain app{http::static_files({.root = dir.path().string(), .gzip = true})};
    test::running_server<handler_fn> srv([&](const http::request& r) { return app(r); },
                                         {.threads = 1});
    test::client c(srv.port());

    REQUIRE(c.send(req("GET", "/big.txt", "Accept-Encoding: gzip\r\n")));
    const auto gz = c.read_response(false, std::chrono::seconds(20));
    REQUIRE(gz);
    CHECK(gz->status == 200);
    CHECK(gz->header("content-encoding") == "gzip");
    CHECK(gz->header("vary") == "Accept-Encoding");
    CHECK(gz->header("transfer-encoding") == "chunked");
    CHECK(gz->body.size() < big.size() / 3);
    CHECK(gunzip(gz->body) == big);
    const std::string etag = gz->header("etag").value();
    CHECK(etag.ends_with("-gz\""));

    REQUIRE(c.send(req("HEAD", "/big.txt", "Accept-Encoding: gzip\r\n")));
    const auto head = c.read_response(true);
    REQUIRE(head);
    CHECK(head->header("content-encoding") == "gzip");
    CHECK(head->header("etag") == etag);

    REQUIRE(
        c.send(req("GET", "/big.txt", "Accept-Encoding: gzip\r\nIf-None-Match: " + etag + "\r\n")));
    const auto nm = c.read_response();
    REQUIRE(nm);
    CHECK(nm->status == 304);

    struct row {
        const char* name;
        std::string request;
        std::string body;
        int status;
    };
    const row identity[] = {
        {"no Accept-Encoding", req("GET", "/big.txt"), big, 200},
        {"gzip refused", req("GET", "/big.txt", "Accept-Encoding: gzip;q=0\r\n"), big, 200},
        {"a range", req("GET", "/big.txt", "Accept-Encoding: gzip\r\nRange: bytes=0-99\r\n"),
         big.substr(0, 100), 206},
        {"below the size threshold", req("GET", "/small.txt", "Accept-Encoding: gzip\r\n"), small,
         200},
        {"an image", req("GET", "/img.png", "Accept-Encoding: gzip\r\n"), big, 200},
    };
    for (const auto& r : identity) {
        CAPTURE(r.name);
        REQUIRE(c.send(r.request));
        const auto res = c.read_response(false, std::chrono::seconds(20));
        REQUIRE(res);
        CHECK(res->status == r.status);
        CHECK_FALSE(res->header("content-encoding"));
        CHECK(res->body == r.body);
    }

    test::client old(srv.port()); // HTTP/1.0: no chunked coding, the close ends the body
    REQUIRE(old.send(req("GET", "/big.txt", "Accept-Encoding: gzip\r\n", "HTTP/1.0")));
    const auto r10 = old.read_response(false, std::chrono::seconds(20));
    REQUIRE(r10);
    CHECK(r10->header("connection") == "close");
    CHECK(gunzip(r10->body) == big);
}

TEST_SUITE_END();
