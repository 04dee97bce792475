#pragma once
// Test support: an in-process server on 127.0.0.1:0 and a raw-socket client with deadlines.
// Nothing here sleeps to wait for the server: listen() has returned before a client connects
// (the kernel queues the connection), and every read waits with poll() under a deadline.

#include <minihttp.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace test {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

/// Polls `pred` until it holds (true) or `timeout` passes (false). For state that the server's
/// threads change with no event a test could wait on (open_connections(), counters). Sleeps
/// 1 ms between polls instead of spinning: the server's threads need the CPU.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = clock::now() + timeout;
    while (!pred()) {
        if (clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

/// Runs `http::server<H>` on 127.0.0.1 with a kernel-chosen port in a background thread.
template <class H>
class running_server {
  public:
    explicit running_server(H h, http::server_options o = {}) : srv_(std::move(h), std::move(o)) {
        if (auto ec = srv_.listen("127.0.0.1", 0)) throw std::runtime_error(ec.message());
        thread_ = std::thread([this] { srv_.run(); });
    }
    running_server(const running_server&) = delete;
    running_server& operator=(const running_server&) = delete;
    ~running_server() { stop(); }

    [[nodiscard]] std::uint16_t port() const { return srv_.port(); }
    http::server<H>& get() { return srv_; }
    /// Stops and joins; returns how long run() took to return after stop().
    std::chrono::milliseconds stop() {
        const auto t0 = clock::now();
        if (thread_.joinable()) {
            srv_.stop();
            thread_.join();
        }
        return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0);
    }

  private:
    http::server<H> srv_;
    std::thread thread_;
};

/// A parsed response as a client sees it.
struct response {
    int status = 0;
    std::string reason;
    std::multimap<std::string, std::string> headers; // names lower-cased
    std::string body;
    std::string raw_head;

    [[nodiscard]] std::optional<std::string> header(const std::string& lower_name) const {
        const auto it = headers.find(lower_name);
        if (it == headers.end()) return std::nullopt;
        return it->second;
    }
    [[nodiscard]] std::size_t count(const std::string& lower_name) const {
        return headers.count(lower_name);
    }
};

/// A blocking TCP client with deadlines on every wait.
class client {
  public:
    /// Connects to 127.0.0.1:port, from `source` (another loopback address such as
    /// "127.0.0.2", to look like a different client) if given.
    explicit client(std::uint16_t port, bool nodelay = true, const char* source = nullptr) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("socket");
        if (source != nullptr) {
            sockaddr_in from{};
            from.sin_family = AF_INET;
            ::inet_pton(AF_INET, source, &from.sin_addr);
            if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
                ::close(fd_);
                throw std::runtime_error("bind");
            }
        }
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd_);
            throw std::runtime_error("connect");
        }
        const int one = 1;
        if (nodelay) ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client() {
        if (fd_ >= 0) ::close(fd_);
    }

    [[nodiscard]] int fd() const { return fd_; }

    /// Sends all bytes; false if the peer closed or reset.
    bool send(std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
    /// Sets a small receive buffer (before reading), to make a slow reader.
    void set_rcvbuf(int bytes) { ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes); }

    /// Reads whatever arrives until `pred(buffer)` holds, EOF, or the deadline. Returns
    /// false on timeout.
    template <class Pred>
    bool read_until(Pred pred, std::chrono::milliseconds timeout = 5s) {
        const auto deadline = clock::now() + timeout;
        while (!pred(buf_)) {
            if (eof_) return pred(buf_);
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd_, POLLIN, 0};
            const int r = ::poll(&p, 1, static_cast<int>(left.count()));
            if (r == 0) return false;
            if (r < 0) continue;
            char tmp[65536];
            const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
            if (n <= 0) {
                eof_ = true;
                reset_ = n < 0;
                continue;
            }
            buf_.append(tmp, static_cast<std::size_t>(n));
        }
        return true;
    }

    /// True if the server closes the connection (EOF or reset) within `timeout`; any data
    /// received meanwhile is kept in the buffer.
    bool wait_closed(std::chrono::milliseconds timeout = 5s) {
        read_until([this](const std::string&) { return eof_; }, timeout);
        return eof_;
    }

    /// Reads one complete response. `head_request` or a status without content means no body.
    std::optional<response> read_response(bool head_request = false,
                                          std::chrono::milliseconds timeout = 5s) {
        if (!read_until(
                [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; },
                timeout))
            return std::nullopt;
        response r;
        const auto end = buf_.find("\r\n\r\n");
        r.raw_head = buf_.substr(0, end + 4);
        std::string_view head(r.raw_head);
        const auto eol = head.find("\r\n");
        const std::string_view line = head.substr(0, eol);
        if (line.size() < 12 || line.substr(0, 9) != "HTTP/1.1 ") return std::nullopt;
        r.status = std::stoi(std::string(line.substr(9, 3)));
        r.reason = std::string(line.substr(13));
        std::size_t pos = eol + 2;
        while (pos < end) {
            const auto e = head.find("\r\n", pos);
            const auto l = head.substr(pos, e - pos);
            const auto colon = l.find(':');
            std::string name(l.substr(0, colon));
            for (auto& ch : name)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            std::string value(l.substr(colon + 1));
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers.emplace(std::move(name), std::move(value));
            pos = e + 2;
        }
        buf_.erase(0, end + 4);
        const bool no_body = head_request || r.status < 200 || r.status == 204 || r.status == 304;
        if (no_body) return r;
        if (auto cl = r.header("content-length")) {
            const auto len = std::stoull(*cl);
            if (!read_until([len](const std::string& b) { return b.size() >= len; }, timeout))
                return std::nullopt;
            r.body = buf_.substr(0, len);
            buf_.erase(0, len);
        } else if (r.header("transfer-encoding") == "chunked") {
            for (;;) {
                if (!read_until(
                        [](const std::string& b) { return b.find("\r\n") != std::string::npos; },
                        timeout))
                    return std::nullopt;
                const auto le = buf_.find("\r\n");
                const auto size = std::stoull(buf_.substr(0, le), nullptr, 16);
                if (!read_until([&](const std::string& b) { return b.size() >= le + 2 + size + 2; },
                                timeout))
                    return std::nullopt;
                r.body.append(buf_, le + 2, size);
                buf_.erase(0, le + 2 + size + 2);
                if (size == 0) break;
            }
        } else { // delimited by close
            wait_closed(timeout);
            r.body = std::move(buf_);
            buf_.clear();
        }
        return r;
    }

    /// Bytes received but not yet consumed by read_response().
    [[nodiscard]] const std::string& pending() const { return buf_; }
    [[nodiscard]] bool eof() const { return eof_; }
    [[nodiscard]] bool reset() const { return reset_; }

  private:
    int fd_ = -1;
    std::string buf_;
    bool eof_ = false;
    bool reset_ = false;
};

