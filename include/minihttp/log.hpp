#pragma once
/// @file
/// `http::log_to`: one log message built from parts without allocating, for the policies'
/// `std::function<void(std::string_view)>` sinks. Apart from `logger.hpp`, which owns a
/// thread: a policy that only formats messages needs none of that.

#include <minihttp/version.hpp>

#include <charconv>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN

namespace detail {
inline void append_log_part(std::string& out, std::string_view part) { out.append(part); }
inline void append_log_part(std::string& out, char part) { out.push_back(part); }
template <class Int>
requires std::is_integral_v<Int> &&(!std::is_same_v<Int, char>)&&(
    !std::is_same_v<Int, bool>)inline void append_log_part(std::string& out, Int part) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, part);
    out.append(digits, r.ptr);
}
} // namespace detail

/// Hands `sink` one message made of `parts` (strings, characters and integers, concatenated),
/// built in a buffer this thread reuses: a policy logging on every request allocates nothing
/// once warm, where `"a" + std::string(b) + ...` would allocate several times per line. Does
/// nothing if `sink` is empty. The view passed to `sink` is valid only during the call.
/// Thread-safety: as `sink`; re-entrant (a sink that logs again gets a buffer of its own).
template <class... Parts>
void log_to(const std::function<void(std::string_view)>& sink, const Parts&... parts) {
    if (!sink) return;
    thread_local std::string reused;
    thread_local bool busy = false;
    std::string own;
    std::string& line = busy ? own : reused;
    line.clear();
    (detail::append_log_part(line, parts), ...);
    const bool was_busy = std::exchange(busy, true);
    struct release {
        bool& flag;
        bool previous;
        ~release() { flag = previous; }
    } guard{busy, was_busy};
    sink(line);
}

MINIHTTP_NAMESPACE_END
