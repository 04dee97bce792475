// static_files over real sockets: validators (304/412), Cache-Control, ranges (206/416),
// precompressed siblings, HEAD = GET's fields, and curl -C - resuming a download.
#include <minihttp/policies/static_files.hpp>

#include "example/process.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using test::client;

namespace {

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('A' + (i * 13 + i / 97) % 26);
    return s;
}

struct site {
    example::temp_dir dir;
    std::string big = pattern(3'000'000);
    std::string page = "<!DOCTYPE html><title>t</title><p>hello</p>\n";
    std::string page_gz = std::string("\x1f\x8b", 2) + "not really gzip, but bytes to tell apart";
    std::string page_br = "brotli stand-in bytes";
    site() {
        write("big.txt", big);
        write("page.html", page);
        write("page.html.gz", page_gz);
        write("plain.html", page);
        write("page.css", "body{}");
        write("page.css.br", page_br);
        write("img.png", "\x89PNG-ish");
        write("img.png.gz", "must never be served");
    }
    void write(const std::string& name, const std::string& content) const {
        const std::string path = dir.path() / name;
        const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, content.data(), content.size()) ==
                static_cast<ssize_t>(content.size()));
        ::close(fd);
    }
};

using handler_fn = std::function<http::response(const http::request&)>;

struct server_for {
    http::chain<http::static_files> app;
    test::running_server<handler_fn> srv;
    explicit server_for(const site& s, bool chunked = false)
        : app(http::static_files({.root = s.dir.path().string(), .chunked = chunked})),
          srv([this](const http::request& r) { return app(r); }, {.threads = 1}) {}
    [[nodiscard]] std::uint16_t port() const { return srv.port(); }
};

std::string req(std::string_view method, std::string_view target, std::string_view extra = {}) {
    std::string r(method);
    r.append(" ")
        .append(target)
        .append(" HTTP/1.1\r\nHost: localhost\r\n")
        .append(extra)
        .append("\r\n");
    return r;
}

} // namespace

TEST_SUITE_BEGIN("static http");

TEST_CASE("static http: every file response carries validators, Cache-Control and Accept-Ranges") {
    site s;
    server_for srv(s);
    const auto r = test::exchange(srv.port(), req("GET", "/page.html"));
    REQUIRE(r);
    CHECK(r->status == 200);
    const auto etag = r->header("etag");
    REQUIRE(etag);
    CHECK(etag->front() == '"');
    CHECK(etag->back() == '"');
    CHECK(r->header("last-modified").has_value());
    CHECK(r->header("cache-control") == "no-cache");
    CHECK(r->header("accept-ranges") == "bytes");
    CHECK(r->header("vary") == "Accept-Encoding");
    const auto img = test::exchange(srv.port(), req("GET", "/img.png"));
    REQUIRE(img);
    CHECK(img->header("cache-control") == "public, max-age=86400");
    CHECK_FALSE(img->header("vary")); // an image is not negotiated
}

