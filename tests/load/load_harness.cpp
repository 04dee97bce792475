// load-harness: drives the example server (examples/server) as a subprocess over real sockets.
//
// Load mode (default): N keep-alive clients fetch every resource on one persistent connection
// each and compare the bytes with the files, while U clients upload distinct JSON documents at
// the same time; then every file in DOCROOT/uploads must be exactly one posted document, and
// every posted document must be stored exactly once, under the name its 201 gave.
//
// --kill-test: uploads of 256 KiB to 1 MiB, sent slowly in pieces, and the server SIGKILLed
// while some are mid-flight, several rounds on the same document root; after each kill every
// file in DOCROOT/uploads must be a whole, byte-exact posted document (never empty, partial or a
// visible temporary), and every upload answered 201 before the kill must be there.
//
// The clients are a few threads, each one epoll loop multiplexing many non-blocking sockets.
// Exit status: 0 if everything held, 1 if not, 2 for a usage or setup error. See README.md.

#include "../example/process.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#ifndef MINIHTTP_SERVER_BINARY
#define MINIHTTP_SERVER_BINARY "minihttp-server"
#endif
#ifndef MINIHTTP_EXAMPLE_RESOURCES
#define MINIHTTP_EXAMPLE_RESOURCES "examples/server/resources"
#endif

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr std::string_view usage = R"(usage: load-harness [options]

Load mode (default): keep-alive clients fetch every resource and compare the bytes while
concurrent uploads are posted; every upload must be stored exactly once, byte-exact.
--kill-test: SIGKILLs the server in the middle of slow uploads, several rounds; every file
left in DOCROOT/uploads must be a whole posted document.

  --server PATH         the minihttp-server binary (default: this build's)
  --resources DIR       files to serve, copied to a temporary docroot (default: the example's)
  --clients N           concurrent keep-alive GET clients (default 500)
  --requests N          requests per client (default: every resource, twice)
  --uploads N           concurrent uploads (per round with --kill-test) (default 50)
  --upload-bytes N      size of each uploaded JSON document in load mode (default 65536)
  --threads N           the server's MAX_THREADS (default 4)
  --client-threads N    client event loops (default 2)
  --chunked-files       start the server with --chunked-files (chunked responses)
  --kill-test           run the SIGKILL durability scenario instead of the load
  --rounds N            kills with --kill-test (default 5)
  --seconds N           overall deadline (default 120)
  --seed N              random seed (default: from the clock; printed)
  -h, --help            show this help
)";

struct config {
    std::string server = MINIHTTP_SERVER_BINARY;
    std::string resources = MINIHTTP_EXAMPLE_RESOURCES;
    std::size_t clients = 500;
    std::size_t requests = 0; // 0: every resource twice
    std::size_t uploads = 50;
    std::size_t upload_bytes = 64 * 1024;
    unsigned threads = 4;
    unsigned client_threads = 2;
    bool chunked_files = false;
    bool kill_test = false;
    unsigned rounds = 5;
    unsigned seconds = 120;
    std::uint64_t seed = 0;
};

[[noreturn]] void bad_usage(const std::string& message) {
    std::fprintf(stderr, "load-harness: %s\nTry 'load-harness --help'.\n", message.c_str());
    std::exit(2);
}

template <class T>
T parse_number(std::string_view text, T min, T max, std::string_view what) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
        bad_usage("invalid " + std::string(what) + " '" + std::string(text) + "' (expected " +
                  std::to_string(min) + "-" + std::to_string(max) + ")");
    return value;
}

config parse_args(int argc, char** argv) {
    config c;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        std::string_view flag = arg, inline_value;
        bool has_inline = false;
        if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            flag = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
            has_inline = true;
        }
        auto value = [&]() -> std::string_view {
            if (has_inline) return inline_value;
            if (i + 1 >= argc) bad_usage(std::string(flag) + " needs a value");
            return argv[++i];
        };
        constexpr std::size_t big = 1'000'000;
        if (flag == "-h" || flag == "--help") {
            std::fwrite(usage.data(), 1, usage.size(), stdout);
            std::exit(0);
        } else if (flag == "--server") {
            c.server = value();
        } else if (flag == "--resources") {
            c.resources = value();
        } else if (flag == "--clients") {
            c.clients = parse_number<std::size_t>(value(), 0, big, flag);
        } else if (flag == "--requests") {
            c.requests = parse_number<std::size_t>(value(), 1, big, flag);
        } else if (flag == "--uploads") {
            c.uploads = parse_number<std::size_t>(value(), 0, 10'000, flag);
        } else if (flag == "--upload-bytes") {
            c.upload_bytes = parse_number<std::size_t>(value(), 64, 1 << 20, flag);
        } else if (flag == "--threads") {
            c.threads = parse_number<unsigned>(value(), 1, 1024, flag);
        } else if (flag == "--client-threads") {
            c.client_threads = parse_number<unsigned>(value(), 1, 64, flag);
        } else if (flag == "--chunked-files" && !has_inline) {
            c.chunked_files = true;
        } else if (flag == "--kill-test" && !has_inline) {
            c.kill_test = true;
        } else if (flag == "--rounds") {
            c.rounds = parse_number<unsigned>(value(), 1, 1000, flag);
        } else if (flag == "--seconds") {
            c.seconds = parse_number<unsigned>(value(), 1, 86'400, flag);
        } else if (flag == "--seed") {
            c.seed = parse_number<std::uint64_t>(value(), 1, UINT64_MAX, flag);
        } else {
            bad_usage("unknown argument '" + std::string(arg) + "'");
        }
    }
    if (c.kill_test && c.uploads == 0) bad_usage("--kill-test needs --uploads of at least 1");
    return c;
}

// ---------------------------------------------------------------------------------------------
// The data: resources to fetch and documents to upload.

struct resource {
    std::string name;   // file name in the docroot
    std::string target; // request target
    std::string bytes;  // expected body
};

struct document {
    std::string id;
    std::string body;
    // Written only by the client loop that owns the upload, read after it has been joined.
    bool acknowledged = false;
    std::string location; // from the 201
};

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream s;
    s << in.rdbuf();
    return std::move(s).str();
}

std::string percent_encode(std::string_view name) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : name) {
        const auto u = static_cast<unsigned char>(ch);
        if (std::isalnum(u) != 0 || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        }
    }
    return out;
}

// Copies the regular, non-hidden files at the top of `from` into `docroot` and loads them.
std::vector<resource> copy_resources(const fs::path& from, const fs::path& docroot) {
    std::vector<resource> out;
    fs::create_directories(docroot / "uploads");
    for (const auto& e : fs::directory_iterator(from)) {
        const std::string name = e.path().filename().string();
        if (!e.is_regular_file() || name.starts_with(".")) continue;
        fs::copy_file(e.path(), docroot / name);
        out.push_back({name, "/" + percent_encode(name), read_file(e.path())});
    }
    std::sort(out.begin(), out.end(),
              [](const resource& a, const resource& b) { return a.name < b.name; });
    return out;
}

