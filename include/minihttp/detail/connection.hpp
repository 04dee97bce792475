#pragma once
/// @file
/// The HTTP/1.1 side of one connection, sans I/O: bytes in, output segments and a next step
/// out. It parses heads, reads bodies through a body reader, answers 100-continue, calls the
/// handler, queues responses (pipelined ones batched), decides keep-alive and close, answers
/// errors and timeouts — and performs no system call. The worker (detail/worker.hpp) reads
/// into it, flushes its output through a transport, and acts on its decisions; tests drive it
/// with a fake transport (tests/test_connection.cpp).
///
/// Per request: head → body → handler → response queued → (written) → idle → next head; or
/// handling (a deferred handler owns the request), or upgrading (a 101 hands the socket over).

#include <minihttp/detail/body_reader.hpp>
#include <minihttp/detail/clock.hpp>
#include <minihttp/detail/connection_buffers.hpp>
#include <minihttp/detail/fd.hpp>
#include <minihttp/detail/output_queue.hpp>
#include <minihttp/detail/transport.hpp>
#include <minihttp/error.hpp>
#include <minihttp/options.hpp>
#include <minihttp/parser.hpp>
#include <minihttp/request.hpp>
#include <minihttp/response.hpp>
#include <minihttp/serializer.hpp>
#include <minihttp/version.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Calls the user's handler; supplied by `server<H>`. May throw: the connection catches.
using dispatch_fn = response (*)(const void* handler, const request& req);

/// The user's handler, type-erased: the object and the function that calls it. Passed as one
/// aggregate rather than as a `const void*` argument: g++ 12 at -O2 warns "may be used
/// uninitialized" when the address of a not yet constructed object (an empty lambda inside a
/// `server` being built) is passed as a pointer to const, and users compile with -Wall.
struct erased_handler {
    const void* object = nullptr;
    dispatch_fn dispatch = nullptr;
};

/// What every connection of one server shares. Set up before the workers start; afterwards
/// read-only but for `stopping`, which any thread may set.
struct connection_config {
    server_options opts;
    const void* handler = nullptr;
    dispatch_fn dispatch = nullptr;
    std::atomic<bool> stopping{false};
    endpoint local; ///< the listening address, with the real port
    parse_limits limits;
    std::size_t head_cap = 0; ///< the input buffer's limit while a head is incomplete

    /// Derives the parser's limits from `opts`; call after changing them.
    void apply_limits() noexcept {
        limits.max_request_line = opts.max_request_line;
        limits.max_header_bytes = opts.max_header_bytes;
        limits.max_header_fields = opts.max_header_fields;
        // CRLFs before the request line count against max_request_line as well.
        head_cap = 2 * opts.max_request_line + opts.max_header_bytes + 8;
    }
    /// The engine's error messages: to `opts.error_log`, else stderr. Never throws.
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

/// Time as the worker saw it at the top of its loop: monotonic milliseconds (deadlines) and
/// the `Date` value of this second.
struct tick {
    std::uint64_t ms = 0;
    std::string_view date;
};

/// The HTTP/1.1 state machine of one connection. Owned by a worker; single-threaded. It holds
/// a pointer to its config and its worker's buffer pool, which must outlive it.
class connection {
  public:
    enum class phase : std::uint8_t {
        head,      ///< waiting for or reading a request head
        body,      ///< reading request content
        idle,      ///< between requests on a kept-alive connection
        handling,  ///< a deferred handler owns the request; nothing is read until it answers
        upgrading, ///< a 101 was queued; once written the connection is handed over
    };
    /// What an expired deadline led to.
    enum class expiry : std::uint8_t { close, answered };

    connection() noexcept = default;
    connection(const connection_config& cfg, buffer_pool& pool, const endpoint& peer,
               std::uint64_t now_ms) noexcept
        : cfg_(&cfg), pool_(&pool), peer_(peer), mark_(now_ms) {}
    connection(connection&&) noexcept = default;
    connection& operator=(connection&&) noexcept = default;

    // ---- input --------------------------------------------------------------------------

