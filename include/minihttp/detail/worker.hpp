#pragma once
/// @file
/// One worker: an epoll loop that accepts connections and owns them for their whole life,
/// with its timer wheel, free lists and a cross-thread inbox for deferred answers. It does the
/// I/O (through each connection's transport) and acts on the decisions of the sans-I/O
/// HTTP/1.1 connections (detail/connection.hpp); it knows nothing of HTTP itself.
///
/// Edge-triggered epoll without extra system calls: a socket is registered once with
/// EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET and never modified; the worker keeps "read ready" and
/// "write ready" flags, so a keep-alive request costs one read and one write.

#include <minihttp/detail/client_table.hpp>
#include <minihttp/detail/clock.hpp>
#include <minihttp/detail/conn_slot.hpp>
#include <minihttp/detail/connection.hpp>
#include <minihttp/detail/fd.hpp>
#include <minihttp/detail/http_date.hpp>
#include <minihttp/detail/timer_wheel.hpp>
#include <minihttp/detail/transport.hpp>
#include <minihttp/response.hpp>
#include <minihttp/thread_name.hpp>
#include <minihttp/version.hpp>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// One event loop. All members are touched only by the worker's thread, except `wake()` and
/// the deferred-answer inbox (`complete`).
class worker final : private completion_sink {
  public:
    /// Expired deadlines handled per turn of the loop: a burst of timeouts (thousands of idle
    /// or silent connections expiring together) is closed in batches between ready I/O, so the
    /// live connections never wait for all of them.
    static constexpr std::size_t expiries_per_turn = 16;
    /// Connections accepted per turn of the loop (the listener stays ready for the next turn):
    /// a burst of thousands of new connections is taken in between ready I/O in the same way.
    static constexpr int accepts_per_turn = 16;

