#pragma once
/// @file
/// `http::server_options`: every limit and timeout of the engine, as runtime values.

#include <minihttp/version.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN

/// Limits and timeouts enforced by the engine before any handler runs. Defaults follow
/// DESIGN.md's input rules; each limit's answer is given beside it. A plain aggregate, so
/// designated initialisers work: `http::server_options{.threads = 4, .max_connections = 512}`.
struct server_options {
    /// Worker threads, each with its own epoll loop; 0 means one per hardware thread.
    unsigned threads = 0;
    /// Open connections across all workers; beyond it a new connection gets 503 with
    /// `Retry-After: 5` and is closed.
    std::size_t max_connections = 10'000;
    /// Requests served on one connection; the last response carries `Connection: close`.
    std::size_t max_requests_per_connection = 100;
    /// Bytes of the request line (without CRLF); beyond it: 414.
    std::size_t max_request_line = 8192;
    /// Bytes of the header section (field lines and their CRLFs); beyond it: 431.
    std::size_t max_header_bytes = 8192;
    /// Number of header fields; beyond it: 431.
    std::size_t max_header_fields = 100;
    /// Bytes of request content (after chunked decoding); beyond it: 413.
    std::size_t max_body_bytes = 1 << 20;
    /// Time from the first byte of a request (or from accept) to its complete head: 408.
    std::chrono::milliseconds header_timeout{10'000};
    /// Grace period for receiving a body; each `min_body_rate` bytes received extend it by one
    /// second (Apache mod_reqtimeout's model). A body slower than that: 408.
    std::chrono::milliseconds body_timeout{10'000};
    /// Minimum sustained body rate in bytes per second; 0 disables the rate extension.
    std::size_t min_body_rate = 1024;
    /// Idle time allowed between requests on a kept-alive connection; then closed silently.
    std::chrono::milliseconds keep_alive_timeout{30'000};
    /// Time a response may make no progress because the client does not read; then closed.
    std::chrono::milliseconds write_timeout{30'000};
    /// After `stop()`: how long in-flight requests may take to finish before being cut.
    std::chrono::milliseconds shutdown_timeout{5'000};
    /// After an error response: how long unread input is drained so the client sees the
    /// response instead of a reset (lingering close).
    std::chrono::milliseconds linger_timeout{2'000};
    /// Listen queue length passed to listen(2) (the kernel caps it at somaxconn).
    int backlog = 4096;
    /// One listening socket per worker with SO_REUSEPORT (kernel load balancing) instead of
    /// one shared socket with EPOLLEXCLUSIVE. Off by default: see docs/architecture.md.
    bool reuse_port = false;
    /// Receives the engine's error messages (handler exceptions, accept failures). Called from
    /// worker threads, possibly concurrently. Empty: messages go to stderr.
    std::function<void(std::string_view)> error_log{};
};

MINIHTTP_NAMESPACE_END