    /// Where the next bytes received should go; empty if the buffer may not grow (the parser
    /// refuses the input before that can happen). Throws std::bad_alloc.
    std::span<char> input_space() {
        connection_buffers& io = buffers();
        if (!make_room(io)) return {};
        return {io.in.get() + io.end, io.cap - io.end};
    }
    /// `n` bytes were written to the start of `input_space()`.
    void received(std::size_t n) noexcept { io_->end += n; }
    /// The peer closed its sending side: no further request can come.
    void peer_closed() noexcept { peer_eof_ = true; }
    [[nodiscard]] bool peer_eof() const noexcept { return peer_eof_; }

    // ---- work ---------------------------------------------------------------------------

    /// Parses and answers what the buffered input allows: heads, bodies, handler calls,
    /// responses queued (pipelined ones batched), errors. Stops when more input is needed,
    /// when the batch is full, or when the connection waits (deferred handler, upgrade, close).
    void process(const tick& t) {
        if (io_ == nullptr) return;
        connection_buffers& io = *io_;
        while (!close_after_ && phase_ != phase::handling && phase_ != phase::upgrading) {
            if (!io.out.accepts_more()) return;
            if (!io.head_done && !read_head(io, t)) return;
            const std::size_t body_at = io.begin + io.head_size;
            const body_step b = io.body.read(io.in.get() + body_at, io.end - body_at);
            if (b.state == parse_status::error) {
                fail(b.code, t);
                return;
            }
            if (b.state == parse_status::need_more) return;
            dispatch(io, b.content, body_at + b.framed, t);
        }
    }

    /// Writes queued output through `t`. `progressed`: some byte moved.
    template <transport T>
    flush_status flush(T& t, const tick& now, bool& progressed) {
        if (io_ == nullptr) return flush_status::done;
        hooks h{this};
        const flush_status r = io_->out.flush(t, h, progressed);
        if (r == flush_status::done && phase_ == phase::idle) mark_ = now.ms; // idle from here
        return r;
    }
    [[nodiscard]] bool has_output() const noexcept { return io_ != nullptr && !io_->out.empty(); }
    /// No further request will be read: close once the output is written.
    [[nodiscard]] bool close_pending() const noexcept { return close_after_; }
    /// Closing should drain input first (RFC 9112 §9.6): after an error, a close the client did
    /// not ask for, or with unread input — else a reset could destroy the response.
    [[nodiscard]] bool wants_linger() const noexcept {
        return linger_ || !client_close_ || (io_ != nullptr && io_->begin != io_->end);
    }
    /// Nothing received, queued or in progress: safe to close at once (idle keep-alive).
    [[nodiscard]] bool idle() const noexcept {
        const bool no_work = io_ == nullptr || (io_->begin == io_->end && io_->out.empty());
        return no_work && (phase_ == phase::idle || phase_ == phase::head);
    }
    [[nodiscard]] phase state() const noexcept { return phase_; }
    [[nodiscard]] const endpoint& peer() const noexcept { return peer_; }
    [[nodiscard]] std::size_t served() const noexcept { return served_; }

    /// An engine-detected error (a limit, over max_connections): answers it and closes.
    void refuse(errc code, const tick& t) { fail(code, t); }

    // ---- deferred answers ---------------------------------------------------------------

    /// The start function of a deferred answer the handler just asked for (once; empty
    /// otherwise). The worker calls it with a responder whose answer comes back to `resume`.
    [[nodiscard]] std::function<void(responder)> take_deferred() noexcept {
        return io_ ? std::move(io_->deferred) : std::function<void(responder)>{};
    }
    [[nodiscard]] bool handling() const noexcept { return phase_ == phase::handling; }
    /// The deferred answer arrived: queue it and go on with pipelined requests.
    void resume(response&& r, const tick& t) {
        if (!valid_final(r)) r = error_response(status::internal_server_error, false);
        finish_exchange(*io_, r, t);
    }

    // ---- hand-over after 101 ------------------------------------------------------------

    /// A 101 was written: the worker hands the socket to `take_upgrade()`'s taker.
    [[nodiscard]] bool upgrade_ready() const noexcept {
        return phase_ == phase::upgrading && !has_output();
    }
    [[nodiscard]] std::function<void(handover&&)> take_upgrade() noexcept {
        return std::move(io_->upgrade);
    }
    /// The bytes received after the request that asked for the upgrade.
    [[nodiscard]] std::string take_unread() {
        std::string rest(io_->in.get() + io_->begin, io_->end - io_->begin);
        io_->begin = io_->end = 0;
        return rest;
    }

