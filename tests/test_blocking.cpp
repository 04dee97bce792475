// http::blocking, task_pool, deferred responses, and the engine's completion hooks.
#include <minihttp/blocking.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using test::client;
using test::running_server;

namespace {

// A gate the test opens; handlers wait on it (bounded, so a failing test cannot hang).
class gate {
  public:
    void open() {
        {
            std::lock_guard lock(m_);
            open_ = true;
        }
        cv_.notify_all();
    }
    bool wait(std::chrono::milliseconds limit = 10s) {
        std::unique_lock lock(m_);
        ++waiting_;
        cv_.notify_all();
        return cv_.wait_for(lock, limit, [this] { return open_; });
    }
    bool wait_for_waiters(int n, std::chrono::milliseconds limit = 10s) {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, limit, [&] { return waiting_ >= n; });
    }

  private:
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = false;
    int waiting_ = 0;
};

std::string get(std::string_view target, std::string_view extra = {}) {
    std::string r = "GET ";
    r.append(target).append(" HTTP/1.1\r\nHost: localhost\r\n").append(extra).append("\r\n");
    return r;
}

// A layer answering /slow after the gate opens; it tells blocking which requests it takes.
struct slow_layer {
    gate* g;
    bool accepts(const http::request& r) const { return r.path().starts_with("/slow"); }
    std::optional<http::response> operator()(const http::request& r) const {
        g->wait();
        auto res = http::response::text(std::string(r.path()) + " on " +
                                        std::string(http::current_thread_name()));
        return res;
    }
    http::method_set allowed_methods(const http::request& r) const {
        return r.path().starts_with("/slow") ? http::method_set{http::method::get}
                                             : http::method_set{};
    }
};
static_assert(http::filtering_layer<slow_layer>);

auto fast_route() {
    return http::route({http::method::get}, "/fast", [](const http::request&) {
        return http::response::text("fast on " + std::string(http::current_thread_name()));
    });
}

} // namespace

TEST_SUITE_BEGIN("blocking");

TEST_CASE("task_pool: runs tasks, refuses beyond its queue, reports its load") {
    gate g;
    std::mutex m;
    std::vector<http::pool_load> loads;
    std::atomic<int> ran{0};
    {
        http::task_pool pool(1, 2, [&](const http::pool_load& l) {
            std::lock_guard lock(m);
            loads.push_back(l);
        });
        auto blocker = [&] {
            g.wait();
            ++ran;
        };
        auto quick = [&] { ++ran; };
        REQUIRE(pool.try_submit(blocker));
        REQUIRE(g.wait_for_waiters(1));
        auto q1 = quick, q2 = quick, q3 = quick;
        CHECK(pool.try_submit(q1));
        CHECK(pool.try_submit(q2));
        CHECK_FALSE(pool.try_submit(q3)); // 1 running, 2 queued: full
        const auto l = pool.load();
        CHECK(l.active == 1);
        CHECK(l.queued == 2);
        CHECK(l.threads == 1);
        CHECK(l.queue_capacity == 2);
        g.open();
    } // destruction runs what is queued, then joins
    CHECK(ran.load() == 3);
    std::lock_guard lock(m);
    REQUIRE(!loads.empty());
    CHECK(loads.back().active == 0);
    CHECK(loads.back().queued == 0);
}

TEST_CASE("blocking: the worker keeps serving while a blocking handler waits") {
    gate g;
    http::chain app{http::blocking(slow_layer{&g}, {.threads = 2, .queue = 4}), fast_route()};
    running_server srv(std::move(app), {.threads = 1});
    client slow(srv.port());
    REQUIRE(slow.send(get("/slow")));
    REQUIRE(g.wait_for_waiters(1));
    // The only worker is free: another client is answered while /slow is still blocked.
    const auto fast = test::exchange(srv.port(), get("/fast"));
    REQUIRE(fast);
    CHECK(fast->body == "fast on Thread-1");
    CHECK_FALSE(slow.read_until([](const std::string& b) { return !b.empty(); }, 100ms));
    g.open();
    const auto r = slow.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.starts_with("/slow on Pool-"));
}

TEST_CASE("blocking: pipelined requests behind a deferred one are answered in order") {
    gate g;
    g.open();
    http::chain app{http::blocking(slow_layer{&g}, {.threads = 3}), fast_route()};
    running_server srv(std::move(app), {.threads = 1});
    client c(srv.port());
    REQUIRE(c.send(get("/slow/1") + get("/fast") + get("/slow/2") + get("/slow/3") + get("/fast")));
    const char* expected[] = {"/slow/1", "fast", "/slow/2", "/slow/3", "fast"};
    for (const char* e : expected) {
        CAPTURE(e);
        const auto r = c.read_response();
        REQUIRE(r);
        CHECK(r->body.starts_with(e));
    }
}