// A JSON document of exactly `size` bytes (at least 64) whose "id" member comes first, with
// pseudo-random padding derived from the id (so corruption anywhere is detected).
std::string make_document(const std::string& id, std::size_t size) {
    std::string head = R"({"id":")" + id + R"(","source":"minihttp load-harness","data":")";
    const std::string tail = "\"}";
    std::string out = std::move(head);
    const std::size_t pad = size > out.size() + tail.size() ? size - out.size() - tail.size() : 0;
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::mt19937_64 rng(std::hash<std::string>{}(id));
    out.reserve(out.size() + pad + tail.size());
    for (std::size_t i = 0; i < pad; ++i) out.push_back(alphabet[rng() & 63]);
    out += tail;
    return out;
}

// The id of a document: the first member, `{"id":"...",`.
std::optional<std::string> document_id(std::string_view body) {
    constexpr std::string_view prefix = R"({"id":")";
    if (!body.starts_with(prefix)) return std::nullopt;
    const auto end = body.find('"', prefix.size());
    if (end == std::string_view::npos) return std::nullopt;
    return std::string(body.substr(prefix.size(), end - prefix.size()));
}

// upload_YYYYMMDD_HHMMSS_xxxx.json
bool is_upload_name(std::string_view n) {
    constexpr std::string_view shape = "upload_DDDDDDDD_DDDDDD_XXXX.json";
    if (n.size() != shape.size()) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const char s = shape[i], c = n[i];
        if (s == 'D'   ? !(c >= '0' && c <= '9')
            : s == 'X' ? !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                       : c != s)
            return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// An incremental HTTP/1.1 response parser (Content-Length and chunked framing).

class response_parser {
  public:
    void reset() { *this = response_parser{}; }

    // Consumes response bytes from the front of `in`; true once a whole response is read.
    // Throws std::runtime_error for malformed input.
    bool feed(std::string& in) {
        std::size_t pos = 0;
        const bool done = step(in, pos);
        in.erase(0, pos);
        return done;
    }

    [[nodiscard]] int status() const { return status_; }
    [[nodiscard]] const std::string& body() const { return body_; }
    [[nodiscard]] bool close() const { return close_; }
    [[nodiscard]] bool head_done() const { return phase_ != phase::head; }
    [[nodiscard]] const std::string* header(const std::string& lower_name) const {
        const auto it = headers_.find(lower_name);
        return it == headers_.end() ? nullptr : &it->second;
    }

  private:
    enum class phase { head, fixed, chunk_size, chunk_data, chunk_crlf, trailers, done };

    static std::string lower(std::string_view s) {
        std::string out(s);
        for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    }
    static std::string_view trim(std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    }

    bool step(const std::string& in, std::size_t& pos) {
        for (;;) {
            switch (phase_) {
            case phase::head: {
                const auto end = in.find("\r\n\r\n", pos);
                if (end == std::string::npos) {
                    if (in.size() - pos > 65536) throw std::runtime_error("response head > 64 KiB");
                    return false;
                }
                parse_head(std::string_view(in).substr(pos, end + 2 - pos));
                pos = end + 4;
                if (status_ >= 100 && status_ < 200) { // interim response: skip it
                    headers_.clear();
                    continue;
                }
                break;
            }
            case phase::fixed: {
                const std::size_t n = std::min(left_, in.size() - pos);
                body_.append(in, pos, n);
                pos += n;
                left_ -= n;
                if (left_ > 0) return false;
                phase_ = phase::done;
                break;
            }
            case phase::chunk_size: {
                const auto end = in.find("\r\n", pos);
                if (end == std::string::npos) {
                    if (in.size() - pos > 1024) throw std::runtime_error("chunk size line > 1 KiB");
                    return false;
                }
                std::string_view line = std::string_view(in).substr(pos, end - pos);
                line = trim(line.substr(0, line.find(';')));
                std::size_t size = 0;
                const auto [p, ec] =
                    std::from_chars(line.data(), line.data() + line.size(), size, 16);
                if (ec != std::errc{} || p != line.data() + line.size() || line.empty())
                    throw std::runtime_error("bad chunk size line '" + std::string(line) + "'");
                pos = end + 2;
                left_ = size;
                phase_ = size == 0 ? phase::trailers : phase::chunk_data;
                break;
            }
            case phase::chunk_data: {
                const std::size_t n = std::min(left_, in.size() - pos);
                body_.append(in, pos, n);
                pos += n;
                left_ -= n;
                if (left_ > 0) return false;
                phase_ = phase::chunk_crlf;
                break;
            }
            case phase::chunk_crlf:
                if (in.size() - pos < 2) return false;
                if (in.compare(pos, 2, "\r\n") != 0)
                    throw std::runtime_error("chunk data not followed by CRLF");
                pos += 2;
                phase_ = phase::chunk_size;
                break;
            case phase::trailers: {
                const auto end = in.find("\r\n", pos);
                if (end == std::string::npos) return false;
                const bool last = end == pos;
                pos = end + 2;
                if (last) phase_ = phase::done;
                break;
            }
            case phase::done: return true;
            }
        }
    }

    void parse_head(std::string_view head) {
        auto eol = head.find("\r\n");
        const std::string_view status_line = head.substr(0, eol);
        if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ')
            throw std::runtime_error("bad status line '" + std::string(status_line) + "'");
        const bool http10 = status_line[7] == '0';
        const auto code = status_line.substr(9, 3);
        const auto [p, ec] = std::from_chars(code.data(), code.data() + 3, status_);
        if (ec != std::errc{} || p != code.data() + 3)
            throw std::runtime_error("bad status line '" + std::string(status_line) + "'");
        head.remove_prefix(eol + 2);
        while (!head.empty()) {
            eol = head.find("\r\n");
            const std::string_view line = head.substr(0, eol);
            head.remove_prefix(eol + 2);
            const auto colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0)
                throw std::runtime_error("bad header line '" + std::string(line) + "'");
            const std::string name = lower(line.substr(0, colon));
            const std::string value(trim(line.substr(colon + 1)));
            auto [it, fresh] = headers_.emplace(name, value);
            if (!fresh) it->second += ", " + value;
        }
        close_ = http10;
        if (const auto* c = header("connection")) {
            const std::string v = lower(*c);
            if (v.find("close") != std::string::npos) close_ = true;
            if (http10 && v.find("keep-alive") != std::string::npos) close_ = false;
        }
        if (status_ >= 100 && status_ < 200) return;
        if (const auto* te = header("transfer-encoding")) {
            if (lower(*te).find("chunked") == std::string::npos)
                throw std::runtime_error("Transfer-Encoding without chunked: " + *te);
            phase_ = phase::chunk_size;
        } else if (const auto* cl = header("content-length")) {
            const auto [q, e] = std::from_chars(cl->data(), cl->data() + cl->size(), left_);
            if (e != std::errc{} || q != cl->data() + cl->size())
                throw std::runtime_error("bad Content-Length '" + *cl + "'");
            phase_ = left_ == 0 ? phase::done : phase::fixed;
        } else if (status_ == 204 || status_ == 304) {
            phase_ = phase::done;
        } else {
            throw std::runtime_error("response " + std::to_string(status_) +
                                     " without Content-Length or chunked framing");
        }
    }

    phase phase_ = phase::head;
    int status_ = 0;
    bool close_ = false;
    std::size_t left_ = 0;
    std::map<std::string, std::string> headers_;
    std::string body_;
};

