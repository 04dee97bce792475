#pragma once
/// @file
/// `unique_fd`, an owning file descriptor, and `retry_eintr`, the one loop around system calls
/// that a signal may interrupt.

#include <minihttp/version.hpp>

#include <unistd.h>

#include <cerrno>
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

} // namespace detail
MINIHTTP_NAMESPACE_END