    // ---- deadlines ----------------------------------------------------------------------

    /// When the current phase times out (monotonic ms); UINT64_MAX when nothing is timed.
    [[nodiscard]] std::uint64_t deadline() const noexcept {
        const auto& o = cfg_->opts;
        auto ms = [](std::chrono::milliseconds d) { return static_cast<std::uint64_t>(d.count()); };
        switch (phase_) {
        case phase::head: return mark_ + ms(o.header_timeout);
        case phase::idle: return mark_ + ms(o.keep_alive_timeout);
        case phase::handling:
        case phase::upgrading: return UINT64_MAX; // not timed (the upgrade: by write_timeout)
        case phase::body: {
            // Apache mod_reqtimeout's model: a grace period, extended by the bytes received.
            std::uint64_t d = mark_ + ms(o.body_timeout);
            if (o.min_body_rate > 0 && io_ != nullptr) {
                const std::size_t body_at = io_->begin + io_->head_size;
                d += io_->body.received(io_->end - body_at) * 1000 / o.min_body_rate;
            }
            return d;
        }
        }
        return mark_;
    }
    /// The deadline passed: an idle connection, or one that never sent a byte, is closed
    /// silently; an incomplete head or a slow body gets 408 and closes (DESIGN.md).
    expiry expire(const tick& t) {
        const bool no_bytes = io_ == nullptr || io_->begin == io_->end;
        if (close_after_ || phase_ == phase::idle || (phase_ == phase::head && no_bytes))
            return expiry::close;
        fail(phase_ == phase::body ? errc::body_timeout : errc::head_timeout, t);
        return expiry::answered;
    }

    // ---- buffers ------------------------------------------------------------------------

    /// Gives the buffers back to the pool when nothing is in progress.
    void release_buffers_if_idle() noexcept {
        if (io_ == nullptr || phase_ == phase::handling || phase_ == phase::upgrading) return;
        if (!io_->out.empty() || io_->begin != io_->end || io_->head_done) return;
        io_.reset();
    }
    /// Gives the buffers back whatever their state (the connection ends); responses cut short
    /// are reported as incomplete.
    void release_buffers() noexcept {
        if (io_ == nullptr) return;
        hooks h{this};
        io_->out.abandon(h);
        io_.reset();
    }
    [[nodiscard]] bool has_buffers() const noexcept { return io_ != nullptr; }

  private:
    friend struct connection_test_access;

    // The output queue's view of the connection: completion reports and log messages.
    struct hooks {
        connection* c;
        void delivered(notice& n, std::uint64_t bytes, bool complete) noexcept {
            c->report(n, bytes, complete);
        }
        void log(std::string_view msg) const noexcept { c->cfg_->log(msg); }
    };

    connection_buffers& buffers() {
        if (io_ == nullptr)
            io_ = std::unique_ptr<connection_buffers, buffer_return>(&pool_->acquire(),
                                                                     buffer_return{pool_});
        return *io_;
    }