    worker(engine_shared& shared, unsigned index, int listen_fd, bool own_listener)
        : shared_(shared), cfg_(shared.cfg), index_(index), listen_fd_(listen_fd),
          own_listener_(own_listener), wheel_(monotonic_ms()) {
        epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
        wake_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        if (!epoll_ || !wake_) throw std::system_error(last_error(), "minihttp: epoll/eventfd");
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag_wake;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) != 0)
            throw std::system_error(last_error(), "minihttp: epoll_ctl");
    }
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;
    ~worker() {
        while (live_ != nullptr) close(*live_);
        reap();
        while (free_ != nullptr) delete std::exchange(free_, free_->next);
    }

    /// Wakes the loop; async-signal-safe (one write(2) on an eventfd).
    void wake() const noexcept {
        const std::uint64_t one = 1;
        (void)!::write(wake_.get(), &one, sizeof one);
    }

    /// The event loop; returns after stop() once every connection is closed.
    void run() noexcept {
        if (!guarded("worker stopped", [this] {
                set_current_thread_name("Thread-" + std::to_string(index_ + 1));
                loop();
            })) {
            // Only std::bad_alloc or a failing epoll_wait gets here; the connections end.
        }
        while (live_ != nullptr) close(*live_);
        reap();
    }

  private:
    static constexpr std::uint64_t tag_listen = 1;
    static constexpr std::uint64_t tag_wake = 2;
    static constexpr std::size_t max_free_slots = 256;
    static constexpr std::uint64_t max_linger_bytes = 1 << 20;
    static constexpr std::uint64_t accept_pause_ms = 100;
    static constexpr std::size_t max_uncounted_lingering = 64;
    // Events taken per epoll_wait: enough that a burst from a thousand hostile connections
    // comes in one batch, where dispatch_events can serve the proven connections first.
    static constexpr int max_events = 1024;
    // Events of connections still on their first request acted on per turn; the rest wait
    // for the next turn, after the connections that are already served (dispatch_events).
    static constexpr std::size_t newcomers_per_turn = 32;

    // ---- loop ---------------------------------------------------------------------------

    void loop() {
        now_ = monotonic_ms();
        if (!register_listener()) return;
        if (cfg_.stopping.load(std::memory_order_acquire)) begin_stop();
        epoll_event events[max_events];
        bool more_due = false; // expired deadlines left for the next turn
        while (!(stopping_ && live_count_ == 0 && handling_ == 0)) {
            int timeout = (yielded_.empty() && !more_due && waiting_head_ == nullptr)
                              ? wheel_.timeout_ms(now_)
                              : 0;
            if (accept_paused_until_ != 0) {
                const auto wait = accept_paused_until_ > now_ ? accept_paused_until_ - now_ : 0;
                timeout = timeout < 0 ? static_cast<int>(wait)
                                      : std::min(timeout, static_cast<int>(wait));
            }
            if (stopping_ && now_ < stop_deadline_) { // (after it: only deferred answers left)
                const auto wait = static_cast<int>(stop_deadline_ - now_);
                timeout = timeout < 0 ? wait : std::min(timeout, wait);
            }
            const int n = ::epoll_wait(epoll_.get(), events, max_events, timeout);
            if (n < 0 && errno != EINTR) throw std::system_error(last_error(), "epoll_wait");
            now_ = monotonic_ms();
            timespec rt{};
            ::clock_gettime(CLOCK_REALTIME_COARSE, &rt);
            tick_ = tick{now_, date_.get(rt.tv_sec)};
            dispatch_events(std::span(events, static_cast<std::size_t>(n > 0 ? n : 0)));
            resume_yielded();
            std::size_t budget = expiries_per_turn;
            more_due = wheel_.expire(now_, budget, [this](timer_node& t) {
                auto& s = static_cast<conn_slot&>(t);
                if (!guarded("timer", [&] { on_timer(s); })) close(s);
            });
            if (accept_paused_until_ != 0 && now_ >= accept_paused_until_ && !stopping_) {
                accept_paused_until_ = 0;
                register_listener();
            }
            if (stopping_ && now_ >= stop_deadline_)
                while (live_ != nullptr) close(*live_);
            reap();
        }
    }

    // Acts on one batch of events: first on the connections that have been answered at least
    // once (and the inbox of deferred answers), then on the listeners, then on at most
    // `newcomers_per_turn` events of connections still on their first request, oldest first;
    // the others wait in a queue for the next turns. epoll hands events over in arrival order,
    // so without this a keep-alive request that became ready just after a thousand slowloris
    // bytes or malformed requests would wait for all of them; with it, a turn holds at most a
    // few dozen of them, as it holds at most `expiries_per_turn` timeouts and
    // `accepts_per_turn` accepts. The events are all acted on, in another order.
    void dispatch_events(std::span<epoll_event> events) {
        bool accept = false;
        for (const epoll_event& e : events) {
            const std::uint64_t tag = e.data.u64;
            if (tag == tag_wake) {
                on_wake();
            } else if (tag == tag_listen) {
                accept = true;
            } else {
                auto* s = static_cast<conn_slot*>(e.data.ptr);
                if (!s->live) continue;
                if (s->conn.served() > 0)
                    on_event(*s, e.events);
                else
                    wait_turn(*s, e.events);
            }
        }
        if (accept) guarded("accept", [this] { on_accept(); });
        for (std::size_t i = 0; i < newcomers_per_turn && waiting_head_ != nullptr; ++i) {
            conn_slot& s = *waiting_head_;
            const std::uint32_t ev = s.waiting_events;
            stop_waiting(s);
            on_event(s, ev);
        }
    }
    // Queues a newcomer's events (merged with any it has waiting already).
    void wait_turn(conn_slot& s, std::uint32_t ev) noexcept {
        s.waiting_events |= ev;
        if (s.waiting) return;
        s.waiting = true;
        s.wait_prev = waiting_tail_;
        s.wait_next = nullptr;
        (waiting_tail_ != nullptr ? waiting_tail_->wait_next : waiting_head_) = &s;
        waiting_tail_ = &s;
    }
    void stop_waiting(conn_slot& s) noexcept {
        if (!s.waiting) return;
        (s.wait_prev != nullptr ? s.wait_prev->wait_next : waiting_head_) = s.wait_next;
        (s.wait_next != nullptr ? s.wait_next->wait_prev : waiting_tail_) = s.wait_prev;
        s.wait_prev = s.wait_next = nullptr;
        s.waiting = false;
        s.waiting_events = 0;
    }

    // Gives every connection that used up its quantum its next turn, in the order they yielded.
    // Those that yield again wait for the next round, after the next epoll_wait (timeout 0).
    void resume_yielded() {
        if (yielded_.empty()) return;
        resuming_.swap(yielded_);
        for (conn_slot* s : resuming_) {
            s->yielded = false;
            if (s->live) drive(*s); // one closed meanwhile is reaped only after this round
        }
        resuming_.clear();
    }

    // The one place the loop's own failures (std::bad_alloc, a failing epoll_wait) are caught:
    // logged instead of unwinding through the loop. False if `f` threw.
    template <class F>
    bool guarded(std::string_view what, F&& f) noexcept {
        try {
            f();
            return true;
        } catch (const std::exception& e) {
            cfg_.log(std::string(what) + ": " + e.what());
        } catch (...) {
            cfg_.log(std::string(what) + ": unknown exception");
        }
        return false;
    }

    bool register_listener() {
        epoll_event ev{};
        ev.events = EPOLLIN | (own_listener_ ? 0u : static_cast<std::uint32_t>(EPOLLEXCLUSIVE));
        ev.data.u64 = tag_listen;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_fd_, &ev) != 0) {
            cfg_.log("cannot watch the listening socket: " + last_error().message());
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
        if (!stopping_ && cfg_.stopping.load(std::memory_order_acquire)) begin_stop();
        drain_inbox();
    }

    // Stop accepting; close idle connections now; let in-flight exchanges finish (their
    // responses carry `Connection: close`) until the shutdown deadline.
    void begin_stop() {
        stopping_ = true;
        stop_deadline_ = now_ + static_cast<std::uint64_t>(cfg_.opts.shutdown_timeout.count());
        if (accept_paused_until_ == 0) unregister_listener();
        accept_paused_until_ = 0;
        for (conn_slot* s = live_; s != nullptr;) {
            conn_slot* next = s->next;
            if (s->conn.idle() || s->lingering) close(*s);
            s = next;
        }
    }

    // ---- accept -------------------------------------------------------------------------

    void on_accept() {
        for (int i = 0; i < accepts_per_turn && !stopping_; ++i) {
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
                        cfg_.log("accept: " + last_error().message() + " (pausing accepts)");
                    accept_warned_ = true;
                    unregister_listener();
                    accept_paused_until_ = now_ + accept_pause_ms;
                    return;
                }
                cfg_.log("accept: " + last_error().message());
                return;
            }
            accept_warned_ = false;
            const endpoint peer(ss);
            admit(tcp_transport(fd, peer.is_loopback()), peer);
        }
    }

    // Takes a new connection in, or answers 503 when a connection cap is reached.
    void admit(tcp_transport t, const endpoint& peer) {
        const auto& o = cfg_.opts;
        const std::size_t open = shared_.open_connections.fetch_add(1, std::memory_order_relaxed);
        errc over{};
        if (open >= o.max_connections) over = errc::too_many_connections;
        bool per_client = false;
        if (over == errc{} && o.max_connections_per_client != 0) {
            per_client = shared_.clients.try_add(peer, o.max_connections_per_client);
            if (!per_client) over = errc::too_many_connections_per_client;
        }
        const bool counted = over == errc{};
        if (!counted) shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);
        conn_slot* s = nullptr;
        try {
            s = take_slot();
        } catch (...) {
            if (counted) shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);
            if (per_client) shared_.clients.remove(peer);
            throw;
        }
        s->transport = std::move(t);
        s->conn = connection(cfg_, pool_, peer, now_);
        s->counted = counted;
        s->per_client = per_client;
        s->write_mark = now_;
        s->live = true;
        if (!counted) ++uncounted_;
        s->next = live_;
        if (live_ != nullptr) live_->prev = s;
        live_ = s;
        ++live_count_;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.ptr = s;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, s->transport.fd(), &ev) != 0) {
            cfg_.log("epoll_ctl: " + last_error().message());
            close(*s);
            return;
        }
        arm_timer(*s);
        if (!counted) {
            // 503 at max_connections (DESIGN.md), then a short lingering close so that the
            // client reads the answer rather than a reset.
            s->conn.refuse(over, tick_);
            drive(*s);
        }
    }

    conn_slot* take_slot() {
        if (free_ == nullptr) return new conn_slot;
        conn_slot* s = std::exchange(free_, free_->next);
        --free_count_;
        *s = conn_slot{};
        return s;
    }

    // Ends a connection: its socket closes (reset with `abort`), its buffers go back (unless a
    // deferred handler still reads its request), and the slot is recycled after this round.
    void close(conn_slot& s, bool abort = false) noexcept {
        if (!s.live) return;
        s.live = false;
        wheel_.cancel(s);
        stop_waiting(s);
        if (s.yielded) { // only connections mid-way through a large file: a short list
            std::erase(yielded_, &s);
            s.yielded = false;
        }
        s.transport.close(abort);
        if (s.counted)
            shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);
        else
            --uncounted_;
        if (s.per_client) shared_.clients.remove(s.conn.peer());
        const bool abandoned = s.conn.handling();
        if (!abandoned) s.conn.release_buffers();
        if (s.prev != nullptr)
            s.prev->next = s.next;
        else
            live_ = s.next;
        if (s.next != nullptr) s.next->prev = s.prev;
        --live_count_;
        s.prev = s.next = nullptr;
        if (abandoned) return; // recycled by drain_inbox() when the deferred answer arrives
        // Recycled only after the current batch of epoll events (a later event of the batch
        // may still point at it; `live` false marks it dead).
        s.next = dead_;
        dead_ = &s;
    }

    void reap() noexcept {
        while (dead_ != nullptr) {
            conn_slot* s = std::exchange(dead_, dead_->next);
            if (free_count_ < max_free_slots) {
                s->conn = connection();
                s->next = free_;
                free_ = s;
                ++free_count_;
            } else {
                delete s;
            }
        }
    }

    // ---- events -------------------------------------------------------------------------

    void on_event(conn_slot& s, std::uint32_t ev) {
        if ((ev & EPOLLERR) != 0) {
            close(s);
            return;
        }
        if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0) s.read_ready = true;
        if ((ev & (EPOLLRDHUP | EPOLLHUP)) != 0) s.rdhup = true;
        if ((ev & (EPOLLOUT | EPOLLHUP)) != 0) s.write_ready = true;
        drive(s);
    }

    // Advances a connection as far as it can go without blocking. An exception (only
    // std::bad_alloc is expected) drops this connection, not the worker.
    void drive(conn_slot& s) noexcept {
        if (!guarded("connection dropped", [&] { drive_impl(s); })) close(s);
    }

    void drive_impl(conn_slot& s) {
        connection& c = s.conn;
        for (;;) {
            if (!s.live) return;
            if (s.lingering) {
                linger_read(s);
                return;
            }
            if (c.has_output()) {
                if (!s.write_ready) break;
                bool progressed = false;
                const flush_status r = c.flush(s.transport, tick_, progressed);
                if (progressed) s.write_mark = now_;
                if (r == flush_status::error) {
                    close(s);
                    return;
                }
                if (r == flush_status::blocked) {
                    s.write_ready = false;
                    break;
                }
                if (r == flush_status::yielded) { // its turn is over: resumed after the others
                    if (!s.yielded) yielded_.push_back(&s);
                    s.yielded = true;
                    break;
                }
            }
            if (c.upgrade_ready()) {
                hand_over(s);
                return;
            }
            if (c.close_pending()) { // only reached with no output left
                finish(s);
                return;
            }
            if (c.handling()) break; // a deferred handler owns the request: nothing is read
            c.process(tick_);
            if (auto start = c.take_deferred()) start_deferred(s, std::move(start));
            if (c.has_output() || c.close_pending()) continue;
            if (c.handling() || !s.read_ready || c.peer_eof()) break;
            if (!read_some(s)) return;
        }
        if (!s.live) return;
        if (c.handling()) { // answered later, through the inbox; not timed meanwhile
            wheel_.cancel(s);
            return;
        }
        if (c.peer_eof() && !c.has_output()) {
            close(s); // the client is gone; nothing left to answer
            return;
        }
        if (stopping_ && c.idle()) {
            close(s);
            return;
        }
        c.release_buffers_if_idle();
        arm_timer(s);
    }

    // Reads once. False if the connection was closed.
    bool read_some(conn_slot& s) {
        const std::span<char> space = s.conn.input_space();
        if (space.empty()) { // cannot happen while the parser enforces the limits
            s.read_ready = false;
            return true;
        }
        const io_result r = s.transport.read(space);
        switch (r.status) {
        case io_status::ok:
            s.conn.received(r.bytes);
            // A short read drained the socket; with edge-triggered epoll a new event comes when
            // more arrives, so no read has to end in EAGAIN (one read per request). Unless the
            // FIN came with the data: no event will follow, so read on until read() says 0.
            if (r.bytes < space.size() && !s.rdhup) s.read_ready = false;
            return true;
        case io_status::eof:
            s.conn.peer_closed();
            s.read_ready = false;
            return true;
        case io_status::would_block: s.read_ready = false; return true;
        case io_status::error: break;
        }
        close(s); // ECONNRESET and the like
        return false;
    }

    void linger_read(conn_slot& s) {
        char scratch[16 * 1024];
        for (;;) {
            const io_result r = s.transport.read(scratch);
            if (r.status == io_status::ok) {
                s.lingered += r.bytes;
                if (s.lingered > max_linger_bytes) break;
                continue;
            }
            if (r.status == io_status::would_block) {
                s.read_ready = false;
                arm_timer(s);
                return;
            }
            break; // EOF or error
        }
        close(s);
    }

    // The last response is written: close, at once or after draining the input (RFC 9112
    // §9.6), so that a reset caused by unread input cannot destroy the response.
    void finish(conn_slot& s) {
        connection& c = s.conn;
        bool linger = false;
        if (c.peer_eof() || !s.counted) { // gone already, or a 503 for an over-limit connection
            if (!s.counted && !c.peer_eof() && uncounted_ <= max_uncounted_lingering) {
                linger = true;
            } else {
                close(s);
                return;
            }
        }
        linger = linger || c.wants_linger();
        if (!linger) {
            // The client said it sends nothing more; one read confirms it did not anyway.
            char probe[512];
            const io_result r = s.transport.read(probe);
            linger = r.status == io_status::ok || r.status == io_status::error;
            if (r.status == io_status::eof) c.peer_closed();
        }
        if (!linger || c.peer_eof()) {
            close(s);
            return;
        }
        s.transport.shutdown_write();
        s.lingering = true;
        s.linger_mark = now_;
        c.release_buffers();
        if (stopping_) {
            close(s);
            return;
        }
        linger_read(s);
    }

    // A 101 was written: the socket and the bytes read after the request go to the protocol
    // that asked for them; the worker forgets the connection (it no longer counts as open).
    void hand_over(conn_slot& s) {
        auto taker = s.conn.take_upgrade();
        handover h{unique_fd(), s.conn.take_unread(), s.conn.peer()};
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, s.transport.fd(), nullptr);
        h.socket.reset(s.transport.release());
        close(s);
        try { // the one place an upgrade taker's exception is caught
            taker(std::move(h));
        } catch (const std::exception& e) {
            cfg_.log(std::string("upgrade handler threw: ") + e.what());
        } catch (...) {
            cfg_.log("upgrade handler threw a non-standard exception");
        }
    }

    // ---- deferred answers ---------------------------------------------------------------

    void start_deferred(conn_slot& s, std::function<void(responder)> start) {
        ++handling_;
        wheel_.cancel(s);
        try { // the one place a deferred start's exception is caught; the responder it
              // dropped has answered 500
            start(responder_access::make(this, &s));
        } catch (const std::exception& e) {
            cfg_.log(std::string("deferred handler threw: ") + e.what());
        } catch (...) {
            cfg_.log("deferred handler threw a non-standard exception");
        }
    }

    // completion_sink: a deferred response arrives, from any thread.
    void complete(void* token, response&& r) noexcept override {
        {
            std::lock_guard lock(inbox_mutex_);
            inbox_.emplace_back(static_cast<conn_slot*>(token), std::move(r));
        }
        wake();
    }

    void drain_inbox() {
        {
            std::lock_guard lock(inbox_mutex_);
            inbox_work_.swap(inbox_);
        }
        for (auto& answer : inbox_work_) {
            --handling_;
            conn_slot& s = *answer.first;
            if (!s.live) { // closed while the handler ran: only now may its buffers go
                s.conn.release_buffers();
                s.next = dead_;
                dead_ = &s;
                continue;
            }
            if (!guarded("deferred answer",
                         [&] { s.conn.resume(std::move(answer.second), tick_); }))
                close(s);
            drive(s);
        }
        inbox_work_.clear();
    }

    // ---- timers -------------------------------------------------------------------------

    [[nodiscard]] std::uint64_t deadline(const conn_slot& s) const noexcept {
        const auto& o = cfg_.opts;
        auto ms = [](std::chrono::milliseconds d) { return static_cast<std::uint64_t>(d.count()); };
        if (s.conn.has_output() && !s.write_ready) return s.write_mark + ms(o.write_timeout);
        if (s.lingering) return s.linger_mark + ms(o.linger_timeout);
        return s.conn.deadline();
    }

    void arm_timer(conn_slot& s) noexcept {
        const std::uint64_t d = deadline(s);
        if (d == UINT64_MAX)
            wheel_.cancel(s);
        else
            wheel_.schedule(s, d);
    }

    void on_timer(conn_slot& s) {
        if (!s.live || s.conn.handling()) return;
        const std::uint64_t d = deadline(s);
        if (d > now_) {
            if (d != UINT64_MAX) wheel_.schedule(s, d);
            return;
        }
        if (s.conn.has_output() && !s.write_ready) { // the client does not read
            close(s, true);
            return;
        }
        if (s.lingering || s.conn.expire(tick_) == connection::expiry::close) {
            close(s); // idle keep-alive, or silent: closed without a word
            return;
        }
        s.read_ready = false; // a 408 is queued; the input is not read any more
        drive(s);
    }

    engine_shared& shared_;
    const connection_config& cfg_;
    unsigned index_;
    int listen_fd_;
    bool own_listener_;
    unique_fd epoll_;
    unique_fd wake_;
    timer_wheel wheel_;
    date_cache date_;
    buffer_pool pool_;
    tick tick_;
    std::uint64_t now_ = 0;
    std::uint64_t stop_deadline_ = 0;
    std::uint64_t accept_paused_until_ = 0;
    conn_slot* live_ = nullptr;
    conn_slot* dead_ = nullptr;
    conn_slot* free_ = nullptr;
    std::vector<conn_slot*> yielded_;   // waiting for their next turn (see file_quantum)
    conn_slot* waiting_head_ = nullptr; // newcomers' events left for the next turns, oldest
    conn_slot* waiting_tail_ = nullptr; // first (dispatch_events)
    std::vector<conn_slot*> resuming_;  // the round being resumed
    std::size_t live_count_ = 0;
    std::size_t free_count_ = 0;
    std::size_t uncounted_ = 0; // connections over max_connections, being answered 503
    std::size_t handling_ = 0;  // requests with a deferred handler, open or abandoned
    std::mutex inbox_mutex_;
    std::vector<std::pair<conn_slot*, response>> inbox_; // deferred answers, from any thread
    std::vector<std::pair<conn_slot*, response>> inbox_work_;
    bool stopping_ = false;
    bool accept_warned_ = false;
};

} // namespace detail
MINIHTTP_NAMESPACE_END