TEST_CASE("blocking: a full queue answers 503 with Retry-After: 5") {
    gate g;
    http::chain app{http::blocking(slow_layer{&g}, {.threads = 1, .queue = 1})};
    running_server srv(std::move(app), {.threads = 1});
    client first(srv.port()), second(srv.port()), third(srv.port());
    REQUIRE(first.send(get("/slow/a")));
    REQUIRE(g.wait_for_waiters(1)); // running
    REQUIRE(second.send(get("/slow/b")));
    // second is queued once the worker has read it; third then finds the queue full.
    bool refused = false;
    for (int i = 0; i < 200 && !refused; ++i) {
        client probe(srv.port());
        REQUIRE(probe.send(get("/slow/c")));
        const auto r = probe.read_response(false, 200ms);
        if (r && r->status == 503) {
            refused = true;
            CHECK(r->header("retry-after") == "5");
        }
    }
    CHECK(refused);
    g.open();
    const auto ra = first.read_response();
    const auto rb = second.read_response();
    REQUIRE(ra);
    REQUIRE(rb);
    CHECK(ra->status == 200);
    CHECK(rb->status == 200);
}

TEST_CASE("blocking: a client gone while its request is in the pool does not disturb the server") {
    gate g;
    std::atomic<int> sent{0};
    http::chain app{http::blocking(slow_layer{&g}, {.threads = 1}), fast_route()};
    auto opts = http::server_options{.threads = 1};
    opts.access_log = [&](const http::access_entry& e) {
        if (e.target == "/slow" && !e.complete) ++sent;
    };
    running_server srv(std::move(app), opts);
    {
        client c(srv.port());
        REQUIRE(c.send(get("/slow")));
        REQUIRE(g.wait_for_waiters(1));
    } // closed with the handler still running
    const auto fast = test::exchange(srv.port(), get("/fast"));
    REQUIRE(fast);
    CHECK(fast->status == 200);
    g.open();
    const auto again = test::exchange(srv.port(), get("/slow"));
    REQUIRE(again);
    CHECK(again->status == 200);
    CHECK(srv.stop() < 2000ms);
}

TEST_CASE("blocking: stop() waits for a request in the pool and delivers its answer") {
    gate g;
    http::chain app{http::blocking(slow_layer{&g}, {.threads = 1})};
    running_server srv(std::move(app), {.threads = 1, .shutdown_timeout = 5000ms});
    client c(srv.port());
    REQUIRE(c.send(get("/slow")));
    REQUIRE(g.wait_for_waiters(1));
    std::thread stopper([&] { srv.stop(); });
    std::this_thread::sleep_for(50ms); // stop() is under way, the handler still blocked
    g.open();
    const auto r = c.read_response();
    stopper.join();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("connection") == "close");
}

TEST_CASE(
    "deferred: a responder dropped without an answer gives 500; one sent from a thread works") {
    std::vector<std::thread> threads;
    std::mutex m;
    auto handler = [&](const http::request& r) {
        if (r.path() == "/drop") return http::response::defer([](http::responder) {});
        return http::response::defer([&](http::responder out) {
            std::lock_guard lock(m);
            threads.emplace_back([o = std::move(out)]() mutable {
                o.send(http::response::text("from another thread"));
                o.send(http::response::text("ignored: only the first send counts"));
            });
        });
    };
    {
        running_server srv(handler, {.threads = 1});
        client c(srv.port());
        REQUIRE(c.send(get("/drop") + get("/thread")));
        const auto r1 = c.read_response();
        REQUIRE(r1);
        CHECK(r1->status == 500);
        const auto r2 = c.read_response();
        REQUIRE(r2);
        CHECK(r2->body == "from another thread");
    }
    for (auto& t : threads) t.join();
}

TEST_CASE("hooks: on_sent, access_log, on_refusal and local() report what happened") {
    std::mutex m;
    std::vector<std::string> events;
    auto record = [&](std::string e) {
        std::lock_guard lock(m);
        events.push_back(std::move(e));
    };
    std::uint16_t seen_port = 0;
    auto handler = [&](const http::request& r) {
        seen_port = r.local().port();
        auto res = http::response::text(std::string(1000, 'x'));
        res.on_sent([&](const http::delivery& d) {
            record("sent " + std::to_string(d.body_bytes) + (d.complete ? " complete" : " cut"));
        });
        return res;
    };
    auto opts = http::server_options{.threads = 1};
    opts.access_log = [&](const http::access_entry& e) {
        record("access " + std::string(e.method) + " " + std::string(e.target) + " " +
               std::to_string(http::to_int(e.status)) + " " + std::to_string(e.body_bytes));
    };
    opts.on_refusal = [&](const http::refusal& f) {
        record("refused " + std::to_string(http::to_int(f.status)) + " " + std::string(f.reason));
    };
    running_server srv(handler, opts);
    client c(srv.port());
    REQUIRE(c.send(get("/a") + "HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n"));
    REQUIRE(c.read_response());
    REQUIRE(c.read_response(true));
    CHECK(seen_port == srv.port());
    const auto bad =
        test::exchange(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\nBad Field: 1\r\n\r\n");
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK(srv.stop() < 2000ms);
    std::lock_guard lock(m);
    const std::vector<std::string> expected = {
        "sent 1000 complete", "access GET /a 200 1000", "sent 0 complete", "access HEAD /b 200 0",
        "refused 400 invalid field name or whitespace before colon"};
    CHECK(events == expected);
}

TEST_SUITE_END();