    // Makes room for more input. False if the buffer may not grow further.
    bool make_room(connection_buffers& io) {
        if (io.end < io.cap) return true;
        if (io.head_done) { // in-place chunk decoding may have left a gap
            const std::size_t body_at = io.begin + io.head_size;
            io.end = body_at + io.body.reclaim(io.in.get() + body_at, io.end - body_at);
            if (io.end < io.cap) return true;
        }
        // A buffer below the pooled size grows rather than compacts, so that pipelined requests
        // are not read a kilobyte at a time.
        if (io.begin > 0 && io.cap >= connection_buffers::pooled_size) {
            compact(io);
            return true;
        }
        // Grow by doubling as bytes arrive, up to what the current phase can need: a declared
        // Content-Length alone never makes us allocate (a 60-byte head must not cost 1 MiB).
        const std::size_t limit =
            io.head_done ? io.head_size + io.body.max_bytes() : cfg_->head_cap;
        if (io.cap >= limit) {
            if (io.begin == 0) return false;
            compact(io);
            return true;
        }
        if (io.begin > 0) compact(io);
        const std::size_t cap = std::min(limit, io.cap * 2);
        auto bigger = std::make_unique_for_overwrite<char[]>(cap);
        std::memcpy(bigger.get(), io.in.get(), io.end);
        io.in = std::move(bigger);
        io.cap = cap;
        if (io.head_done) io.views_stale = true;
        return true;
    }
    // Room for every field the limits allow, so the parser never allocates; pooled buffers keep
    // it. Throws std::bad_alloc.
    void reserve_fields(connection_buffers& io) const {
        auto& fields = request_access::fields(io.req);
        if (fields.capacity() < cfg_->opts.max_header_fields)
            fields.reserve(cfg_->opts.max_header_fields);
    }
    static void compact(connection_buffers& io) noexcept {
        const std::size_t shift = io.begin;
        std::memmove(io.in.get(), io.in.get() + shift, io.end - shift);
        io.begin = 0;
        io.end -= shift;
        io.scan -= std::min(io.scan, shift);
        if (io.head_done) io.views_stale = true;
    }

    // Parses the head at io.begin once a line end arrived. True when it is complete and its
    // body reader chosen; false when more input is needed or an error was answered.
    bool read_head(connection_buffers& io, const tick& t) {
        // Empty lines before a request line are ignored (RFC 9112 §2.2): a CRLF after a body
        // leaves the connection idle, not half-way through a head. Within the request-line
        // limit, as the parser counts them, so they cannot go on forever.
        const char* in = io.in.get();
        while (io.end - io.begin >= 2 && in[io.begin] == '\r' && in[io.begin + 1] == '\n') {
            io.begin += 2;
            empty_lines_ += 2;
        }
        if (empty_lines_ > cfg_->opts.max_request_line) {
            fail(errc::too_many_empty_lines, t);
            return false;
        }
        if (io.scan < io.begin) io.scan = io.begin;
        if (io.begin == io.end) {
            io.begin = io.end = io.scan = 0;
            return false;
        }
        if (phase_ == phase::idle) { // the first bytes of the next request
            phase_ = phase::head;
            mark_ = t.ms;
        }
        // Parse only once a line end arrived (or the limits are exceeded): a client sending a
        // byte at a time costs a scan per line, not a re-parse per byte. A CR counts too, so
        // that a bare CR is refused at once rather than at the timeout.
        const char* from = in + io.scan;
        const std::size_t fresh = io.end - io.scan;
        const std::size_t buffered = io.end - io.begin;
        if (std::memchr(from, '\n', fresh) == nullptr &&
            std::memchr(from, '\r', fresh) == nullptr && buffered < cfg_->head_cap) {
            io.scan = io.end;
            return false;
        }
        reserve_fields(io);
        const parse_result pr = parse_request({in + io.begin, buffered}, io.req, cfg_->limits);
        if (pr.state == parse_status::need_more) {
            io.scan = io.end;
            if (buffered >= cfg_->head_cap) fail(errc::header_section_too_large, t);
            return false;
        }
        if (pr.state == parse_status::error) {
            fail(pr.code, t);
            return false;
        }
        io.head_done = true;
        io.views_stale = false;
        io.head_size = pr.consumed;
        if (cfg_->opts.access_log) head_us_ = monotonic_us();
        const request& req = io.req;
        if (req.content_length() > cfg_->opts.max_body_bytes) { // before any 100 Continue
            fail(errc::body_too_large, t);
            return false;
        }
        chunked_decoder::limits dl;
        dl.max_body = cfg_->opts.max_body_bytes;
        dl.max_trailer_bytes = cfg_->opts.max_header_bytes;
        dl.max_trailer_fields = cfg_->opts.max_header_fields;
        io.body = body_reader::for_request(req, dl);
        if (io.body.has_content()) {
            phase_ = phase::body;
            mark_ = t.ms;
            // RFC 9110 §10.1.1: answer 100 (Continue) unless content already arrived.
            if (req.expects_continue() && io.end == io.begin + io.head_size)
                io.out.append("HTTP/1.1 100 Continue\r\n\r\n");
        }
        return true;
    }

