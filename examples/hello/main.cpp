// hello [PORT]: the smallest useful minihttp program; answers every request on 127.0.0.1.
#include <minihttp.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    char* end = nullptr;
    const long port = argc > 1 ? std::strtol(argv[1], &end, 10) : 8080;
    if (argc > 2 || (end != nullptr && *end != '\0') || port < 0 || port > 65535) {
        std::fprintf(stderr, "usage: hello [PORT]\n");
        return 2;
    }
    http::server srv(
        [](const http::request&) { return http::response::text("Hello from minihttp\n"); });
    if (auto ec = srv.listen("127.0.0.1", static_cast<std::uint16_t>(port))) {
        std::fprintf(stderr, "hello: cannot listen on port %ld: %s\n", port, ec.message().c_str());
        return 1;
    }
    std::printf("hello: serving http://127.0.0.1:%u/ (Ctrl+C stops)\n", srv.port());
    std::fflush(stdout);
    http::stop_on_signals(srv);
    srv.run();
}
