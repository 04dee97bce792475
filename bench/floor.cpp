// floor: the syscall floor of an HTTP/1.1 keep-alive server, for bench/run.
//
// One thread, one epoll loop (edge-triggered). For each readable connection it does exactly one
// read(2) and, if that read completed any requests, exactly one write(2) carrying one canned
// response per completed request. A request is "complete" at each "\r\n\r\n"; nothing else is
// parsed (the matcher's state carries across reads, so a terminator split between two reads
// still counts once). This is the least work any server can do per request, so its requests
// per CPU-second bound what minihttp can reach on the same load.
//
//   floor [--port N] [--host ADDR] [--body-size BYTES]
//
// Prints "floor listening on http://HOST:PORT" once ready; SIGTERM or SIGINT ends it.
// Not a server to use: no limits, no timeouts, one 64 KiB read per event.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

volatile sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

struct conn {
    int fd = -1;
    unsigned match = 0;  // how much of "\r\n\r\n" the bytes so far end with
    std::string pending; // output a short write left behind (rare on loopback)
};

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "floor: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

// Counts the "\r\n\r\n" terminators in [p, p+n), continuing the match state of earlier reads.
std::size_t count_requests(const char* p, std::size_t n, unsigned& match) {
    static constexpr char term[] = "\r\n\r\n";
    std::size_t found = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char ch = p[i];
        if (ch == term[match]) {
            if (++match == 4) {
                ++found;
                match = 0;
            }
        } else {
            match = ch == '\r' ? 1 : 0;
        }
    }
    return found;
}

} // namespace

int main(int argc, char** argv) {
    unsigned port = 0;
    std::string host = "127.0.0.1";
    std::size_t body_size = 1024;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--port" && i + 1 < argc) {
            port = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
        } else if (a == "--host" && i + 1 < argc) {
            host = argv[++i];
        } else if (a == "--body-size" && i + 1 < argc) {
            body_size = std::strtoul(argv[++i], nullptr, 10);
        } else {
            std::fprintf(stderr, "usage: floor [--port N] [--host ADDR] [--body-size BYTES]\n");
            return 2;
        }
    }

    // The canned response: a head much like the real servers' (about 150 bytes) and the body.
    const std::string response = "HTTP/1.1 200 OK\r\nServer: floor\r\n"
                                 "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
                                 "Content-Type: text/html\r\nContent-Length: " +
                                 std::to_string(body_size) + "\r\n\r\n" +
                                 std::string(body_size, 'x');

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    const int one = 1;
    ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        std::fprintf(stderr, "floor: bad IPv4 address '%s'\n", host.c_str());
        return 2;
    }
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
    if (::listen(lfd, 4096) != 0) die("listen");
    socklen_t len = sizeof addr;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);

    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr; // the listener
    if (::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) die("epoll_ctl");

    std::printf("floor listening on http://%s:%u\n", host.c_str(), ntohs(addr.sin_port));
    std::fflush(stdout);

    std::vector<char> in(64 * 1024);
    std::string out;
    epoll_event events[256];
    while (stop_requested == 0) {
        const int n = ::epoll_wait(ep, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            auto* c = static_cast<conn*>(events[i].data.ptr);
            if (c == nullptr) {
                for (;;) {
                    const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    auto* nc = new conn;
                    nc->fd = fd;
                    epoll_event cev{};
                    cev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
                    cev.data.ptr = nc;
                    if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) != 0) {
                        ::close(fd);
                        delete nc;
                    }
                }
                continue;
            }
            bool closed = (events[i].events & (EPOLLHUP | EPOLLERR)) != 0;
            if (!closed && (events[i].events & EPOLLOUT) != 0 && !c->pending.empty()) {
                const ssize_t w = ::write(c->fd, c->pending.data(), c->pending.size());
                if (w > 0)
                    c->pending.erase(0, static_cast<std::size_t>(w));
                else if (w < 0 && errno != EAGAIN)
                    closed = true;
            }
            if (!closed && (events[i].events & (EPOLLIN | EPOLLRDHUP)) != 0) {
                // Exactly one read. Edge-triggered: a read that filled the buffer may leave
                // more behind, which a load generator waiting for answers never does.
                const ssize_t r = ::read(c->fd, in.data(), in.size());
                char probe = 0;
                if (r > 0 && (events[i].events & EPOLLRDHUP) != 0 &&
                    ::recv(c->fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
                    closed = true; // data and FIN together: no later event would report the FIN
                if (r == 0 || (r < 0 && errno != EAGAIN)) {
                    closed = true;
                } else if (r > 0) {
                    const std::size_t k =
                        count_requests(in.data(), static_cast<std::size_t>(r), c->match);
                    if (k > 0) {
                        out.clear();
                        for (std::size_t j = 0; j < k; ++j) out += response;
                        if (!c->pending.empty()) {
                            c->pending += out;
                        } else {
                            const ssize_t w = ::write(c->fd, out.data(), out.size());
                            if (w < 0 && errno != EAGAIN)
                                closed = true;
                            else if (w < static_cast<ssize_t>(out.size()))
                                c->pending.assign(out, w > 0 ? static_cast<std::size_t>(w) : 0);
                        }
                    }
                }
            }
            if (closed) {
                ::close(c->fd);
                delete c;
            }
        }
    }
    return 0;
}