    void dispatch(connection_buffers& io, std::size_t body_len, std::size_t next, const tick& t) {
        request& req = io.req;
        if (io.views_stale) { // the head moved: re-parse it in its new place (same result)
            (void)parse_request({io.in.get() + io.begin, io.head_size}, req, cfg_->limits);
            io.views_stale = false;
        }
        request_access::set_body(req, {io.in.get() + io.begin + io.head_size, body_len});
        request_access::set_remote(req, peer_);
        request_access::set_local(req, cfg_->local);
        io.next = next;
        response res = call_handler(req);
        if (res.kind() == response::body_kind::deferred) {
            // The handler answers later (http::blocking): the request and its buffer stay
            // untouched, nothing more is read, and no deadline runs until the answer comes.
            io.deferred = response_access::take_deferred(res);
            if (io.deferred) {
                phase_ = phase::handling;
                return;
            }
            res = error_response(status::internal_server_error, false);
        }
        finish_exchange(io, res, t);
    }

    // The one place a handler's exception is caught: logged and answered with 500. The
    // connection stays usable, since its framing was fine.
    response call_handler(const request& req) {
        // RFC 9110 §9.1: an unrecognised method gets 501; so does CONNECT (no tunnelling).
        if (req.method() == method::other || req.method() == method::connect) {
            const errc e = req.method() == method::connect ? errc::connect_not_supported
                                                           : errc::unknown_method;
            refused(e);
            return error_response(status_of(e), false);
        }
        try {
            response res = cfg_->dispatch(cfg_->handler, req);
            if (res.kind() == response::body_kind::deferred || valid_final(res)) return res;
        } catch (const std::exception& e) {
            cfg_->log(std::string("handler threw: ") + e.what());
        } catch (...) {
            cfg_->log("handler threw a non-standard exception");
        }
        return error_response(status::internal_server_error, false);
    }

    bool valid_final(const response& res) const {
        const unsigned code = to_int(res.code());
        const bool deferred = res.kind() == response::body_kind::deferred;
        if (code >= 200 && code <= 999 && !deferred) return true;
        // 101 hands the connection over: only with a taker for it.
        if (code == 101 && !deferred && response_access::upgrades(res)) return true;
        // Another interim (1xx) status as the final answer would shift every later response
        // on the connection by one.
        cfg_->log("handler returned status " + std::to_string(code) +
                  (deferred ? " (deferred twice)" : "") + ", which is not a final response");
        return false;
    }

    // Queues the response to the request at io.begin and moves on to the next request.
    void finish_exchange(connection_buffers& io, response& res, const tick& t) {
        const request& req = io.req;
        ++served_;
        // The shared flag: a response produced after stop() was called must say close even if
        // this worker has not seen its wake-up yet.
        const bool keep = req.keep_alive() && !cfg_->stopping.load(std::memory_order_relaxed) &&
                          !peer_eof_ && served_ < cfg_->opts.max_requests_per_connection;
        client_close_ = !req.keep_alive();
        notice n;
        if (cfg_->opts.access_log) {
            n.access.assign(req.method_name()).append(" ").append(req.target());
            n.version_minor = static_cast<std::uint8_t>(req.version_minor());
            n.user_agent.assign(req.header("User-Agent").value_or(std::string_view{}));
            n.head_us = head_us_;
        }
        const bool upgrade = to_int(res.code()) == 101;
        queue_response(io, res, req.method() == method::head, req.version_minor(), keep, upgrade, t,
                       std::move(n));
        io.begin = io.scan = io.next;
        io.head_done = false;
        io.body = body_reader();
        empty_lines_ = 0;
        if (upgrade) {
            io.upgrade = response_access::take_upgrade(res);
            phase_ = phase::upgrading;
            close_after_ = false;
            return;
        }
        if (io.begin == io.end) io.begin = io.end = io.scan = 0;
        phase_ = phase::idle; // becomes head when the next request's first bytes are seen
        mark_ = t.ms;
    }

