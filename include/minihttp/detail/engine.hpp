#pragma once
/// @file
/// The engine: worker threads, each with its own epoll loop, connections and timer wheel.
///
/// Not a template (DESIGN.md §9): the handler is reached through one function pointer, so the
/// whole connection state machine is compiled once and testable on its own. `http::server<H>`
/// is a thin typed shell around it.
///
/// Per connection: reading the head → reading the body → handler → response queued → written
/// (writev / sendfile / chunked stream) → next pipelined request, or idle, or closing. Every
/// state has a deadline in the worker's timer wheel.

#include <minihttp/chunked.hpp>
#include <minihttp/detail/clock.hpp>
#include <minihttp/detail/http_date.hpp>
#include <minihttp/detail/socket.hpp>
#include <minihttp/detail/timer_wheel.hpp>
#include <minihttp/options.hpp>
#include <minihttp/parser.hpp>
#include <minihttp/request.hpp>
#include <minihttp/response.hpp>
#include <minihttp/serializer.hpp>
#include <minihttp/thread_name.hpp>
#include <minihttp/version.hpp>

#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Calls the user's handler; supplied by `server<H>`. May throw: the engine catches.
using dispatch_fn = response (*)(const void* handler, const request& req);

/// A short text response for an engine-generated status; `close` adds `Connection: close`.
inline response make_error_response(http::status s, bool close = true) {
    response r = response::error(s);
    if (close) r.close_connection();
    if (s == status::service_unavailable) r.add_header("Retry-After", "5");
    return r;
}

/// Open connections per client address, shared by the workers (used only when
/// `max_connections_per_client` is set). Sharded so that accepts on different workers rarely
/// meet on one lock.
class client_table {
  public:
    /// Counts a new connection from `peer` unless it already has `cap`; false: refused.
    bool try_add(const endpoint& peer, std::size_t cap) {
        const key k = key_of(peer);
        shard& s = shards_[k.hash % shards];
        std::lock_guard lock(s.m);
        std::size_t& n = s.counts[k];
        if (n >= cap) {
            if (n == 0) s.counts.erase(k);
            return false;
        }
        ++n;
        return true;
    }
    void remove(const endpoint& peer) {
        const key k = key_of(peer);
        shard& s = shards_[k.hash % shards];
        std::lock_guard lock(s.m);
        const auto it = s.counts.find(k);
        if (it != s.counts.end() && --it->second == 0) s.counts.erase(it);
    }

  private:
    struct key {
        std::array<unsigned char, 16> addr{};
        std::size_t hash = 0;
        bool operator==(const key& o) const noexcept { return addr == o.addr; }
    };
    struct key_hash {
        std::size_t operator()(const key& k) const noexcept { return k.hash; }
    };
    struct shard {
        std::mutex m;
        std::unordered_map<key, std::size_t, key_hash> counts;
    };
    static constexpr std::size_t shards = 16;

    // IPv4 is stored as IPv4-mapped IPv6, so both spellings of one client count together.
    static key key_of(const endpoint& e) noexcept {
        key k;
        const auto b = e.bytes();
        if (b.size() == 4) {
            k.addr[10] = k.addr[11] = 0xff;
            std::memcpy(k.addr.data() + 12, b.data(), 4);
        } else if (b.size() == 16) {
            std::memcpy(k.addr.data(), b.data(), 16);
        }
        std::uint64_t h = 1469598103934665603ull; // FNV-1a
        for (unsigned char c : k.addr) h = (h ^ c) * 1099511628211ull;
        k.hash = static_cast<std::size_t>(h);
        return k;
    }

    std::array<shard, shards> shards_;
};

/// State shared by all workers of one engine.
struct engine_shared {
    server_options opts;
    const void* handler = nullptr;
    dispatch_fn dispatch = nullptr;
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> open_connections{0};
    endpoint local; // the listening address, with the real port
    client_table clients;

    void log(std::string_view msg) const noexcept {
        try {
            if (opts.error_log) {
                opts.error_log(msg);
                return;
            }
        } catch (...) {}
        std::string line = "[minihttp] ";
        line.append(msg);
        line.push_back('\n');
        (void)!::write(STDERR_FILENO, line.data(), line.size());
    }
};

/// One piece of queued output. Pieces are written strictly in order.
struct out_segment {
    enum kind_t : std::uint8_t { buf, str, view, file, stream, notify };
    kind_t kind = buf;
    bool chunked = false;     // stream: chunked framing (else close-delimited)
    bool src_done = false;    // stream: the source reported its end
    std::size_t a = 0, b = 0; // buf: [a, b) of io_state::out; str: a = offset in `data`;
                              // stream: pending [a, b) of io_state::sbuf
    std::string data;         // str: a large in-memory body, moved from the response
    std::string_view viewed;  // view: a large shared body, kept alive by `keep`
    std::shared_ptr<const shared_entity> keep;
    unique_fd fd;           // file: the body's descriptor
    std::uint64_t off = 0;  // file: next offset
    std::uint64_t left = 0; // file: bytes still to send; notify: the body's size
    std::string access;     // notify: "METHOD TARGET" for the access log, if enabled
    http::status status = http::status::ok; // notify: the response's status
    std::uint8_t version_minor = 1;         // notify: the request's version
    response::stream_source src;
    response::sent_callback on_sent; // notify: told when every segment before it is written
};

/// Buffers and parse state of a connection with work in progress. Taken from the worker's free
/// list when bytes arrive and returned when the connection is idle again, so an idle keep-alive
/// connection owns no buffer (DESIGN.md: "an idle keep-alive connection costs a few KiB").
struct io_state {
    std::unique_ptr<char[]> in;
    std::size_t cap = 0;   // capacity of `in`
    std::size_t begin = 0; // start of the current request
    std::size_t end = 0;   // end of received data
    std::size_t scan = 0;  // bytes before this were searched for LF without finding a full head
    std::size_t head_size = 0;
    std::size_t body_raw = 0; // chunked: next raw byte to decode
    std::size_t body_out = 0; // chunked: end of decoded content
    bool head_done = false;
    bool views_stale = false; // `in` moved since the head was parsed: re-parse before dispatch
    chunked_decoder dec;
    request req;

    std::string out; // heads and small bodies, referenced by `buf` segments
    std::vector<out_segment> segs;
    std::size_t seg_head = 0;
    std::string sbuf;                // stream chunk being written
    std::uint64_t queued_body = 0;   // content bytes of the response being queued
    bool queued_stream = false;      // ... which is a stream
    std::uint64_t streamed = 0;      // content bytes of the last finished stream
    std::uint64_t body_progress = 0; // large-body bytes written of the response in progress
    std::size_t next = 0;            // where the request after the current one starts
    std::string access;              // "METHOD TARGET" of the response being queued (access log)
    std::uint8_t access_version = 1;
    io_state* next_free = nullptr;

    [[nodiscard]] bool has_output() const noexcept { return seg_head < segs.size(); }
    void clear_output() noexcept {
        segs.clear();
        seg_head = 0;
        out.clear();
    }
};

