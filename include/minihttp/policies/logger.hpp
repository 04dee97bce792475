#pragma once
/// @file
/// `http::logger`: log lines in the spec's format, written by a background thread, so that a
/// slow terminal or pipe never stalls a worker (DESIGN.md "Observability").

#include <minihttp/detail/fd.hpp>
#include <minihttp/log.hpp>
#include <minihttp/thread_name.hpp>
#include <minihttp/version.hpp>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN

/// Settings of `logger`.
struct logger_options {
    /// Where lines go (not closed by the logger).
    int fd = STDOUT_FILENO;
    /// Bytes waiting to be written beyond which new lines are dropped (and counted), rather
    /// than making the caller wait.
    std::size_t max_pending = 4 << 20;
    /// False: lines are written as given, without the `[time] [Thread-N] ` prefix (for
    /// machine-read formats such as `access_json`'s JSON lines).
    bool prefix = true;
};

/// Formats `[YYYY-MM-DD HH:MM:SS] [Thread-N] message` (local time; the thread part only for
/// named threads, see `current_thread_name`; no prefix with `logger_options::prefix` false)
/// and hands the line to a writer thread.
///
/// Thread-safety: `log` may be called from any thread concurrently; the lock it takes covers
/// a memcpy, never I/O. Lines from one thread keep their order. Lifetime: the destructor
/// writes what is pending, then joins the writer.
class logger {
  public:
    explicit logger(logger_options o = {}) : opts_(o) {
        // The writer blocks SIGPIPE: a closed stdout must fail the write, not kill the process.
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &block, &old);
        try {
            writer_ = std::thread([this] { write_loop(); });
        } catch (...) {
            ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
            throw;
        }
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
    logger(const logger&) = delete;
    logger& operator=(const logger&) = delete;
    ~logger() {
        {
            std::lock_guard lock(m_);
            stopping_ = true;
        }
        wake_.notify_all();
        writer_.join();
    }

    /// Logs one line (a newline is added).
    void log(std::string_view msg) {
        thread_local std::string line;
        line.clear();
        if (opts_.prefix) {
            append_timestamp(line);
            const std::string_view name = current_thread_name();
            if (!name.empty()) line.append("[").append(name).append("] ");
        }
        line.append(msg).push_back('\n');
        bool wake = false;
        {
            std::lock_guard lock(m_);
            if (pending_.size() + line.size() > opts_.max_pending) {
                ++dropped_;
                return;
            }
            pending_.append(line);
            ++queued_;
            // Only an idle writer is woken: a busy one takes this line with its next batch, so
            // a loaded server pays one wake-up per batch, not a futex call per line.
            // A gathering writer is told when the batch has grown big enough.
            wake = writer_idle_ || (pending_.size() >= gather_bytes &&
                                    pending_.size() - line.size() < gather_bytes);
            writer_idle_ = false;
        }
        if (wake) wake_.notify_one();
    }

    /// Waits until every line logged before the call has been written (or dropped).
    void flush() {
        std::unique_lock lock(m_);
        const std::uint64_t target = queued_;
        flush_requested_ = true;
        wake_.notify_all();
        done_.wait(lock, [&] { return written_ >= target; });
    }

    /// Lines dropped because the output could not keep up.
    [[nodiscard]] std::uint64_t dropped() const {
        std::lock_guard lock(m_);
        return dropped_;
    }

    /// A callable forwarding to `log`, for the `log` option of the policies.
    [[nodiscard]] std::function<void(std::string_view)> sink() {
        return [this](std::string_view m) { log(m); };
    }

  private:
    // "[2024-03-15 10:30:00] ", reformatted once a second per thread.
    static void append_timestamp(std::string& out) {
        thread_local std::time_t last = -1;
        thread_local char stamp[32];
        const std::time_t now = std::time(nullptr);
        if (now != last) {
            std::tm tm{};
            localtime_r(&now, &tm);
            std::strftime(stamp, sizeof stamp, "[%Y-%m-%d %H:%M:%S] ", &tm);
            last = now;
        }
        out.append(stamp);
    }

    void write_loop() {
        std::string batch;
        for (;;) {
            std::uint64_t upto;
            {
                std::unique_lock lock(m_);
                writer_idle_ = pending_.empty();
                wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
                writer_idle_ = false;
                if (pending_.empty() && stopping_) return;
                // Let a burst gather for a moment: one write per batch of lines, and workers
                // that need not wake this thread meanwhile (see `log`).
                wake_.wait_for(lock, gather_time, [this] {
                    return stopping_ || flush_requested_ || pending_.size() >= gather_bytes;
                });
                flush_requested_ = false;
                batch.swap(pending_);
                upto = queued_;
            }
            write_all(batch);
            batch.clear();
            {
                std::lock_guard lock(m_);
                written_ = upto;
            }
            done_.notify_all();
        }
    }

    void write_all(std::string_view data) const {
        while (!data.empty()) {
            const ssize_t n =
                detail::retry_eintr([&] { return ::write(opts_.fd, data.data(), data.size()); });
            if (n > 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                pollfd p{opts_.fd, POLLOUT, 0};
                ::poll(&p, 1, 1000);
            } else {
                return; // closed pipe or similar: drop the batch
            }
        }
    }

    static constexpr auto gather_time = std::chrono::milliseconds(5);
    static constexpr std::size_t gather_bytes = 256 * 1024;

    logger_options opts_;
    mutable std::mutex m_;
    std::condition_variable wake_;
    std::condition_variable done_;
    std::string pending_;
    std::uint64_t queued_ = 0;
    std::uint64_t written_ = 0;
    std::uint64_t dropped_ = 0;
    bool stopping_ = false;
    bool writer_idle_ = false;     // waiting for lines: the next `log` must wake it
    bool flush_requested_ = false; // `flush` waits: write without gathering
    std::thread writer_;
};

MINIHTTP_NAMESPACE_END
