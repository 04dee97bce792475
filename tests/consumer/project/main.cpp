// A consumer program: serves one request to itself and checks the answer. Exit 0 on success.
#include <minihttp.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

int main() {
    http::server_options opts;
    opts.threads = 1;
    http::server srv([](const http::request&) { return http::response::text("consumed"); }, opts);
    if (auto ec = srv.listen("127.0.0.1", 0)) {
        std::fprintf(stderr, "listen: %s\n", ec.message().c_str());
        return 1;
    }
    std::thread t([&] { srv.run(); });
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(srv.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string got;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        const std::string req = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
        if (::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size())) {
            char buf[1024];
            ssize_t n;
            while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
                got.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    srv.stop();
    t.join();
    const bool ok = got.rfind("HTTP/1.1 200 OK\r\n", 0) == 0 && got.ends_with("consumed");
    std::printf("%s\n", ok ? "consumer: ok" : got.c_str());
    return ok ? 0 : 1;
}
