#pragma once
/// @file
/// Listening sockets.

#include <minihttp/detail/fd.hpp>
#include <minihttp/version.hpp>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Resolves `host` (a numeric address, "[v6]", a name such as "localhost", or "" / "*" for all
/// interfaces) and opens `count` listening sockets on it: one, or `count` sharing the port
/// through SO_REUSEPORT. Port 0 picks a free port; `bound_port` receives the real one.
inline std::error_code open_listeners(std::string_view host, std::uint16_t port, unsigned count,
                                      bool reuse_port, int backlog, std::vector<unique_fd>& out,
                                      std::uint16_t& bound_port, bool defer_accept = false) {
    std::string h(host);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (h == "*") h.clear();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc =
            ::getaddrinfo(h.empty() ? nullptr : h.c_str(), service.c_str(), &hints, &res);
        rc != 0) {
        return rc == EAI_SYSTEM ? last_error()
                                : std::make_error_code(std::errc::address_not_available);
    }
    std::error_code ec = std::make_error_code(std::errc::address_not_available);
    out.clear();
    for (addrinfo* ai = res; ai != nullptr && out.empty(); ai = ai->ai_next) {
        sockaddr_storage addr{};
        std::memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
        const unsigned n = reuse_port ? (count == 0 ? 1 : count) : 1;
        for (unsigned i = 0; i < n; ++i) {
            unique_fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                  ai->ai_protocol));
            if (!fd) {
                ec = last_error();
                break;
            }
            const int one = 1;
            ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (reuse_port) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
            // Accepted sockets inherit TCP_NODELAY from the listener on Linux, which saves a
            // setsockopt per connection; the engine still sets it where inheritance is absent.
            ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            // Seconds to defer; the kernel rounds up to SYN-ACK retransmissions.
            if (defer_accept)
                ::setsockopt(fd.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof one);
            if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), ai->ai_addrlen) != 0 ||
                ::listen(fd.get(), backlog) != 0) {
                ec = last_error();
                break;
            }
            if (i == 0) { // learn the real port, so that the others bind to the same one
                sockaddr_storage real{};
                socklen_t len = sizeof real;
                ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&real), &len);
                const std::uint16_t p =
                    real.ss_family == AF_INET6
                        ? ntohs(reinterpret_cast<sockaddr_in6*>(&real)->sin6_port)
                        : ntohs(reinterpret_cast<sockaddr_in*>(&real)->sin_port);
                bound_port = p;
                if (addr.ss_family == AF_INET6)
                    reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(p);
                else
                    reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(p);
            }
            out.push_back(std::move(fd));
        }
        if (out.size() != n) out.clear();
    }
    ::freeaddrinfo(res);
    return out.empty() ? ec : std::error_code{};
}

} // namespace detail
MINIHTTP_NAMESPACE_END
