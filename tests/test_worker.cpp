#include <minihttp/detail/worker.hpp> // first: proves the header is self-contained

#include <minihttp/server.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <sys/resource.h>

#include <algorithm>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// What the worker does with connections that the sans-I/O connection cannot see: bursts of
// timeouts, half-closed clients waiting for a deferred answer, the hand-over after a 101.

using namespace std::chrono_literals;
using test::client;
using test::running_server;

namespace {
std::string get(std::string_view path) {
    return "GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n\r\n";
}
} // namespace

TEST_SUITE("worker") {
    TEST_CASE("worker: a burst of header timeouts closes every silent client; the live one "
              "keeps being served") {
        rlimit lim{};
        ::getrlimit(RLIMIT_NOFILE, &lim);
        const std::size_t silent_count =
            std::min<std::size_t>(600, lim.rlim_cur > 200 ? (lim.rlim_cur - 100) / 2 : 50);
        http::server_options o;
        o.threads = 1;
        o.header_timeout = 300ms;
        o.max_requests_per_connection = 1'000'000;
        running_server srv([](const http::request&) { return http::response::text("ok"); }, o);
        std::vector<std::unique_ptr<client>> silent;
        for (std::size_t i = 0; i < silent_count; ++i)
            silent.push_back(std::make_unique<client>(srv.port()));
        client live(srv.port());
        // The live client asks again and again while the silent ones' deadlines pass together
        // (more than worker::expiries_per_turn of them, so the worker takes several turns).
        int answered = 0;
        const auto until = test::clock::now() + 1500ms;
        while (test::clock::now() < until) {
            REQUIRE(live.send(get("/")));
            const auto r = live.read_response();
            REQUIRE(r);
            CHECK(r->status == 200);
            ++answered;
        }
        CHECK(answered > 10);
        std::size_t closed = 0;
        for (auto& c : silent) closed += c->wait_closed(3s) ? 1 : 0;
        CHECK(closed == silent.size());
        for (auto& c : silent) CHECK(c->pending().empty()); // silent ones get no 408
        CHECK(test::eventually([&] { return srv.get().open_connections() == 1; }));
    }

    TEST_CASE("worker: in one batch of events, a connection already answered goes before "
              "newcomers, which are served oldest first a few dozen per turn") {
        // The worker is held in a handler while 80 new connections and then one that was
        // answered before send requests; all are ready in the next batch, newcomers first.
        constexpr int newcomer_count = 80; // more than worker::newcomers_per_turn
        std::mutex m;
        std::vector<std::string> order;
        std::promise<void> entered;
        std::promise<void> release;
        std::shared_future<void> released = release.get_future().share();
        http::server_options o;
        o.threads = 1;
        running_server srv(
            [&](const http::request& r) {
                {
                    const std::lock_guard lock(m);
                    order.emplace_back(r.target());
                }
                if (r.target() == "/block") {
                    entered.set_value();
                    released.wait();
                }
                return http::response::text("ok");
            },
            o);
        std::vector<std::unique_ptr<client>> newcomers;
        for (int i = 0; i < newcomer_count; ++i)
            newcomers.push_back(std::make_unique<client>(srv.port()));
        client proven(srv.port());
        REQUIRE(proven.send(get("/first")));
        REQUIRE(proven.read_response());
        client blocker(srv.port());
        REQUIRE(
            test::eventually([&] { return srv.get().open_connections() == newcomer_count + 2; }));
        REQUIRE(blocker.send(get("/block")));
        REQUIRE(entered.get_future().wait_for(10s) == std::future_status::ready);
        for (int i = 0; i < newcomer_count; ++i)
            REQUIRE(newcomers[i]->send(get("/new" + std::to_string(i))));
        REQUIRE(proven.send(get("/again")));
        release.set_value();
        for (auto& c : newcomers) CHECK(c->read_response());
        CHECK(proven.read_response());
        CHECK(blocker.read_response());
        const std::lock_guard lock(m);
        REQUIRE(order.size() == newcomer_count + 3);
        CHECK(order[0] == "/first");
        CHECK(order[1] == "/block");
        CHECK(order[2] == "/again");
        for (int i = 0; i < newcomer_count; ++i)
            CHECK(order[static_cast<std::size_t>(i) + 3] == "/new" + std::to_string(i));
    }

    TEST_CASE("worker: a client that half-closes after its request still gets the deferred "
              "answer") {
        http::blocking slow([](const http::request& r) {
            return http::response::text("done " + std::string(r.body()));
        });
        running_server srv(std::move(slow));
        client c(srv.port());
        REQUIRE(c.send("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\ndata"));
        c.shutdown_write(); // like `curl --data ... | ` or nc -q: the answer is still wanted
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body == "done data");
        CHECK(c.wait_closed());
    }

    TEST_CASE("worker: after a 101 the socket and the bytes read so far go to the taker") {
        std::mutex m;
        std::string unread;
        auto handler = [&](const http::request&) {
            http::response r(http::status{101});
            r.add_header("Upgrade", "echo-protocol");
            http::detail::response_access::set_upgrade(r, [&](http::detail::handover&& h) {
                {
                    std::lock_guard lock(m);
                    unread = h.unread;
                }
                const std::string hello = "hello from the new protocol: " + h.unread;
                (void)!::write(h.socket.get(), hello.data(), hello.size());
                // h.socket closes here: the new protocol owns it
            });
            return r;
        };
        running_server srv(handler);
        client c(srv.port());
        REQUIRE(c.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: echo-protocol\r\n"
                       "Connection: upgrade\r\n\r\nEARLY"));
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->status == 101);
        CHECK(r->header("connection") == "upgrade");
        CHECK(r->header("upgrade") == "echo-protocol");
        CHECK(r->header("content-length") == std::nullopt);
        CHECK(c.wait_closed());
        CHECK(c.pending() == "hello from the new protocol: EARLY");
        std::lock_guard lock(m);
        CHECK(unread == "EARLY");
        CHECK(test::eventually([&] { return srv.get().open_connections() == 0; }));
    }
}
