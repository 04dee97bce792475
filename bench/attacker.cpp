// attacker: the hostile connections of bench/attack, run beside a well-behaved load (h2load).
//
//   attacker --port P --duration S [--host 127.0.0.1]
//            [--silent N] [--silent-at S] [--silent-window S] [--silent-replace]
//            [--slowloris N] [--slowloris-at S] [--slowloris-window S] [--slowloris-interval S]
//            [--garbage-rate R] [--garbage-at S] [--answer-timeout S]
//
//   --silent N           opens N connections at --silent-at seconds (default 2), spread over
//                        --silent-window seconds (default 0: as fast as connect(2) goes), that
//                        never send a byte. Each is held until the server closes it; with
//                        --silent-replace a closed one is reopened at once (N stay open).
//   --slowloris N        N connections (opened like the silent ones) that send one byte of a
//                        never-ending request head every --slowloris-interval seconds
//                        (default 2), the first at once. A closed one is reopened at once.
//   --garbage-rate R     from --garbage-at seconds, R connections per second that each send one
//                        malformed request (a field line without a colon), read the answer
//                        (its head and Content-Length body, or up to EOF) and close. An answer
//                        that takes more than --answer-timeout seconds (default 5) is counted
//                        as unanswered and the connection closed.
//
// Runs for --duration seconds, then closes everything and prints one JSON object: per kind of
// connection how many were opened, failed to connect, were closed by the server (and after how
// long), what the server answered; the wall-clock (epoch) times of the silent connections'
// closes, so that bench/attack can line them up with the good clients' request times.
// SIGTERM or SIGINT end the run early (the JSON is still printed).
//
// One thread, one edge-triggered epoll loop, every socket non-blocking; loopback use only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

volatile sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

struct options {
    std::string host = "127.0.0.1";
    unsigned port = 0;
    double duration = 0;
    std::size_t silent = 0;
    double silent_at = 2, silent_window = 0;
    bool silent_replace = false;
    std::size_t slowloris = 0;
    double slowloris_at = 2, slowloris_window = 0, slowloris_interval = 2;
    double garbage_rate = 0, garbage_at = 2;
    double answer_timeout = 5;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: attacker --port P --duration S [--host H] [--silent N] [--silent-at S]"
                 " [--silent-window S] [--silent-replace] [--slowloris N] [--slowloris-at S]"
                 " [--slowloris-window S] [--slowloris-interval S] [--garbage-rate R]"
                 " [--garbage-at S] [--answer-timeout S]\n");
    std::exit(2);
}