TEST_CASE("static http: conditional requests get 304 or 412 (RFC 9110 §13.2.2)") {
    site s;
    server_for srv(s);
    const auto first = test::exchange(srv.port(), req("GET", "/page.html"));
    REQUIRE(first);
    const std::string etag = first->header("etag").value();
    const std::string lm = first->header("last-modified").value();
    struct row {
        const char* name;
        std::string fields;
        int status;
    };
    const row rows[] = {
        {"If-None-Match matching", "If-None-Match: " + etag + "\r\n", 304},
        {"If-None-Match weak form", "If-None-Match: W/" + etag + "\r\n", 304},
        {"If-None-Match in a list", "If-None-Match: \"x\", " + etag + "\r\n", 304},
        {"If-None-Match on two lines", "If-None-Match: \"x\"\r\nIf-None-Match: " + etag + "\r\n",
         304},
        {"If-None-Match: *", "If-None-Match: *\r\n", 304},
        {"If-None-Match other", "If-None-Match: \"other\"\r\n", 200},
        {"If-None-Match malformed", "If-None-Match: nonsense\r\n", 200},
        {"If-Modified-Since = Last-Modified", "If-Modified-Since: " + lm + "\r\n", 304},
        {"If-Modified-Since older", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 200},
        {"If-Modified-Since RFC 850", "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n", 200},
        {"If-Modified-Since asctime", "If-Modified-Since: Sun Nov  6 08:49:37 1994\r\n", 200},
        {"If-Modified-Since invalid", "If-Modified-Since: yesterday\r\n", 200},
        {"If-None-Match wins over If-Modified-Since",
         "If-None-Match: \"other\"\r\nIf-Modified-Since: " + lm + "\r\n", 200},
        {"If-Match matching", "If-Match: " + etag + "\r\n", 200},
        {"If-Match other", "If-Match: \"other\"\r\n", 412},
        {"If-Match weak never matches", "If-Match: W/" + etag + "\r\n", 412},
        {"If-Match: *", "If-Match: *\r\n", 200},
        {"If-Unmodified-Since older", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
         412},
        {"If-Unmodified-Since = Last-Modified", "If-Unmodified-Since: " + lm + "\r\n", 200},
        {"If-Match wins over If-Unmodified-Since",
         "If-Match: " + etag + "\r\nIf-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 200},
    };
    client c(srv.port());
    for (const auto& r : rows) {
        for (const char* method : {"GET", "HEAD"}) {
            CAPTURE(r.name);
            CAPTURE(method);
            REQUIRE(c.send(req(method, "/page.html", r.fields)));
            const auto res = c.read_response(std::string_view(method) == "HEAD");
            REQUIRE(res);
            CHECK(res->status == r.status);
            if (r.status == 304) {
                CHECK(res->header("etag") == etag); // 304 repeats the validators, no body
                CHECK(res->header("last-modified") == lm);
                CHECK(res->header("cache-control") == "no-cache");
                CHECK_FALSE(res->header("content-length"));
                CHECK(res->body.empty());
            }
            if (r.status == 200 && std::string_view(method) == "GET") CHECK(res->body == s.page);
        }
    }
}

TEST_CASE("static http: byte ranges are byte-exact; 416 when unsatisfiable") {
    site s;
    server_for srv(s);
    const std::uint64_t n = s.big.size();
    struct row {
        std::string range;
        std::uint64_t first, last;
    };
    const row rows[] = {
        {"bytes=0-0", 0, 0},                                    // the first byte
        {"bytes=" + std::to_string(n - 1) + "-", n - 1, n - 1}, // the last byte
        {"bytes=-1", n - 1, n - 1},
        {"bytes=0-", 0, n - 1}, // the whole file
        {"bytes=1000-1999", 1000, 1999},
        {"bytes=2999000-99999999", 2999000, n - 1}, // clamped to the end
        {"bytes=-5000", n - 5000, n - 1},
        {"bytes=0-9,10-19", 0, 19}, // adjacent ranges coalesce into one
        {"BYTES=5-6", 5, 6},
    };
    client c(srv.port());
    for (const auto& r : rows) {
        CAPTURE(r.range);
        REQUIRE(c.send(req("GET", "/big.txt", "Range: " + r.range + "\r\n")));
        const auto res = c.read_response(false, 20s);
        REQUIRE(res);
        CHECK(res->status == 206);
        CHECK(res->header("content-range") == "bytes " + std::to_string(r.first) + "-" +
                                                  std::to_string(r.last) + "/" + std::to_string(n));
        CHECK(res->body == s.big.substr(r.first, r.last - r.first + 1));
        // HEAD gets exactly the same fields.
        REQUIRE(c.send(req("HEAD", "/big.txt", "Range: " + r.range + "\r\n")));
        const auto head = c.read_response(true);
        REQUIRE(head);
        CHECK(head->status == 206);
        CHECK(head->header("content-range") == res->header("content-range"));
        CHECK(head->header("content-length") == res->header("content-length"));
    }
    for (const char* unsatisfiable : {"bytes=3000000-", "bytes=99999999-", "bytes=-0"}) {
        CAPTURE(unsatisfiable);
        REQUIRE(c.send(req("GET", "/big.txt", std::string("Range: ") + unsatisfiable + "\r\n")));
        const auto res = c.read_response();
        REQUIRE(res);
        CHECK(res->status == 416);
        CHECK(res->header("content-range") == "bytes */" + std::to_string(n));
    }
    // Malformed, other units, and several disjoint ranges: the whole file, 200 (RFC 9110 §14.2).
    for (const char* ignored :
         {"bytes=5-4", "bytes=abc", "items=0-1", "bytes=0-1,5-6", "bytes= 0-1"}) {
        CAPTURE(ignored);
        REQUIRE(c.send(req("GET", "/big.txt", std::string("Range: ") + ignored + "\r\n")));
        const auto res = c.read_response(false, 20s);
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->body.size() == n);
    }
}

