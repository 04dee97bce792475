#pragma once
/// @file
/// `http::blocking<H>`: runs a handler or layer that blocks (disk fsync, a database) on a
/// bounded pool of threads, so that the event-loop workers never wait (DESIGN.md §4). A full
/// queue answers 503 with `Retry-After: 5` at once.

#include <minihttp/handler.hpp>
#include <minihttp/request.hpp>
#include <minihttp/response.hpp>
#include <minihttp/thread_name.hpp>
#include <minihttp/version.hpp>

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN

/// The load of a pool: threads running a task and tasks waiting.
struct pool_load {
    unsigned active = 0;            ///< threads running a task
    unsigned threads = 0;           ///< threads in the pool
    std::size_t queued = 0;         ///< tasks waiting for a thread
    std::size_t queue_capacity = 0; ///< waiting tasks allowed; one more is refused
};

/// Settings of a blocking pool. The defaults are the spec's: 10 threads, a queue of 50.
struct blocking_options {
    unsigned threads = 10;
    std::size_t queue = 50;
    /// Told whenever `active` or `queued` changes, from whichever thread changed it (a worker
    /// or a pool thread), under the pool's lock so that reports keep their order: it must be
    /// quick and must not call into the pool. E.g. for a load indicator.
    std::function<void(const pool_load&)> on_load{};
    /// Pool threads are named prefix + index from 1 (see `current_thread_name`).
    std::string thread_name_prefix = "Pool-";
    /// Receives exceptions thrown by the wrapped handler (which are answered with 500).
    /// Empty: stderr.
    std::function<void(std::string_view)> error_log{};
};

/// A fixed set of threads taking tasks from a bounded FIFO queue.
///
/// Thread-safety: `try_submit` and `load` may be called from any thread. Destruction runs the
/// tasks still queued, then joins the threads (nothing accepted is dropped).
class task_pool {
  public:
    task_pool(unsigned threads, std::size_t capacity,
              std::function<void(const pool_load&)> on_load = {}, std::string prefix = "Pool-")
        : capacity_(capacity), threads_count_(threads == 0 ? 1 : threads),
          on_load_(std::move(on_load)) {
        threads_.reserve(threads_count_);
        try {
            for (unsigned i = 0; i < threads_count_; ++i)
                threads_.emplace_back([this, name = prefix + std::to_string(i + 1)] {
                    set_current_thread_name(name);
                    work();
                });
        } catch (...) {
            shutdown();
            throw;
        }
    }
    task_pool(const task_pool&) = delete;
    task_pool& operator=(const task_pool&) = delete;
    ~task_pool() { shutdown(); }

    /// Queues `f` (moved from only if accepted). Returns false, leaving `f` intact, when
    /// `capacity` tasks are already waiting.
    template <class F>
    requires std::invocable<F&>
    bool try_submit(F& f) {
        {
            std::lock_guard lock(mutex_);
            if (queue_.size() >= capacity_ + idle_) return false; // idle threads take one each
            queue_.push_back(std::make_unique<task<F>>(std::move(f)));
            report(changed_locked());
        }
        ready_.notify_one();
        return true;
    }

    [[nodiscard]] pool_load load() const {
        std::lock_guard lock(mutex_);
        return load_locked();
    }

  private:
    struct task_base {
        virtual ~task_base() = default;
        virtual void run() = 0;
    };
    template <class F>
    struct task final : task_base {
        explicit task(F&& f) : fn(std::move(f)) {}
        void run() override { fn(); }
        F fn;
    };

    // A task an idle thread is about to take counts as active, not queued: the queue is what
    // waits because every thread is busy (the spec's "connection queue").
    pool_load load_locked() const {
        pool_load l;
        const std::size_t taken = std::min<std::size_t>(queue_.size(), idle_);
        l.active = active_ + static_cast<unsigned>(taken);
        l.threads = threads_count_;
        l.queued = queue_.size() - taken;
        l.queue_capacity = capacity_;
        return l;
    }
    // The load if it differs from the last one reported. Reported under the lock, so that the
    // reports come in the order of the changes (a callback must be quick and not call back).
    std::optional<pool_load> changed_locked() {
        const pool_load l = load_locked();
        if (l.active == reported_.active && l.queued == reported_.queued) return std::nullopt;
        reported_ = l;
        return l;
    }
    void report(const std::optional<pool_load>& l) noexcept {
        if (!on_load_ || !l) return;
        try {
            on_load_(*l);
        } catch (...) {}
    }

