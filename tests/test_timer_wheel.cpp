#include <minihttp/detail/timer_wheel.hpp>

#include <minihttp/detail/http_date.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using http::detail::timer_node;
using http::detail::timer_wheel;

TEST_SUITE_BEGIN("timer wheel");

TEST_CASE("timer wheel: fires each node once, never early, at most a tick late") {
    const std::uint64_t t0 = 1'000'000;
    timer_wheel w(t0);
    std::vector<timer_node> nodes(50);
    for (std::size_t i = 0; i < nodes.size(); ++i) w.schedule(nodes[i], t0 + 37 * i + 1);
    CHECK(w.size() == nodes.size());
    std::vector<std::uint64_t> fired_at(nodes.size(), 0);
    for (std::uint64_t now = t0; now <= t0 + 3000; now += 10) {
        w.expire(now, [&](timer_node& n) {
            const auto i = static_cast<std::size_t>(&n - nodes.data());
            CHECK(fired_at[i] == 0);
            fired_at[i] = now;
        });
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        CAPTURE(i);
        const auto deadline = t0 + 37 * i + 1;
        CHECK(fired_at[i] >= deadline);
        CHECK(fired_at[i] <= deadline + timer_wheel::tick_ms + 10);
    }
    CHECK(w.size() == 0);
    CHECK(w.timeout_ms(t0 + 3000) == -1);
}

TEST_CASE("timer wheel: moving a deadline later or earlier, and cancelling") {
    const std::uint64_t t0 = 5000;
    timer_wheel w(t0);
    timer_node later, earlier, cancelled;
    w.schedule(later, t0 + 200);
    w.schedule(earlier, t0 + 5000);
    w.schedule(cancelled, t0 + 300);
    w.schedule(later, t0 + 2000);  // pushed back: lazily kept in its old slot
    w.schedule(earlier, t0 + 400); // pulled forward: moved now
    w.cancel(cancelled);
    w.cancel(cancelled); // idempotent
    std::vector<std::pair<timer_node*, std::uint64_t>> fired;
    for (std::uint64_t now = t0; now <= t0 + 6000; now += 50)
        w.expire(now, [&](timer_node& n) { fired.emplace_back(&n, now); });
    REQUIRE(fired.size() == 2);
    CHECK(fired[0].first == &earlier);
    CHECK(fired[0].second >= t0 + 400);
    CHECK(fired[0].second < t0 + 600);
    CHECK(fired[1].first == &later);
    CHECK(fired[1].second >= t0 + 2000);
    CHECK(fired[1].second < t0 + 2200);
}

TEST_CASE("timer wheel: deadlines beyond one revolution and long stalls") {
    const std::uint64_t t0 = 0;
    timer_wheel w(t0);
    timer_node far, near;
    const std::uint64_t revolution = timer_wheel::tick_ms * timer_wheel::slots;
    w.schedule(far, t0 + 3 * revolution + 50);
    w.schedule(near, t0 + 100);
    int fired_far = 0, fired_near = 0;
    auto count = [&](timer_node& n) { (&n == &far ? fired_far : fired_near)++; };
    w.expire(t0 + revolution, count); // one big jump, as after a stalled loop
    CHECK(fired_near == 1);
    CHECK(fired_far == 0);
    w.expire(t0 + 3 * revolution, count);
    CHECK(fired_far == 0);
    w.expire(t0 + 3 * revolution + 200, count);
    CHECK(fired_far == 1);
}

TEST_CASE("timer wheel: a callback may re-arm its own node") {
    timer_wheel w(0);
    timer_node n;
    int fired = 0;
    w.schedule(n, 100);
    for (std::uint64_t now = 0; now <= 1000; now += 100)
        w.expire(now, [&](timer_node& x) {
            if (++fired < 3) w.schedule(x, now + 100);
        });
    CHECK(fired == 3);
}

TEST_CASE("http date: IMF-fixdate, independent of locale (RFC 9110 §5.6.7)") {
    char buf[http::detail::http_date_size];
    http::detail::format_http_date(784111777, buf); // RFC 9110's own example instant
    CHECK(std::string_view(buf, sizeof buf) == "Sun, 06 Nov 1994 08:49:37 GMT");
    http::detail::format_http_date(0, buf);
    CHECK(std::string_view(buf, sizeof buf) == "Thu, 01 Jan 1970 00:00:00 GMT");
    http::detail::date_cache cache;
    CHECK(cache.get(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
    CHECK(cache.get(951782400).data() == cache.get(951782400).data());
}

TEST_CASE("timer wheel: a burst of deadlines is handed out in bounded batches") {
    const std::uint64_t t0 = 2'000'000;
    timer_wheel w(t0);
    std::vector<timer_node> nodes(1000);
    for (auto& n : nodes) w.schedule(n, t0 + 500); // all in one slot, as 1,000 silent clients
    std::vector<int> fired(nodes.size(), 0);
    const std::uint64_t now = t0 + 700;
    std::size_t calls = 0, total = 0;
    bool more = true;
    while (more) {
        std::size_t budget = 64;
        more = w.expire(now, budget, [&](timer_node& n) {
            ++fired[static_cast<std::size_t>(&n - nodes.data())];
        });
        const std::size_t handed = 64 - budget;
        CHECK(handed <= 64);
        total += handed;
        ++calls;
        REQUIRE(calls < 100);
    }
    CHECK(total == nodes.size());
    CHECK(calls == 16); // 1000 / 64, rounded up: the caller ran other work in between
    for (int f : fired) CHECK(f == 1);
    CHECK(w.size() == 0);
}

TEST_CASE("timer wheel: nodes re-armed during a bounded batch are neither lost nor repeated") {
    const std::uint64_t t0 = 3'000'000;
    timer_wheel w(t0);
    std::vector<timer_node> nodes(10);
    for (auto& n : nodes) w.schedule(n, t0 + 150);
    std::vector<int> fired(nodes.size(), 0);
    std::uint64_t now = t0 + 200;
    // Each node, when it fires the first time, asks to fire again 1 s later.
    auto rearm = [&](timer_node& n) {
        const auto i = static_cast<std::size_t>(&n - nodes.data());
        if (++fired[i] == 1) w.schedule(n, now + 1000);
    };
    std::size_t budget = 3;
    CHECK(w.expire(now, budget, rearm)); // 3 fired, 7 left for later
    CHECK(w.timeout_ms(now) == 0);       // the caller must come back at once
    budget = 100;
    CHECK_FALSE(w.expire(now, budget, rearm));
    for (int f : fired) CHECK(f == 1);
    CHECK(w.size() == nodes.size()); // all re-armed, none fired twice
    now += 1200;
    budget = 100;
    CHECK_FALSE(w.expire(now, budget, rearm));
    for (int f : fired) CHECK(f == 2);
    CHECK(w.size() == 0);
}

TEST_SUITE_END();
