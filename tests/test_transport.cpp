#include <minihttp/detail/transport.hpp> // first: proves the header is self-contained

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

// The plain TCP transport over a socket pair: what each operation reports.

namespace {
struct pair_fixture {
    int a = -1, b = -1;
    pair_fixture() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
        a = fds[0];
        b = fds[1];
    }
    ~pair_fixture() {
        if (b >= 0) ::close(b);
    }
    std::string drain() {
        std::string out;
        char buf[65536];
        for (;;) {
            const ssize_t n = ::read(b, buf, sizeof buf);
            if (n <= 0) return out;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
};

/// A connected TCP pair on 127.0.0.1 (port 0): `server` is the accepted end.
struct tcp_pair {
    int client = -1, server = -1;
    tcp_pair() {
        const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(l >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        REQUIRE(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(l, 1) == 0);
        REQUIRE(::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        server = ::accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        ::close(l);
        REQUIRE(server >= 0);
    }
    ~tcp_pair() { ::close(client); }
};

int int_option(int fd, int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    REQUIRE(::getsockopt(fd, level, name, &v, &len) == 0);
    return v;
}
} // namespace

TEST_SUITE("transport") {
    TEST_CASE("tcp transport: a large file body sets the low-water mark, and for loopback "
              "the send buffer, once; a small one nothing") {
        using http::detail::tcp_transport;
        for (const bool loopback : {false, true}) {
            CAPTURE(loopback);
            tcp_pair p;
            tcp_transport t(p.server, loopback);
            const int lowat = int_option(p.server, IPPROTO_TCP, TCP_NOTSENT_LOWAT);
            const int sndbuf = int_option(p.server, SOL_SOCKET, SO_SNDBUF);
            t.prepare_bulk(tcp_transport::bulk_threshold); // not above the threshold
            CHECK(int_option(p.server, IPPROTO_TCP, TCP_NOTSENT_LOWAT) == lowat);
            CHECK(int_option(p.server, SOL_SOCKET, SO_SNDBUF) == sndbuf);
            t.prepare_bulk(tcp_transport::bulk_threshold + 1);
            CHECK(int_option(p.server, IPPROTO_TCP, TCP_NOTSENT_LOWAT) ==
                  tcp_transport::bulk_notsent_lowat);
            // Linux doubles the value asked for, for its bookkeeping (socket(7)).
            CHECK(int_option(p.server, SOL_SOCKET, SO_SNDBUF) ==
                  (loopback ? 2 * tcp_transport::loopback_bulk_sndbuf : sndbuf));
            // Once: an option changed afterwards (by the application) is left alone.
            const int other = 4096;
            REQUIRE(::setsockopt(p.server, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &other, sizeof other) ==
                    0);
            t.prepare_bulk(std::uint64_t{1} << 30);
            CHECK(int_option(p.server, IPPROTO_TCP, TCP_NOTSENT_LOWAT) == other);
        }
    }

    TEST_CASE("tcp transport: read reports data, would_block and the peer's end") {
        pair_fixture p;
        http::detail::tcp_transport t(p.a);
        char buf[16];
        CHECK(t.read(buf).status == http::detail::io_status::would_block);
        REQUIRE(::write(p.b, "abc", 3) == 3);
        const auto r = t.read(buf);
        CHECK(r.status == http::detail::io_status::ok);
        CHECK(std::string(buf, r.bytes) == "abc");
        ::shutdown(p.b, SHUT_WR);
        CHECK(t.read(buf).status == http::detail::io_status::eof);
    }

    TEST_CASE("tcp transport: a gathered write, then would_block when the peer is full") {
        pair_fixture p;
        http::detail::tcp_transport t(p.a);
        const iovec two[] = {{const_cast<char*>("hello "), 6}, {const_cast<char*>("world"), 5}};
        const auto r = t.write(two, false);
        CHECK(r.status == http::detail::io_status::ok);
        CHECK(r.bytes == 11);
        CHECK(p.drain() == "hello world");
        const std::string big(1 << 20, 'x');
        const iovec one{const_cast<char*>(big.data()), big.size()};
        http::detail::io_result w;
        int calls = 0;
        do {
            w = t.write({&one, 1}, false);
        } while (w.status == http::detail::io_status::ok && ++calls < 1000);
        CHECK(w.status == http::detail::io_status::would_block);
    }

    TEST_CASE("tcp transport: send_file sends a region, and eof when the file is short") {
        pair_fixture p;
        http::detail::tcp_transport t(p.a);
        char path[] = "/tmp/minihttp-transport-XXXXXX";
        const int fd = ::mkstemp(path);
        REQUIRE(fd >= 0);
        ::unlink(path);
        REQUIRE(::write(fd, "0123456789", 10) == 10);
        const auto r = t.send_file(fd, 2, 5);
        CHECK(r.status == http::detail::io_status::ok);
        CHECK(r.bytes == 5);
        CHECK(p.drain() == "23456");
        CHECK(t.send_file(fd, 10, 5).status == http::detail::io_status::eof);
        ::close(fd);
    }

    TEST_CASE("tcp transport: writing to a closed peer is an error, not a signal") {
        pair_fixture p;
        http::detail::tcp_transport t(p.a);
        ::close(p.b);
        p.b = -1;
        const iovec one{const_cast<char*>("x"), 1};
        CHECK(t.write({&one, 1}, false).status == http::detail::io_status::error);
    }

    TEST_CASE("tcp transport: shutdown_write ends the stream; release gives the socket up") {
        pair_fixture p;
        http::detail::tcp_transport t(p.a);
        t.shutdown_write();
        char c;
        CHECK(::read(p.b, &c, 1) == 0); // the peer sees the end of stream
        CHECK(t.open());
        const int fd = t.release();
        CHECK(fd == p.a);
        CHECK_FALSE(t.open());
        t.close(); // nothing to close any more
        CHECK(::fcntl(fd, F_GETFD) != -1);
        ::close(fd);
    }
}