// The start of a response body for a message, on one line.
std::string excerpt(std::string_view body) {
    std::string out;
    for (const char c : body.substr(0, 200)) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else
            out.push_back(std::isprint(static_cast<unsigned char>(c)) != 0 ? c : '?');
    }
    return body.size() > 200 ? out + "..." : out;
}

// ---------------------------------------------------------------------------------------------
// The clients: a few epoll loops, each driving many non-blocking connections.

struct work {
    enum class kind { get, upload } what;
    std::size_t index; // into the resources or the documents
};

// A client: a script of requests sent one after the other on a kept-alive connection (a new
// one only when the server says Connection: close, or after a failure).
struct client {
    std::vector<work> script;
    steady::time_point start_at{};     // first connect (a staggered start)
    std::size_t piece = 0;             // paced sending: bytes per burst (0: as fast as possible)
    std::chrono::milliseconds pause{}; // paced sending: pause between bursts

    // state
    enum class state { waiting, connecting, sending, paused, receiving, done } st = state::waiting;
    std::size_t next = 0; // the request in progress
    int fd = -1;
    std::uint32_t interest = 0;
    std::string out;
    std::size_t sent = 0, burst = 0;
    std::string in;
    response_parser parser;
    steady::time_point wake{};
    steady::time_point request_started{};
    std::size_t on_this_connection = 0; // requests begun on the current connection
    bool upload_sending = false, upload_awaiting = false; // for the in-flight counters
};

// What the loops share with the main thread.
struct context {
    std::uint16_t port = 0;
    std::string host_header;
    const std::vector<resource>* resources = nullptr;
    std::vector<document>* documents = nullptr;
    steady::time_point deadline{};
    // Set before the server is SIGKILLed: failures from then on are expected, not errors.
    std::atomic<bool> server_killed{false};
    std::atomic<bool> abort{false}; // give up on whatever is left
    std::atomic<std::size_t> uploads_acknowledged{0};
    std::atomic<std::size_t> uploads_sending{0};  // request begun, not fully sent
    std::atomic<std::size_t> uploads_awaiting{0}; // fully sent, no answer yet
    std::atomic<std::size_t> clients_done{0};
};

struct results {
    std::size_t gets_ok = 0, uploads_ok = 0, errors = 0, interrupted = 0, skipped = 0;
    std::size_t connections = 0, reconnects = 0;
    std::uint64_t body_bytes = 0, sent_bytes = 0;
    std::vector<double> get_ms, upload_ms;
    std::map<std::string, std::size_t> error_kinds;
    std::vector<std::string> error_samples;

    void merge(results&& o) {
        gets_ok += o.gets_ok;
        uploads_ok += o.uploads_ok;
        errors += o.errors;
        interrupted += o.interrupted;
        skipped += o.skipped;
        connections += o.connections;
        reconnects += o.reconnects;
        body_bytes += o.body_bytes;
        sent_bytes += o.sent_bytes;
        get_ms.insert(get_ms.end(), o.get_ms.begin(), o.get_ms.end());
        upload_ms.insert(upload_ms.end(), o.upload_ms.begin(), o.upload_ms.end());
        for (const auto& [k, n] : o.error_kinds) error_kinds[k] += n;
        for (auto& s : o.error_samples)
            if (error_samples.size() < 20) error_samples.push_back(std::move(s));
    }
};

