// loadgen: the load client for the bench/run scenarios wrk cannot measure.
//
//   loadgen get      --port P [--conns 64] [--duration S | --requests N] [--path /1k.html]
//       Closed loop: each connection sends a GET, waits for the whole response, sends the next.
//       Counts responses per connection per second (a connection the server closes after
//       `Connection: close` is reopened in the same slot), so a starved connection shows as a
//       zero cell. Prints one JSON object.
//   loadgen upload   --port P [--conns 16] [--duration S] [--size 1024] [--path /upload]
//       The same loop with `POST` of a JSON document of SIZE bytes; 200/201 count as served.
//   loadgen idle     --port P --conns N [--path /1k.html]
//       Opens N connections, one GET each, keeps them open and idle. Prints "READY ok failed",
//       then answers "CHECK" on stdin with "OPEN k" (connections still open); exits on EOF.
//   loadgen pipeline --port P [--count 16] [--path /1k.html]
//       One connection: a warm-up GET, "READY", waits for "GO" on stdin, then sends COUNT GETs
//       in one write and reads until COUNT responses are complete. Prints one JSON object.
//   loadgen fetch    --port P [--conns 16] [--duration S] [--path /10m.html] [--size 1048576]
//                    [--rcvbuf BYTES]
//       The closed loop of `get` for large bodies, with as little client work per byte as
//       possible: each recv(2) takes up to SIZE bytes into one scratch buffer, the body is
//       counted, never kept. A client that costs less than wrk's 8 KiB reads, for
//       bench/transfer. --rcvbuf sets SO_RCVBUF before connecting (which bounds the data in
//       flight). Prints one JSON object (responses, bytes, MiB/s, recv calls).
//
// One thread and one epoll loop; responses are framed by Content-Length (no chunked coding:
// every server in bench/run answers these requests with a length).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
    std::string mode;
    std::string host = "127.0.0.1";
    unsigned port = 0;
    std::size_t conns = 0;
    double duration = 0;
    std::size_t requests = 0;
    std::size_t count = 16;
    std::size_t size = 1024;
    int rcvbuf = 0; // fetch: SO_RCVBUF of each connection (0: the kernel's autotuning)
    std::string path;
};

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: loadgen get|upload|idle|pipeline|fetch --port P [--conns N] "
                         "[--duration S] [--requests N] [--count N] [--size B] [--path P]\n");
    std::exit(2);
}

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "loadgen: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

/// Incremental response framing: status, keep-alive and Content-Length.
struct response_reader {
    std::string buf;
    std::size_t pos = 0; // start of the unparsed bytes in buf

    enum class state { need_more, complete, bad };
    struct result {
        state st = state::need_more;
        int status = 0;
        bool close = false;
    };

    void append(const char* p, std::size_t n) {
        if (pos > 0 && pos == buf.size()) {
            buf.clear();
            pos = 0;
        }
        buf.append(p, n);
    }

    static bool iequals(std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(a[i])) !=
                std::tolower(static_cast<unsigned char>(b[i])))
                return false;
        return true;
    }

    result next() {
        result r;
        const std::string_view v(buf.data() + pos, buf.size() - pos);
        const auto end = v.find("\r\n\r\n");
        if (end == std::string_view::npos) return r;
        const std::string_view head = v.substr(0, end + 2);
        if (!head.starts_with("HTTP/1.") || head.size() < 12) return {state::bad, 0, true};
        r.status = std::atoi(std::string(head.substr(9, 3)).c_str());
        r.close = head.starts_with("HTTP/1.0");
        std::size_t length = 0;
        std::size_t line = head.find("\r\n") + 2;
        while (line < head.size()) {
            const auto eol = head.find("\r\n", line);
            const std::string_view field = head.substr(line, eol - line);
            line = eol + 2;
            const auto colon = field.find(':');
            if (colon == std::string_view::npos) continue;
            const std::string_view name = field.substr(0, colon);
            std::string_view value = field.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
            if (iequals(name, "content-length")) {
                length = std::strtoull(std::string(value).c_str(), nullptr, 10);
            } else if (iequals(name, "connection")) {
                r.close = iequals(value, "close");
            } else if (iequals(name, "transfer-encoding")) {
                return {state::bad, r.status, true}; // not expected from these servers
            }
        }
        if (v.size() < end + 4 + length) return {state::need_more, 0, false};
        pos += end + 4 + length;
        r.st = state::complete;
        return r;
    }
};

