#pragma once
/// @file
/// Names of the library's threads, as log lines show them ("Thread-3", "Pool-1").

#include <minihttp/version.hpp>

#include <string>
#include <string_view>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN

namespace detail {
inline thread_local std::string thread_name;
} // namespace detail

/// The calling thread's name: "Thread-N" for the engine's workers (N from 1), "Pool-N" for the
/// threads of `http::blocking`, or whatever `set_current_thread_name` gave; empty otherwise.
/// The view is valid until the same thread renames itself.
[[nodiscard]] inline std::string_view current_thread_name() noexcept { return detail::thread_name; }

/// Names the calling thread for log lines.
inline void set_current_thread_name(std::string name) { detail::thread_name = std::move(name); }

MINIHTTP_NAMESPACE_END