class client_loop {
  public:
    client_loop(context& ctx, std::vector<client> clients, std::size_t first_id)
        : ctx_(ctx), clients_(std::move(clients)), first_id_(first_id) {
        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0)
            throw std::runtime_error("epoll_create1: " + std::string(std::strerror(errno)));
        for (std::size_t i = 0; i < clients_.size(); ++i) {
            if (clients_[i].script.empty()) {
                finish_client(clients_[i]);
                continue;
            }
            timers_.push({clients_[i].start_at, i});
        }
    }
    client_loop(const client_loop&) = delete;
    client_loop& operator=(const client_loop&) = delete;
    ~client_loop() {
        for (auto& c : clients_)
            if (c.fd >= 0) ::close(c.fd);
        ::close(ep_);
    }

    void run() {
        std::vector<epoll_event> events(256);
        while (live_ > 0) {
            const auto now = steady::now();
            if (now >= ctx_.deadline || ctx_.abort) {
                const char* why = now >= ctx_.deadline ? "deadline" : "aborted";
                for (auto& c : clients_)
                    if (c.st != client::state::done)
                        fail(c, why, std::string(why) + " with the request unanswered", true);
                break;
            }
            while (!timers_.empty() && timers_.top().first <= now) {
                const auto [when, i] = timers_.top();
                timers_.pop();
                client& c = clients_[i];
                if (c.st == client::state::waiting && when == c.start_at) {
                    connect(c);
                } else if (c.st == client::state::paused && c.wake == when) {
                    c.st = client::state::sending;
                    c.burst = 0;
                    send_some(c);
                }
            }
            auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(ctx_.deadline - now);
            if (!timers_.empty())
                wait = std::min(
                    wait, std::chrono::ceil<std::chrono::milliseconds>(timers_.top().first - now));
            wait = std::clamp(wait, 0ms, std::chrono::milliseconds(50));
            const int n = ::epoll_wait(ep_, events.data(), static_cast<int>(events.size()),
                                       static_cast<int>(wait.count()));
            if (n < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error("epoll_wait: " + std::string(std::strerror(errno)));
            }
            for (int k = 0; k < n; ++k) {
                client& c = clients_[events[k].data.u64];
                const std::uint32_t ev = events[k].events;
                if (c.fd < 0) continue;
                if (c.st == client::state::connecting) {
                    on_connected(c);
                    continue;
                }
                if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
                    on_readable(c);
                    if (c.fd < 0 || c.st == client::state::done) continue;
                }
                if ((ev & EPOLLOUT) != 0 && c.st == client::state::sending) send_some(c);
            }
        }
    }

    results& result() { return res_; }

  private:
    [[nodiscard]] std::string describe(const client& c) const {
        const auto id = first_id_ + static_cast<std::size_t>(&c - clients_.data());
        if (c.next >= c.script.size()) return "client " + std::to_string(id);
        const work& w = c.script[c.next];
        const std::string what = w.what == work::kind::get
                                     ? "GET " + (*ctx_.resources)[w.index].target
                                     : "POST /upload " + (*ctx_.documents)[w.index].id + " (" +
                                           std::to_string((*ctx_.documents)[w.index].body.size()) +
                                           " bytes)";
        return "client " + std::to_string(id) + " request " + std::to_string(c.next + 1) + "/" +
               std::to_string(c.script.size()) + " [" + std::to_string(c.on_this_connection) +
               " on this connection] " + what;
    }

    void set_interest(client& c, std::uint32_t want) {
        if (c.interest == want) return;
        epoll_event e{};
        e.events = want;
        e.data.u64 = static_cast<std::uint64_t>(&c - clients_.data());
        const int op = c.interest == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        if (::epoll_ctl(ep_, op, c.fd, &e) != 0)
            throw std::runtime_error("epoll_ctl: " + std::string(std::strerror(errno)));
        c.interest = want;
    }

    void close_socket(client& c) {
        if (c.fd >= 0) ::close(c.fd); // also removes it from the epoll set
        c.fd = -1;
        c.interest = 0;
        c.in.clear();
        c.on_this_connection = 0;
    }

    void finish_client(client& c) {
        close_socket(c);
        if (c.st != client::state::done) {
            c.st = client::state::done;
            ++ctx_.clients_done;
        }
        --live_;
    }

    void upload_counters(client& c, bool sending, bool awaiting) {
        if (c.upload_sending != sending) sending ? ++ctx_.uploads_sending : --ctx_.uploads_sending;
        if (c.upload_awaiting != awaiting)
            awaiting ? ++ctx_.uploads_awaiting : --ctx_.uploads_awaiting;
        c.upload_sending = sending;
        c.upload_awaiting = awaiting;
    }

    void connect(client& c) {
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0)
            return fail(c, "socket", "socket: " + std::string(std::strerror(errno)), false);
        ++res_.connections;
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(ctx_.port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 &&
            errno != EINPROGRESS)
            return fail(c, "connect", "connect: " + std::string(std::strerror(errno)), false);
        c.st = client::state::connecting;
        set_interest(c, EPOLLOUT);
    }

    void on_connected(client& c) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err != 0)
            return fail(c, "connect", "connect: " + std::string(std::strerror(err)), false);
        begin_request(c);
    }

    void begin_request(client& c) {
        const work& w = c.script[c.next];
        c.out.clear();
        if (w.what == work::kind::get) {
            c.out = "GET " + (*ctx_.resources)[w.index].target +
                    " HTTP/1.1\r\nHost: " + ctx_.host_header +
                    "\r\nUser-Agent: minihttp-load-harness\r\n\r\n";
        } else {
            const std::string& body = (*ctx_.documents)[w.index].body;
            c.out = "POST /upload HTTP/1.1\r\nHost: " + ctx_.host_header +
                    "\r\nUser-Agent: minihttp-load-harness\r\nContent-Type: application/json"
                    "\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n";
            c.out += body;
            upload_counters(c, true, false);
        }
        c.sent = 0;
        c.burst = 0;
        c.parser.reset();
        c.request_started = steady::now();
        ++c.on_this_connection;
        c.st = client::state::sending;
        send_some(c);
    }

    void send_some(client& c) {
        while (c.sent < c.out.size()) {
            std::size_t n = c.out.size() - c.sent;
            if (c.piece > 0) {
                if (c.burst >= c.piece) { // this burst is done: pause
                    c.st = client::state::paused;
                    c.wake = steady::now() + c.pause;
                    timers_.push({c.wake, static_cast<std::size_t>(&c - clients_.data())});
                    set_interest(c, EPOLLIN);
                    return;
                }
                n = std::min(n, c.piece - c.burst);
            }
            const ssize_t w = ::send(c.fd, c.out.data() + c.sent, n, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    set_interest(c, EPOLLIN | EPOLLOUT);
                    return;
                }
                return fail(c, "send",
                            "send after " + std::to_string(c.sent) + " of " +
                                std::to_string(c.out.size()) + " bytes: " + std::strerror(errno),
                            false);
            }
            c.sent += static_cast<std::size_t>(w);
            c.burst += static_cast<std::size_t>(w);
            res_.sent_bytes += static_cast<std::uint64_t>(w);
        }
        c.st = client::state::receiving;
        if (c.script[c.next].what == work::kind::upload) upload_counters(c, false, true);
        set_interest(c, EPOLLIN);
    }

    void on_readable(client& c) {
        bool eof = false;
        int read_error = 0;
        char buf[65536];
        for (;;) {
            const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
            if (n > 0) {
                c.in.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0) {
                eof = true;
            } else if (errno == EINTR) {
                continue;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                read_error = errno;
            }
            break;
        }
        if (!c.in.empty()) {
            if (c.st != client::state::sending && c.st != client::state::paused &&
                c.st != client::state::receiving)
                return fail(c, "unsolicited bytes",
                            std::to_string(c.in.size()) + " bytes received between requests",
                            false);
            bool complete = false;
            try {
                complete = c.parser.feed(c.in);
            } catch (const std::exception& e) {
                return fail(c, "malformed response", e.what(), false);
            }
            if (complete) return on_response(c);
        }
        if (read_error != 0 || eof) {
            const std::string got =
                c.parser.head_done()
                    ? "in the middle of a " + std::to_string(c.parser.status()) + " response (" +
                          std::to_string(c.parser.body().size()) + " body bytes read)"
                    : "before a response";
            if (read_error != 0)
                return fail(c, std::string("recv: ") + std::strerror(read_error),
                            std::string("recv: ") + std::strerror(read_error) + " " + got, false);
            return fail(c, "connection closed by the server",
                        "connection closed by the server " + got + " after sending " +
                            std::to_string(c.sent) + " of " + std::to_string(c.out.size()) +
                            " request bytes",
                        false);
        }
    }

    void on_response(client& c) {
        const double ms =
            std::chrono::duration<double, std::milli>(steady::now() - c.request_started).count();
        const work& w = c.script[c.next];
        const response_parser& p = c.parser;
        if (c.sent < c.out.size())
            return fail(c, "early response " + std::to_string(p.status()),
                        "answered " + std::to_string(p.status()) + " after only " +
                            std::to_string(c.sent) + " of " + std::to_string(c.out.size()) +
                            " request bytes: " + excerpt(p.body()),
                        false);
        if (!c.in.empty()) // we never pipeline: nothing may follow the response
            return fail(c, "bytes after a response",
                        std::to_string(c.in.size()) + " unexpected bytes after a " +
                            std::to_string(p.status()) + " response",
                        false);
        if (w.what == work::kind::get) {
            const std::string& want = (*ctx_.resources)[w.index].bytes;
            if (p.status() != 200)
                return fail(c, "GET status " + std::to_string(p.status()),
                            "status " + std::to_string(p.status()) + ": " + excerpt(p.body()),
                            false);
            if (p.body() != want) {
                const auto diff =
                    std::mismatch(want.begin(), want.end(), p.body().begin(), p.body().end());
                return fail(c, "GET body differs",
                            "body differs from the file: " + std::to_string(p.body().size()) +
                                " bytes, expected " + std::to_string(want.size()) +
                                ", first difference at byte " +
                                std::to_string(diff.first - want.begin()),
                            false);
            }
            ++res_.gets_ok;
            res_.body_bytes += p.body().size();
            res_.get_ms.push_back(ms);
        } else {
            document& d = (*ctx_.documents)[w.index];
            if (p.status() != 201)
                return fail(c, "upload status " + std::to_string(p.status()),
                            "status " + std::to_string(p.status()) + ": " + excerpt(p.body()),
                            false);
            const std::string* loc = p.header("location");
            const std::string name =
                loc != nullptr && loc->starts_with("/uploads/") ? loc->substr(9) : "";
            if (!is_upload_name(name))
                return fail(c, "upload Location",
                            "201 with Location '" + (loc != nullptr ? *loc : "") +
                                "' (expected /uploads/upload_YYYYMMDD_HHMMSS_xxxx.json)",
                            false);
            if (p.body().find("\"filepath\":\"" + *loc + "\"") == std::string::npos)
                return fail(c, "upload answer",
                            "201 body without the filepath: " + excerpt(p.body()), false);
            d.acknowledged = true;
            d.location = *loc;
            ++ctx_.uploads_acknowledged;
            upload_counters(c, false, false);
            ++res_.uploads_ok;
            res_.upload_ms.push_back(ms);
        }
        ++c.next;
        if (c.next >= c.script.size()) return finish_client(c);
        if (p.close()) { // the server ends this connection (e.g. max requests): a new one
            ++res_.reconnects;
            close_socket(c);
            return connect(c);
        }
        begin_request(c);
    }

    // The current request failed: record it, drop the connection, go on with the next request
    // of the script on a new connection (or skip the rest after a deadline or an abort).
    void fail(client& c, const std::string& kind, const std::string& detail, bool give_up) {
        upload_counters(c, false, false);
        if (ctx_.server_killed) {
            ++res_.interrupted;
        } else {
            ++res_.errors;
            ++res_.error_kinds[kind];
            if (res_.error_samples.size() < 20)
                res_.error_samples.push_back(describe(c) + ": " + detail);
        }
        ++c.next;
        close_socket(c);
        if (give_up || ctx_.server_killed) { // after a kill nothing more is tried
            if (c.next < c.script.size()) res_.skipped += c.script.size() - c.next;
            c.next = c.script.size();
        }
        if (c.next >= c.script.size()) return finish_client(c);
        connect(c);
    }

    context& ctx_;
    std::vector<client> clients_;
    std::size_t first_id_;
    int ep_ = -1;
    std::size_t live_ = clients_.size();
    using timer = std::pair<steady::time_point, std::size_t>;
    std::priority_queue<timer, std::vector<timer>, std::greater<>> timers_;
    results res_;
};