    void queue_response(connection_buffers& io, response& res, bool head_request,
                        unsigned version_minor, bool keep_alive, bool upgrade, const tick& t,
                        notice n) {
        output_queue& out = io.out;
        const std::size_t from = out.buffer().size();
        head_context ctx;
        ctx.head_request = head_request;
        ctx.version_minor = version_minor;
        ctx.keep_alive = keep_alive;
        ctx.date = t.date;
        ctx.upgrade = upgrade;
        const head_result hr = serialize_head(out.buffer(), res, ctx);
        if (!hr.keep_alive) close_after_ = true;
        n.status = res.code();
        n.streamed = hr.framing == framing::chunked || hr.framing == framing::until_close;
        switch (hr.framing) {
        case framing::none: out.commit(from); break;
        case framing::length:
            if (res.kind() == response::body_kind::file) {
                n.body_size = res.file_length();
                out.commit(from);
                out.push_file(response_access::take_file(res), res.file_offset(),
                              res.file_length());
                break;
            }
            n.body_size = res.body().size();
            if (res.body().size() <= output_queue::copy_body_limit) {
                out.buffer().append(res.body()); // one write for head and body
                out.commit(from);
            } else if (res.kind() == response::body_kind::shared) {
                out.commit(from);
                out.push_shared(res.body(), response_access::shared(res));
            } else {
                out.commit(from);
                out.push_owned(response_access::take_body(res));
            }
            break;
        case framing::chunked:
        case framing::until_close:
            out.commit(from);
            out.push_stream(response_access::take_stream(res), hr.framing == framing::chunked);
            break;
        }
        n.on_sent = response_access::take_on_sent(res);
        if (n.on_sent || !n.access.empty()) out.push_notice(std::move(n));
    }

    // An error the engine answers itself: the rest of the input is discarded and the
    // connection closes after the response, draining input for a while (lingering close).
    void fail(errc code, const tick& t) {
        refused(code);
        connection_buffers& io = buffers();
        io.begin = io.end = io.scan = 0;
        io.head_done = false;
        io.body = body_reader();
        response r = error_response(status_of(code), true);
        queue_response(io, r, false, 1, false, false, t, notice{});
        linger_ = true;
        close_after_ = true;
    }

    // A short text response for an engine-generated status; `close` adds `Connection: close`.
    static response error_response(http::status s, bool close) {
        response r = response::error(s);
        if (close) r.close_connection();
        if (s == status::service_unavailable) r.add_header("Retry-After", "5");
        return r;
    }

    // The one place on_refusal's exceptions are caught.
    void refused(errc code) noexcept {
        if (!cfg_->opts.on_refusal) return;
        try {
            cfg_->opts.on_refusal(refusal{status_of(code), message_of(code), peer_, code});
        } catch (...) {}
    }

    // The one place on_sent's and access_log's exceptions are caught.
    void report(notice& n, std::uint64_t bytes, bool complete) noexcept {
        try {
            if (auto cb = std::move(n.on_sent)) cb(delivery{bytes, complete});
            if (!n.access.empty() && cfg_->opts.access_log) {
                const std::string_view line = n.access;
                const auto sp = line.find(' ');
                const std::uint64_t now = monotonic_us();
                cfg_->opts.access_log(
                    access_entry{line.substr(0, sp), line.substr(sp + 1), n.version_minor, n.status,
                                 bytes, complete, peer_, n.user_agent,
                                 std::chrono::microseconds(now > n.head_us ? now - n.head_us : 0)});
            }
        } catch (const std::exception& e) {
            cfg_->log(std::string("completion callback threw: ") + e.what());
        } catch (...) {
            cfg_->log("completion callback threw a non-standard exception");
        }
    }

    const connection_config* cfg_ = nullptr;
    buffer_pool* pool_ = nullptr;
    std::unique_ptr<connection_buffers, buffer_return> io_;
    endpoint peer_;
    std::uint64_t mark_ = 0; // start of the current phase's deadline period
    std::size_t served_ = 0;
    std::uint64_t head_us_ = 0;   // when the current head was complete (with an access log only)
    std::size_t empty_lines_ = 0; // bytes of CRLF skipped before the current request
    phase phase_ = phase::head;
    bool close_after_ = false;  // no further request: close once output is written
    bool linger_ = false;       // drain input before closing (after an error response)
    bool client_close_ = false; // the client announced it sends nothing more (RFC 9112 §9.6)
    bool peer_eof_ = false;
};

} // namespace detail
MINIHTTP_NAMESPACE_END
