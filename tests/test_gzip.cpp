// On-the-fly compression: <minihttp/compression.hpp> (links zlib; built when Meson finds it).
#include <minihttp/compression.hpp>

#include "example/process.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <zlib.h>

#include <fcntl.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

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

// Pulls a stream to its end, `cap` bytes at most per call; -1 as the result if it failed.
std::string drain(const http::response::stream_source& source, std::size_t cap = 16384) {
    std::string out;
    std::string buf(cap, '\0');
    for (;;) {
        const std::ptrdiff_t n = source(buf.data(), buf.size());
        if (n < 0) return "-1";
        if (n == 0) return out;
        REQUIRE(static_cast<std::size_t>(n) <= cap);
        out.append(buf.data(), static_cast<std::size_t>(n));
    }
}

// A source yielding `s` in pieces of at most `piece` bytes, then failing if `fail` is set.
http::response::stream_source pieces(std::string s, std::size_t piece, bool fail = false) {
    auto pos = std::make_shared<std::size_t>(0);
    return [s = std::move(s), piece, fail, pos](char* buf, std::size_t cap) -> std::ptrdiff_t {
        if (*pos == s.size()) return fail ? -1 : 0;
        const std::size_t n = std::min({cap, piece, s.size() - *pos});
        std::copy_n(s.data() + *pos, n, buf);
        *pos += n;
        return static_cast<std::ptrdiff_t>(n);
    };
}

void write_file(const example::temp_dir& dir, const std::string& name, const std::string& content) {
    const std::string p = (dir.path() / name).string();
    const int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    ::close(fd);
}

http::response get(const http::static_files& files, std::string_view target,
                   std::string_view extra = {}) {
    std::string raw = "GET ";
    raw.append(target).append(" HTTP/1.1\r\nHost: a\r\n").append(extra).append("\r\n");
    http::request r;
    REQUIRE(http::parse_request(raw, r).state == http::parse_status::complete);
    auto res = files(r);
    REQUIRE(res);
    return std::move(*res);
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

TEST_CASE("gzip: gzip_stream encodes any source, whatever the sizes of the pieces") {
    const std::string in = text(100'000);
    for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{65536}}) {
        for (const std::size_t cap : {std::size_t{1}, std::size_t{100}, std::size_t{16384}}) {
            CAPTURE(piece);
            CAPTURE(cap);
            if (piece == 1 && cap == 1) continue; // correct, but slow
            const std::string out = drain(http::gzip_stream(pieces(in, piece)), cap);
            CHECK(gunzip(out) == in);
        }
    }
    CHECK(gunzip(drain(http::gzip_stream(pieces("", 10)))).empty());
    // Every level decodes; a higher one is not larger here.
    const auto size_at = [&](int level) {
        const std::string out = drain(http::gzip_stream(pieces(in, 4096), {.level = level}));
        CHECK(gunzip(out) == in);
        return out.size();
    };
    CHECK(size_at(9) <= size_at(1));
}

TEST_CASE("gzip: an input error is passed on, and a bad level is refused at once") {
    CHECK(drain(http::gzip_stream(pieces(text(50'000), 1000, true))) == "-1");
    CHECK_THROWS_AS((void)http::gzip_stream(pieces("x", 1), {.level = 0}), std::invalid_argument);
    CHECK_THROWS_AS((void)http::gzip({.level = 10}), std::invalid_argument);
    const http::file_encoder e = http::gzip({.level = 1});
    CHECK(e);
    CHECK(e.coding == "gzip");
    CHECK(e.etag_suffix == "-gz");
    CHECK_FALSE(http::file_encoder{});
}

TEST_CASE("gzip: the file encoder streams the file it is given, as static_files calls it") {
    example::temp_dir dir;
    const std::string content = text(70'000);
    write_file(dir, "a.txt", content);
    const std::string p = (dir.path() / "a.txt").string();
    http::detail::unique_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd);
    const auto source = http::gzip().encode(std::move(fd), content.size());
    CHECK(gunzip(drain(source)) == content);
}

TEST_CASE("gzip: text is compressed on the fly for clients that accept it, nothing else is") {
    example::temp_dir dir;
    const std::string big = text(200'000), small = text(500);
    write_file(dir, "big.txt", big);
    write_file(dir, "small.txt", small);
    write_file(dir, "img.png", big);
    http::chain app{http::static_files({.root = dir.path().string(), .compress = http::gzip()})};
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

TEST_CASE("gzip: the encoder does not depend on precompressed siblings, nor use the cache") {
    example::temp_dir dir;
    const std::string page = text(5000);
    write_file(dir, "page.html", page);
    write_file(dir, "page.html.gz", "a precompressed sibling, ignored here");
    const http::static_files files(
        {.root = dir.path().string(), .precompressed = false, .compress = http::gzip()});
    auto gz = get(files, "/page.html", "Accept-Encoding: gzip\r\n");
    CHECK(gz.kind() == http::response::body_kind::stream);
    CHECK(gz.header("Content-Encoding") == "gzip");
    CHECK(gz.header("Vary") == "Accept-Encoding");
    CHECK(gunzip(drain(http::detail::response_access::take_stream(gz))) == page);
    auto plain = get(files, "/page.html");
    CHECK(plain.kind() == http::response::body_kind::file); // not from the small-file cache
    CHECK_FALSE(plain.header("Content-Encoding"));
    CHECK(plain.header("Vary") == "Accept-Encoding"); // the response depends on the field
    CHECK(std::string(*gz.header("ETag")) ==
          std::string(plain.header("ETag")->substr(0, plain.header("ETag")->size() - 1)) + "-gz\"");
}

TEST_SUITE_END();