    void work() {
        for (;;) {
            std::unique_ptr<task_base> t;
            {
                std::unique_lock lock(mutex_);
                ++idle_;
                ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                --idle_;
                if (queue_.empty()) return; // stopping, and nothing left to run
                t = std::move(queue_.front());
                queue_.pop_front();
                ++active_;
                report(changed_locked());
            }
            t->run(); // tasks catch their own exceptions (see blocking::job)
            t.reset();
            {
                std::lock_guard lock(mutex_);
                --active_;
                report(changed_locked());
            }
        }
    }

    void shutdown() noexcept {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        for (auto& t : threads_)
            if (t.joinable()) t.join();
        threads_.clear();
    }

    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::unique_ptr<task_base>> queue_;
    std::vector<std::thread> threads_;
    std::size_t capacity_;
    unsigned threads_count_;
    unsigned active_ = 0;
    unsigned idle_ = 0;
    pool_load reported_{};
    bool stopping_ = false;
    std::function<void(const pool_load&)> on_load_;
};

/// A layer that can tell, without blocking, whether it would answer a request; `blocking`
/// needs this to decide on the worker whether to hand the request to the pool at all.
template <class L>
concept filtering_layer = layer<L> && requires(const L& l, const request& r) {
    { l.accepts(r) } -> std::same_as<bool>;
};

/// Runs `H` — a handler, or a layer with `accepts()` — on a `task_pool`.
///
/// The worker hands the request over and serves other connections meanwhile; the answer comes
/// back through a `responder` (DESIGN.md §4). While the task runs, the request (and the views
/// it holds) stays valid. When the queue is full the request gets 503 with `Retry-After: 5`.
/// Thread-safety: `H`'s const call operator runs on pool threads, concurrently.
/// Lifetime: must outlive the server's `run()`; destroying it finishes the queued tasks.
template <class H>
requires handler<H> || filtering_layer<H>
class blocking {
  public:
    explicit blocking(H inner, blocking_options opts = {})
        : inner_(std::move(inner)), error_log_(std::move(opts.error_log)),
          pool_(std::make_unique<task_pool>(opts.threads, opts.queue, std::move(opts.on_load),
                                            std::move(opts.thread_name_prefix))) {}

    /// As a layer: passes on what `H` does not accept, defers the rest to the pool.
    std::optional<response> operator()(const request& r) const requires filtering_layer<H> {
        if (!inner_.accepts(r)) return std::nullopt;
        return defer(r);
    }
    /// As a handler: every request goes to the pool.
    response operator()(const request& r) const requires(!filtering_layer<H>) { return defer(r); }

    [[nodiscard]] bool accepts(const request& r) const requires filtering_layer<H> {
        return inner_.accepts(r);
    }
    [[nodiscard]] method_set
    allowed_methods(const request& r) const requires layer_with_methods<H> {
        return inner_.allowed_methods(r);
    }

    [[nodiscard]] pool_load load() const { return pool_->load(); }
    [[nodiscard]] const H& inner() const noexcept { return inner_; }

  private:
    struct job {
        const blocking* self;
        const request* req;
        responder out;
        void operator()() { out.send(self->run(*req)); }
    };

    response defer(const request& r) const {
        return response::defer([this, &r](responder out) {
            job j{this, &r, std::move(out)};
            if (!pool_->try_submit(j)) {
                // RFC 9110 §15.6.4: 503 with Retry-After when the pool cannot take more.
                response busy = response::error(status::service_unavailable);
                busy.add_header("Retry-After", "5");
                j.out.send(std::move(busy));
            }
        });
    }

    response run(const request& r) const noexcept {
        try {
            if constexpr (filtering_layer<H>) {
                std::optional<response> res = inner_(r);
                if (res) return std::move(*res);
                return response::error(status::not_found);
            } else {
                return response(inner_(r));
            }
        } catch (const std::exception& e) {
            log(std::string("blocking handler threw: ") + e.what());
        } catch (...) {
            log("blocking handler threw a non-standard exception");
        }
        return response::error(status::internal_server_error);
    }

    void log(const std::string& msg) const noexcept {
        try {
            if (error_log_) {
                error_log_(msg);
                return;
            }
        } catch (...) {}
        const std::string line = "[minihttp] " + msg + "\n";
        (void)!::write(STDERR_FILENO, line.data(), line.size());
    }

    H inner_;
    std::function<void(std::string_view)> error_log_;
    std::unique_ptr<task_pool> pool_;
};

MINIHTTP_NAMESPACE_END