// Runs the clients on `threads` loops (contiguous slices) and merges their results.
results run_clients(context& ctx, std::vector<client> clients, unsigned threads,
                    const std::function<void()>& while_running = {}) {
    threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(clients.size())));
    std::vector<std::vector<client>> parts(threads);
    std::vector<std::size_t> first(threads, 0);
    // Contiguous slices keep client numbers meaningful in messages; the caller interleaves.
    const std::size_t per = (clients.size() + threads - 1) / std::max(1u, threads);
    for (unsigned t = 0; t < threads; ++t) {
        first[t] = t * per;
        for (std::size_t i = t * per; i < std::min(clients.size(), (t + 1) * per); ++i)
            parts[t].push_back(std::move(clients[i]));
    }
    std::vector<std::unique_ptr<client_loop>> loops;
    for (unsigned t = 0; t < threads; ++t)
        loops.push_back(std::make_unique<client_loop>(ctx, std::move(parts[t]), first[t]));
    std::vector<std::string> failures(threads);
    std::vector<std::thread> running;
    for (unsigned t = 0; t < threads; ++t)
        running.emplace_back([&, t] {
            try {
                loops[t]->run();
            } catch (const std::exception& e) {
                failures[t] = e.what();
                ctx.abort = true;
            }
        });
    if (while_running) while_running();
    for (auto& th : running) th.join();
    results all;
    for (unsigned t = 0; t < threads; ++t) {
        all.merge(std::move(loops[t]->result()));
        if (!failures[t].empty()) {
            ++all.errors;
            ++all.error_kinds["client loop failure"];
            all.error_samples.push_back("client loop: " + failures[t]);
        }
    }
    return all;
}

// ---------------------------------------------------------------------------------------------
// The server.

struct server {
    std::unique_ptr<example::child_process> process;
    std::uint16_t port = 0;
};

server start_server(const config& cfg, const fs::path& docroot, std::size_t max_connections) {
    std::vector<std::string> argv = {cfg.server,
                                     "0",
                                     "127.0.0.1",
                                     std::to_string(cfg.threads),
                                     "--docroot",
                                     docroot.string(),
                                     "--quiet",
                                     "--max-connections",
                                     std::to_string(max_connections)};
    if (cfg.chunked_files) argv.emplace_back("--chunked-files");
    server s;
    s.process = std::make_unique<example::child_process>(argv);
    if (!s.process->wait_stdout_contains("Press Ctrl+C to stop the server\n", 30s))
        throw std::runtime_error("the server did not start: stdout '" + s.process->stdout_text() +
                                 "', stderr '" + s.process->stderr_text() + "'");
    const std::string out = s.process->stdout_text();
    constexpr std::string_view marker = "HTTP Server started on http://127.0.0.1:";
    const auto at = out.find(marker);
    if (at == std::string::npos) throw std::runtime_error("no start line in '" + out + "'");
    const char* p = out.data() + at + marker.size();
    const auto [end, ec] = std::from_chars(p, out.data() + out.size(), s.port);
    if (ec != std::errc{} || s.port == 0) throw std::runtime_error("no port in '" + out + "'");
    return s;
}

