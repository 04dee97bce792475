// Built with only single_include/ on the include path: the generated header must stand alone
// and serve a real request.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <minihttp.hpp>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#ifndef MINIHTTP_VERSION_STRING
#error "single header lacks version.hpp"
#endif

TEST_CASE("single header: serves a request end to end") {
    http::server_options o;
    o.threads = 1;
    http::server srv(
        [](const http::request& r) { return http::response::text(std::string(r.path())); }, o);
    REQUIRE(!srv.listen("127.0.0.1", 0));
    std::thread t([&] { srv.run(); });
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(srv.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    const std::string req = "GET /single HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    REQUIRE(::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    srv.stop();
    t.join();
    CHECK(got.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(got.substr(got.size() - 7) == "/single");
}