enum class phase : std::uint8_t {
    head,      // waiting for / reading a request head
    body,      // reading request content
    idle,      // between requests on a kept-alive connection
    lingering, // final response sent, write side shut, draining input before close
    handling,  // a deferred handler owns the request; nothing is read until it answers
};

struct connection {
    timer_node timer; // first member: the wheel hands back a timer_node*
    connection* prev = nullptr;
    connection* next = nullptr;
    io_state* io = nullptr;
    endpoint peer;
    std::uint64_t mark = 0;       // start of the current phase's deadline period
    std::uint64_t write_mark = 0; // last write progress
    std::uint64_t lingered = 0;   // bytes discarded while lingering
    std::size_t served = 0;
    std::size_t empty_lines = 0; // bytes of CRLF skipped before the current request
    int fd = -1;
    phase ph = phase::head;
    bool read_ready = false;
    bool write_ready = true;
    bool peer_eof = false;
    bool close_after = false;  // no further request: close once output is written
    bool linger = false;       // drain input before closing (after an error response)
    bool counted = true;       // counts against max_connections
    bool rdhup = false;        // the peer's FIN was signalled: read until read() returns 0
    bool client_close = false; // the client announced it sends nothing more (RFC 9112 §9.6)
    bool per_client = false;   // counted in engine_shared::clients
    bool yielded = false;      // in worker::yielded_: a large body, sent a quantum per turn
};

// The wheel hands back the timer_node that is the connection's first member.
static_assert(std::is_standard_layout_v<connection> && offsetof(connection, timer) == 0);

