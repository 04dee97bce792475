#pragma once
/// @file
/// `unique_fd`, an owning file descriptor, `retry_eintr`, the one loop around system calls
/// that a signal may interrupt, and `reserve_descriptor_table`.

#include <minihttp/version.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <system_error>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Owns one file descriptor; closes it on destruction. Move-only; not thread-safe.
class unique_fd {
  public:
    unique_fd() noexcept = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
    /// Gives the descriptor up without closing it.
    int release() noexcept { return std::exchange(fd_, -1); }
    /// Closes the current descriptor (if any) and owns `fd`.
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

  private:
    int fd_ = -1;
};

/// Calls `f()` again while it fails with EINTR (a signal arrived before any work was done), and
/// returns its last result; errno then tells why it failed.
template <class F>
auto retry_eintr(F&& f) noexcept(noexcept(f())) {
    auto r = f();
    while (r < 0 && errno == EINTR) r = f();
    return r;
}

/// The current errno as a `std::error_code` of the system category.
inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

/// Grows the process's descriptor table now to hold `count` descriptors (at most the soft
/// RLIMIT_NOFILE, and at most 2^20). Linux doubles the table when a new descriptor does not
/// fit, and in a multi-threaded process each doubling first waits for an RCU grace period
/// (`expand_fdtable`, fs/file.c): a worker accepting a burst of connections stalled for
/// 10–15 ms at descriptors 256, 512, 1024… with every connection it owns (docs/performance.md,
/// "Under attack"). Reserved before the workers start, the table grows once, without the wait.
/// Never closes or replaces an open descriptor (it duplicates `fd` to the lowest free number
/// at or above `count - 1`, then closes the duplicate). Best effort: failures are ignored.
/// Thread-safe; costs 8 bytes of kernel memory per descriptor reserved.
inline void reserve_descriptor_table(int fd, std::size_t count) noexcept {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == 0) return;
    const std::size_t cap =
        rl.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : static_cast<std::size_t>(rl.rlim_cur);
    count = std::min({count, cap, std::size_t{1} << 20});
    if (count < 2) return;
    const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, static_cast<int>(count - 1));
    if (dup >= 0) ::close(dup);
}

} // namespace detail
MINIHTTP_NAMESPACE_END
