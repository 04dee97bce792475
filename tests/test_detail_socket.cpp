// detail/socket.hpp: open_listeners resolves a host, binds, listens, and reports errors as
// error codes.
#include <minihttp/detail/socket.hpp>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <ostream> // doctest prints an error_code through operator<<
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using http::detail::open_listeners;
using http::detail::unique_fd;

namespace {

struct local_address {
    int family = AF_UNSPEC;
    std::string address;
    std::uint16_t port = 0;
};

local_address local_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0);
    local_address a;
    a.family = ss.ss_family;
    char text[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
        ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        a.port = ntohs(in->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        a.port = ntohs(in6->sin6_port);
    }
    a.address = text;
    return a;
}

bool has_ipv6_loopback() {
    std::FILE* f = std::fopen("/proc/net/if_inet6", "r");
    bool found = false;
    char line[256];
    while (f != nullptr && std::fgets(line, sizeof line, f) != nullptr)
        found |= std::string_view(line).starts_with("00000000000000000000000000000001");
    if (f != nullptr) std::fclose(f);
    return found;
}

/// True if a TCP connection to 127.0.0.1:port is accepted by the kernel (a listener exists).
bool connects(std::uint16_t port) {
    const unique_fd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

} // namespace

TEST_SUITE_BEGIN("detail socket");

TEST_CASE("open_listeners: port 0 binds a free port and reports it") {
    std::vector<unique_fd> fds;
    std::uint16_t port = 0;
    REQUIRE_FALSE(open_listeners("127.0.0.1", 0, 4, false, 16, fds, port));
    REQUIRE(fds.size() == 1); // without reuse_port: one socket whatever the worker count
    CHECK(port != 0);
    const auto a = local_of(fds[0].get());
    CHECK(a.family == AF_INET);
    CHECK(a.address == "127.0.0.1");
    CHECK(a.port == port);
    // Non-blocking (the workers' accept loop relies on it) and close-on-exec.
    CHECK((::fcntl(fds[0].get(), F_GETFL) & O_NONBLOCK) != 0);
    CHECK((::fcntl(fds[0].get(), F_GETFD) & FD_CLOEXEC) != 0);
    int listening = 0;
    socklen_t len = sizeof listening;
    REQUIRE(::getsockopt(fds[0].get(), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0);
    CHECK(listening == 1);
    CHECK(connects(port));
}

TEST_CASE("open_listeners: reuse_port opens one socket per worker, all on the same port") {
    std::vector<unique_fd> fds;
    std::uint16_t port = 0;
    REQUIRE_FALSE(open_listeners("127.0.0.1", 0, 3, true, 16, fds, port));
    REQUIRE(fds.size() == 3);
    for (const auto& fd : fds) {
        CHECK(local_of(fd.get()).port == port);
        int on = 0;
        socklen_t len = sizeof on;
        REQUIRE(::getsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &on, &len) == 0);
        CHECK(on != 0);
    }
}

TEST_CASE("open_listeners: host spellings") {
    SUBCASE("\"localhost\" resolves to a loopback address") {
        std::vector<unique_fd> fds;
        std::uint16_t port = 0;
        REQUIRE_FALSE(open_listeners("localhost", 0, 1, false, 16, fds, port));
        REQUIRE(fds.size() == 1);
        const auto a = local_of(fds[0].get());
        CHECK((a.address == "127.0.0.1" || a.address == "::1"));
    }
    SUBCASE("\"\" and \"*\" mean every interface") {
        for (const char* any : {"", "*"}) {
            CAPTURE(any);
            std::vector<unique_fd> fds;
            std::uint16_t port = 0;
            REQUIRE_FALSE(open_listeners(any, 0, 1, false, 16, fds, port));
            REQUIRE(fds.size() == 1);
            const auto a = local_of(fds[0].get());
            CHECK((a.address == "0.0.0.0" || a.address == "::"));
            CHECK(connects(port)); // reachable through the loopback interface
        }
    }
    SUBCASE("an IPv6 literal, bracketed or not") {
        if (!has_ipv6_loopback()) {
            MESSAGE("this machine has no ::1; the IPv6 spellings cannot run here");
            return;
        }
        for (const char* v6 : {"::1", "[::1]"}) {
            CAPTURE(v6);
            std::vector<unique_fd> fds;
            std::uint16_t port = 0;
            REQUIRE_FALSE(open_listeners(v6, 0, 1, false, 16, fds, port));
            REQUIRE(fds.size() == 1);
            const auto a = local_of(fds[0].get());
            CHECK(a.family == AF_INET6);
            CHECK(a.address == "::1");
            CHECK(a.port == port);
        }
    }
}

TEST_CASE("open_listeners: errors come back as error codes, with nothing left open") {
    std::vector<unique_fd> first;
    std::uint16_t port = 0;
    REQUIRE_FALSE(open_listeners("127.0.0.1", 0, 1, false, 16, first, port));

    std::vector<unique_fd> second;
    std::uint16_t second_port = 0;
    const auto in_use = open_listeners("127.0.0.1", port, 1, false, 16, second, second_port);
    CHECK(in_use == std::errc::address_in_use);
    CHECK(second.empty());

    std::vector<unique_fd> unresolvable;
    const auto bad_host =
        open_listeners("no-such-host.invalid", 0, 1, false, 16, unresolvable, second_port);
    CHECK(bad_host);
    CHECK(unresolvable.empty());
}

TEST_SUITE_END();
