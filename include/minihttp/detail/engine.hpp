#pragma once
/// @file
/// The engine: the listening sockets and the workers (detail/worker.hpp), one epoll loop per
/// thread. Not a template (DESIGN.md §9): the handler is reached through one function pointer,
/// so the whole engine is compiled once and testable on its own; `http::server<H>` is a thin
/// typed shell around it.
///
/// The layers below it, each in its own header: detail/connection.hpp (the HTTP/1.1 state
/// machine, sans I/O), detail/body_reader.hpp (request content framing), detail/output_queue.hpp
/// (response segments), detail/transport.hpp (the socket seam), detail/worker.hpp (the loop).

#include <minihttp/detail/connection.hpp>
#include <minihttp/detail/fd.hpp>
#include <minihttp/detail/socket.hpp>
#include <minihttp/detail/worker.hpp>
#include <minihttp/options.hpp>
#include <minihttp/request.hpp>
#include <minihttp/version.hpp>

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Owns the listening sockets and the workers. `server<H>` forwards to it.
class engine {
  public:
    /// `handler.object` must outlive the engine; it is called from every worker at once.
    engine(server_options opts, erased_handler handler) {
        connection_config& cfg = shared_.cfg;
        cfg.opts = std::move(opts);
        if (cfg.opts.threads == 0)
            cfg.opts.threads = std::max(1u, std::thread::hardware_concurrency());
        cfg.handler = handler.object;
        cfg.dispatch = handler.dispatch;
        cfg.apply_limits();
    }
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    std::error_code listen(std::string_view host, std::uint16_t port) {
        if (!workers_.empty()) return std::make_error_code(std::errc::already_connected);
        const unsigned n = shared_.cfg.opts.threads;
        std::error_code ec =
            open_listeners(host, port, n, shared_.cfg.opts.reuse_port, shared_.cfg.opts.backlog,
                           listeners_, port_, shared_.cfg.opts.defer_accept);
        if (ec) return ec;
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (::getsockname(listeners_[0].get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0)
            shared_.cfg.local = endpoint(addr);
        // A connection's socket, and perhaps a file it sends; the workers' own descriptors and
        // the application's come on top.
        const std::size_t per_conn = 2, own = 64 + 4 * std::size_t{n};
        const std::size_t max_conn =
            std::min(shared_.cfg.opts.max_connections, std::size_t{1} << 20);
        reserve_descriptor_table(listeners_[0].get(), per_conn * max_conn + own);
        try {
            for (unsigned i = 0; i < n; ++i) {
                const bool own = shared_.cfg.opts.reuse_port;
                workers_.push_back(
                    std::make_unique<worker>(shared_, i, listeners_[own ? i : 0].get(), own));
            }
        } catch (const std::system_error& e) {
            workers_.clear();
            listeners_.clear();
            return e.code();
        }
        return {};
    }

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] const server_options& options() const noexcept { return shared_.cfg.opts; }
    [[nodiscard]] std::size_t open_connections() const noexcept {
        return shared_.open_connections.load(std::memory_order_relaxed);
    }

    void run() {
        if (workers_.empty()) return;
        // Workers block SIGPIPE (threads inherit the creator's mask): see
        // clear_pending_sigpipe() in detail/transport.hpp.
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &block, &old);
        std::vector<std::thread> threads;
        std::exception_ptr failure;
        try {
            threads.reserve(workers_.size());
            for (auto& w : workers_) threads.emplace_back([p = w.get()] { p->run(); });
        } catch (...) {
            failure = std::current_exception();
            stop();
        }
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
        for (auto& t : threads) t.join();
        listeners_.clear();
        if (failure) std::rethrow_exception(failure);
    }

    void stop() noexcept {
        shared_.cfg.stopping.store(true, std::memory_order_release);
        for (const auto& w : workers_) w->wake();
    }

  private:
    engine_shared shared_;
    std::vector<unique_fd> listeners_;
    std::vector<std::unique_ptr<worker>> workers_;
    std::uint16_t port_ = 0;
};

} // namespace detail
MINIHTTP_NAMESPACE_END