TEST_CASE("static http: If-Range decides between the range and the whole file") {
    site s;
    server_for srv(s);
    const auto first = test::exchange(srv.port(), req("HEAD", "/big.txt"), true);
    REQUIRE(first);
    const std::string etag = first->header("etag").value();
    const std::string lm = first->header("last-modified").value();
    client c(srv.port());
    for (const auto& probe :
         std::vector<std::pair<std::string, int>>{{etag, 206},
                                                  {lm, 206},
                                                  {"\"stale\"", 200},
                                                  {"W/" + etag, 200},
                                                  {"Sun, 06 Nov 1994 08:49:37 GMT", 200}}) {
        // Named copies, not structured bindings: clang 14 cannot capture bindings in
        // CAPTURE's lambda.
        const std::string& if_range = probe.first;
        const int status = probe.second;
        CAPTURE(if_range);
        REQUIRE(
            c.send(req("GET", "/big.txt", "Range: bytes=0-99\r\nIf-Range: " + if_range + "\r\n")));
        const auto res = c.read_response(false, 20s);
        REQUIRE(res);
        CHECK(res->status == status);
        CHECK(res->body.size() == (status == 206 ? 100u : s.big.size()));
    }
}

TEST_CASE("static http: precompressed siblings when accepted, with Vary and their own ETag") {
    site s;
    server_for srv(s);
    client c(srv.port());
    REQUIRE(c.send(req("GET", "/page.html")));
    const auto plain = c.read_response();
    REQUIRE(c.send(req("GET", "/page.html", "Accept-Encoding: gzip, deflate\r\n")));
    const auto gz = c.read_response();
    REQUIRE(c.send(req("GET", "/page.html", "Accept-Encoding: gzip;q=0, identity\r\n")));
    const auto refused = c.read_response();
    REQUIRE(c.send(req("GET", "/page.css", "Accept-Encoding: br;q=1, gzip;q=0.5\r\n")));
    const auto br = c.read_response();
    REQUIRE(c.send(req("GET", "/img.png", "Accept-Encoding: gzip\r\n")));
    const auto png = c.read_response();
    REQUIRE(c.send(req("GET", "/page.html", "Accept-Encoding: gzip\r\nRange: bytes=0-3\r\n")));
    const auto ranged = c.read_response();
    REQUIRE(plain);
    REQUIRE(gz);
    REQUIRE(refused);
    REQUIRE(br);
    REQUIRE(png);
    REQUIRE(ranged);
    CHECK(plain->body == s.page);
    CHECK_FALSE(plain->header("content-encoding"));
    CHECK(gz->body == s.page_gz);
    CHECK(gz->header("content-encoding") == "gzip");
    CHECK(gz->header("vary") == "Accept-Encoding");
    CHECK(gz->header("content-type") == "text/html; charset=utf-8");
    CHECK(gz->header("etag") != plain->header("etag")); // a distinct representation
    CHECK(refused->body == s.page);
    CHECK(br->body == s.page_br);
    CHECK(br->header("content-encoding") == "br");
    CHECK(png->body == "\x89PNG-ish"); // images are never negotiated
    CHECK(ranged->status == 206);      // a range refers to the identity bytes
    CHECK(ranged->body == s.page.substr(0, 4));
    CHECK_FALSE(ranged->header("content-encoding"));
    // The compressed representation revalidates by its own ETag.
    REQUIRE(c.send(
        req("GET", "/page.html",
            "Accept-Encoding: gzip\r\nIf-None-Match: " + gz->header("etag").value() + "\r\n")));
    const auto again = c.read_response();
    REQUIRE(again);
    CHECK(again->status == 304);
}

TEST_CASE("static http: the spec's chunked mode serves ranges and validators too") {
    site s;
    server_for srv(s, true);
    client c(srv.port());
    REQUIRE(c.send(req("GET", "/big.txt", "Range: bytes=100-199\r\n")));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 206);
    CHECK(r->header("transfer-encoding") == "chunked");
    CHECK(r->body == s.big.substr(100, 100));
    REQUIRE(c.send(req("GET", "/big.txt", "If-None-Match: " + r->header("etag").value() + "\r\n")));
    const auto nm = c.read_response();
    REQUIRE(nm);
    CHECK(nm->status == 304);
}