// The server's log lines after start-up (with --quiet: refusals and errors), for diagnosis.
std::vector<std::string> server_log_after_startup(const std::string& out) {
    std::vector<std::string> lines;
    std::istringstream in(out);
    std::string line;
    bool started = false;
    while (std::getline(in, line)) {
        if (line.find("Press Ctrl+C to stop the server") != std::string::npos) {
            started = true;
            continue;
        }
        if (started && line.find("Shutting down server") == std::string::npos)
            lines.push_back(line);
    }
    return lines;
}

// ---------------------------------------------------------------------------------------------
// The upload directory check.

struct upload_check {
    std::size_t files = 0, complete = 0, empty = 0, partial = 0, corrupted = 0, stray = 0;
    std::size_t duplicated = 0;
    std::map<std::size_t, std::string> stored; // document index -> file name
    std::vector<std::string> problems;

    [[nodiscard]] bool clean() const {
        return empty == 0 && partial == 0 && corrupted == 0 && stray == 0 && duplicated == 0;
    }
};

upload_check check_uploads(const fs::path& dir, const std::vector<document>& docs) {
    std::unordered_map<std::string, std::size_t> by_id;
    for (std::size_t i = 0; i < docs.size(); ++i) by_id.emplace(docs[i].id, i);
    upload_check r;
    auto problem = [&](std::string s) {
        if (r.problems.size() < 20) r.problems.push_back(std::move(s));
    };
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            const std::string_view n = e->d_name;
            if (n != "." && n != "..") names.emplace_back(n);
        }
        ::closedir(d);
    } else {
        problem("cannot open " + dir.string() + ": " + std::strerror(errno));
        ++r.stray;
        return r;
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        ++r.files;
        const fs::path p = dir / name;
        std::error_code ec;
        const auto st = fs::symlink_status(p, ec);
        if (!is_upload_name(name) || ec || !fs::is_regular_file(st)) {
            ++r.stray;
            problem("stray entry '" + name + "' (not a regular upload_YYYYMMDD_HHMMSS_xxxx.json)");
            continue;
        }
        const std::string bytes = read_file(p);
        if (bytes.empty()) {
            ++r.empty;
            problem("empty file " + name);
            continue;
        }
        const auto id = document_id(bytes);
        const auto it = id ? by_id.find(*id) : by_id.end();
        if (it == by_id.end()) {
            ++r.corrupted;
            problem("file " + name + " (" + std::to_string(bytes.size()) +
                    " bytes) is none of the posted documents");
            continue;
        }
        const std::string& want = docs[it->second].body;
        if (bytes != want) {
            const bool prefix = bytes.size() < want.size() && want.starts_with(bytes);
            ++(prefix ? r.partial : r.corrupted);
            problem("file " + name + " holds " + std::to_string(bytes.size()) + " bytes of " +
                    docs[it->second].id + " (" + std::to_string(want.size()) + " bytes)" +
                    (prefix ? ": a truncated copy" : ": different bytes"));
            continue;
        }
        if (!r.stored.emplace(it->second, name).second) {
            ++r.duplicated;
            problem(docs[it->second].id + " stored twice: " + r.stored[it->second] + " and " +
                    name);
            continue;
        }
        ++r.complete;
    }
    return r;
}

// Files the server process holds open inside `dir` (from /proc/PID/fd): an upload being
// written, as an O_TMPFILE ("dir/#123 (deleted)") or a hidden temporary. The directory itself,
// opened for linkat and fsync, does not count.
std::size_t open_upload_files(pid_t pid, const std::string& dir) {
    const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
    std::size_t n = 0;
    DIR* d = ::opendir(fds.c_str());
    if (d == nullptr) return 0;
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        char target[4096];
        const ssize_t len = ::readlinkat(::dirfd(d), e->d_name, target, sizeof target - 1);
        if (len <= 0) continue;
        const std::string_view t(target, static_cast<std::size_t>(len));
        if (t.size() > dir.size() + 1 && t.starts_with(dir) && t[dir.size()] == '/') ++n;
    }
    ::closedir(d);
    return n;
}

// ---------------------------------------------------------------------------------------------
// Reporting.

double percentile(std::vector<double>& v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string latency_line(std::vector<double> v) {
    if (v.empty()) return "no samples";
    char buf[160];
    std::snprintf(buf, sizeof buf, "p50 %.2f ms, p99 %.2f ms, max %.2f ms", percentile(v, 0.50),
                  percentile(v, 0.99), *std::max_element(v.begin(), v.end()));
    return buf;
}

void print_errors(const results& r) {
    for (const auto& [kind, n] : r.error_kinds) std::printf("  error: %zu x %s\n", n, kind.c_str());
    for (const auto& s : r.error_samples) std::printf("    e.g. %s\n", s.c_str());
}

void raise_open_file_limit(std::size_t needed) {
    rlimit l{};
    if (::getrlimit(RLIMIT_NOFILE, &l) != 0) return;
    if (l.rlim_cur < l.rlim_max) {
        l.rlim_cur = l.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &l);
    }
    if (l.rlim_cur != RLIM_INFINITY && l.rlim_cur < needed + 64)
        std::printf("warning: open-file limit %llu is below the %zu sockets needed\n",
                    static_cast<unsigned long long>(l.rlim_cur), needed);
}

std::string mib(std::uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return buf;
}

