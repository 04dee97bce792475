#pragma once
/// @file
/// The transport seam: what a connection needs from the thing that carries its bytes (read,
/// gathered write, file write, shutdown, close), as a concept, and the plain TCP transport.
///
/// A connection (detail/connection.hpp) never calls the system itself; its output queue writes
/// through a transport, and the worker reads through one. A TLS transport is a sans-I/O byte
/// transform in front of the socket that satisfies the same concept (records encrypted into a
/// buffer, file regions read and encrypted), so it runs unchanged on a readiness (epoll) or a
/// completion (io_uring) worker; tests drive connections through a fake one.

#include <minihttp/detail/fd.hpp>
#include <minihttp/version.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// How a transport operation ended.
enum class io_status : std::uint8_t {
    ok,          ///< `bytes` moved (a short count is not an error)
    would_block, ///< nothing moved; wait for readiness
    eof,         ///< read: the peer closed its side; send_file: the file ended early
    error,       ///< the connection is broken (reset, EPIPE, ...)
};

/// Result of one transport operation.
struct io_result {
    std::size_t bytes = 0;
    io_status status = io_status::ok;
};

/// What a connection's bytes travel through. All operations are non-blocking and report
/// `would_block` instead of waiting; none throws.
template <class T>
concept transport = requires(T& t, std::span<char> in, std::span<const iovec> out, int fd,
                             std::uint64_t offset, std::size_t length, bool more, bool abort) {
    /// Reads into `in`: `ok` with the count, `eof` at the peer's end of stream.
    { t.read(in) } -> std::same_as<io_result>;
    /// Writes the buffers in order, as many bytes as fit; `more` hints that more follows at
    /// once (the head of a file body), so a packet need not go out half empty.
    { t.write(out, more) } -> std::same_as<io_result>;
    /// Writes up to `length` bytes of file `fd` from `offset`.
    { t.send_file(fd, offset, length) } -> std::same_as<io_result>;
    /// A file body of this many bytes (the argument) starts: a transport may tune itself for
    /// bulk sending, once per connection; a hint that cannot fail.
    { t.prepare_bulk(offset) } -> std::same_as<void>;
    /// Ends the sending direction (TCP FIN) while reading continues (lingering close).
    { t.shutdown_write() } -> std::same_as<void>;
    /// Releases the connection; `abort` resets it instead of a graceful close, dropping
    /// whatever is still queued for a client that stopped reading.
    { t.close(abort) } -> std::same_as<void>;
};

/// sendfile(2) has no MSG_NOSIGNAL: workers block SIGPIPE, and a pending one raised by a write
/// to a reset peer is consumed here so that it never reaches the process.
inline void clear_pending_sigpipe() noexcept {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    timespec zero{};
    while (::sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {}
}

/// A non-blocking TCP socket (or any stream socket). Owns the descriptor.
class tcp_transport {
  public:
    /// Once a connection starts a file body larger than this, it keeps at most
    /// `bulk_notsent_lowat` bytes written but not yet sent (TCP_NOTSENT_LOWAT). Without it,
    /// the connections taking turns at large files leave megabytes queued each, which go out
    /// later from the processing of the client's ACKs — on the client's CPU, where on loopback
    /// the receive work of those segments then lands too. With it, the server's own sendfile
    /// transmits them. It does not bound the data in flight, so it costs nothing on a long fat
    /// network. (docs/performance.md, "The 10 MiB transfer".)
    static constexpr std::uint64_t bulk_threshold = 256 * 1024;
    static constexpr int bulk_notsent_lowat = 128 * 1024;
    /// For a loopback peer (a proxy on the same host, a local client) also the send buffer
    /// (SO_SNDBUF; the kernel doubles it: 512 KiB), which makes the transfer about half as
    /// costly per byte on both sides; nginx users get the same from `listen ... sndbuf=`.
    /// Loopback only: on a real network it would bound the data in flight to 512 KiB per round
    /// trip; on loopback a round trip is microseconds.
    static constexpr int loopback_bulk_sndbuf = 256 * 1024;

    tcp_transport() noexcept = default;
    /// `loopback`: the peer is on this host (see `loopback_bulk_sndbuf`).
    explicit tcp_transport(int fd, bool loopback = false) noexcept : fd_(fd), loopback_(loopback) {}

    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    [[nodiscard]] bool open() const noexcept { return static_cast<bool>(fd_); }
    /// Gives the socket up without closing it (hand-over after a 101).
    int release() noexcept { return fd_.release(); }

    io_result read(std::span<char> in) noexcept {
        const ssize_t n = retry_eintr([&] { return ::read(fd_.get(), in.data(), in.size()); });
        if (n > 0) return {static_cast<std::size_t>(n), io_status::ok};
        if (n == 0) return {0, io_status::eof};
        return {0, blocked() ? io_status::would_block : io_status::error};
    }

    io_result write(std::span<const iovec> out, bool more) noexcept {
        msghdr msg{};
        msg.msg_iov = const_cast<iovec*>(out.data());
        msg.msg_iovlen = out.size();
        // MSG_NOSIGNAL: a closed peer must not raise SIGPIPE. MSG_MORE when a file follows: the
        // head then leaves in the same packet as the file's first bytes.
        const int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);
        const ssize_t n = retry_eintr([&] { return ::sendmsg(fd_.get(), &msg, flags); });
        if (n >= 0) return {static_cast<std::size_t>(n), io_status::ok};
        return {0, blocked() ? io_status::would_block : io_status::error};
    }

    io_result send_file(int file, std::uint64_t offset, std::size_t length) noexcept {
        auto off = static_cast<off_t>(offset);
        const ssize_t n = retry_eintr([&] { return ::sendfile(fd_.get(), file, &off, length); });
        if (n > 0) return {static_cast<std::size_t>(n), io_status::ok};
        if (n == 0) return {0, io_status::eof}; // the file is shorter than promised
        if (blocked()) return {0, io_status::would_block};
        if (errno == EPIPE) clear_pending_sigpipe();
        return {0, io_status::error};
    }

    void prepare_bulk(std::uint64_t bytes) noexcept {
        if (bulk_tuned_ || bytes <= bulk_threshold) return;
        bulk_tuned_ = true; // a failure costs only the gain
        ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &bulk_notsent_lowat,
                     sizeof bulk_notsent_lowat);
        if (loopback_)
            ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDBUF, &loopback_bulk_sndbuf,
                         sizeof loopback_bulk_sndbuf);
    }

    void shutdown_write() noexcept { ::shutdown(fd_.get(), SHUT_WR); }

    void close(bool abort = false) noexcept {
        if (abort && fd_) {
            // A reset frees the megabytes queued for a client that stopped reading, instead of
            // the kernel trying to deliver them after close().
            const linger reset{1, 0};
            ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        }
        fd_.reset();
    }

  private:
    static bool blocked() noexcept { return errno == EAGAIN || errno == EWOULDBLOCK; }
    unique_fd fd_;
    bool loopback_ = false;
    bool bulk_tuned_ = false;
};

static_assert(transport<tcp_transport>);

} // namespace detail
MINIHTTP_NAMESPACE_END
