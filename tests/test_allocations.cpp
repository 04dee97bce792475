// The hot path allocates nothing per request: a counting global operator new watches a server
// answer thousands of keep-alive and pipelined requests after a warm-up. The client side of the
// measured window is raw send/recv into fixed buffers, so every counted allocation is the
// server's.
#include <minihttp.hpp>

#include "example/process.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

namespace {

std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

void* counted_alloc(std::size_t n) {
    if (counting.load(std::memory_order_relaxed))
        allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n == 0 ? 1 : n);
}

} // namespace

// Replacements of the global allocation functions (the aligned forms keep the library's own,
// which pair among themselves). Counting is off except inside a measured window. gcc sees
// free() on memory from operator new once the replacement is inlined: they pair here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

// Sends `request` `rounds` times (`per_send` copies in each send) and reads back exactly
// `response_size` bytes per copy, allocating nothing itself. Returns the allocations counted
// meanwhile, or -1 if the exchange broke down.
long count_allocations(int fd, const std::string& request, std::size_t response_size, int rounds,
                       int per_send = 1) {
    static char in[1 << 16];
    std::string batch;
    for (int i = 0; i < per_send; ++i) batch += request;
    const std::size_t expect = response_size * static_cast<std::size_t>(per_send);
    allocations = 0;
    counting = true;
    for (int r = 0; r < rounds; ++r) {
        if (::send(fd, batch.data(), batch.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(batch.size())) {
            counting = false;
            return -1;
        }
        std::size_t got = 0;
        while (got < expect) {
            const ssize_t n = ::recv(fd, in, sizeof in, 0);
            if (n <= 0) {
                counting = false;
                return -1;
            }
            got += static_cast<std::size_t>(n);
        }
        if (got != expect) {
            counting = false;
            return -1;
        }
    }
    counting = false;
    return allocations.load();
}

std::string get(std::string_view target, std::uint16_t port) {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nUser-Agent: alloc-test\r\nAccept: */*\r\n\r\n";
}

using handler_fn = std::function<http::response(const http::request&)>;

// The example server's composition, minus the upload route and logging: Host check, then
// static files from the per-thread cache.
struct file_site {
    example::temp_dir dir;
    http::chain<http::security, http::static_files> app;
    test::running_server<handler_fn> srv;
    file_site()
        : app(http::security({}), http::static_files({.root = dir.path().string()})),
          srv([this](const http::request& r) { return app(r); },
              {.threads = 1, .max_requests_per_connection = 1 << 20}) {
        const std::string path = dir.path() / "1k.html";
        const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        REQUIRE(fd >= 0);
        const std::string content(1024, 'x');
        REQUIRE(::write(fd, content.data(), content.size()) == 1024);
        ::close(fd);
    }
};

// Measures one kind of request: a warm-up response with the test client (which allocates),
// then the counted rounds on the same connection.
long allocations_for(std::uint16_t port, const std::string& request, int rounds, int per_send,
                     int expect_status) {
    test::client c(port);
    std::size_t size = 0;
    std::string batch;
    for (int i = 0; i < per_send; ++i) batch += request;
    for (int i = 0; i < 3; ++i) { // warm-up: buffers at batch size, the file and Date caches
        REQUIRE(c.send(batch));
        for (int k = 0; k < per_send; ++k) {
            const auto r = c.read_response();
            REQUIRE(r);
            REQUIRE(r->status == expect_status);
            size = r->raw_head.size() + r->body.size();
        }
    }
    REQUIRE(c.pending().empty());
    return count_allocations(c.fd(), request, size, rounds, per_send);
}

} // namespace

TEST_SUITE_BEGIN("allocations");

TEST_CASE("allocations: a cached 1 KiB file over keep-alive allocates nothing per request") {
    file_site s;
    const long n = allocations_for(s.srv.port(), get("/1k.html", s.srv.port()), 2000, 1, 200);
    MESSAGE("allocations in 2000 requests: " << n);
    CHECK(n == 0);
}

TEST_CASE("allocations: 16 pipelined requests per segment allocate nothing") {
    file_site s;
    const long n = allocations_for(s.srv.port(), get("/1k.html", s.srv.port()), 200, 16, 200);
    MESSAGE("allocations in 3200 pipelined requests: " << n);
    CHECK(n == 0);
}

TEST_CASE("allocations: a 404 and a 304 allocate nothing per request") {
    file_site s;
    const auto port = s.srv.port();
    CHECK(allocations_for(port, get("/missing.html", port), 1000, 1, 404) == 0);
    const auto first = test::exchange(port, get("/1k.html", port));
    REQUIRE(first);
    const std::string etag = first->header("etag").value();
    std::string conditional = get("/1k.html", port);
    conditional.insert(conditional.size() - 2, "If-None-Match: " + etag + "\r\n");
    CHECK(allocations_for(port, conditional, 1000, 1, 304) == 0);
}

TEST_CASE("allocations: a short text response allocates nothing per request") {
    test::running_server<http::response (*)(const http::request&)> srv(
        [](const http::request&) { return http::response::text("Hello, World!"); },
        {.threads = 1, .max_requests_per_connection = 1 << 20});
    const long n = allocations_for(srv.port(), get("/", srv.port()), 2000, 1, 200);
    MESSAGE("allocations in 2000 hello requests: " << n);
    CHECK(n == 0);
}

TEST_CASE("allocations: the counter sees an allocation (the test can fail)") {
    // A handler that allocates on every request must be counted, or the zeros above prove
    // nothing.
    test::running_server<http::response (*)(const http::request&)> srv(
        [](const http::request&) {
            return http::response::text(std::string(100, 'a')); // beyond any small-string buffer
        },
        {.threads = 1, .max_requests_per_connection = 1 << 20});
    const long n = allocations_for(srv.port(), get("/", srv.port()), 100, 1, 200);
    CHECK(n >= 100);
}
