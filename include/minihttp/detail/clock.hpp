#pragma once
/// @file
/// The one monotonic clock of the library's deadlines and caches.

#include <minihttp/version.hpp>

#include <time.h>

#include <cstdint>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Monotonic milliseconds from the coarse clock (vDSO, no system call, a few ms of
/// resolution): timeouts and cache leases need no better. Thread-safe.
[[nodiscard]] inline std::uint64_t monotonic_ms() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000u +
           static_cast<std::uint64_t>(ts.tv_nsec) / 1'000'000u;
}

/// Monotonic microseconds from the precise clock (vDSO, about 20 ns): what a request took, for
/// the access log. Thread-safe.
[[nodiscard]] inline std::uint64_t monotonic_us() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
           static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

} // namespace detail
MINIHTTP_NAMESPACE_END