TEST_CASE(
    "static http: small files come from the per-thread cache, changes show after its validity") {
    site s;
    const http::static_files files(
        {.root = s.dir.path().string(), .cache_validity = std::chrono::milliseconds(150)});
    auto get = [&](std::string_view target, std::string_view extra = {}) {
        const std::string raw = req("GET", target, extra);
        http::request r;
        REQUIRE(http::parse_request(raw, r).state == http::parse_status::complete);
        auto res = files(r);
        REQUIRE(res);
        return std::move(*res);
    };
    auto first = get("/page.html");
    CHECK(first.kind() == http::response::body_kind::shared); // from memory, nothing left open
    CHECK(first.body() == s.page);
    auto second = get("/page.html");
    CHECK(http::detail::response_access::shared(second) ==
          http::detail::response_access::shared(first)); // the same entity: no re-read
    auto ranged = get("/page.html", "Range: bytes=2-5\r\n");
    CHECK(ranged.code() == http::status::partial_content);
    CHECK(ranged.body() == s.page.substr(2, 4));
    auto nm = get("/page.html", "If-None-Match: " + std::string(*first.header("ETag")) + "\r\n");
    CHECK(nm.code() == http::status::not_modified);
    CHECK(nm.header("ETag") == first.header("ETag"));
    CHECK_FALSE(nm.header("Content-Type")); // a 304 repeats validators, not the content's type

    const std::string changed = "<p>changed, and longer than before</p>\n";
    s.write("page.html", changed);
    CHECK(get("/page.html").body() == s.page); // within the validity: the cached copy
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // let the validity lapse
    auto fresh = get("/page.html");
    CHECK(fresh.body() == changed);
    CHECK(fresh.header("ETag") != first.header("ETag"));

    // A sibling that did not exist is found once the negative entry lapses.
    s.write("plain.html.gz", "late gzip sibling");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(get("/plain.html", "Accept-Encoding: gzip\r\n").body() == "late gzip sibling");

    // Another spelling of a cached target is decoded and checked afresh, and refusals are
    // never remembered: a hot target cannot vouch for a different one.
    CHECK(get("/page%2Ehtml").body() == changed);
    CHECK(get("/x/%2e%2e/page.html").code() == http::status::forbidden);
    CHECK(get("/.page.html").code() == http::status::forbidden);
    // A file removed from disk is gone for its remembered target once the lease lapses.
    REQUIRE(::unlink((s.dir.path() / "page.html").c_str()) == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(get("/page.html").code() == http::status::not_found);

    // Large files are not cached: they go out with sendfile.
    CHECK(get("/big.txt").kind() == http::response::body_kind::file);
}

TEST_CASE("static http: a cache full of entries starts over and stays correct") {
    site s;
    for (int i = 0; i < 40; ++i)
        s.write("f" + std::to_string(i) + ".html", "file " + std::to_string(i));
    const http::static_files files({.root = s.dir.path().string(), .cache_max_entries = 8});
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 40; ++i) {
            const std::string raw = req("GET", "/f" + std::to_string(i) + ".html");
            http::request r;
            REQUIRE(http::parse_request(raw, r).state == http::parse_status::complete);
            const auto res = files(r);
            REQUIRE(res);
            CHECK(res->body() == "file " + std::to_string(i));
        }
    }
}

TEST_CASE("static http: curl -C - resumes an interrupted download byte-exactly") {
    site s;
    server_for srv(s);
    example::temp_dir out;
    const std::string partial = (out.path() / "big.txt").string();
    // An interrupted download: the first 1,234,567 bytes are on disk.
    {
        const int fd = ::open(partial.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, s.big.data(), 1'234'567) == 1'234'567);
        ::close(fd);
    }
    const std::string url = "http://127.0.0.1:" + std::to_string(srv.port()) + "/big.txt";
    const auto result =
        example::run_program({"curl", "-s", "-S", "--noproxy", "*", "--max-time", "20", "-C", "-",
                              "-o", partial, "-w", "%{http_code}", url},
                             30s);
    REQUIRE(result.status.has_value());
    CHECK(result.status->exited());
    CHECK(result.status->code() == 0);
    CHECK(result.out == "206");
    std::string got;
    const int fd = ::open(partial.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    CHECK(got.size() == s.big.size());
    CHECK(got == s.big);
}

TEST_SUITE_END();
