// inspector [PORT]: shows what a client really sends (see inspector.hpp). Listens on 127.0.0.1.
#include "inspector.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    char* end = nullptr;
    const long port = argc > 1 ? std::strtol(argv[1], &end, 10) : 8081;
    if (argc > 2 || (end != nullptr && *end != '\0') || port < 0 || port > 65535) {
        std::fprintf(stderr, "usage: inspector [PORT]\n");
        return 2;
    }
    http::server srv(&inspector::handle);
    if (auto ec = srv.listen("127.0.0.1", static_cast<std::uint16_t>(port))) {
        std::fprintf(stderr, "inspector: cannot listen on port %ld: %s\n", port,
                     ec.message().c_str());
        return 1;
    }
    std::printf("inspector: http://127.0.0.1:%u/ (GET /echo, GET /cookie, POST anything)\n",
                srv.port());
    std::fflush(stdout);
    http::stop_on_signals(srv);
    srv.run();
}
