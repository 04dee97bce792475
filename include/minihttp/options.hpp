#pragma once
/// @file
/// `http::server_options`: every limit and timeout of the engine, as runtime values.

#include <minihttp/error.hpp>
#include <minihttp/request.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN

/// One finished exchange, for an access log.
struct access_entry {
    std::string_view method;  ///< as received
    std::string_view target;  ///< as received
    unsigned version_minor;   ///< HTTP/1.x
    http::status status;      ///< what was answered
    std::uint64_t body_bytes; ///< content bytes written
    bool complete;            ///< false: the connection ended before the response did
    const endpoint& peer;     ///< the client
    /// The request's User-Agent field as received; empty if it had none.
    std::string_view user_agent = {};
    /// From the moment the request head was complete to the last byte of the response written
    /// (or the connection's end).
    std::chrono::microseconds duration{};
};

/// A request the engine answered itself with an error, before or instead of the handler.
struct refusal {
    http::status status;     ///< the status sent (400, 408, 413, 414, 431, 501, 503, 505, ...)
    std::string_view reason; ///< a short description, e.g. "obs-fold", "header timeout"
    const endpoint& peer;    ///< the client
    http::errc code{};       ///< the rule that fired (`reason` is its message)
};

/// Limits and timeouts enforced by the engine before any handler runs. Defaults follow
/// DESIGN.md's input rules; each limit's answer is given beside it. A plain aggregate, so
/// designated initialisers work: `http::server_options{.threads = 4, .max_connections = 512}`.
struct server_options {
    /// Worker threads, each with its own epoll loop; 0 means one per hardware thread.
    unsigned threads = 0;
    /// Open connections across all workers; beyond it a new connection gets 503 with
    /// `Retry-After: 5` and is closed.
    std::size_t max_connections = 10'000;
    /// Open connections from one client address (IPv4-mapped IPv6 counts as IPv4); beyond it a
    /// new connection from that address gets 503 and is closed. 0 (the default): no cap.
    /// Keeps one client from taking every slot; costs a lock per accept and close when set.
    std::size_t max_connections_per_client = 0;
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
    /// TCP_DEFER_ACCEPT on the listening socket: the kernel hands a connection to the server
    /// only once its first bytes arrive, which saves a wake-up per connection (about 40 % more
    /// `Connection: close` connections per CPU-second in bench/run). The price: a connection
    /// that sends nothing is not accepted, and so neither counted against `max_connections`
    /// nor timed by `header_timeout`, until the kernel stops deferring it (about 1 s plus
    /// SYN-ACK retransmissions). Off by default, as nginx's `deferred` and lighttpd's
    /// `server.defer-accept`.
    bool defer_accept = false;
    /// Receives the engine's error messages (handler exceptions, accept failures). Called from
    /// worker threads, possibly concurrently. Empty: messages go to stderr.
    std::function<void(std::string_view)> error_log{};
    /// Told of every error the engine answers itself (malformed input, limits, timeouts,
    /// connection cap), e.g. for a security log. Called on the worker thread; must not block.
    std::function<void(const refusal&)> on_refusal{};
    /// Told of every response a handler produced, once it is written (or abandoned), on the
    /// worker thread; must not block. Costs a copy of method and target per request when set.
    std::function<void(const access_entry&)> access_log{};
};

MINIHTTP_NAMESPACE_END