double mono() {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double wall() {
    timespec t{};
    ::clock_gettime(CLOCK_REALTIME, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

enum class kind : std::uint8_t { silent, slowloris, garbage };
constexpr std::size_t kinds = 3;
constexpr const char* kind_name[kinds] = {"silent", "slowloris", "garbage"};

// The never-ending head a slowloris connection sends, one byte per interval: a request line and
// Host, then one header field whose value never ends.
constexpr std::string_view slow_head = "GET /1k.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
// The malformed request of a garbage connection: a field line without a colon (400 everywhere).
constexpr std::string_view garbage_request =
    "GET /1k.html HTTP/1.1\r\nHost: 127.0.0.1\r\nthis line is no header field\r\n\r\n";

struct conn {
    kind k = kind::silent;
    int fd = -1;
    std::uint32_t gen = 0;
    bool connected = false;
    double opened = 0;    // monotonic, when connect(2) was called
    double next_byte = 0; // slowloris: when the next byte is due
    std::size_t sent = 0; // bytes of the request written
    std::string in;       // what the server sent
};

struct kind_stats {
    std::uint64_t opened = 0;         // connect(2) called
    std::uint64_t connect_failed = 0; // refused, reset before established, or no descriptor
    std::uint64_t established = 0;
    std::uint64_t closed_by_server = 0; // EOF or reset while we kept it open
    std::uint64_t reset = 0;            // ... of which by a reset
    std::uint64_t answered = 0;         // the server sent a status line before closing
    std::uint64_t unanswered = 0;       // garbage: no complete answer within the timeout / EOF
    std::uint64_t bytes_sent = 0;
    std::uint64_t open_at_end = 0;
    std::map<int, std::uint64_t> status; // status codes the server answered with
    std::vector<double> lifetime;        // s from connect to the server's close
    std::vector<double> close_wall;      // epoch s of each server close (silent only)
    std::vector<double> answer_time;     // garbage: s from connect to the complete answer
    double first_established = 0, last_established = 0; // epoch s
};

class attacker {
  public:
    explicit attacker(const options& o) : o_(o) {
        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) die("epoll_create1");
        addr_.sin_family = AF_INET;
        addr_.sin_port = htons(static_cast<std::uint16_t>(o.port));
        if (::inet_pton(AF_INET, o.host.c_str(), &addr_.sin_addr) != 1) usage();
    }

    void run() {
        start_mono_ = mono();
        start_wall_ = wall();
        const double end = start_mono_ + o_.duration;
        epoll_event events[512];
        double next_scan = 0;
        for (;;) {
            const double now = mono();
            if (now >= end || stop_requested) break;
            if (now >= next_scan) {
                scan(now);
                next_scan = now + 0.005;
            }
            // Rounded up: a zero timeout for the last fraction of a millisecond would spin.
            const double wait = std::min(next_scan, end) - mono();
            const int n =
                ::epoll_wait(ep_, events, 512, std::max(0, static_cast<int>(wait * 1e3) + 1));
            if (n < 0 && errno != EINTR) die("epoll_wait");
            for (int i = 0; i < n; ++i) {
                const std::uint64_t tag = events[i].data.u64;
                conn& c = pool_[tag & 0xffffffffu];
                if (c.fd < 0 || c.gen != static_cast<std::uint32_t>(tag >> 32)) continue; // stale
                on_event(c, events[i].events);
            }
        }
        for (auto& c : pool_)
            if (c.fd >= 0) {
                ++st_[static_cast<std::size_t>(c.k)].open_at_end;
                drop(c);
            }
        report();
    }

  private:
    [[noreturn]] static void die(const char* what) {
        std::fprintf(stderr, "attacker: %s: %s\n", what, std::strerror(errno));
        std::exit(1);
    }

    double to_wall(double m) const { return start_wall_ + (m - start_mono_); }

    // How many of `total` connections opened from `at` over `window` seconds are due by `t`.
    static std::size_t due(std::size_t total, double at, double window, double t) {
        if (total == 0 || t < at) return 0;
        if (window <= 0) return total;
        const double share = (t - at) / window;
        return share >= 1 ? total : std::min(total, static_cast<std::size_t>(share * total) + 1);
    }

    // Opens whatever is due and sends the slowloris bytes that are due; times out garbage.
    void scan(double now) {
        const double rel = now - start_mono_;
        const std::size_t silent_due = due(o_.silent, o_.silent_at, o_.silent_window, rel);
        while (silent_started_ < silent_due) {
            ++silent_started_;
            open(kind::silent, now);
        }
        const std::size_t slow_due = due(o_.slowloris, o_.slowloris_at, o_.slowloris_window, rel);
        while (slow_started_ < slow_due) {
            ++slow_started_;
            open(kind::slowloris, now);
        }
        // Replacements of the connections the server closed (or that failed to connect).
        for (; silent_reopen_ > 0; --silent_reopen_) open(kind::silent, now);
        for (; slow_reopen_ > 0; --slow_reopen_) open(kind::slowloris, now);
        if (o_.garbage_rate > 0 && rel >= o_.garbage_at) {
            const auto want = static_cast<std::uint64_t>((rel - o_.garbage_at) * o_.garbage_rate);
            while (garbage_started_ < want) {
                ++garbage_started_;
                open(kind::garbage, now);
            }
        }
        for (auto& c : pool_) {
            if (c.fd < 0 || !c.connected) {
                if (c.fd >= 0 && c.k == kind::garbage && now - c.opened > o_.answer_timeout) {
                    ++st_[2].unanswered;
                    drop(c);
                }
                continue;
            }
            if (c.k == kind::slowloris && now >= c.next_byte) {
                send_slow_byte(c, now);
            } else if (c.k == kind::garbage && now - c.opened > o_.answer_timeout) {
                ++st_[2].unanswered;
                drop(c);
            }
        }
    }

    void open(kind k, double now) {
        auto& s = st_[static_cast<std::size_t>(k)];
        ++s.opened;
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            ++s.connect_failed;
            return;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_) != 0 &&
            errno != EINPROGRESS) {
            ++s.connect_failed;
            ::close(fd);
            return;
        }
        std::size_t i;
        if (!free_.empty()) {
            i = free_.back();
            free_.pop_back();
        } else {
            i = pool_.size();
            pool_.emplace_back();
        }
        conn& c = pool_[i];
        c.k = k;
        c.fd = fd;
        ++c.gen;
        c.connected = false;
        c.opened = now;
        c.next_byte = now;
        c.sent = 0;
        c.in.clear();
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.u64 = (static_cast<std::uint64_t>(c.gen) << 32) | i;
        if (::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
    }

    // Closes our side; the slot is reused by the next open().
    void drop(conn& c) {
        ::close(c.fd);
        c.fd = -1;
        c.in = std::string();
        free_.push_back(static_cast<std::size_t>(&c - pool_.data()));
    }

    void on_event(conn& c, std::uint32_t ev) {
        auto& s = st_[static_cast<std::size_t>(c.k)];
        const double now = mono();
        if (!c.connected) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0 || (ev & (EPOLLOUT | EPOLLIN | EPOLLRDHUP)) == 0) {
                ++s.connect_failed;
                reopen_later(c.k);
                drop(c);
                return;
            }
            c.connected = true;
            ++s.established;
            const double w = to_wall(now);
            if (s.first_established == 0) s.first_established = w;
            s.last_established = w;
            if (c.k == kind::slowloris) send_slow_byte(c, now);
            if (c.k == kind::garbage) send_garbage(c);
            if (c.fd < 0) return;
        }
        if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) return;
        bool eof = false, reset = false;
        char buf[16384];
        for (;;) {
            const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
            if (r > 0) {
                if (c.in.size() < 65536) c.in.append(buf, static_cast<std::size_t>(r));
                continue;
            }
            if (r == 0)
                eof = true;
            else if (errno != EAGAIN && errno != EINTR)
                eof = reset = true;
            if (r < 0 && errno == EINTR) continue;
            break;
        }
        if (c.k == kind::garbage) {
            const int status = complete_answer(c.in, eof);
            if (status > 0) {
                ++s.answered;
                ++s.status[status];
                s.answer_time.push_back(now - c.opened);
                drop(c); // read the answer: close
                return;
            }
            if (eof) {
                ++s.unanswered;
                ++s.closed_by_server;
                if (reset) ++s.reset;
                drop(c);
            }
            return;
        }
        if (!eof) return;
        ++s.closed_by_server;
        if (reset) ++s.reset;
        const int status = status_of(c.in);
        if (status > 0) {
            ++s.answered;
            ++s.status[status];
        }
        s.lifetime.push_back(now - c.opened);
        if (c.k == kind::silent) s.close_wall.push_back(to_wall(now));
        const kind k = c.k;
        drop(c);
        if (k == kind::slowloris || o_.silent_replace) open(k, now);
    }

    void reopen_later(kind k) {
        if (k == kind::slowloris) ++slow_reopen_;
        if (k == kind::silent && o_.silent_replace) ++silent_reopen_;
    }

    void send_slow_byte(conn& c, double now) {
        const char ch = c.sent < slow_head.size() ? slow_head[c.sent] : 'a';
        const ssize_t w = ::send(c.fd, &ch, 1, MSG_NOSIGNAL);
        if (w == 1) {
            ++c.sent;
            ++st_[1].bytes_sent;
        }
        // A failed send means the server is closing: its EOF or reset arrives as an event.
        c.next_byte = now + o_.slowloris_interval;
    }

    void send_garbage(conn& c) {
        const ssize_t w =
            ::send(c.fd, garbage_request.data(), garbage_request.size(), MSG_NOSIGNAL);
        if (w > 0) st_[2].bytes_sent += static_cast<std::uint64_t>(w);
    }

    // The status code of a response head in `in`, or 0.
    static int status_of(std::string_view in) {
        if (in.size() < 12 || !in.starts_with("HTTP/1.")) return 0;
        return std::atoi(std::string(in.substr(9, 3)).c_str());
    }

    // The status once `in` holds a whole response (head + Content-Length body; without a
    // length, up to EOF); else 0.
    static int complete_answer(std::string_view in, bool eof) {
        const auto end = in.find("\r\n\r\n");
        if (end == std::string_view::npos) return 0;
        const int status = status_of(in);
        std::string head(in.substr(0, end));
        for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        const auto cl = head.find("\r\ncontent-length:");
        if (cl == std::string::npos) return eof ? status : 0;
        const auto length = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
        return in.size() >= end + 4 + length || eof ? status : 0;
    }

    static void percentiles(std::FILE* f, std::vector<double> v) {
        if (v.empty()) {
            std::fprintf(f, "null");
            return;
        }
        std::sort(v.begin(), v.end());
        auto at = [&](double p) { return v[static_cast<std::size_t>(p * (v.size() - 1))]; };
        std::fprintf(f, "{\"min\":%.4f,\"p50\":%.4f,\"max\":%.4f}", v.front(), at(0.5), v.back());
    }

    void report() {
        std::FILE* f = stdout;
        std::fprintf(f, "{\"start_wall\":%.6f,\"seconds\":%.3f", start_wall_, mono() - start_mono_);
        for (std::size_t k = 0; k < kinds; ++k) {
            const auto& s = st_[k];
            std::fprintf(f,
                         ",\"%s\":{\"opened\":%llu,\"connect_failed\":%llu,\"established\":%llu,"
                         "\"closed_by_server\":%llu,\"reset\":%llu,\"answered\":%llu,"
                         "\"unanswered\":%llu,\"bytes_sent\":%llu,\"open_at_end\":%llu,"
                         "\"first_established\":%.6f,\"last_established\":%.6f,\"status\":{",
                         kind_name[k], static_cast<unsigned long long>(s.opened),
                         static_cast<unsigned long long>(s.connect_failed),
                         static_cast<unsigned long long>(s.established),
                         static_cast<unsigned long long>(s.closed_by_server),
                         static_cast<unsigned long long>(s.reset),
                         static_cast<unsigned long long>(s.answered),
                         static_cast<unsigned long long>(s.unanswered),
                         static_cast<unsigned long long>(s.bytes_sent),
                         static_cast<unsigned long long>(s.open_at_end), s.first_established,
                         s.last_established);
            bool first = true;
            for (const auto& [code, n] : s.status) {
                std::fprintf(f, "%s\"%d\":%llu", first ? "" : ",", code,
                             static_cast<unsigned long long>(n));
                first = false;
            }
            std::fprintf(f, "},\"lifetime_s\":");
            percentiles(f, s.lifetime);
            std::fprintf(f, ",\"answer_s\":");
            percentiles(f, s.answer_time);
            if (k == 0) {
                std::fprintf(f, ",\"close_wall\":[");
                for (std::size_t i = 0; i < s.close_wall.size(); ++i)
                    std::fprintf(f, "%s%.4f", i ? "," : "", s.close_wall[i]);
                std::fprintf(f, "]");
            }
            std::fprintf(f, "}");
        }
        std::fprintf(f, "}\n");
        std::fflush(f);
    }

    options o_;
    int ep_ = -1;
    sockaddr_in addr_{};
    double start_mono_ = 0, start_wall_ = 0;
    std::vector<conn> pool_;
    std::vector<std::size_t> free_;
    std::size_t silent_started_ = 0, slow_started_ = 0;
    std::size_t silent_reopen_ = 0, slow_reopen_ = 0;
    std::uint64_t garbage_started_ = 0;
    kind_stats st_[kinds];
};

} // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--silent-replace") {
            o.silent_replace = true;
            continue;
        }
        if (i + 1 >= argc) usage();
        const char* v = argv[++i];
        auto num = [&] { return std::strtod(v, nullptr); };
        if (a == "--port")
            o.port = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
        else if (a == "--host")
            o.host = v;
        else if (a == "--duration")
            o.duration = num();
        else if (a == "--silent")
            o.silent = std::strtoul(v, nullptr, 10);
        else if (a == "--silent-at")
            o.silent_at = num();
        else if (a == "--silent-window")
            o.silent_window = num();
        else if (a == "--slowloris")
            o.slowloris = std::strtoul(v, nullptr, 10);
        else if (a == "--slowloris-at")
            o.slowloris_at = num();
        else if (a == "--slowloris-window")
            o.slowloris_window = num();
        else if (a == "--slowloris-interval")
            o.slowloris_interval = num();
        else if (a == "--garbage-rate")
            o.garbage_rate = num();
        else if (a == "--garbage-at")
            o.garbage_at = num();
        else if (a == "--answer-timeout")
            o.answer_timeout = num();
        else
            usage();
    }
    if (o.port == 0 || o.duration <= 0 || o.slowloris_interval <= 0) usage();
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) { // one descriptor per connection
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGTERM, on_signal);
    ::signal(SIGINT, on_signal);
    attacker(o).run();
    return 0;
}
