// Slow and abusive clients. Each scenario runs an attack against an in-process server while a
// normal client (the probe) keeps asking for a small page; the probe must get every answer
// right, with a bounded worst-case latency. The figures are printed (doctest MESSAGE, shown with
// -s) for the record; the bound asserted is generous because these machines are shared.
#include <minihttp/server.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using test::client;
using test::eventually;
using test::running_server;

namespace {

// A 4 MiB file served with sendfile, as a static file server would.
const char* big_file() {
    static const std::string path = [] {
        char name[] = "/tmp/minihttp-abuse-XXXXXX";
        const int fd = ::mkstemp(name);
        const std::string chunk(1 << 20, 'b');
        for (int i = 0; i < 4; ++i)
            if (fd < 0 || ::write(fd, chunk.data(), chunk.size()) != 1 << 20) return std::string();
        ::close(fd);
        std::atexit([] { ::unlink(big_file()); });
        return std::string(name);
    }();
    return path.c_str();
}

http::response app(const http::request& r) {
    if (r.path() == "/probe") return http::response::text("pong");
    if (r.path() == "/big") {
        http::response res;
        res.set_file(::open(big_file(), O_RDONLY | O_CLOEXEC), 0, 4 << 20);
        return res;
    }
    return http::response::text("ok");
}
using app_fn = http::response (*)(const http::request&);

struct latency {
    int ok = 0;
    int bad = 0;
    std::vector<double> ms;
    std::vector<std::string> failures;
    [[nodiscard]] double pct(double p) const {
        if (ms.empty()) return 0;
        std::vector<double> v = ms;
        std::sort(v.begin(), v.end());
        return v[std::min(v.size() - 1,
                          static_cast<std::size_t>(p * static_cast<double>(v.size())))];
    }
    [[nodiscard]] std::string summary() const {
        char buf[160];
        std::snprintf(buf, sizeof buf, "%d ok, %d bad, p50 %.2f ms, p99 %.2f ms, max %.2f ms", ok,
                      bad, pct(0.5), pct(0.99), pct(1.0));
        return buf;
    }
};

// The normal client: a keep-alive connection asking for /probe every 20 ms.
class probe {
  public:
    explicit probe(std::uint16_t port) : port_(port), thread_([this] { run(); }) {}
    ~probe() { stop(); }
    latency stop() {
        go_ = false;
        if (thread_.joinable()) thread_.join();
        return result_;
    }

  private:
    void run() {
        std::unique_ptr<client> c;
        while (go_) {
            const auto t0 = test::clock::now();
            bool good = false;
            std::string why;
            try {
                if (!c) c = std::make_unique<client>(port_);
                if (c->send("GET /probe HTTP/1.1\r\nHost: localhost\r\n\r\n")) {
                    const auto r = c->read_response(false, 5s);
                    good = r && r->status == 200 && r->body == "pong";
                    if (good && r->header("connection") == "close") c.reset(); // 100th request
                    if (!good)
                        why = r ? "status " + std::to_string(r->status)
                                : std::string("no response, eof=") + (c->eof() ? "1" : "0") +
                                      " reset=" + (c->reset() ? "1" : "0") +
                                      " pending=" + std::to_string(c->pending().size());
                } else {
                    why = "send failed";
                }
            } catch (const std::exception& e) {
                why = e.what();
            }
            if (!good) result_.failures.push_back(why);
            const double ms =
                std::chrono::duration<double, std::milli>(test::clock::now() - t0).count();
            if (good) {
                ++result_.ok;
                result_.ms.push_back(ms);
            } else {
                ++result_.bad;
                c.reset();
            }
            std::this_thread::sleep_for(20ms); // pacing of the probe, not a wait for the server
        }
    }