/// One worker: an epoll loop owning its connections for their whole life. All members are
/// touched only by the worker's thread, except `wake()`.
class worker final : private completion_sink {
  public:
    worker(engine_shared& shared, unsigned index, int listen_fd, bool own_listener)
        : shared_(shared), index_(index), listen_fd_(listen_fd), own_listener_(own_listener),
          wheel_(monotonic_ms()) {
        epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
        wake_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        if (!epoll_ || !wake_) throw std::system_error(last_error(), "minihttp: epoll/eventfd");
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag_wake;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) != 0)
            throw std::system_error(last_error(), "minihttp: epoll_ctl");
        const auto& o = shared_.opts;
        limits_.max_request_line = o.max_request_line;
        limits_.max_header_bytes = o.max_header_bytes;
        limits_.max_header_fields = o.max_header_fields;
        head_cap_ = 2 * o.max_request_line + o.max_header_bytes + 8;
    }
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;
    ~worker() {
        while (live_ != nullptr) close_conn(*live_);
        reap();
        while (free_conns_ != nullptr) delete std::exchange(free_conns_, free_conns_->next);
        while (free_io_ != nullptr) delete std::exchange(free_io_, free_io_->next_free);
    }

    /// Wakes the loop; async-signal-safe (one write(2) on an eventfd).
    void wake() const noexcept {
        const std::uint64_t one = 1;
        (void)!::write(wake_.get(), &one, sizeof one);
    }

    /// The event loop; returns after stop() once every connection is closed.
    void run() noexcept {
        try {
            set_current_thread_name("Thread-" + std::to_string(index_ + 1));
            loop();
        } catch (const std::exception& e) {
            shared_.log(std::string("worker stopped: ") + e.what());
        } catch (...) {
            shared_.log("worker stopped: unknown exception");
        }
        while (live_ != nullptr) close_conn(*live_);
        reap();
    }

  private:
    static constexpr std::uint64_t tag_listen = 1;
    static constexpr std::uint64_t tag_wake = 2;
    static constexpr std::size_t initial_buffer = 8192;
    static constexpr std::size_t copy_body_limit = 16 * 1024; // smaller bodies join the head
    static constexpr std::size_t batch_output_limit = 64 * 1024;
    static constexpr std::size_t max_batch_segments = 48; // write_bytes gathers up to 64 iovecs
    static constexpr std::size_t stream_chunk = 16 * 1024;
    static constexpr std::size_t stream_prefix = 16; // room for the chunk-size line
    static constexpr std::size_t max_free = 256;
    static constexpr std::uint64_t max_linger_bytes = 1 << 20;
    static constexpr std::uint64_t accept_pause_ms = 100;
    static constexpr std::size_t max_uncounted_lingering = 64;

    enum class io_result : std::uint8_t { done, blocked, error, yielded };
    // A file body goes out at most this much per turn of the loop: the connections sending
    // large files take turns (as lighttpd does), so none fills its socket buffer with megabytes
    // while the others wait, and the data sent stays warm in the cache until the client reads.
    static constexpr std::size_t file_quantum = 256 * 1024;

    // ---- loop ---------------------------------------------------------------------------

    void loop() {
        now_ = monotonic_ms();
        if (!register_listener()) return;
        if (shared_.stopping.load(std::memory_order_acquire)) begin_stop();
        epoll_event events[256];
        while (!(stopping_ && live_count_ == 0 && handling_ == 0)) {
            int timeout = yielded_.empty() ? wheel_.timeout_ms(now_) : 0;
            if (accept_paused_until_ != 0) {
                const auto wait = accept_paused_until_ > now_ ? accept_paused_until_ - now_ : 0;
                timeout = timeout < 0 ? static_cast<int>(wait)
                                      : std::min(timeout, static_cast<int>(wait));
            }
            if (stopping_ && now_ < stop_deadline_) { // (after it: only deferred answers left)
                const auto wait = static_cast<int>(stop_deadline_ - now_);
                timeout = timeout < 0 ? wait : std::min(timeout, wait);
            }
            const int n = ::epoll_wait(epoll_.get(), events, 256, timeout);
            if (n < 0 && errno != EINTR) throw std::system_error(last_error(), "epoll_wait");
            now_ = monotonic_ms();
            timespec rt{};
            ::clock_gettime(CLOCK_REALTIME_COARSE, &rt);
            date_now_ = rt.tv_sec;
            for (int i = 0; i < n; ++i) {
                const std::uint64_t tag = events[i].data.u64;
                if (tag == tag_listen) {
                    guarded([this] { on_accept(); });
                } else if (tag == tag_wake) {
                    on_wake();
                } else {
                    auto* c = reinterpret_cast<connection*>(events[i].data.ptr);
                    if (c->fd >= 0) on_event(*c, events[i].events);
                }
            }
            resume_yielded();
            wheel_.expire(now_, [this](timer_node& t) {
                auto& c = reinterpret_cast<connection&>(t);
                if (!guarded([&] { on_timer(c); })) close_conn(c);
            });
            if (accept_paused_until_ != 0 && now_ >= accept_paused_until_ && !stopping_) {
                accept_paused_until_ = 0;
                register_listener();
            }
            if (stopping_ && now_ >= stop_deadline_)
                while (live_ != nullptr) close_conn(*live_);
            reap();
        }
    }

    // Gives every connection that used up its quantum its next turn, in the order they yielded.
    // Those that yield again wait for the next round, after the next epoll_wait (timeout 0).
    void resume_yielded() {
        if (yielded_.empty()) return;
        resuming_.swap(yielded_);
        for (std::size_t i = 0; i < resuming_.size(); ++i) {
            // One closed meanwhile has fd < 0; it is reaped only after this round.
            connection* c = resuming_[i];
            c->yielded = false;
            if (c->fd >= 0 && !guarded([&] { drive(*c); })) close_conn(*c);
        }
        resuming_.clear();
    }

    // Runs f; an exception (only std::bad_alloc is expected) is logged instead of unwinding
    // through the loop. Returns false if one was thrown.
    template <class F>
    bool guarded(F&& f) noexcept {
        try {
            f();
            return true;
        } catch (const std::exception& e) {
            shared_.log(std::string("worker: ") + e.what());
        } catch (...) {
            shared_.log("worker: unknown exception");
        }
        return false;
    }

    bool register_listener() {
        epoll_event ev{};
        ev.events = EPOLLIN | (own_listener_ ? 0u : static_cast<std::uint32_t>(EPOLLEXCLUSIVE));
        ev.data.u64 = tag_listen;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_fd_, &ev) != 0) {
            shared_.log(std::string("cannot watch the listening socket: ") +
                        last_error().message());
            return false;
        }
        return true;
    }
    void unregister_listener() noexcept {
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listen_fd_, nullptr);
    }

    void on_wake() {
        std::uint64_t v = 0;
        while (::read(wake_.get(), &v, sizeof v) > 0) {}
        if (!stopping_ && shared_.stopping.load(std::memory_order_acquire)) begin_stop();
        drain_inbox();
    }

    // Stop accepting; close idle connections now; let in-flight exchanges finish (their
    // responses carry `Connection: close`) until the shutdown deadline.
    void begin_stop() {
        stopping_ = true;
        stop_deadline_ = now_ + static_cast<std::uint64_t>(shared_.opts.shutdown_timeout.count());
        if (accept_paused_until_ == 0) unregister_listener();
        accept_paused_until_ = 0;
        for (connection* c = live_; c != nullptr;) {
            connection* next = c->next;
            if (is_idle(*c) || c->ph == phase::lingering) close_conn(*c);
            c = next;
        }
    }

    [[nodiscard]] static bool is_idle(const connection& c) noexcept {
        const bool no_work = c.io == nullptr || (c.io->begin == c.io->end && !c.io->has_output());
        return no_work && (c.ph == phase::idle || c.ph == phase::head);
    }

    // ---- accept -------------------------------------------------------------------------

    void on_accept() {
        for (int i = 0; i < 64 && !stopping_; ++i) {
            sockaddr_storage ss{};
            socklen_t len = sizeof ss;
            const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len,
                                     SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                    // Out of descriptors: a level-triggered listener would spin, so stop
                    // watching it for a moment; pending clients wait in the backlog.
                    if (!accept_warned_)
                        shared_.log("accept: " + last_error().message() + " (pausing accepts)");
                    accept_warned_ = true;
                    unregister_listener();
                    accept_paused_until_ = now_ + accept_pause_ms;
                    return;
                }
                shared_.log("accept: " + last_error().message());
                return;
            }
            accept_warned_ = false;
            unique_fd guard(fd);
            const std::size_t open =
                shared_.open_connections.fetch_add(1, std::memory_order_relaxed);
            bool over = open >= shared_.opts.max_connections;
            const char* why = "max_connections reached";
            const endpoint peer(ss);
            bool per_client = false;
            if (!over && shared_.opts.max_connections_per_client != 0) {
                per_client = shared_.clients.try_add(peer, shared_.opts.max_connections_per_client);
                if (!per_client) {
                    over = true;
                    why = "max_connections_per_client reached";
                }
            }
            if (over) shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);
            connection& c = new_conn(guard.release(), ss, !over, per_client);
            if (c.fd < 0) continue;
            if (over) {
                // 503 at max_connections (DESIGN.md), then a short lingering close so that the
                // client reads the answer rather than a reset.
                send_error(c, status::service_unavailable, why);
                drive(c);
            }
        }
    }

    connection& new_conn(int fd, const sockaddr_storage& sa, bool counted, bool per_client) {
        connection* c = free_conns_;
        if (c != nullptr) {
            free_conns_ = c->next;
            --free_count_;
            *c = connection{};
        } else {
            try {
                c = new connection;
            } catch (...) {
                ::close(fd);
                if (counted) shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);
                if (per_client) shared_.clients.remove(endpoint(sa));
                throw;
            }
        }
        c->fd = fd;
        c->peer = endpoint(sa);
        c->counted = counted;
        c->per_client = per_client;
        if (!counted) ++uncounted_;
        c->mark = c->write_mark = now_;
        c->next = live_;
        if (live_ != nullptr) live_->prev = c;
        live_ = c;
        ++live_count_;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.ptr = c;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            shared_.log("epoll_ctl: " + last_error().message());
            close_conn(*c);
            return *c;
        }
        arm_timer(*c);
        return *c;
    }

    void close_conn(connection& c) noexcept {
        if (c.fd < 0) return;
        wheel_.cancel(c.timer);
        if (c.yielded) { // only connections mid-way through a large file: a short list
            std::erase(yielded_, &c);
            c.yielded = false;
        }
        ::close(c.fd);
        c.fd = -1;
        if (c.counted)
            shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);
        else
            --uncounted_;
        if (c.per_client) shared_.clients.remove(c.peer);
        const bool abandoned = c.ph == phase::handling;
        if (!abandoned) release_io(c, true); // a deferred handler still reads the request
        if (c.prev != nullptr)
            c.prev->next = c.next;
        else
            live_ = c.next;
        if (c.next != nullptr) c.next->prev = c.prev;
        --live_count_;
        c.prev = nullptr;
        c.next = nullptr;
        if (abandoned) return; // freed by drain_inbox() when the deferred answer arrives
        // Recycled only after the current batch of epoll events (a later event of the batch
        // may still point at it; fd < 0 marks it dead).
        c.next = dead_;
        dead_ = &c;
    }

    void reap() noexcept {
        while (dead_ != nullptr) {
            connection* c = std::exchange(dead_, dead_->next);
            if (free_count_ < max_free) {
                c->next = free_conns_;
                free_conns_ = c;
                ++free_count_;
            } else {
                delete c;
            }
        }
    }

    // ---- buffers ------------------------------------------------------------------------

    io_state& acquire_io(connection& c) {
        if (c.io != nullptr) return *c.io;
        io_state* io = free_io_;
        if (io != nullptr) {
            free_io_ = io->next_free;
            --free_io_count_;
        } else {
            io = new io_state;
        }
        if (!io->in) {
            // No zero fill: only received bytes are ever read.
            io->in = std::make_unique_for_overwrite<char[]>(initial_buffer);
            io->cap = initial_buffer;
        }
        auto& fields = request_access::fields(io->req);
        if (fields.capacity() < shared_.opts.max_header_fields)
            fields.reserve(shared_.opts.max_header_fields); // the parser then never allocates
        io->begin = io->end = io->scan = 0;
        io->head_done = io->views_stale = false;
        c.io = io;
        return *io;
    }

    // Returns the buffers to the free list once nothing is in progress (or always, on close).
    void release_io(connection& c, bool force) noexcept {
        io_state* io = c.io;
        if (io == nullptr) return;
        if (!force && (io->has_output() || io->begin != io->end || io->head_done)) return;
        c.io = nullptr;
        for (std::size_t i = io->seg_head; i < io->segs.size(); ++i) // responses cut short
            if (io->segs[i].kind == out_segment::notify) // the first one was in progress
                report(c, io->segs[i], std::exchange(io->body_progress, 0), false);
        io->clear_output();
        io->sbuf = std::string();
        if (io->cap > initial_buffer) { // a big body grew it: give the memory back
            io->in.reset();
            io->cap = 0;
        }
        if (io->out.capacity() > batch_output_limit) io->out = std::string();
        if (free_io_count_ < max_free) {
            io->next_free = free_io_;
            free_io_ = io;
            ++free_io_count_;
        } else {
            delete io;
        }
    }

    // Makes room for more input. Returns false if the buffer may not grow further.
    bool make_room(io_state& io) {
        if (io.end < io.cap) return true;
        if (io.head_done && io.req.chunked() && io.body_out < io.body_raw) {
            // Close the gap left by in-place chunk decoding.
            const std::size_t raw = io.end - io.body_raw;
            std::memmove(io.in.get() + io.body_out, io.in.get() + io.body_raw, raw);
            io.end = io.body_out + raw;
            io.body_raw = io.body_out;
            if (io.end < io.cap) return true;
        }
        if (io.begin > 0) {
            compact(io);
            return true;
        }
        // Grow by doubling as bytes arrive, up to what the current phase can need: a declared
        // Content-Length alone never makes us allocate (a 60-byte head must not cost 1 MiB).
        std::size_t limit = head_cap_;
        if (io.head_done) {
            limit = io.req.chunked()
                        ? io.head_size + shared_.opts.max_body_bytes +
                              chunked_decoder::limits{}.max_line + 64
                        : io.head_size + static_cast<std::size_t>(io.req.content_length());
        }
        if (io.cap >= limit) return false;
        grow(io, std::min(limit, io.cap * 2));
        return true;
    }

    void compact(io_state& io) noexcept {
        const std::size_t shift = io.begin;
        if (shift == 0) return;
        std::memmove(io.in.get(), io.in.get() + shift, io.end - shift);
        io.begin = 0;
        io.end -= shift;
        io.scan -= std::min(io.scan, shift);
        io.body_raw -= std::min(io.body_raw, shift);
        io.body_out -= std::min(io.body_out, shift);
        if (io.head_done) io.views_stale = true;
    }

    void grow(io_state& io, std::size_t cap) {
        auto bigger = std::make_unique_for_overwrite<char[]>(cap);
        std::memcpy(bigger.get(), io.in.get(), io.end);
        io.in = std::move(bigger);
        io.cap = cap;
        if (io.head_done) io.views_stale = true;
    }

    // ---- events -------------------------------------------------------------------------

    void on_event(connection& c, std::uint32_t ev) {
        if ((ev & EPOLLERR) != 0) {
            close_conn(c);
            return;
        }
        if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0) c.read_ready = true;
        if ((ev & (EPOLLRDHUP | EPOLLHUP)) != 0) c.rdhup = true;
        if ((ev & (EPOLLOUT | EPOLLHUP)) != 0) c.write_ready = true;
        drive(c);
    }

    // Advances a connection as far as it can go without blocking.
    void drive(connection& c) noexcept {
        try {
            drive_impl(c);
        } catch (const std::exception& e) {
            shared_.log(std::string("connection dropped: ") + e.what());
            close_conn(c);
        } catch (...) {
            close_conn(c);
        }
    }

    void drive_impl(connection& c) {
        if (c.ph == phase::handling) return; // resumed by drain_inbox()
        for (;;) {
            if (c.fd < 0) return;
            if (c.ph == phase::lingering) {
                linger_read(c);
                return;
            }
            if (c.io != nullptr && c.io->has_output()) {
                if (!c.write_ready) break;
                const io_result r = flush(c);
                if (r == io_result::error) {
                    close_conn(c);
                    return;
                }
                if (r == io_result::blocked) break;
                if (r == io_result::yielded) { // its turn is over: resumed after the others
                    if (!c.yielded) yielded_.push_back(&c);
                    c.yielded = true;
                    break;
                }
                if (c.close_after) {
                    finish(c);
                    return;
                }
                if (c.ph == phase::idle) c.mark = now_;
            }
            if (c.close_after) { // only reached with no output left
                finish(c);
                return;
            }
            process_input(c);
            if (c.fd < 0) return;
            if (c.io != nullptr && c.io->has_output()) continue;
            if (c.close_after) continue;
            if (!c.read_ready || c.peer_eof) break;
            if (!read_some(c)) return;
        }
        if (c.fd < 0) return;
        const bool pending_output = c.io != nullptr && c.io->has_output();
        if (c.peer_eof && !pending_output) {
            close_conn(c); // the client is gone; nothing left to answer
            return;
        }
        if (stopping_ && is_idle(c)) {
            close_conn(c);
            return;
        }
        release_io(c, false);
        arm_timer(c);
    }

    // Reads once. Returns false if the connection was closed.
    bool read_some(connection& c) {
        io_state& io = acquire_io(c);
        if (!make_room(io)) { // cannot happen while the parser enforces the limits
            c.read_ready = false;
            return true;
        }
        const std::size_t space = io.cap - io.end;
        ssize_t n;
        do {
            n = ::read(c.fd, io.in.get() + io.end, space);
        } while (n < 0 && errno == EINTR);
        if (n > 0) {
            io.end += static_cast<std::size_t>(n);
            // A short read drained the socket; with edge-triggered epoll a new event comes when
            // more arrives, so no read has to end in EAGAIN (one read per request). Unless the
            // FIN came with the data: no event will follow, so read on until read() says 0.
            if (static_cast<std::size_t>(n) < space && !c.rdhup) c.read_ready = false;
            return true;
        }
        if (n == 0) {
            c.peer_eof = true;
            c.read_ready = false;
            return true;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c.read_ready = false;
            return true;
        }
        close_conn(c); // ECONNRESET and the like
        return false;
    }

    void linger_read(connection& c) {
        char scratch[16 * 1024];
        for (;;) {
            const ssize_t n = ::read(c.fd, scratch, sizeof scratch);
            if (n > 0) {
                c.lingered += static_cast<std::uint64_t>(n);
                if (c.lingered > max_linger_bytes) break;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                c.read_ready = false;
                arm_timer(c);
                return;
            }
            break; // EOF or error
        }
        close_conn(c);
    }

    // Called once the last response is written.
    void finish(connection& c) {
        if (c.peer_eof || !c.counted) { // gone already, or a 503 for an over-limit connection
            if (!c.counted && !c.peer_eof && uncounted_ <= max_uncounted_lingering) {
                c.linger = true;
            } else {
                close_conn(c);
                return;
            }
        }
        bool linger = c.linger || !c.client_close || (c.io != nullptr && c.io->begin != c.io->end);
        if (!linger) {
            // The client said it sends nothing more; one read confirms it did not anyway.
            char probe[512];
            const ssize_t n = ::read(c.fd, probe, sizeof probe);
            linger = n > 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
            if (n == 0) c.peer_eof = true;
        }
        if (linger && !c.peer_eof) {
            // Lingering close: shut our side, drain what the client still sends, so that our
            // response is not destroyed by a reset (RFC 9112 §9.6).
            ::shutdown(c.fd, SHUT_WR);
            c.ph = phase::lingering;
            c.mark = now_;
            release_io(c, true);
            if (stopping_) {
                close_conn(c);
                return;
            }
            linger_read(c);
            return;
        }
        close_conn(c);
    }

    // ---- requests -----------------------------------------------------------------------

    void process_input(connection& c) {
        if (c.io == nullptr) return;
        io_state& io = *c.io;
        while (!c.close_after && c.fd >= 0 && c.ph != phase::handling) {
            // Pipelined requests are answered into one batch, written by one sendmsg, while
            // the queue holds heads, small or shared bodies and completion marks; a file, a
            // stream or a large owned body, a full batch or enough iovecs are written first.
            if (io.has_output() && (io.out.size() >= batch_output_limit ||
                                    io.segs.size() - io.seg_head >= max_batch_segments ||
                                    !batchable(io.segs.back().kind)))
                return;
            if (!io.head_done) {
                // Empty lines before a request line are ignored (RFC 9112 §2.2): a CRLF after a
                // body leaves the connection idle, not half-way through a head. Within the
                // request-line limit, as the parser counts them, so they cannot go on forever.
                const char* in = io.in.get();
                while (io.end - io.begin >= 2 && in[io.begin] == '\r' && in[io.begin + 1] == '\n') {
                    io.begin += 2;
                    c.empty_lines += 2;
                }
                if (c.empty_lines > shared_.opts.max_request_line) {
                    send_error(c, status::bad_request,
                               "too many empty lines before the request line");
                    return;
                }
                if (io.scan < io.begin) io.scan = io.begin;
                if (io.begin == io.end) {
                    io.begin = io.end = io.scan = 0;
                    return;
                }
                if (c.ph == phase::idle) { // the first bytes of the next request
                    c.ph = phase::head;
                    c.mark = now_;
                }
                // Parse only once a line end arrived (or the limits are exceeded): a client
                // sending a byte at a time costs a scan per line, not a re-parse per byte. A CR
                // counts too, so that a bare CR is refused at once rather than at the timeout.
                const char* from = io.in.get() + io.scan;
                const std::size_t fresh = io.end - io.scan;
                const std::size_t buffered = io.end - io.begin;
                if (std::memchr(from, '\n', fresh) == nullptr &&
                    std::memchr(from, '\r', fresh) == nullptr && buffered < head_cap_) {
                    io.scan = io.end;
                    return;
                }
                const parse_result pr =
                    parse_request({io.in.get() + io.begin, buffered}, io.req, limits_);
                if (pr.state == parse_status::need_more) {
                    io.scan = io.end;
                    if (buffered >= head_cap_)
                        send_error(c, status::request_header_fields_too_large, "head too large");
                    return;
                }
                if (pr.state == parse_status::error) {
                    send_error(c, pr.error, pr.reason);
                    return;
                }
                io.head_done = true;
                io.views_stale = false;
                io.head_size = pr.consumed;
                const request& req = io.req;
                if (req.content_length() > shared_.opts.max_body_bytes) {
                    // before any 100 Continue
                    send_error(c, status::content_too_large, "Content-Length over the limit");
                    return;
                }
                if (req.chunked() || req.content_length() > 0) {
                    c.ph = phase::body;
                    c.mark = now_;
                    const std::size_t body_start = io.begin + io.head_size;
                    if (req.chunked()) {
                        chunked_decoder::limits dl;
                        dl.max_body = shared_.opts.max_body_bytes;
                        dl.max_trailer_bytes = shared_.opts.max_header_bytes;
                        dl.max_trailer_fields = shared_.opts.max_header_fields;
                        io.dec = chunked_decoder(dl);
                        io.body_raw = io.body_out = body_start;
                    }
                    // RFC 9110 §10.1.1: answer 100 (Continue) unless content already arrived.
                    if (req.expects_continue() && io.end == body_start)
                        queue_bytes(io, "HTTP/1.1 100 Continue\r\n\r\n");
                }
            }
            std::size_t body_begin = io.begin + io.head_size, body_len = 0, next = 0;
            if (io.req.chunked()) {
                const auto r = io.dec.decode({io.in.get() + io.body_raw, io.end - io.body_raw},
                                             io.in.get() + io.body_out);
                io.body_raw += r.consumed;
                io.body_out += r.produced;
                if (r.state == parse_status::error) {
                    send_error(c, r.error, r.reason);
                    return;
                }
                if (r.state == parse_status::need_more) return;
                body_len = io.body_out - body_begin;
                next = io.body_raw;
            } else {
                const auto len = static_cast<std::size_t>(io.req.content_length());
                if (io.end - body_begin < len) return;
                body_len = len;
                next = body_begin + len;
            }
            dispatch(c, io, body_begin, body_len, next);
        }
    }

    void dispatch(connection& c, io_state& io, std::size_t body_begin, std::size_t body_len,
                  std::size_t next) {
        request& req = io.req;
        if (io.views_stale) { // the head moved: re-parse it in its new place (same result)
            (void)parse_request({io.in.get() + io.begin, io.head_size}, req, limits_);
            io.views_stale = false;
        }
        request_access::set_body(req, {io.in.get() + body_begin, body_len});
        request_access::set_remote(req, c.peer);
        request_access::set_local(req, shared_.local);
        io.next = next;
        response res = call_handler(c, req);
        if (res.kind() == response::body_kind::deferred) {
            // The handler answers later (http::blocking): the request and its buffer stay
            // untouched, nothing more is read, and no deadline runs until the answer comes.
            c.ph = phase::handling;
            wheel_.cancel(c.timer);
            ++handling_;
            auto start = response_access::take_deferred(res);
            try {
                if (start)
                    start(responder_access::make(this, &c));
                else
                    complete(&c, response(status::internal_server_error));
            } catch (const std::exception& e) { // a dropped responder has answered 500
                shared_.log(std::string("deferred handler threw: ") + e.what());
            } catch (...) {
                shared_.log("deferred handler threw a non-standard exception");
            }
            return;
        }
        finish_exchange(c, io, res);
    }

    // Queues the response to the request at io.begin and moves on to the next request.
    void finish_exchange(connection& c, io_state& io, response& res) {
        const request& req = io.req;
        ++c.served;
        // The shared flag, not the worker's: a response produced after stop() was called must
        // say close even if this worker has not seen its wake-up yet.
        const bool keep = req.keep_alive() && !shared_.stopping.load(std::memory_order_relaxed) &&
                          !c.peer_eof && c.served < shared_.opts.max_requests_per_connection;
        c.client_close = !req.keep_alive();
        if (shared_.opts.access_log) {
            io.access.assign(req.method_name()).append(" ").append(req.target());
            io.access_version = static_cast<std::uint8_t>(req.version_minor());
        }
        queue_response(c, io, res, req.method() == method::head, req.version_minor(), keep);
        io.begin = io.scan = io.next;
        io.head_done = false;
        c.empty_lines = 0;
        if (io.begin == io.end) io.begin = io.end = io.scan = 0;
        c.ph = phase::idle; // becomes head when the next request's first bytes are seen
        c.mark = now_;
    }

    // completion_sink: a deferred response arrives, from any thread.
    void complete(void* token, response&& r) noexcept override {
        {
            std::lock_guard lock(inbox_mutex_);
            inbox_.emplace_back(static_cast<connection*>(token), std::move(r));
        }
        wake();
    }

    void drain_inbox() {
        {
            std::lock_guard lock(inbox_mutex_);
            inbox_work_.swap(inbox_);
        }
        for (auto& [c, res] : inbox_work_) {
            --handling_;
            if (c->fd < 0) { // closed while the handler ran: only now may its buffers go
                release_io(*c, true);
                c->next = dead_;
                dead_ = c;
                continue;
            }
            response r = std::move(res);
            if (!valid_final(r)) r = make_error_response(status::internal_server_error, false);
            connection& conn = *c;
            if (!guarded([&] { finish_exchange(conn, *conn.io, r); })) close_conn(conn);
            drive(conn);
        }
        inbox_work_.clear();
    }

    bool valid_final(const response& res) {
        const unsigned code = to_int(res.code());
        if (code >= 200 && code <= 999 && res.kind() != response::body_kind::deferred) return true;
        // An interim (1xx) status as the final answer would shift every later response on the
        // connection by one; 101 needs an upgrade mechanism we do not offer.
        shared_.log("handler returned status " + std::to_string(code) +
                    (res.kind() == response::body_kind::deferred ? " (deferred twice)" : "") +
                    ", which is not a final response");
        return false;
    }

    response call_handler(connection& c, const request& req) {
        // RFC 9110 §9.1: an unrecognised method gets 501; so does CONNECT (no tunnelling).
        if (req.method() == method::other || req.method() == method::connect) {
            refused(c, status::not_implemented,
                    req.method() == method::connect ? "CONNECT is not supported"
                                                    : "unknown method");
            return make_error_response(status::not_implemented, false);
        }
        try {
            response res = shared_.dispatch(shared_.handler, req);
            if (res.kind() == response::body_kind::deferred || valid_final(res)) return res;
        } catch (const std::exception& e) {
            shared_.log(std::string("handler threw: ") + e.what());
        } catch (...) {
            shared_.log("handler threw a non-standard exception");
        }
        return make_error_response(status::internal_server_error, false);
    }

    void refused(connection& c, http::status s, std::string_view reason) noexcept {
        if (!shared_.opts.on_refusal) return;
        try {
            shared_.opts.on_refusal(refusal{s, reason, c.peer});
        } catch (...) {}
    }

    // An engine error: the rest of the input is discarded and the connection closes after the
    // response, draining input for a while (lingering close).
    void send_error(connection& c, http::status s, std::string_view reason) {
        refused(c, s, reason);
        io_state& io = acquire_io(c);
        io.begin = io.end = io.scan = 0;
        io.head_done = false;
        response r = make_error_response(s);
        queue_response(c, io, r, false, 1, false);
        c.linger = true;
        c.close_after = true;
    }

    // Queued output after which another pipelined response may be queued: a large owned body
    // (str) is written first, so that a batch never holds several of them.
    static constexpr bool batchable(out_segment::kind_t k) noexcept {
        return k == out_segment::buf || k == out_segment::view || k == out_segment::notify;
    }

    void push_buf(io_state& io, std::size_t from) {
        const std::size_t to = io.out.size();
        if (from == to) return;
        if (io.has_output()) {
            out_segment& last = io.segs.back();
            if (last.kind == out_segment::buf && last.b == from) {
                last.b = to;
                return;
            }
        }
        out_segment s;
        s.kind = out_segment::buf;
        s.a = from;
        s.b = to;
        io.segs.push_back(std::move(s));
    }

    void queue_bytes(io_state& io, std::string_view bytes) {
        const std::size_t from = io.out.size();
        io.out.append(bytes);
        push_buf(io, from);
    }

    void queue_response(connection& c, io_state& io, response& res, bool head_request,
                        unsigned version_minor, bool keep_alive) {
        queue_body(c, io, res, head_request, version_minor, keep_alive);
        auto cb = response_access::take_on_sent(res);
        if (cb || !io.access.empty()) { // told once everything before it is written
            out_segment s;
            s.kind = out_segment::notify;
            s.on_sent = std::move(cb);
            s.access = std::move(io.access);
            s.status = res.code();
            s.version_minor = io.access_version;
            s.left = io.queued_body;
            s.chunked = io.queued_stream; // the size is known only once the stream has ended
            io.segs.push_back(std::move(s));
        }
        io.access.clear();
    }

    void queue_body(connection& c, io_state& io, response& res, bool head_request,
                    unsigned version_minor, bool keep_alive) {
        const std::size_t from = io.out.size();
        head_context ctx;
        ctx.head_request = head_request;
        ctx.version_minor = version_minor;
        ctx.keep_alive = keep_alive;
        ctx.date = date_.get(date_now_);
        const head_result hr = serialize_head(io.out, res, ctx);
        if (!hr.keep_alive) c.close_after = true;
        io.queued_stream = hr.framing == framing::chunked || hr.framing == framing::until_close;
        io.queued_body =
            hr.framing == framing::length
                ? (res.kind() == response::body_kind::file ? res.file_length() : res.body().size())
                : 0;
        switch (hr.framing) {
        case framing::none: push_buf(io, from); return;
        case framing::length:
            if (res.kind() == response::body_kind::bytes ||
                res.kind() == response::body_kind::shared) {
                if (res.body().size() <= copy_body_limit) {
                    io.out.append(res.body()); // one writev for head and body
                    push_buf(io, from);
                } else if (res.kind() == response::body_kind::shared) {
                    push_buf(io, from);
                    out_segment s;
                    s.kind = out_segment::view;
                    s.viewed = res.body();
                    s.keep = response_access::shared(res);
                    io.segs.push_back(std::move(s));
                } else {
                    push_buf(io, from);
                    out_segment s;
                    s.kind = out_segment::str;
                    s.data = response_access::take_body(res);
                    io.segs.push_back(std::move(s));
                }
            } else { // file
                push_buf(io, from);
                out_segment s;
                s.kind = out_segment::file;
                s.off = res.file_offset();
                s.left = res.file_length();
                s.fd = response_access::take_file(res);
                io.segs.push_back(std::move(s));
            }
            return;
        case framing::chunked:
        case framing::until_close: {
            push_buf(io, from);
            out_segment s;
            s.kind = out_segment::stream;
            s.chunked = hr.framing == framing::chunked;
            s.src = response_access::take_stream(res);
            io.segs.push_back(std::move(s));
            return;
        }
        }
    }

    // ---- output -------------------------------------------------------------------------

    io_result flush(connection& c) {
        io_state& io = *c.io;
        while (io.has_output()) {
            out_segment& s = io.segs[io.seg_head];
            io_result r = io_result::done;
            switch (s.kind) {
            case out_segment::buf:
            case out_segment::str:
            case out_segment::view: r = write_bytes(c, io); break;
            case out_segment::notify: notify(c, io, s); break;
            case out_segment::file: r = write_file(c, s); break;
            case out_segment::stream: r = write_stream(c, io, s); break;
            }
            if (r != io_result::done) return r;
        }
        io.clear_output();
        return io_result::done;
    }

    void notify(connection& c, io_state& io, out_segment& s) {
        ++io.seg_head;
        io.body_progress = 0;
        report(c, s, s.chunked ? io.streamed : s.left, true);
    }

    // Tells a response's on_sent callback and the access log how it ended.
    void report(connection& c, out_segment& s, std::uint64_t bytes, bool complete) noexcept {
        try {
            if (auto cb = std::move(s.on_sent)) cb(delivery{bytes, complete});
            if (!s.access.empty() && shared_.opts.access_log) {
                const std::string_view line = s.access;
                const auto sp = line.find(' ');
                shared_.opts.access_log(access_entry{line.substr(0, sp), line.substr(sp + 1),
                                                     s.version_minor, s.status, bytes, complete,
                                                     c.peer});
            }
        } catch (const std::exception& e) {
            shared_.log(std::string("completion callback threw: ") + e.what());
        } catch (...) {}
    }

    // Gathers consecutive in-memory segments into one sendmsg (head + body, or many pipelined
    // responses: one write for a batch).
    io_result write_bytes(connection& c, io_state& io) {
        iovec iov[64];
        int cnt = 0;
        std::size_t total = 0;
        std::size_t i = io.seg_head;
        for (; i < io.segs.size() && cnt < 64; ++i) {
            const out_segment& s = io.segs[i];
            if (s.kind == out_segment::buf) {
                iov[cnt].iov_base = io.out.data() + s.a;
                iov[cnt].iov_len = s.b - s.a;
            } else if (s.kind == out_segment::str) {
                iov[cnt].iov_base = const_cast<char*>(s.data.data()) + s.a;
                iov[cnt].iov_len = s.data.size() - s.a;
            } else if (s.kind == out_segment::view) {
                iov[cnt].iov_base = const_cast<char*>(s.viewed.data()) + s.a;
                iov[cnt].iov_len = s.viewed.size() - s.a;
            } else if (s.kind == out_segment::notify) {
                continue; // reported below once the bytes before it are written
            } else {
                break;
            }
            total += iov[cnt].iov_len;
            ++cnt;
        }
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<std::size_t>(cnt);
        // MSG_MORE when a file follows: the head then leaves in the same packet as the file's
        // first bytes. MSG_NOSIGNAL: a closed peer must not raise SIGPIPE.
        const bool file_follows = i < io.segs.size() && io.segs[i].kind == out_segment::file;
        const int flags = MSG_NOSIGNAL | (file_follows ? MSG_MORE : 0);
        ssize_t n;
        do {
            n = ::sendmsg(c.fd, &msg, flags);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c.write_ready = false;
                return io_result::blocked;
            }
            return io_result::error;
        }
        c.write_mark = now_;
        auto left = static_cast<std::size_t>(n);
        while (io.seg_head < i) {
            out_segment& s = io.segs[io.seg_head];
            if (s.kind == out_segment::notify) {
                notify(c, io, s);
                continue;
            }
            const std::size_t len = s.kind == out_segment::buf   ? s.b - s.a
                                    : s.kind == out_segment::str ? s.data.size() - s.a
                                                                 : s.viewed.size() - s.a;
            const std::size_t take = std::min(left, len);
            s.a += take;
            left -= take;
            if (s.kind != out_segment::buf) io.body_progress += take;
            if (take < len) break;
            if (s.kind == out_segment::str) s.data = std::string();
            if (s.kind == out_segment::view) s.keep = nullptr;
            ++io.seg_head;
        }
        if (static_cast<std::size_t>(n) < total) {
            c.write_ready = false;
            return io_result::blocked;
        }
        return io_result::done;
    }

    io_result write_file(connection& c, out_segment& s) {
        std::size_t sent = 0;
        while (s.left > 0) {
            if (sent >= file_quantum) return io_result::yielded;
            auto off = static_cast<off_t>(s.off);
            const std::size_t want =
                static_cast<std::size_t>(std::min<std::uint64_t>(s.left, file_quantum - sent));
            const ssize_t n = ::sendfile(c.fd, s.fd.get(), &off, want);
            if (n > 0) {
                c.write_mark = now_;
                s.off += static_cast<std::uint64_t>(n);
                s.left -= static_cast<std::uint64_t>(n);
                sent += static_cast<std::size_t>(n);
                c.io->body_progress += static_cast<std::uint64_t>(n);
                continue; // a short count may mean a full socket (EAGAIN next) or EOF (0 next)
            }
            if (n == 0) return io_result::error; // the file shrank: the promised length is a lie
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c.write_ready = false;
                return io_result::blocked;
            }
            if (errno == EPIPE) clear_sigpipe();
            return io_result::error;
        }
        s.fd.reset();
        ++c.io->seg_head;
        return io_result::done;
    }

    io_result write_stream(connection& c, io_state& io, out_segment& s) {
        for (;;) {
            if (s.a == s.b) {
                if (s.src_done) {
                    s.src = nullptr;
                    io.streamed = s.off;
                    ++io.seg_head;
                    return io_result::done;
                }
                io.sbuf.resize(stream_prefix + stream_chunk + 2);
                std::ptrdiff_t n = -1;
                try {
                    n = s.src(io.sbuf.data() + stream_prefix, stream_chunk);
                } catch (const std::exception& e) {
                    shared_.log(std::string("stream source threw: ") + e.what());
                } catch (...) {
                    shared_.log("stream source threw");
                }
                if (n < 0 || static_cast<std::size_t>(n) > stream_chunk) return io_result::error;
                s.off += static_cast<std::uint64_t>(n); // content bytes produced so far
                s.left = static_cast<std::uint64_t>(n); // content in the chunk being written
                if (n == 0) {
                    s.src_done = true;
                    if (!s.chunked) continue;
                    std::memcpy(io.sbuf.data(), last_chunk.data(), last_chunk.size());
                    s.a = 0;
                    s.b = last_chunk.size();
                } else if (s.chunked) {
                    char hex[16];
                    const auto r =
                        std::to_chars(hex, hex + sizeof hex, static_cast<std::size_t>(n), 16);
                    const auto hlen = static_cast<std::size_t>(r.ptr - hex);
                    s.a = stream_prefix - hlen - 2;
                    std::memcpy(io.sbuf.data() + s.a, hex, hlen);
                    std::memcpy(io.sbuf.data() + stream_prefix - 2, "\r\n", 2);
                    s.b = stream_prefix + static_cast<std::size_t>(n);
                    std::memcpy(io.sbuf.data() + s.b, "\r\n", 2);
                    s.b += 2;
                } else {
                    s.a = stream_prefix;
                    s.b = stream_prefix + static_cast<std::size_t>(n);
                }
            }
            ssize_t w;
            do {
                w = ::send(c.fd, io.sbuf.data() + s.a, s.b - s.a, MSG_NOSIGNAL);
            } while (w < 0 && errno == EINTR);
            if (w < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    c.write_ready = false;
                    return io_result::blocked;
                }
                return io_result::error;
            }
            c.write_mark = now_;
            s.a += static_cast<std::size_t>(w);
            if (s.a < s.b) {
                c.write_ready = false;
                return io_result::blocked;
            }
            io.body_progress += std::exchange(s.left, 0);
        }
    }

    // sendfile(2) has no MSG_NOSIGNAL: workers block SIGPIPE, and a pending one raised by a
    // write to a reset peer is consumed here so it never reaches the process.
    static void clear_sigpipe() noexcept {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        timespec zero{};
        while (::sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {}
    }

    // ---- timers -------------------------------------------------------------------------

    [[nodiscard]] std::uint64_t deadline(const connection& c) const noexcept {
        const auto& o = shared_.opts;
        auto ms = [](std::chrono::milliseconds d) { return static_cast<std::uint64_t>(d.count()); };
        if (c.io != nullptr && c.io->has_output() && !c.write_ready)
            return c.write_mark + ms(o.write_timeout);
        switch (c.ph) {
        case phase::head: return c.mark + ms(o.header_timeout);
        case phase::idle: return c.mark + ms(o.keep_alive_timeout);
        case phase::lingering: return c.mark + ms(o.linger_timeout);
        case phase::handling: return UINT64_MAX; // the deferred handler is not timed
        case phase::body: {
            std::uint64_t d = c.mark + ms(o.body_timeout);
            if (o.min_body_rate > 0 && c.io != nullptr) {
                const io_state& io = *c.io;
                const std::uint64_t got =
                    io.req.chunked() ? io.dec.size() : io.end - (io.begin + io.head_size);
                d += got * 1000 / o.min_body_rate;
            }
            return d;
        }
        }
        return c.mark;
    }

    void arm_timer(connection& c) noexcept {
        if (c.ph == phase::handling)
            wheel_.cancel(c.timer);
        else
            wheel_.schedule(c.timer, deadline(c));
    }

    void on_timer(connection& c) {
        if (c.fd < 0 || c.ph == phase::handling) return;
        const std::uint64_t d = deadline(c);
        if (d > now_) {
            wheel_.schedule(c.timer, d);
            return;
        }
        if (c.io != nullptr && c.io->has_output() && !c.write_ready) { // client not reading
            // Abortive close: a reset frees the megabytes queued for a client that stopped
            // reading, instead of the kernel trying to deliver them after close().
            const linger abort{1, 0};
            ::setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
            close_conn(c);
            return;
        }
        const bool no_bytes = c.io == nullptr || c.io->begin == c.io->end;
        if (c.close_after || c.ph == phase::idle || c.ph == phase::lingering ||
            (c.ph == phase::head && no_bytes)) {
            close_conn(c); // idle keep-alive: closed silently
            return;
        }
        // An incomplete head or a too slow body (DESIGN.md: 408 and close).
        send_error(c, status::request_timeout,
                   c.ph == phase::body ? "request body too slow" : "request head timeout");
        c.read_ready = false;
        drive(c);
    }

    engine_shared& shared_;
    unsigned index_;
    int listen_fd_;
    bool own_listener_;
    unique_fd epoll_;
    unique_fd wake_;
    timer_wheel wheel_;
    date_cache date_;
    parse_limits limits_;
    std::size_t head_cap_ = 0;
    std::uint64_t now_ = 0;
    std::time_t date_now_ = 0;
    std::uint64_t stop_deadline_ = 0;
    std::uint64_t accept_paused_until_ = 0;
    connection* live_ = nullptr;
    connection* dead_ = nullptr;
    connection* free_conns_ = nullptr;
    io_state* free_io_ = nullptr;
    std::vector<connection*> yielded_;  // waiting for their next turn (see file_quantum)
    std::vector<connection*> resuming_; // the round being resumed
    std::size_t live_count_ = 0;
    std::size_t free_count_ = 0;
    std::size_t free_io_count_ = 0;
    std::size_t uncounted_ = 0; // connections over max_connections, being answered 503
    std::size_t handling_ = 0;  // requests with a deferred handler, open or abandoned
    std::mutex inbox_mutex_;
    std::vector<std::pair<connection*, response>> inbox_; // deferred answers, from any thread
    std::vector<std::pair<connection*, response>> inbox_work_;
    bool stopping_ = false;
    bool accept_warned_ = false;
};