int connect_to(const options& o) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (o.rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o.rcvbuf, sizeof o.rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(o.port));
    ::inet_pton(AF_INET, o.host.c_str(), &a.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::string make_request(const options& o, bool upload) {
    const std::string host = "Host: " + o.host + ":" + std::to_string(o.port) + "\r\n";
    if (!upload) return "GET " + o.path + " HTTP/1.1\r\n" + host + "\r\n";
    // {"id":1,"pad":"xxx..."} padded to exactly `size` bytes.
    std::string body = "{\"id\":1,\"pad\":\"";
    const std::size_t fixed = body.size() + 2;
    body.append(o.size > fixed ? o.size - fixed : 0, 'x');
    body += "\"}";
    return "POST " + o.path + " HTTP/1.1\r\n" + host +
           "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
}

struct slot {
    int fd = -1;
    std::size_t index = 0;
    std::size_t sent = 0; // bytes of the request written
    bool waiting = false; // request fully sent, response pending
    bool done = false;    // idle mode: answered (or failed) and no longer watched
    clock_type::time_point started{};
    response_reader rd;
};

struct stats {
    std::uint64_t done = 0, non2xx = 0, errors = 0, reconnects = 0;
    std::vector<std::uint32_t> latency_us;
    std::vector<std::vector<std::uint32_t>> per_second; // [slot][second]
};

double percentile(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

/// The closed loop of `get` and `upload`.
int run_closed_loop(const options& o, bool upload) {
    const std::string req = make_request(o, upload);
    const std::size_t seconds = o.duration > 0 ? static_cast<std::size_t>(o.duration) : 600;
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    std::vector<slot> slots(o.conns);
    stats st;
    st.per_second.assign(o.conns, std::vector<std::uint32_t>(seconds + 1, 0));

    auto open_slot = [&](slot& s) {
        s.fd = connect_to(o);
        if (s.fd < 0) die("connect");
        s.sent = 0;
        s.waiting = false;
        s.rd = {};
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
        ev.data.ptr = &s;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
    };
    auto send_more = [&](slot& s) {
        if (s.sent == 0) s.started = clock_type::now();
        while (s.sent < req.size()) {
            const ssize_t w = ::send(s.fd, req.data() + s.sent, req.size() - s.sent, MSG_NOSIGNAL);
            if (w < 0) return errno == EAGAIN || errno == ENOTCONN;
            s.sent += static_cast<std::size_t>(w);
        }
        s.waiting = true;
        return true;
    };
    auto reopen = [&](slot& s) {
        ::close(s.fd);
        ++st.reconnects;
        open_slot(s);
        send_more(s);
    };

    for (std::size_t i = 0; i < slots.size(); ++i) {
        slots[i].index = i;
        open_slot(slots[i]);
    }
    const auto start = clock_type::now();
    const auto deadline =
        start + std::chrono::duration_cast<clock_type::duration>(
                    std::chrono::duration<double>(o.duration > 0 ? o.duration : 600.0));
    for (auto& s : slots) send_more(s);

    std::vector<char> buf(256 * 1024);
    epoll_event events[256];
    bool finished = false;
    while (!finished) {
        const int n = ::epoll_wait(ep, events, 256, 100);
        const auto now = clock_type::now();
        if (now >= deadline) break;
        for (int i = 0; i < n && !finished; ++i) {
            slot& s = *static_cast<slot*>(events[i].data.ptr);
            if ((events[i].events & EPOLLOUT) != 0 && !s.waiting && !send_more(s)) {
                ++st.errors;
                reopen(s);
                continue;
            }
            if ((events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) continue;
            bool eof = false;
            for (;;) {
                const ssize_t r = ::recv(s.fd, buf.data(), buf.size(), 0);
                if (r > 0) {
                    s.rd.append(buf.data(), static_cast<std::size_t>(r));
                    continue;
                }
                if (r == 0 || errno != EAGAIN) eof = true;
                break;
            }
            bool must_reopen = false;
            for (;;) {
                const auto res = s.rd.next();
                if (res.st == response_reader::state::need_more) break;
                if (res.st == response_reader::state::bad || !s.waiting) {
                    ++st.errors;
                    must_reopen = true;
                    break;
                }
                const auto t = clock_type::now();
                const auto us =
                    std::chrono::duration_cast<std::chrono::microseconds>(t - s.started).count();
                st.latency_us.push_back(static_cast<std::uint32_t>(us));
                ++st.done;
                if (res.status < 200 || res.status > 299) ++st.non2xx;
                const auto sec =
                    static_cast<std::size_t>(std::chrono::duration<double>(t - start).count());
                if (sec < st.per_second[s.index].size()) ++st.per_second[s.index][sec];
                s.waiting = false;
                s.sent = 0;
                if (o.requests > 0 && st.done >= o.requests) {
                    finished = true;
                    break;
                }
                if (res.close) {
                    must_reopen = true;
                    break;
                }
                if (!send_more(s)) {
                    ++st.errors;
                    must_reopen = true;
                }
                break; // one request in flight per connection
            }
            if (finished) break;
            if (!must_reopen && eof) {
                if (s.waiting) ++st.errors; // closed with a request pending
                must_reopen = true;
            }
            if (must_reopen) reopen(s);
        }
    }
    const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    for (auto& s : slots) ::close(s.fd);

    // Starvation: the fewest responses any connection got in any whole second of the run.
    const auto whole = std::min<std::size_t>(seconds, static_cast<std::size_t>(elapsed));
    std::uint64_t min_cell = UINT64_MAX, zero_cells = 0, cells = 0;
    std::vector<std::uint64_t> min_by_second;
    for (std::size_t sec = 0; sec < whole; ++sec) {
        std::uint64_t m = UINT64_MAX;
        for (const auto& row : st.per_second) {
            m = std::min<std::uint64_t>(m, row[sec]);
            zero_cells += row[sec] == 0 ? 1 : 0;
            ++cells;
        }
        min_by_second.push_back(m);
        min_cell = std::min(min_cell, m);
    }
    if (whole == 0) min_cell = 0;
    std::uint64_t max_cell = 0;
    for (const auto& row : st.per_second)
        for (std::size_t sec = 0; sec < whole; ++sec)
            max_cell = std::max<std::uint64_t>(max_cell, row[sec]);

    std::printf(
        "{\"mode\":\"%s\",\"conns\":%zu,\"seconds\":%.3f,\"requests\":%llu,\"rps\":%.1f,"
        "\"non2xx\":%llu,\"errors\":%llu,\"reconnects\":%llu,\"p50_us\":%.0f,"
        "\"p90_us\":%.0f,\"p99_us\":%.0f,\"max_us\":%.0f,\"min_per_conn_second\":%llu,"
        "\"max_per_conn_second\":%llu,\"zero_cells\":%llu,\"cells\":%llu,"
        "\"min_by_second\":[",
        o.mode.c_str(), o.conns, elapsed, static_cast<unsigned long long>(st.done),
        static_cast<double>(st.done) / elapsed, static_cast<unsigned long long>(st.non2xx),
        static_cast<unsigned long long>(st.errors), static_cast<unsigned long long>(st.reconnects),
        percentile(st.latency_us, 50), percentile(st.latency_us, 90), percentile(st.latency_us, 99),
        percentile(st.latency_us, 100), static_cast<unsigned long long>(min_cell),
        static_cast<unsigned long long>(max_cell), static_cast<unsigned long long>(zero_cells),
        static_cast<unsigned long long>(cells));
    for (std::size_t i = 0; i < min_by_second.size(); ++i)
        std::printf("%s%llu", i ? "," : "", static_cast<unsigned long long>(min_by_second[i]));
    std::printf("]}\n");
    return 0;
}

/// `fetch`: closed-loop GETs of a large file on keep-alive connections; bodies are counted and
/// dropped. Each connection parses its response head from the first bytes, then counts down
/// Content-Length.
int run_fetch(const options& o) {
    const std::string req = make_request(o, false);
    struct fslot {
        int fd = -1;
        std::string head;       // the response head while it is incomplete
        std::uint64_t left = 0; // body bytes still to come
        bool in_body = false;
    };
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    std::vector<fslot> slots(o.conns);
    std::uint64_t responses = 0, bytes = 0, recvs = 0, errors = 0, non2xx = 0;
    auto send_request = [&](fslot& s) {
        // The request is tiny: one send on an established connection (or queued by connect).
        if (::send(s.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
            ++errors;
    };
    auto open_slot = [&](fslot& s) {
        s.fd = connect_to(o);
        if (s.fd < 0) die("connect");
        pollfd p{s.fd, POLLOUT, 0};
        ::poll(&p, 1, 5000);
        s.head.clear();
        s.in_body = false;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.ptr = &s;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
        send_request(s);
    };
    for (auto& s : slots) open_slot(s);
    std::vector<char> buf(std::max<std::size_t>(o.size, 4096));
    epoll_event events[256];
    const auto start = clock_type::now();
    const auto deadline = start + std::chrono::duration_cast<clock_type::duration>(
                                      std::chrono::duration<double>(o.duration));
    while (clock_type::now() < deadline) {
        const int n = ::epoll_wait(ep, events, 256, 100);
        for (int i = 0; i < n; ++i) {
            fslot& s = *static_cast<fslot*>(events[i].data.ptr);
            // Level-triggered: one recv per event, so that the connections take turns.
            const ssize_t r = ::recv(s.fd, buf.data(), buf.size(), 0);
            ++recvs;
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                ++errors;
                ::epoll_ctl(ep, EPOLL_CTL_DEL, s.fd, nullptr);
                ::close(s.fd);
                open_slot(s);
                continue;
            }
            std::size_t used = 0;
            const auto got = static_cast<std::size_t>(r);
            while (used < got) {
                if (!s.in_body) {
                    const std::size_t before = s.head.size();
                    s.head.append(buf.data() + used, std::min<std::size_t>(got - used, 8192));
                    const auto end = s.head.find("\r\n\r\n");
                    if (end == std::string::npos) {
                        used = got;
                        break;
                    }
                    used += end + 4 - before;
                    const std::string_view h(s.head.data(), end + 4);
                    if (!h.starts_with("HTTP/1.1 2")) ++non2xx;
                    std::string lower(h);
                    for (auto& ch : lower)
                        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                    const auto cl = lower.find("\r\ncontent-length:");
                    s.left = cl == std::string::npos
                                 ? 0
                                 : std::strtoull(lower.c_str() + cl + 17, nullptr, 10);
                    s.head.clear();
                    s.in_body = true;
                }
                const auto take = std::min<std::uint64_t>(s.left, got - used);
                s.left -= take;
                used += static_cast<std::size_t>(take);
                bytes += take;
                if (s.left == 0) {
                    s.in_body = false;
                    ++responses;
                    send_request(s);
                }
            }
        }
    }
    const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    for (auto& s : slots) ::close(s.fd);
    std::printf("{\"mode\":\"fetch\",\"conns\":%zu,\"seconds\":%.3f,\"requests\":%llu,"
                "\"bytes\":%llu,\"rps\":%.1f,\"mib_per_s\":%.1f,\"recv_calls\":%llu,"
                "\"errors\":%llu,\"non2xx\":%llu}\n",
                o.conns, elapsed, static_cast<unsigned long long>(responses),
                static_cast<unsigned long long>(bytes), static_cast<double>(responses) / elapsed,
                static_cast<double>(bytes) / elapsed / (1 << 20),
                static_cast<unsigned long long>(recvs), static_cast<unsigned long long>(errors),
                static_cast<unsigned long long>(non2xx));
    return 0;
}

/// `idle`: N connections, one GET each, then held open.
int run_idle(const options& o) {
    const std::string req = make_request(o, false);
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    std::vector<slot> slots(o.conns);
    std::size_t next = 0, in_flight = 0, ok = 0, failed = 0;
    constexpr std::size_t max_in_flight = 64; // below every server's listen backlog
    auto launch = [&] {
        while (next < slots.size() && in_flight < max_in_flight) {
            slot& s = slots[next];
            s.index = next++;
            s.fd = connect_to(o);
            if (s.fd < 0) {
                ++failed;
                continue;
            }
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
            ev.data.ptr = &s;
            ::epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
            ++in_flight;
        }
    };
    launch();
    std::vector<char> buf(64 * 1024);
    epoll_event events[256];
    const auto give_up = clock_type::now() + std::chrono::seconds(60);
    while ((in_flight > 0 || next < slots.size()) && clock_type::now() < give_up) {
        const int n = ::epoll_wait(ep, events, 256, 100);
        for (int i = 0; i < n; ++i) {
            slot& s = *static_cast<slot*>(events[i].data.ptr);
            if (s.done) continue;
            bool fail = (events[i].events & (EPOLLERR | EPOLLHUP)) != 0;
            if (!fail && !s.waiting && (events[i].events & EPOLLOUT) != 0) {
                const ssize_t w =
                    ::send(s.fd, req.data() + s.sent, req.size() - s.sent, MSG_NOSIGNAL);
                if (w > 0)
                    s.sent += static_cast<std::size_t>(w);
                else if (errno != EAGAIN)
                    fail = true;
                if (s.sent == req.size()) s.waiting = true;
            }
            if (!fail && s.waiting) {
                for (;;) {
                    const ssize_t r = ::recv(s.fd, buf.data(), buf.size(), 0);
                    if (r > 0) {
                        s.rd.append(buf.data(), static_cast<std::size_t>(r));
                        continue;
                    }
                    if (r == 0 || errno != EAGAIN) fail = true;
                    break;
                }
                const auto res = fail ? response_reader::result{} : s.rd.next();
                if (!fail && res.st == response_reader::state::complete) {
                    ::epoll_ctl(ep, EPOLL_CTL_DEL, s.fd, nullptr);
                    if (res.status == 200 && !res.close) {
                        ++ok;
                    } else {
                        ++failed;
                        ::close(s.fd);
                        s.fd = -1;
                    }
                    --in_flight;
                    s.done = true;
                } else if (res.st == response_reader::state::bad) {
                    fail = true;
                }
            }
            if (fail) {
                ::epoll_ctl(ep, EPOLL_CTL_DEL, s.fd, nullptr);
                ::close(s.fd);
                s.fd = -1;
                s.done = true;
                ++failed;
                --in_flight;
            }
        }
        launch();
    }
    failed += in_flight + (slots.size() - next);
    std::printf("READY %zu %zu\n", ok, failed);
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line == "CHECK") {
            std::size_t open = 0;
            for (const auto& s : slots) {
                if (s.fd < 0) continue;
                char c;
                const ssize_t r = ::recv(s.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
                if (r > 0 || (r < 0 && errno == EAGAIN)) ++open;
            }
            std::printf("OPEN %zu\n", open);
            std::fflush(stdout);
        }
    }
    return 0;
}

/// `pipeline`: COUNT requests in one write on a warmed-up connection.
int run_pipeline(const options& o) {
    const std::string one = make_request(o, false);
    const int fd = connect_to(o);
    if (fd < 0) die("connect");
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, 5000);
    response_reader rd;
    std::vector<char> buf(1 << 20);
    auto read_responses = [&](std::size_t want, std::size_t& reads) {
        std::size_t got = 0;
        const auto until = clock_type::now() + std::chrono::seconds(5);
        while (got < want && clock_type::now() < until) {
            pollfd q{fd, POLLIN, 0};
            if (::poll(&q, 1, 100) <= 0) continue;
            const ssize_t r = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
            if (r == 0) break;
            if (r < 0) continue;
            ++reads;
            rd.append(buf.data(), static_cast<std::size_t>(r));
            for (auto res = rd.next(); res.st == response_reader::state::complete; res = rd.next())
                ++got;
        }
        return got;
    };
    std::size_t reads = 0;
    if (::send(fd, one.data(), one.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(one.size()) ||
        read_responses(1, reads) != 1)
        die("warm-up request");
    std::printf("READY\n");
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line) && line != "GO") {}
    std::string all;
    for (std::size_t i = 0; i < o.count; ++i) all += one;
    const ssize_t w = ::send(fd, all.data(), all.size(), MSG_NOSIGNAL);
    reads = 0;
    const std::size_t got = read_responses(o.count, reads);
    std::printf("{\"mode\":\"pipeline\",\"sent\":%zu,\"request_bytes\":%zd,\"responses\":%zu,"
                "\"client_reads\":%zu}\n",
                o.count, w, got, reads);
    ::close(fd);
    return got == o.count ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) usage();
    options o;
    o.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc) usage();
        const char* v = argv[++i];
        if (a == "--port")
            o.port = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
        else if (a == "--host")
            o.host = v;
        else if (a == "--conns")
            o.conns = std::strtoul(v, nullptr, 10);
        else if (a == "--duration")
            o.duration = std::strtod(v, nullptr);
        else if (a == "--requests")
            o.requests = std::strtoul(v, nullptr, 10);
        else if (a == "--count")
            o.count = std::strtoul(v, nullptr, 10);
        else if (a == "--size")
            o.size = std::strtoul(v, nullptr, 10);
        else if (a == "--path")
            o.path = v;
        else if (a == "--rcvbuf")
            o.rcvbuf = static_cast<int>(std::strtol(v, nullptr, 10));
        else
            usage();
    }
    if (o.port == 0) usage();
    signal(SIGPIPE, SIG_IGN);
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) { // the idle mode needs one fd per connection
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (o.mode == "get" || o.mode == "upload") {
        const bool up = o.mode == "upload";
        if (o.conns == 0) o.conns = up ? 16 : 64;
        if (o.path.empty()) o.path = up ? "/upload" : "/1k.html";
        if (o.duration <= 0 && o.requests == 0) o.duration = 10;
        return run_closed_loop(o, up);
    }
    if (o.mode == "fetch") {
        if (o.conns == 0) o.conns = 16;
        if (o.path.empty()) o.path = "/10m.html";
        if (o.duration <= 0) o.duration = 10;
        if (o.size == 1024) o.size = 1 << 20; // --size: the recv buffer here
        return run_fetch(o);
    }
    if (o.path.empty()) o.path = "/1k.html";
    if (o.mode == "idle") {
        if (o.conns == 0) usage();
        return run_idle(o);
    }
    if (o.mode == "pipeline") return run_pipeline(o);
    usage();
}