// Stops the server with SIGTERM; true if it exited with status 0 in time.
bool stop_server(server& s, std::string& why) {
    s.process->send_signal(SIGTERM);
    const auto st = s.process->wait_exit(20s);
    if (!st) {
        why = "did not exit within 20 s of SIGTERM";
        return false;
    }
    if (!st->exited() || st->code() != 0) {
        why = st->describe() + "; stderr: " + s.process->stderr_text();
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// Load mode.

int run_load(const config& cfg, std::mt19937_64& rng) {
    example::temp_dir tmp;
    const fs::path docroot = tmp.path() / "docroot";
    const auto resources = copy_resources(cfg.resources, docroot);
    if (resources.empty() && cfg.clients > 0) bad_usage("no files in " + cfg.resources);
    const std::size_t per_client = cfg.requests != 0 ? cfg.requests : 2 * resources.size();

    std::vector<document> docs(cfg.uploads);
    for (std::size_t i = 0; i < docs.size(); ++i) {
        docs[i].id = "load-" + std::to_string(i) + "-" + std::to_string(rng() % 1'000'000);
        docs[i].body = make_document(docs[i].id, cfg.upload_bytes);
    }

    // Clients and uploads interleaved, so every loop gets its share of both.
    const auto start = steady::now();
    std::vector<client> clients;
    const std::size_t total = cfg.clients + cfg.uploads;
    std::size_t g = 0, u = 0;
    for (std::size_t k = 0; k < total; ++k) {
        client c;
        c.start_at = start;
        const bool upload = u < cfg.uploads && (g >= cfg.clients || u * total <= k * cfg.uploads);
        if (upload) {
            c.script.push_back({work::kind::upload, u++});
        } else {
            for (std::size_t r = 0; r < per_client; ++r)
                c.script.push_back({work::kind::get, (g + r) % resources.size()});
            ++g;
        }
        clients.push_back(std::move(c));
    }

    raise_open_file_limit(total);
    server srv = start_server(cfg, docroot, total + 256);
    context ctx;
    ctx.port = srv.port;
    ctx.host_header = "127.0.0.1:" + std::to_string(srv.port);
    ctx.resources = &resources;
    ctx.documents = &docs;
    ctx.deadline = steady::now() + std::chrono::seconds(cfg.seconds);

    std::printf("load: %zu keep-alive clients x %zu GETs (%zu resources) + %zu uploads x %zu "
                "bytes; server %s, %u threads%s, port %u; %u client loops\n",
                cfg.clients, per_client, resources.size(), cfg.uploads, cfg.upload_bytes,
                cfg.server.c_str(), cfg.threads, cfg.chunked_files ? " (chunked files)" : "",
                static_cast<unsigned>(srv.port), cfg.client_threads);
    std::fflush(stdout);
    const auto t0 = steady::now();
    results r = run_clients(ctx, std::move(clients), cfg.client_threads);
    const double wall = std::chrono::duration<double>(steady::now() - t0).count();

    std::string stop_problem;
    const bool stopped = stop_server(srv, stop_problem);
    const auto log = server_log_after_startup(srv.process->stdout_text());
    const upload_check up = check_uploads(docroot / "uploads", docs);

    // lost: answered 201 but not stored; refused: not stored after an error answer (already
    // counted as an error); unanswered: stored although no 201 arrived.
    std::size_t lost = 0, refused = 0, unanswered = 0, misfiled = 0;
    std::vector<std::string> upload_problems = up.problems;
    auto problem = [&](std::string s) {
        if (upload_problems.size() < 20) upload_problems.push_back(std::move(s));
    };
    for (std::size_t i = 0; i < docs.size(); ++i) {
        const auto it = up.stored.find(i);
        if (it == up.stored.end()) {
            if (docs[i].acknowledged) {
                ++lost;
                problem(docs[i].id + " is not stored although answered 201 " + docs[i].location);
            } else {
                ++refused;
            }
        } else if (!docs[i].acknowledged) {
            ++unanswered;
            problem(docs[i].id + " is stored as " + it->second + " but was not answered 201");
        } else if (docs[i].location != "/uploads/" + it->second) {
            ++misfiled;
            problem(docs[i].id + " is stored as " + it->second + " but answered Location " +
                    docs[i].location);
        }
    }
    const std::size_t corrupted = up.corrupted + up.partial + up.empty;

    const std::size_t requests = r.gets_ok + r.uploads_ok + r.errors;
    std::printf("requests: %zu (%zu GET ok, %zu uploads ok), errors: %zu, not attempted: %zu\n",
                requests, r.gets_ok, r.uploads_ok, r.errors, r.skipped);
    print_errors(r);
    if (r.error_kinds.contains("upload status 503"))
        std::printf("  note: 503 is the server's answer when its upload pool is full (a queue of "
                    "50 plus MAX_THREADS running), by design\n");
    std::printf("connections: %zu opened, %zu reopened after Connection: close\n", r.connections,
                r.reconnects);
    std::printf("bytes: %s of GET bodies checked, %s sent\n", mib(r.body_bytes).c_str(),
                mib(r.sent_bytes).c_str());
    std::printf("latency GET: %s\n", latency_line(r.get_ms).c_str());
    std::printf("latency upload: %s\n", latency_line(r.upload_ms).c_str());
    std::printf("uploads: %zu posted, %zu answered 201, %zu files stored; ok %zu, lost %zu, "
                "corrupted %zu (empty %zu, partial %zu), duplicated %zu, stray %zu, misfiled %zu, "
                "stored without a 201 %zu, not stored after an error answer %zu\n",
                docs.size(), r.uploads_ok, up.files, up.complete, lost, corrupted, up.empty,
                up.partial, up.duplicated, up.stray, misfiled, unanswered, refused);
    for (const auto& p : upload_problems) std::printf("  upload problem: %s\n", p.c_str());
    std::printf("wall time: %.2f s, %.0f requests/s\n", wall,
                wall > 0 ? static_cast<double>(requests) / wall : 0.0);
    if (!log.empty()) {
        std::printf("server log after start-up (%zu lines):\n", log.size());
        for (std::size_t i = 0; i < std::min<std::size_t>(log.size(), 20); ++i)
            std::printf("  %s\n", log[i].c_str());
    }
    if (!stopped) std::printf("server did not stop cleanly: %s\n", stop_problem.c_str());

    const bool ok = r.errors == 0 && r.skipped == 0 && lost == 0 && refused == 0 &&
                    unanswered == 0 && corrupted == 0 && up.duplicated == 0 && up.stray == 0 &&
                    misfiled == 0 && r.gets_ok == cfg.clients * per_client &&
                    r.uploads_ok == cfg.uploads && stopped;
    std::printf("%s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// Kill mode.

int run_kill_test(const config& cfg, std::mt19937_64& rng) {
    example::temp_dir tmp;
    const fs::path docroot = tmp.path() / "docroot";
    const auto resources = copy_resources(cfg.resources, docroot);
    raise_open_file_limit(cfg.uploads);
    const auto deadline = steady::now() + std::chrono::seconds(cfg.seconds);
    std::printf("kill test: %u rounds of %zu concurrent slow uploads (256 KiB - 1 MiB), SIGKILL "
                "mid-flight, same docroot; server %s, %u threads\n",
                cfg.rounds, cfg.uploads, cfg.server.c_str(), cfg.threads);
    std::fflush(stdout);

    std::vector<document> docs; // every round's, so later rounds re-check earlier files
    docs.reserve(static_cast<std::size_t>(cfg.rounds) * cfg.uploads);
    bool ok = true;
    std::size_t total_acked = 0, total_stored = 0, total_unacked_stored = 0;
    for (unsigned round = 0; round < cfg.rounds; ++round) {
        const std::size_t first = docs.size();
        for (std::size_t i = 0; i < cfg.uploads; ++i) {
            document d;
            d.id = "kill-" + std::to_string(round) + "-" + std::to_string(i) + "-" +
                   std::to_string(rng() % 1'000'000);
            const std::size_t size = (256u << 10) + rng() % ((1u << 20) - (256u << 10) + 1);
            d.body = make_document(d.id, size);
            docs.push_back(std::move(d));
        }
        server srv = start_server(cfg, docroot, cfg.uploads + 256);
        context ctx;
        ctx.port = srv.port;
        ctx.host_header = "127.0.0.1:" + std::to_string(srv.port);
        ctx.resources = &resources;
        ctx.documents = &docs;
        ctx.deadline = deadline;

        // Staggered starts, 8-64 KiB pieces every 5-40 ms: a spread of uploads not yet begun,
        // mid-body, being stored and answered when the kill comes.
        const auto start = steady::now();
        std::vector<client> clients;
        for (std::size_t i = 0; i < cfg.uploads; ++i) {
            client c;
            c.script.push_back({work::kind::upload, first + i});
            c.start_at = start + std::chrono::milliseconds(rng() % 1000);
            c.piece = (8u << 10) + rng() % (56u << 10);
            c.pause = std::chrono::milliseconds(5 + rng() % 36);
            clients.push_back(std::move(c));
        }
        // Kill after a growing share of the round's uploads has been answered; then, in rounds
        // 2, 4, ..., as soon as the server holds an upload file open (mid-write or fsync: the
        // moment that matters), else after a random 0-60 ms.
        const std::size_t target = std::clamp<std::size_t>(
            cfg.uploads * (round + 1) / (cfg.rounds + 1), 1, std::max<std::size_t>(1, cfg.uploads));
        const bool mid_store = round % 2 == 1;
        const auto jitter = std::chrono::milliseconds(rng() % 60);
        const std::string uploads_dir = (docroot / "uploads").string();
        std::size_t acked_at_kill = 0, sending_at_kill = 0, awaiting_at_kill = 0, open_at_kill = 0;
        std::optional<example::exit_status> status;
        const auto killer = [&] {
            while (ctx.uploads_acknowledged < target && ctx.clients_done < cfg.uploads &&
                   steady::now() < deadline && !ctx.abort)
                std::this_thread::sleep_for(1ms);
            if (mid_store) {
                const auto until = steady::now() + 5s;
                while ((open_at_kill = open_upload_files(srv.process->pid(), uploads_dir)) == 0 &&
                       ctx.clients_done < cfg.uploads && steady::now() < until && !ctx.abort)
                    std::this_thread::sleep_for(200us);
            } else {
                std::this_thread::sleep_for(jitter);
                open_at_kill = open_upload_files(srv.process->pid(), uploads_dir);
            }
            acked_at_kill = ctx.uploads_acknowledged;
            sending_at_kill = ctx.uploads_sending;
            awaiting_at_kill = ctx.uploads_awaiting;
            ctx.server_killed = true; // before the kill: every failure from now on is expected
            srv.process->send_signal(SIGKILL);
            status = srv.process->wait_exit(10s);
            // Whatever the loops still wait for (a connect backlog, say) ends soon.
            const auto grace = steady::now() + 10s;
            while (ctx.clients_done < cfg.uploads && steady::now() < grace)
                std::this_thread::sleep_for(2ms);
            ctx.abort = true;
        };
        results r = run_clients(ctx, std::move(clients), cfg.client_threads, killer);

        const upload_check up = check_uploads(docroot / "uploads", docs);
        std::size_t acked_missing = 0, acked = 0, unacked_stored = 0, round_stored = 0;
        std::vector<std::string> problems = up.problems;
        for (std::size_t i = 0; i < docs.size(); ++i) {
            const auto it = up.stored.find(i);
            if (i >= first && it != up.stored.end()) ++round_stored;
            if (i >= first && it != up.stored.end() && !docs[i].acknowledged) ++unacked_stored;
            if (!docs[i].acknowledged) continue;
            if (i >= first) ++acked;
            if (it == up.stored.end() || "/uploads/" + it->second != docs[i].location) {
                ++acked_missing;
                if (problems.size() < 20)
                    problems.push_back(
                        docs[i].id + " was answered 201 " + docs[i].location + " but is " +
                        (it == up.stored.end() ? "not stored" : "stored as " + it->second));
            }
        }
        const bool killed = status && status->signal() == SIGKILL;
        const bool round_ok = up.clean() && acked_missing == 0 && r.errors == 0 && killed;
        ok = ok && round_ok;
        total_acked += acked;
        total_stored += round_stored;
        total_unacked_stored += unacked_stored;
        std::printf("round %u: killed %s, after %zu/%zu answered (%zu sending, %zu awaiting "
                    "an answer, %zu upload files open in the server); on disk: %zu complete (%zu "
                    "answered, %zu stored but unanswered), "
                    "%zu not stored; empty %zu, partial %zu, corrupted %zu, stray %zu, "
                    "duplicated %zu, answered-but-missing %zu; errors before the kill %zu "
                    "-> %s\n",
                    round + 1, mid_store ? "mid-store" : "at a random moment", acked_at_kill,
                    cfg.uploads, sending_at_kill, awaiting_at_kill, open_at_kill, round_stored,
                    acked, unacked_stored, cfg.uploads - round_stored, up.empty, up.partial,
                    up.corrupted, up.stray, up.duplicated, acked_missing, r.errors,
                    round_ok ? "ok" : "FAIL");
        if (!killed)
            std::printf("  the server did not die of SIGKILL: %s\n",
                        status ? status->describe().c_str() : "still running");
        print_errors(r);
        for (const auto& p : problems) std::printf("  problem: %s\n", p.c_str());
        std::fflush(stdout);
        if (steady::now() >= deadline) {
            std::printf("deadline reached after round %u\n", round + 1);
            ok = false;
            break;
        }
    }
    std::printf("total: %zu uploads posted, %zu stored whole (%zu answered 201, %zu stored but "
                "unanswered), %zu not stored, 0 partial or empty allowed\n",
                docs.size(), total_stored, total_acked, total_unacked_stored,
                docs.size() - total_stored);
    std::printf("%s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    config cfg = parse_args(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);
    if (cfg.seed == 0)
        cfg.seed = static_cast<std::uint64_t>(steady::now().time_since_epoch().count()) | 1;
    std::printf("seed %llu\n", static_cast<unsigned long long>(cfg.seed));
    std::mt19937_64 rng(cfg.seed);
    try {
        return cfg.kill_test ? run_kill_test(cfg, rng) : run_load(cfg, rng);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "load-harness: %s\n", e.what());
        return 2;
    }
}
