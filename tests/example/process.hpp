#pragma once
// Test support for driving programs as subprocesses: a child with its stdout and stderr captured
// through pipes (drained by a thread, so the child never blocks on a full pipe), waits with
// deadlines (pidfd + poll; no sleeping), SIGKILL + waitpid on destruction; and a temporary
// directory removed on destruction.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace example {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

/// How a child ended (a waitpid status).
struct exit_status {
    int raw = 0;
    [[nodiscard]] bool exited() const { return WIFEXITED(raw); }
    [[nodiscard]] int code() const { return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1; }
    [[nodiscard]] int signal() const { return WIFSIGNALED(raw) ? WTERMSIG(raw) : 0; }
    [[nodiscard]] std::string describe() const {
        if (exited()) return "exit code " + std::to_string(code());
        if (signal() != 0) return "killed by signal " + std::to_string(signal());
        return "wait status " + std::to_string(raw);
    }
};

/// A child process (found through PATH if argv[0] has no slash) with stdin from a file and
/// stdout and stderr captured. Output is kept whole, for the test to inspect.
class child_process {
  public:
    explicit child_process(const std::vector<std::string>& argv,
                           const std::string& stdin_path = "/dev/null") {
        if (argv.empty()) throw std::invalid_argument("child_process: empty argv");
        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        if (::pipe2(err, O_CLOEXEC) != 0) {
            close_pair(out);
            throw std::runtime_error("pipe2");
        }
        stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
        if (stop_fd_ < 0) {
            close_pair(out);
            close_pair(err);
            throw std::runtime_error("eventfd");
        }

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, stdin_path.c_str(), O_RDONLY, 0);
        // dup2 clears FD_CLOEXEC on the copy; the originals close at exec. Children spawned
        // concurrently by other threads never inherit these pipes (they are O_CLOEXEC).
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP}) sigaddset(&defaults, s);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const int rc = ::posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        ::close(out[1]);
        ::close(err[1]);
        if (rc != 0) {
            ::close(out[0]);
            ::close(err[0]);
            ::close(stop_fd_);
            throw std::runtime_error("cannot start '" + argv[0] + "': " + std::strerror(rc));
        }
        out_fd_ = out[0];
        err_fd_ = err[0];
        // The pid cannot be reused before we reap it, so this refers to our child. Linux >= 5.3;
        // without it, wait_exit falls back to a bounded WNOHANG loop.
        pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
        drainer_ = std::thread([this] { drain(); });
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process() {
        if (!status_) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {}
        }
        const std::uint64_t one = 1;
        (void)!::write(stop_fd_, &one, sizeof one);
        drainer_.join();
        ::close(out_fd_);
        ::close(err_fd_);
        ::close(stop_fd_);
        if (pidfd_ >= 0) ::close(pidfd_);
    }

    [[nodiscard]] pid_t pid() const { return pid_; }

    /// Sends a signal, unless the child has been reaped already.
    void send_signal(int sig) const {
        if (!status_) ::kill(pid_, sig);
    }

    /// Waits up to `timeout` for the child to end and reaps it; then waits (briefly) until its
    /// output has been read to the end. Empty if it is still running.
    std::optional<exit_status> wait_exit(std::chrono::milliseconds timeout) {
        if (status_) return status_;
        const auto deadline = clock::now() + timeout;
        if (pidfd_ >= 0) {
            for (;;) {
                const auto left = remaining(deadline);
                pollfd p{pidfd_, POLLIN, 0};
                const int r = ::poll(&p, 1, static_cast<int>(left.count()));
                if (r > 0) break;
                if (r == 0) return std::nullopt;
                if (errno != EINTR) throw std::runtime_error("poll(pidfd)");
            }
        }
        for (;;) {
            int st = 0;
            const pid_t r = ::waitpid(pid_, &st, pidfd_ >= 0 ? 0 : WNOHANG);
            if (r == pid_) {
                status_ = exit_status{st};
                break;
            }
            if (r < 0 && errno != EINTR) throw std::runtime_error("waitpid");
            if (r == 0) { // fallback without pidfd: a bounded poll loop
                if (clock::now() >= deadline) return std::nullopt;
                ::poll(nullptr, 0, 2);
            }
        }
        std::unique_lock lock(m_);
        cv_.wait_for(lock, 2s, [this] { return drained_; });
        return status_;
    }

    /// True once `pred(stdout so far)` holds, or false after `timeout` (or at EOF without it).
    template <class Pred>
    bool wait_stdout(Pred pred, std::chrono::milliseconds timeout) {
        std::unique_lock lock(m_);
        cv_.wait_for(lock, timeout, [&] { return drained_ || pred(std::as_const(out_)); });
        return pred(std::as_const(out_));
    }
    /// True once stdout contains `text`.
    bool wait_stdout_contains(std::string_view text, std::chrono::milliseconds timeout) {
        return wait_stdout(
            [text](const std::string& s) { return s.find(text) != std::string::npos; }, timeout);
    }

    [[nodiscard]] std::string stdout_text() const {
        std::lock_guard lock(m_);
        return out_;
    }
    [[nodiscard]] std::string stderr_text() const {
        std::lock_guard lock(m_);
        return err_;
    }

  private:
    static void close_pair(int (&fds)[2]) {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    static std::chrono::milliseconds remaining(clock::time_point deadline) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        return left.count() < 0 ? 0ms : left;
    }

    void drain() {
        bool out_open = true, err_open = true;
        while (out_open || err_open) {
            pollfd p[3] = {{out_open ? out_fd_ : -1, POLLIN, 0},
                           {err_open ? err_fd_ : -1, POLLIN, 0},
                           {stop_fd_, POLLIN, 0}};
            const int r = ::poll(p, 3, -1);
            if (r < 0) {
                if (errno == EINTR) continue;
                break;
            }
            if (p[2].revents != 0) break;
            for (int i = 0; i < 2; ++i) {
                if (p[i].revents == 0) continue;
                char buf[65536];
                const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR) continue;
                std::lock_guard lock(m_);
                if (n > 0) {
                    (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
                } else {
                    (i == 0 ? out_open : err_open) = false;
                }
            }
            cv_.notify_all();
        }
        {
            std::lock_guard lock(m_);
            drained_ = true;
        }
        cv_.notify_all();
    }

    pid_t pid_ = -1;
    int pidfd_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    int stop_fd_ = -1;
    std::optional<exit_status> status_;
    mutable std::mutex m_;
    std::condition_variable cv_;
    std::string out_;
    std::string err_;
    bool drained_ = false;
    std::thread drainer_;
};

/// What a finished program did.
struct program_result {
    std::optional<exit_status> status; ///< empty: it did not finish in time (it was killed)
    std::string out;
    std::string err;
    [[nodiscard]] bool ok() const { return status && status->exited() && status->code() == 0; }
    [[nodiscard]] std::string describe() const {
        return (status ? status->describe() : std::string("timed out")) + "; stderr: " + err;
    }
};

/// Runs a program to completion (killing it after `timeout`).
inline program_result run_program(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout,
                                  const std::string& stdin_path = "/dev/null") {
    child_process p(argv, stdin_path);
    program_result r;
    r.status = p.wait_exit(timeout);
    r.out = p.stdout_text();
    r.err = p.stderr_text();
    return r;
}

/// A fresh directory from mkdtemp() under $TMPDIR (or /tmp), removed with its contents.
class temp_dir {
  public:
    temp_dir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl =
            std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/minihttp-ex-XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr)
            throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
        path_ = tmpl;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

} // namespace example
