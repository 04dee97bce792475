// detail::engine, under the typed server<H>: a handler reached only through a type-erased
// pointer and a dispatch function, the life cycle listen / run / stop, and the per-client
// connection count (client_table: test_client_table.cpp). The HTTP behaviour itself is tested
// through http::server in test_server.cpp, test_rfc.cpp and test_abuse.cpp.
#include <minihttp/detail/engine.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <ostream> // doctest prints an error_code through operator<<
#include <string>
#include <system_error>
#include <thread>

using namespace std::chrono_literals;

namespace {

struct counting_handler {
    std::string greeting;
    mutable std::atomic<int> calls{0};
};

http::response dispatch(const void* h, const http::request& r) {
    const auto* self = static_cast<const counting_handler*>(h);
    ++self->calls;
    return http::response::text(self->greeting + " " + std::string(r.target()));
}

/// An engine running in a background thread, stopped and joined on destruction.
struct running_engine {
    http::detail::engine engine;
    std::thread thread;
    running_engine(http::server_options o, const counting_handler& h)
        : engine(std::move(o), {&h, &dispatch}) {
        REQUIRE_FALSE(engine.listen("127.0.0.1", 0));
        thread = std::thread([this] { engine.run(); });
    }
    ~running_engine() {
        engine.stop();
        thread.join();
    }
    running_engine(const running_engine&) = delete;
    running_engine& operator=(const running_engine&) = delete;
};

} // namespace

TEST_SUITE_BEGIN("detail engine");

TEST_CASE("engine: calls dispatch with the handler pointer it was given") {
    const counting_handler h{"hello from"};
    running_engine e({.threads = 2}, h);
    for (int i = 0; i < 3; ++i) {
        const auto r = test::exchange(e.engine.port(),
                                      "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body == "hello from /x");
    }
    CHECK(h.calls.load() == 3);
}

TEST_CASE("engine: threads 0 means one worker per hardware thread; other options kept") {
    const counting_handler h{"hi"};
    const http::detail::engine e({.threads = 0, .max_connections = 7}, {&h, &dispatch});
    CHECK(e.options().threads == std::max(1u, std::thread::hardware_concurrency()));
    CHECK(e.options().max_connections == 7);
    CHECK(e.port() == 0); // nothing bound yet
    CHECK(e.open_connections() == 0);
}

TEST_CASE("engine: listen once; run without listen returns at once") {
    const counting_handler h{"hi"};
    http::detail::engine idle({.threads = 1}, {&h, &dispatch});
    idle.run(); // returns: no workers, nothing to wait for
    http::detail::engine e({.threads = 1}, {&h, &dispatch});
    REQUIRE_FALSE(e.listen("127.0.0.1", 0));
    const auto first_port = e.port();
    CHECK(first_port != 0);
    CHECK(e.listen("127.0.0.1", 0) == std::errc::already_connected);
    CHECK(e.port() == first_port);
}

TEST_CASE("engine: listen reserves descriptors for max_connections (no growth while accepting)") {
    const counting_handler h{"hi"};
    rlimit rl{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &rl) == 0);
    const std::size_t limit = rl.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : rl.rlim_cur;
    const std::size_t want = std::min<std::size_t>(limit, 2 * 3000);
    const auto [before, after] = test::descriptor_table_around([&h] {
        http::detail::engine e({.threads = 1, .max_connections = 3000}, {&h, &dispatch});
        if (e.listen("127.0.0.1", 0)) ::_exit(2);
    });
    CHECK(before < want);
    CHECK(after >= want);
}

TEST_SUITE_END();
