#pragma once
/// @file
/// `http::server<Handler>`: the typed front of the engine.

#include <minihttp/detail/engine.hpp>
#include <minihttp/handler.hpp>
#include <minihttp/options.hpp>
#include <minihttp/version.hpp>

#include <signal.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string_view>
#include <system_error>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN

/// An HTTP/1.1 server running `Handler` on `options.threads` event-loop workers.
///
/// Usage: construct, `listen()`, then `run()` (blocks until `stop()`). Single use: after `run()`
/// returned, destroy it. The handler is called concurrently from every worker through a const
/// reference and must not block (wrap blocking work in `http::blocking`). The server must
/// outlive `run()`.
template <handler Handler>
class server {
  public:
    explicit server(Handler h, server_options options = {})
        : handler_(std::move(h)), engine_(std::move(options), {&handler_, &call}) {}
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds and listens on `host` ("127.0.0.1", "::1", "[::1]", "localhost", "0.0.0.0", or ""
    /// for all interfaces) and `port` (0: any free port; see `port()`). Returns the error
    /// instead of throwing (EADDRINUSE, EACCES, an unresolvable host, ...). Call once, before
    /// run().
    std::error_code listen(std::string_view host, std::uint16_t port) {
        return engine_.listen(host, port);
    }
    /// The port actually bound (useful after listening on port 0).
    [[nodiscard]] std::uint16_t port() const noexcept { return engine_.port(); }
    /// Runs the workers on new threads and blocks until `stop()` and the drain are done.
    /// Throws std::system_error only if threads cannot be created.
    void run() { engine_.run(); }
    /// Asks the server to stop: stops accepting, closes idle connections, lets in-flight
    /// exchanges finish within `shutdown_timeout`, then `run()` returns. Safe from any thread
    /// and from a signal handler (an atomic store and an eventfd write), any number of times.
    void stop() noexcept { engine_.stop(); }
    /// Open connections now (approximate; for monitoring).
    [[nodiscard]] std::size_t open_connections() const noexcept {
        return engine_.open_connections();
    }
    /// The options in effect (`threads` resolved).
    [[nodiscard]] const server_options& options() const noexcept { return engine_.options(); }

  private:
    static response call(const void* h, const request& r) {
        return std::invoke(*static_cast<const Handler*>(h), r);
    }

    Handler handler_;
    detail::engine engine_;
};

namespace detail {
// The one server a signal stops: a type-erased pointer plus the function that stops it. Both
// are lock-free atomics, so the handler stays async-signal-safe.
inline std::atomic<void*> signal_target{nullptr};
inline std::atomic<void (*)(void*)> signal_stop{nullptr};
inline void on_stop_signal(int) noexcept {
    const auto stop = signal_stop.load();
    if (void* t = signal_target.load(); t != nullptr && stop != nullptr) stop(t);
}
} // namespace detail

/// Makes the given signals (default SIGINT and SIGTERM) call `srv.stop()`: Ctrl+C then drains
/// and `run()` returns. One server per process is the target; a later call retargets.
/// Returns false if sigaction fails. Call from the main thread before `run()`.
template <class Server>
bool stop_on_signals(Server& srv, std::initializer_list<int> signals = {SIGINT, SIGTERM}) {
    detail::signal_stop.store([](void* p) { static_cast<Server*>(p)->stop(); });
    detail::signal_target.store(&srv);
    struct sigaction sa {};
    sa.sa_handler = &detail::on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    bool ok = true;
    for (int s : signals) ok = ::sigaction(s, &sa, nullptr) == 0 && ok;
    return ok;
}

MINIHTTP_NAMESPACE_END
