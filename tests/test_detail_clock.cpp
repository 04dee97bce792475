// detail::monotonic_ms: the coarse monotonic clock behind every deadline. Its resolution is
// the kernel's tick (a few ms), so the comparisons below allow for that much.
#include <minihttp/detail/clock.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <thread>

using namespace std::chrono_literals;

TEST_SUITE_BEGIN("detail clock");

TEST_CASE("monotonic_ms: never goes back") {
    std::uint64_t last = http::detail::monotonic_ms();
    for (int i = 0; i < 100000; ++i) {
        const std::uint64_t now = http::detail::monotonic_ms();
        REQUIRE(now >= last);
        last = now;
    }
}

TEST_CASE("monotonic_ms: counts milliseconds, as steady_clock does") {
    // The sleep is the measured quantity here, not a wait for something.
    const auto steady0 = std::chrono::steady_clock::now();
    const std::uint64_t t0 = http::detail::monotonic_ms();
    std::this_thread::sleep_for(200ms);
    const std::uint64_t t1 = http::detail::monotonic_ms();
    const auto steady_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - steady0)
                               .count();
    const auto elapsed = static_cast<long long>(t1 - t0);
    CAPTURE(elapsed);
    CAPTURE(steady_ms);
    CHECK(elapsed >= 190); // 200 ms less one coarse tick (4 ms at HZ=250, 10 ms at HZ=100)
    CHECK(elapsed <= steady_ms + 10);
}

TEST_CASE("monotonic_ms: is CLOCK_MONOTONIC, so it agrees with steady_clock's epoch") {
    // libstdc++'s steady_clock is CLOCK_MONOTONIC: same origin, the coarse one up to a tick
    // behind. Read between two steady_clock readings, so that preemption cannot fail it.
    const auto steady_ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    };
    const long long before = steady_ms();
    const auto coarse = static_cast<long long>(http::detail::monotonic_ms());
    const long long after = steady_ms();
    CAPTURE(before);
    CAPTURE(coarse);
    CAPTURE(after);
    CHECK(coarse <= after);
    CHECK(coarse >= before - 20);
}

TEST_SUITE_END();