    std::uint16_t port_;
    std::atomic<bool> go_{true};
    latency result_;
    std::thread thread_;
};

void check_probe(const latency& l, const char* scenario) {
    MESSAGE((std::string(scenario) + ": normal client " + l.summary()));
    for (const auto& f : l.failures) MESSAGE(("probe failure: " + f));
    CHECK(l.bad == 0);
    CHECK(l.ok >= 20);
    CHECK(l.pct(1.0) < 1000.0);
}

int raw_socket(std::uint16_t port, const char* source = nullptr) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (source != nullptr) {
        sockaddr_in from{};
        from.sin_family = AF_INET;
        ::inet_pton(AF_INET, source, &from.sin_addr);
        ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

struct fd_set_guard {
    std::vector<int> fds;
    ~fd_set_guard() {
        for (int fd : fds) ::close(fd);
    }
};

void raise_fd_limit() {
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
}

} // namespace

TEST_SUITE_BEGIN("abuse");

TEST_CASE("abuse: slowloris (header bytes trickling in on 300 connections) gets 408 and closes") {
    raise_fd_limit();
    running_server srv(&app, {.threads = 2, .header_timeout = 1500ms});
    probe p(srv.port());
    fd_set_guard conns;
    for (int i = 0; i < 300; ++i) {
        const int fd = raw_socket(srv.port());
        REQUIRE(fd >= 0);
        conns.fds.push_back(fd);
        REQUIRE(::send(fd, "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL) == 16);
    }
    for (int second = 0; second < 3; ++second) { // one byte per connection per second
        for (int fd : conns.fds) (void)::send(fd, "X", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        std::this_thread::sleep_for(1s);
    }
    CHECK(eventually([&] { return srv.get().open_connections() <= 1; }));
    const auto l = p.stop();
    check_probe(l, "slowloris x300");
    int answered_408 = 0;
    for (int fd : conns.fds) {
        char buf[256];
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 12 && std::string_view(buf, 12) == "HTTP/1.1 408") ++answered_408;
    }
    CHECK(answered_408 == 300);
}

TEST_CASE("abuse: slow bodies below the minimum rate get 408") {
    running_server srv(&app, {.threads = 2, .body_timeout = 1000ms, .min_body_rate = 65536});
    probe p(srv.port());
    fd_set_guard conns;
    for (int i = 0; i < 100; ++i) {
        const int fd = raw_socket(srv.port());
        REQUIRE(fd >= 0);
        conns.fds.push_back(fd);
        const std::string head = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n";
        REQUIRE(::send(fd, head.data(), head.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(head.size()));
    }
    for (int tick = 0; tick < 10; ++tick) {
        for (int fd : conns.fds) (void)::send(fd, "0123456789", 10, MSG_NOSIGNAL | MSG_DONTWAIT);
        std::this_thread::sleep_for(250ms);
    }
    CHECK(eventually([&] { return srv.get().open_connections() <= 1; }));
    check_probe(p.stop(), "slow body x100");
}

TEST_CASE("abuse: clients that never read a 4 MiB answer are dropped at the write timeout") {
    running_server srv(&app, {.threads = 2, .write_timeout = 1500ms});
    probe p(srv.port());
    std::vector<std::unique_ptr<client>> readers;
    for (int i = 0; i < 50; ++i) {
        readers.push_back(std::make_unique<client>(srv.port()));
        REQUIRE(readers.back()->send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n"));
    }
    CHECK(eventually([&] { return srv.get().open_connections() >= 51; }, 3s));
    CHECK(eventually([&] { return srv.get().open_connections() <= 1; }));
    check_probe(p.stop(), "slow readers x50");
}

TEST_CASE("abuse: 2000 idle keep-alive connections cost the normal client nothing") {
    raise_fd_limit();
    running_server srv(&app, {.threads = 2});
    fd_set_guard conns;
    for (int i = 0; i < 2000; ++i) {
        const int fd = raw_socket(srv.port());
        REQUIRE(fd >= 0);
        conns.fds.push_back(fd);
    }
    CHECK(eventually([&] { return srv.get().open_connections() == 2000; }));
    probe p(srv.port());
    std::this_thread::sleep_for(2s);
    CHECK(srv.get().open_connections() >= 2000); // the probe may be between connections
    check_probe(p.stop(), "2000 idle connections");
}

TEST_CASE("abuse: a flood from one address is capped per client; others are still served") {
    raise_fd_limit();
    running_server srv(&app,
                       {.threads = 2, .max_connections = 5000, .max_connections_per_client = 50});
    probe p(srv.port()); // from 127.0.0.1
    fd_set_guard flood;  // from 127.0.0.2
    for (int i = 0; i < 1000; ++i) {
        const int fd = raw_socket(srv.port(), "127.0.0.2");
        if (fd >= 0) flood.fds.push_back(fd);
    }
    CHECK(flood.fds.size() == 1000);
    CHECK(eventually([&] { return srv.get().open_connections() <= 51; }));
    int refused = 0;
    const auto deadline = test::clock::now() + 5s;
    for (int fd : flood.fds) { // the refused ones have a 503 waiting, or get it shortly
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - test::clock::now());
        pollfd pf{fd, POLLIN, 0};
        char buf[512];
        if (::poll(&pf, 1, static_cast<int>(std::max<long>(0, left.count() / 50))) > 0 &&
            ::recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 12 &&
            std::string_view(buf, 12) == "HTTP/1.1 503")
            ++refused;
    }
    CHECK(refused == 950);
    std::this_thread::sleep_for(1500ms); // the flood stays connected while the probe goes on
    CHECK(srv.get().open_connections() <= 51);
    check_probe(p.stop(), "flood of 1000 connections, cap 50 per client");
}

TEST_CASE("abuse: a flood beyond max_connections is refused with 503, established clients go on") {
    raise_fd_limit();
    running_server srv(&app, {.threads = 2, .max_connections = 100});
    probe p(srv.port());
    CHECK(eventually([&] { return srv.get().open_connections() == 1; }));
    fd_set_guard flood;
    std::atomic<int> refused{0};
    std::thread flooder([&] {
        for (int i = 0; i < 2000; ++i) {
            const int fd = raw_socket(srv.port(), "127.0.0.3");
            if (fd < 0) continue;
            char buf[512];
            pollfd pf{fd, POLLIN, 0};
            if (::poll(&pf, 1, 0) > 0 && ::recv(fd, buf, sizeof buf, 0) > 12 &&
                std::string_view(buf, 12) == "HTTP/1.1 503")
                ++refused;
            flood.fds.push_back(fd);
        }
    });
    flooder.join();
    CHECK(eventually([&] { return srv.get().open_connections() <= 100; }));
    std::this_thread::sleep_for(1500ms); // the flood stays connected while the probe goes on
    check_probe(p.stop(), "flood of 2000 connections beyond max_connections=100");
}

TEST_CASE("abuse: a client pipelining thousands of requests does not starve the others") {
    running_server srv(&app, {.threads = 1, .max_requests_per_connection = 1'000'000});
    probe p(srv.port());
    std::atomic<bool> go{true};
    std::atomic<long> answered{0};
    std::thread greedy([&] {
        client c(srv.port());
        std::string batch;
        for (int i = 0; i < 500; ++i) batch += "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
        while (go) {
            if (!c.send(batch)) return;
            for (int i = 0; i < 500; ++i) {
                const auto r = c.read_response(false, 5s);
                if (!r) return;
                ++answered;
            }
        }
    });
    std::this_thread::sleep_for(2s);
    go = false;
    greedy.join();
    MESSAGE("the pipelining client got " << answered.load() << " answers in 2 s");
    CHECK(answered.load() >= 500);
    check_probe(p.stop(), "pipelined flood on the same worker");
}

TEST_CASE("abuse: a new connection per request at full speed does not starve the others") {
    running_server srv(&app, {.threads = 1});
    probe p(srv.port());
    std::atomic<bool> go{true};
    std::atomic<long> done{0};
    std::thread churn([&] {
        while (go) {
            try {
                client c(srv.port());
                if (!c.send("GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")) continue;
                if (c.read_response(false, 5s)) ++done;
            } catch (const std::exception&) {}
        }
    });
    std::this_thread::sleep_for(2s);
    go = false;
    churn.join();
    MESSAGE("connection churn: " << done.load() << " connections in 2 s");
    CHECK(done.load() >= 100);
    check_probe(p.stop(), "connection churn on the same worker");
}

TEST_SUITE_END();