/// Owns the listening sockets and the workers. `server<H>` forwards to it.
class engine {
  public:
    engine(server_options opts, const void* handler, dispatch_fn dispatch) {
        shared_.opts = std::move(opts);
        if (shared_.opts.threads == 0)
            shared_.opts.threads = std::max(1u, std::thread::hardware_concurrency());
        shared_.handler = handler;
        shared_.dispatch = dispatch;
    }
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    std::error_code listen(std::string_view host, std::uint16_t port) {
        if (!workers_.empty()) return std::make_error_code(std::errc::already_connected);
        const unsigned n = shared_.opts.threads;
        std::error_code ec =
            open_listeners(host, port, n, shared_.opts.reuse_port, shared_.opts.backlog, listeners_,
                           port_, shared_.opts.defer_accept);
        if (ec) return ec;
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (::getsockname(listeners_[0].get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0)
            shared_.local = endpoint(addr);
        try {
            for (unsigned i = 0; i < n; ++i) {
                const bool own = shared_.opts.reuse_port;
                workers_.push_back(
                    std::make_unique<worker>(shared_, i, listeners_[own ? i : 0].get(), own));
            }
        } catch (const std::system_error& e) {
            workers_.clear();
            listeners_.clear();
            return e.code();
        }
        return {};
    }

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] const server_options& options() const noexcept { return shared_.opts; }
    [[nodiscard]] std::size_t open_connections() const noexcept {
        return shared_.open_connections.load(std::memory_order_relaxed);
    }

    void run() {
        if (workers_.empty()) return;
        // Workers block SIGPIPE (threads inherit the creator's mask): see clear_sigpipe().
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &block, &old);
        std::vector<std::thread> threads;
        std::exception_ptr failure;
        try {
            threads.reserve(workers_.size());
            for (auto& w : workers_) threads.emplace_back([p = w.get()] { p->run(); });
        } catch (...) {
            failure = std::current_exception();
            stop();
        }
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
        for (auto& t : threads) t.join();
        listeners_.clear();
        if (failure) std::rethrow_exception(failure);
    }

    void stop() noexcept {
        shared_.stopping.store(true, std::memory_order_release);
        for (const auto& w : workers_) w->wake();
    }

  private:
    engine_shared shared_;
    std::vector<unique_fd> listeners_;
    std::vector<std::unique_ptr<worker>> workers_;
    std::uint16_t port_ = 0;
};

} // namespace detail
MINIHTTP_NAMESPACE_END