/// Sends `request` on a fresh connection and reads one response.
inline std::optional<response> exchange(std::uint16_t port, std::string_view request,
                                        bool head_request = false) {
    client c(port);
    if (!c.send(request)) return std::nullopt;
    return c.read_response(head_request);
}

/// The slots of this process's descriptor table ("FDSize" in /proc/self/status); 0 if unknown.
inline std::size_t descriptor_table_size() {
    std::FILE* f = std::fopen("/proc/self/status", "re");
    if (f == nullptr) return 0;
    char line[256];
    std::size_t size = 0;
    while (std::fgets(line, sizeof line, f) != nullptr)
        if (std::string_view(line).starts_with("FDSize:"))
            size = std::strtoull(line + 7, nullptr, 10);
    std::fclose(f);
    return size;
}

/// The descriptor table's size before and after `f()`, run in a forked child: the child's
/// table starts as small as its open descriptors allow, whatever this process grew before.
/// {0, 0} if the child failed.
template <class F>
std::pair<std::size_t, std::size_t> descriptor_table_around(F&& f) {
    int p[2];
    if (::pipe(p) != 0) return {0, 0};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[0]);
        std::size_t sizes[2] = {descriptor_table_size(), 0};
        f();
        sizes[1] = descriptor_table_size();
        const bool ok = ::write(p[1], sizes, sizeof sizes) == static_cast<ssize_t>(sizeof sizes);
        ::_exit(ok ? 0 : 1);
    }
    ::close(p[1]);
    std::size_t sizes[2] = {0, 0};
    if (pid < 0 || ::read(p[0], sizes, sizeof sizes) != static_cast<ssize_t>(sizeof sizes))
        sizes[0] = sizes[1] = 0;
    ::close(p[0]);
    int status = 0;
    if (pid > 0) ::waitpid(pid, &status, 0);
    return {sizes[0], sizes[1]};
}

/// An echo handler: the request body back, with a few request facts in header fields.
inline http::response echo(const http::request& r) {
    http::response res = http::response::text(std::string(r.body()));
    res.add_header("X-Method", r.method_name());
    res.add_header("X-Target", r.target());
    res.add_header("X-Body-Length", std::to_string(r.body().size()));
    return res;
}
using echo_fn = http::response (*)(const http::request&);

} // namespace test
