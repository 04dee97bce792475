#include <minihttp/detail/connection.hpp> // first: proves the header is self-contained

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The HTTP/1.1 connection without sockets: bytes are fed in any split, the output is
// collected by a fake transport, and the exact bytes out and the close decision are checked.

namespace {

using http::detail::connection;
using http::detail::flush_status;
using http::detail::io_result;
using http::detail::io_status;

constexpr std::string_view date = "Mon, 07 Dec 2026 18:00:00 GMT";

/// Takes what is written (at most `window` bytes per call, to make partial writes; nothing
/// once `written` holds `capacity` bytes, like a full socket), reads nothing (the tests feed
/// the connection directly), and records shutdown and close.
struct fake_transport {
    std::string written;
    std::size_t window = SIZE_MAX;
    std::size_t capacity = SIZE_MAX;
    int writes = 0;
    bool more_hint = false;
    bool shut = false;
    bool closed = false;

    io_result read(std::span<char>) { return {0, io_status::would_block}; }
    io_result write(std::span<const iovec> out, bool more) {
        ++writes;
        more_hint = more;
        const std::size_t room = std::min(window, capacity - std::min(capacity, written.size()));
        if (room == 0) return {0, io_status::would_block};
        std::size_t n = 0;
        for (const iovec& v : out) {
            const std::size_t take = std::min(v.iov_len, room - n);
            written.append(static_cast<const char*>(v.iov_base), take);
            n += take;
            if (n == room) break;
        }
        return {n, io_status::ok};
    }
    io_result send_file(int fd, std::uint64_t offset, std::size_t length) {
        const std::size_t room = std::min(window, capacity - std::min(capacity, written.size()));
        if (room == 0) return {0, io_status::would_block};
        std::string chunk(std::min(length, room), '\0');
        const ssize_t n = ::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(offset));
        if (n < 0) return {0, io_status::error};
        if (n == 0) return {0, io_status::eof};
        written.append(chunk.data(), static_cast<std::size_t>(n));
        return {static_cast<std::size_t>(n), io_status::ok};
    }
    void prepare_bulk(std::uint64_t) {}
    void shutdown_write() { shut = true; }
    void close(bool) { closed = true; }
};
static_assert(http::detail::transport<fake_transport>);

using handler_fn = std::function<http::response(const http::request&)>;

/// A connection, its config and pool, driven the way the worker drives one.
struct harness {
    http::detail::connection_config cfg;
    http::detail::buffer_pool pool;
    handler_fn handler;
    connection conn;
    fake_transport t;
    http::detail::tick now{1000, date};
    int calls = 0;
    std::vector<http::errc> refusals;

    explicit harness(handler_fn h, http::server_options o = {}) : handler(std::move(h)) {
        cfg.opts = std::move(o);
        cfg.opts.on_refusal = [this](const http::refusal& r) { refusals.push_back(r.code); };
        cfg.handler = this;
        cfg.dispatch = [](const void* self, const http::request& r) {
            auto* me = const_cast<harness*>(static_cast<const harness*>(self));
            ++me->calls;
            return me->handler(r);
        };
        cfg.apply_limits();
        conn = connection(cfg, pool, http::endpoint{}, now.ms);
    }
    harness(const harness&) = delete;
    harness& operator=(const harness&) = delete;

    /// Writes and processes until nothing more happens without new input.
    void pump() {
        for (int guard = 0; guard < 10000; ++guard) {
            if (conn.has_output()) {
                bool progressed = false;
                const flush_status r = conn.flush(t, now, progressed);
                REQUIRE(r != flush_status::error);
                if (r == flush_status::blocked && !progressed) return;
                if (r != flush_status::done) continue;
            }
            if (conn.close_pending() || conn.handling() || conn.upgrade_ready()) return;
            conn.process(now);
            if (!conn.has_output()) return;
        }
        FAIL("the connection does not settle");
    }
    /// Feeds `bytes` as the worker would: into the input space, as much as fits per read.
    void feed(std::string_view bytes) {
        while (!bytes.empty()) {
            const std::span<char> space = conn.input_space();
            REQUIRE(!space.empty());
            const std::size_t n = std::min(space.size(), bytes.size());
            std::copy_n(bytes.data(), n, space.data());
            conn.received(n);
            bytes.remove_prefix(n);
            pump();
        }
    }
    std::string take() { return std::exchange(t.written, {}); }
};

/// A handler echoing the request's method, target and body.
http::response echo(const http::request& r) {
    http::response res = http::response::text(std::string(r.body()));
    res.add_header("X-Echo", std::string(r.method_name()) + " " + std::string(r.target()));
    return res;
}

std::string text_response(std::string_view status_line, std::string_view body,
                          std::string_view extra = {}, bool close = false) {
    std::string s = "HTTP/1.1 ";
    s.append(status_line).append("\r\nDate: ").append(date).append("\r\nContent-Length: ");
    s.append(std::to_string(body.size())).append("\r\n");
    if (close) s.append("Connection: close\r\n");
    s.append("Content-Type: text/plain; charset=utf-8\r\n").append(extra).append("\r\n");
    return s.append(body);
}
std::string echoed(std::string_view what, std::string_view body) {
    return text_response("200 OK", body, "X-Echo: " + std::string(what) + "\r\n");
}
std::string refused(std::string_view status_line) {
    std::string body = std::string(status_line) + "\n";
    return text_response(status_line, body, {}, true);
}

/// Feeds `input` split at `at`, then returns the output, the close decision and refusals.
struct outcome {
    std::string out;
    bool close = false;
    bool linger = false;
    int calls = 0;
    std::vector<http::errc> refusals;
};
outcome run_split(std::string_view input, std::size_t at, const handler_fn& h = echo,
                  http::server_options o = {}) {
    harness x(h, std::move(o));
    x.feed(input.substr(0, at));
    x.feed(input.substr(at));
    return {x.take(), x.conn.close_pending(), x.conn.wants_linger(), x.calls, x.refusals};
}

// Every split point and a byte at a time give the same bytes and decision as one read.
void check_every_split(std::string_view input, const std::string& expected_out, bool close,
                       const handler_fn& h = echo) {
    for (std::size_t at = 0; at <= input.size(); ++at) {
        CAPTURE(at);
        const outcome o = run_split(input, at, h);
        CHECK(o.out == expected_out);
        CHECK(o.close == close);
    }
    harness bytewise(h);
    for (char c : input) bytewise.feed(std::string_view(&c, 1));
    CHECK(bytewise.take() == expected_out);
    CHECK(bytewise.conn.close_pending() == close);
}

} // namespace

TEST_SUITE("connection") {
    TEST_CASE("connection: a pipelined keep-alive exchange gives the same bytes at every split") {
        const std::string input = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                                  "POST /chunked HTTP/1.1\r\nHost: x\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n"
                                  "4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n"
                                  "\r\n" // an empty line between requests is ignored
                                  "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n";
        const std::string expected =
            echoed("GET /a", "") + echoed("POST /len", "hello") +
            echoed("POST /chunked", "wikipedia") +
            // HEAD: GET's fields, Content-Length included, and no content.
            "HTTP/1.1 200 OK\r\nDate: " + std::string(date) +
            "\r\nContent-Length: 0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "X-Echo: HEAD /h\r\n\r\n";
        check_every_split(input, expected, false);

        harness x(echo);
        x.feed(input);
        CHECK(x.calls == 4);
        CHECK(x.conn.state() == connection::phase::idle);
        CHECK(x.conn.idle());
        CHECK(x.t.writes == 1); // the whole batch in one gathered write
        x.conn.release_buffers_if_idle();
        CHECK_FALSE(x.conn.has_buffers()); // an idle keep-alive connection holds no buffer
    }

    TEST_CASE("connection: smuggling attempts get one exact 400 and a close, at every split") {
        struct smuggle {
            const char* name;
            std::string input;
            http::errc code;
        };
        const std::string next = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        const smuggle cases[] = {
            {"CL and TE",
             "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
                 next,
             http::errc::transfer_encoding_with_length},
            {"TE and CL",
             "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
             "Content-Length: 5\r\n\r\n0\r\n\r\n" +
                 next,
             http::errc::transfer_encoding_with_length},
            {"TE in HTTP/1.0",
             "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + next,
             http::errc::transfer_encoding_in_http10},
            {"TE not ending in chunked",
             "POST / HTTP/1.1\r\nHost: x\r\n"
             "Transfer-Encoding: chunked, identity\r\n\r\n" +
                 next,
             http::errc::invalid_transfer_encoding},
            {"differing Content-Lengths",
             "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
             "Content-Length: 2\r\n\r\nab" +
                 next,
             http::errc::invalid_content_length},
            {"signed Content-Length",
             "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n" + next,
             http::errc::invalid_content_length},
            {"bad chunk size",
             "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "x\r\nabc\r\n0\r\n\r\n" +
                 next,
             http::errc::invalid_chunk_size},
            {"chunk size overflow",
             "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
             "\r\n10000000000000000\r\n" +
                 next,
             http::errc::chunk_size_overflow},
            {"chunk data without CRLF",
             "POST / HTTP/1.1\r\nHost: x\r\n"
             "Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n" +
                 next,
             http::errc::chunk_data_not_crlf},
            {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n" + next,
             http::errc::obs_fold},
            {"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n" + next,
             http::errc::invalid_field_name},
            {"bare LF", "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n" + next, http::errc::bare_lf},
            {"LF ending a field line", "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n" + next,
             http::errc::bare_lf},
            {"NUL in a value",
             std::string("GET / HTTP/1.1\r\nHost: x\r\nX: a") + '\0' + "b\r\n\r\n" + next,
             http::errc::invalid_field_value},
        };
        for (const smuggle& s : cases) {
            const std::string name = s.name;
            CAPTURE(name);
            check_every_split(s.input, refused("400 Bad Request"), true);
            const outcome o = run_split(s.input, s.input.size());
            CHECK(o.calls == 0); // the handler never saw it, nor the smuggled request
            CHECK(o.linger);     // the input is drained before closing (RFC 9112 §9.6)
            REQUIRE(o.refusals.size() == 1);
            CHECK(o.refusals[0] == s.code);
        }
    }

    TEST_CASE("connection: a request before a bad one is answered, the bad one closes") {
        const std::string input = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "GET /bad HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"
                                  "GET /never HTTP/1.1\r\nHost: x\r\n\r\n";
        check_every_split(input, echoed("GET /ok", "") + refused("400 Bad Request"), true);
    }

    TEST_CASE("connection: 100-continue is answered before the body, exactly once") {
        harness x(echo);
        x.feed("PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
        CHECK(x.take() == "HTTP/1.1 100 Continue\r\n\r\n");
        CHECK(x.conn.state() == connection::phase::body);
        x.feed("abc");
        CHECK(x.take() == echoed("PUT /up", "abc"));

        // The body came with the head: no 100.
        harness y(echo);
        y.feed("PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n"
               "\r\nabc");
        CHECK(y.take() == echoed("PUT /up", "abc"));

        // Over the body limit: 413 at once, no 100 (the client need not send the body).
        http::server_options small;
        small.max_body_bytes = 2;
        harness z(echo, small);
        z.feed("PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
        CHECK(z.take() == refused("413 Content Too Large"));
        CHECK(z.refusals == std::vector{http::errc::body_too_large});
    }

    TEST_CASE("connection: the keep-alive decision") {
        SUBCASE("HTTP/1.0 without keep-alive closes, without lingering") {
            harness x(echo);
            x.feed("GET /a HTTP/1.0\r\n\r\n");
            CHECK(x.take() == text_response("200 OK", "", "X-Echo: GET /a\r\n", true));
            CHECK(x.conn.close_pending());
            CHECK_FALSE(x.conn.wants_linger()); // the client asked for the close
        }
        SUBCASE("HTTP/1.0 with keep-alive stays open and says so") {
            harness x(echo);
            x.feed("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            CHECK(x.take().find("Connection: keep-alive\r\n") != std::string::npos);
            CHECK_FALSE(x.conn.close_pending());
        }
        SUBCASE("Connection: close from an HTTP/1.1 client") {
            harness x(echo);
            x.feed("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                   "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK(x.take() == text_response("200 OK", "", "X-Echo: GET /a\r\n", true));
            CHECK(x.calls == 1);
            CHECK(x.conn.close_pending());
            CHECK(x.conn.wants_linger()); // bytes after the close request: drain them
        }
        SUBCASE("max_requests_per_connection: the last response says close") {
            http::server_options o;
            o.max_requests_per_connection = 2;
            harness x(echo, o);
            x.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                   "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK(x.take() ==
                  echoed("GET /1", "") + text_response("200 OK", "", "X-Echo: GET /2\r\n", true));
            CHECK(x.conn.close_pending());
            CHECK(x.conn.wants_linger()); // a close the client did not ask for
        }
        SUBCASE("a handler's Connection: close") {
            harness x([](const http::request&) {
                http::response r = http::response::text("bye");
                r.close_connection();
                return r;
            });
            x.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK(x.take() == text_response("200 OK", "bye", {}, true));
            CHECK(x.conn.close_pending());
        }
        SUBCASE("the peer's end of stream: the answer says close") {
            harness x(echo);
            x.conn.peer_closed();
            x.feed("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK(x.take() == text_response("200 OK", "", "X-Echo: GET /a\r\n", true));
        }
    }

    TEST_CASE("connection: engine answers — 501, 503, a handler's exception") {
        SUBCASE("an unknown method gets 501 and the connection stays open") {
            harness x(echo);
            x.feed("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK(x.take() == text_response("501 Not Implemented", "501 Not Implemented\n"));
            CHECK(x.refusals == std::vector{http::errc::unknown_method});
            CHECK(x.calls == 0);
            CHECK_FALSE(x.conn.close_pending());
        }
        SUBCASE("over max_connections: 503 with Retry-After, then close") {
            harness x(echo);
            x.conn.refuse(http::errc::too_many_connections, x.now);
            x.pump();
            CHECK(x.take() == text_response("503 Service Unavailable", "503 Service Unavailable\n",
                                            "Retry-After: 5\r\n", true));
            CHECK(x.conn.close_pending());
        }
        SUBCASE("a handler that throws gets 500; the framing was fine, so it stays open") {
            harness x([](const http::request& r) -> http::response {
                if (r.path() == "/throw") throw std::runtime_error("boom");
                return http::response::text("fine");
            });
            std::string logged;
            x.cfg.opts.error_log = [&](std::string_view m) { logged = m; };
            x.feed("GET /throw HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK(x.take() ==
                  text_response("500 Internal Server Error", "500 Internal Server Error\n") +
                      text_response("200 OK", "fine"));
            CHECK(logged == "handler threw: boom");
        }
        SUBCASE("an interim status as the final answer becomes 500") {
            harness x([](const http::request&) { return http::response(http::status{103}); });
            x.cfg.opts.error_log = [](std::string_view) {};
            x.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK(x.take() ==
                  text_response("500 Internal Server Error", "500 Internal Server Error\n"));
        }
    }

    TEST_CASE("connection: deadlines — 408 for a slow head or body, silence for idle") {
        http::server_options o;
        o.header_timeout = std::chrono::milliseconds(100);
        o.body_timeout = std::chrono::milliseconds(100);
        o.min_body_rate = 1000; // each byte buys 1 ms
        o.keep_alive_timeout = std::chrono::milliseconds(300);
        SUBCASE("an incomplete head") {
            harness x(echo, o);
            x.feed("GET / HTTP/1.1\r\nHo");
            CHECK(x.conn.deadline() == 1100);
            CHECK(x.conn.expire(x.now) == connection::expiry::answered);
            x.pump();
            CHECK(x.take() == refused("408 Request Timeout"));
            CHECK(x.refusals == std::vector{http::errc::head_timeout});
            CHECK(x.conn.close_pending());
        }
        SUBCASE("a slow body: the deadline grows with the bytes received") {
            harness x(echo, o);
            x.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
            CHECK(x.conn.deadline() == 1100);
            x.feed(std::string(50, 'a'));
            CHECK(x.conn.deadline() == 1150);
            CHECK(x.conn.expire(x.now) == connection::expiry::answered);
            x.pump();
            CHECK(x.take() == refused("408 Request Timeout"));
            CHECK(x.refusals == std::vector{http::errc::body_timeout});
        }
        SUBCASE("idle after a response, or silent from the start: closed without a word") {
            harness x(echo, o);
            CHECK(x.conn.expire(x.now) == connection::expiry::close); // never sent a byte
            x.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            x.take();
            x.now.ms = 1200;
            x.pump();
            CHECK(x.conn.deadline() == 1000 + 300); // idle since the response was queued
            CHECK(x.conn.expire(x.now) == connection::expiry::close);
            CHECK(x.take().empty());
        }
    }

    TEST_CASE("connection: output under backpressure arrives whole and in order") {
        harness x([](const http::request& r) {
            return http::response::text(std::string(r.path() == "/big" ? 40000 : 10, 'x'));
        });
        x.t.window = 7;
        const std::string input = "GET /small HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "GET /small HTTP/1.1\r\nHost: x\r\n\r\n";
        x.feed(input);
        harness y([](const http::request& r) {
            return http::response::text(std::string(r.path() == "/big" ? 40000 : 10, 'x'));
        });
        y.feed(input);
        CHECK(x.t.written.size() > 80000 / 2);
        CHECK(x.take() == y.take());
        CHECK(x.t.writes > 1000); // 7 bytes per write: it really was cut
    }

    TEST_CASE("connection: file, stream and shared bodies") {
        char path[] = "/tmp/minihttp-connection-XXXXXX";
        const int fd = ::mkstemp(path);
        REQUIRE(fd >= 0);
        ::unlink(path);
        const std::string content(300000, 'f');
        REQUIRE(::write(fd, content.data(), content.size()) ==
                static_cast<ssize_t>(content.size()));
        SUBCASE("a file region goes out with send_file after its head (one packet hint)") {
            harness x([fd](const http::request&) {
                http::response r;
                r.set_file(::dup(fd), 10, 290000, "application/octet-stream");
                return r;
            });
            x.feed("GET /f HTTP/1.1\r\nHost: x\r\n\r\n");
            const std::string out = x.take();
            const std::string head = "HTTP/1.1 200 OK\r\nDate: " + std::string(date) +
                                     "\r\nContent-Length: 290000\r\n"
                                     "Content-Type: application/octet-stream\r\n\r\n";
            CHECK(out == head + content.substr(10, 290000));
        }
        SUBCASE("a stream is chunked to HTTP/1.1, framed by the serialiser") {
            harness x([](const http::request&) {
                http::response r;
                auto left = std::make_shared<int>(2);
                r.set_stream([left](char* buf, std::size_t) -> std::ptrdiff_t {
                    if ((*left)-- == 0) return 0;
                    std::memcpy(buf, "hello", 5);
                    return 5;
                });
                return r;
            });
            x.feed("GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
            CHECK(x.take() == "HTTP/1.1 200 OK\r\nDate: " + std::string(date) +
                                  "\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "5\r\nhello\r\n5\r\nhello\r\n0\r\n\r\n");
            CHECK_FALSE(x.conn.close_pending());
        }
        SUBCASE("a stream to HTTP/1.0 is delimited by the close") {
            harness x([](const http::request&) {
                http::response r;
                auto done = std::make_shared<bool>(false);
                r.set_stream([done](char* buf, std::size_t) -> std::ptrdiff_t {
                    if (std::exchange(*done, true)) return 0;
                    buf[0] = 'z';
                    return 1;
                });
                return r;
            });
            x.feed("GET /s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            CHECK(x.take() == "HTTP/1.1 200 OK\r\nDate: " + std::string(date) +
                                  "\r\nConnection: close\r\n\r\nz");
            CHECK(x.conn.close_pending());
        }
        SUBCASE("a stream source that throws ends the connection (truncated, detectable)") {
            harness x([](const http::request&) {
                http::response r;
                r.set_stream([](char*, std::size_t) -> std::ptrdiff_t {
                    throw std::runtime_error("source broke");
                });
                return r;
            });
            std::string logged;
            x.cfg.opts.error_log = [&](std::string_view m) { logged = m; };
            const std::string_view req = "GET /s HTTP/1.1\r\nHost: x\r\n\r\n";
            const std::span<char> space = x.conn.input_space();
            std::copy(req.begin(), req.end(), space.begin());
            x.conn.received(req.size());
            x.conn.process(x.now);
            bool progressed = false;
            CHECK(x.conn.flush(x.t, x.now, progressed) == flush_status::error);
            CHECK(x.t.written.find("Transfer-Encoding: chunked") != std::string::npos);
            CHECK(logged == "stream source threw: source broke");
        }
        ::close(fd);
    }

    TEST_CASE("connection: on_sent and the access log are told how each response ended") {
        std::vector<std::string> log;
        http::server_options o;
        o.access_log = [&](const http::access_entry& e) {
            log.push_back(std::string(e.method) + " " + std::string(e.target) + " " +
                          std::to_string(http::to_int(e.status)) + " " +
                          std::to_string(e.body_bytes) + (e.complete ? " ok" : " cut"));
        };
        harness x(
            [&](const http::request& r) {
                http::response res =
                    http::response::text(std::string(r.path() == "/big" ? 50000 : 3, 'b'));
                res.on_sent([&log, p = std::string(r.path())](const http::delivery& d) {
                    log.push_back("sent " + p + " " + std::to_string(d.body_bytes) +
                                  (d.complete ? " ok" : " cut"));
                });
                return res;
            },
            o);
        x.feed("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(log == std::vector<std::string>{"sent /a 3 ok", "GET /a 200 3 ok"});
        log.clear();
        x.t.capacity = x.t.written.size() + 1000; // the client stops reading part-way through /big
        x.feed("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(log.empty());
        x.conn.release_buffers(); // the connection ends
        REQUIRE(log.size() == 2);
        CHECK(log[0].rfind("sent /big ", 0) == 0);
        CHECK(log[0].substr(log[0].size() - 3) == "cut");
        CHECK(log[1].substr(log[1].size() - 3) == "cut");
    }

    TEST_CASE("connection: the access log gets the User-Agent and the time the exchange took") {
        std::vector<std::pair<std::string, std::int64_t>> seen;
        http::server_options o;
        o.access_log = [&](const http::access_entry& e) {
            seen.emplace_back(std::string(e.user_agent), e.duration.count());
        };
        harness x(
            [](const http::request&) {
                // A handler that takes 20 ms: the logged duration includes it.
                const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
                while (std::chrono::steady_clock::now() < until) {}
                return http::response::text("ok");
            },
            o);
        x.feed("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/7.88.1\r\n\r\n"
               "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        REQUIRE(seen.size() == 2);
        CHECK(seen[0].first == "curl/7.88.1");
        CHECK(seen[1].first.empty());
        for (const auto& s : seen) {
            CHECK(s.second >= 20'000);
            CHECK(s.second < 10'000'000);
        }
    }

    TEST_CASE("connection: a deferred answer holds the request; pipelined ones wait their turn") {
        std::optional<http::responder> pending;
        std::string seen_body;
        harness x([&](const http::request& r) {
            if (r.path() != "/slow") return echo(r);
            return http::response::defer([&, &req = r](http::responder out) {
                seen_body = std::string(req.body()); // the request stays valid meanwhile
                pending = std::move(out);
            });
        });
        x.feed("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\ndata"
               "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(x.conn.handling());
        auto start = x.conn.take_deferred();
        REQUIRE(start);
        CHECK_FALSE(x.conn.take_deferred());    // once
        CHECK(x.conn.deadline() == UINT64_MAX); // not timed while the handler works
        // The worker would hand a real responder over; here the start is only checked to run.
        http::responder dropped;
        start(std::move(dropped));
        CHECK(seen_body == "data");
        CHECK(x.take().empty());
        CHECK(x.calls == 1);
        x.conn.resume(http::response::text("later"), x.now);
        x.pump();
        CHECK(x.take() == text_response("200 OK", "later") + echoed("GET /next", ""));
        CHECK(x.calls == 2);
    }

    TEST_CASE("connection: a 101 hands the socket and the unread bytes over") {
        bool taken = false;
        harness x([&](const http::request&) {
            http::response r(http::status{101});
            r.add_header("Upgrade", "test-protocol");
            http::detail::response_access::set_upgrade(
                r, [&](http::detail::handover&&) { taken = true; });
            return r;
        });
        x.feed("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: test-protocol\r\n"
               "Connection: upgrade\r\n\r\n\x81\x05hello-frame");
        CHECK(x.take() == "HTTP/1.1 101 Switching Protocols\r\nDate: " + std::string(date) +
                              "\r\nConnection: upgrade\r\nUpgrade: test-protocol\r\n\r\n");
        CHECK(x.conn.upgrade_ready());
        CHECK(x.calls == 1); // the bytes after the request are not HTTP: never parsed
        CHECK(x.conn.take_unread() == "\x81\x05hello-frame");
        auto taker = x.conn.take_upgrade();
        REQUIRE(taker);
        taker(http::detail::handover{});
        CHECK(taken);
    }

    TEST_CASE("connection: a 101 without a taker becomes 500") {
        harness x([](const http::request&) { return http::response(http::status{101}); });
        x.cfg.opts.error_log = [](std::string_view) {};
        x.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(x.take() ==
              text_response("500 Internal Server Error", "500 Internal Server Error\n"));
        CHECK_FALSE(x.conn.upgrade_ready());
    }

    TEST_CASE("connection: the buffer grows only as bytes arrive, up to the phase's need") {
        harness x(echo);
        x.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
        CHECK(x.conn.input_space().size() < 16 * 1024); // a declared length allocates nothing
        x.feed(std::string(1000000, 'q'));
        const std::string out = x.take();
        CHECK(out.find("Content-Length: 1000000\r\n") != std::string::npos);
        x.conn.release_buffers_if_idle();
        CHECK_FALSE(x.conn.has_buffers());
    }

    TEST_CASE(
        "connection: a first byte costs a small buffer; pipelining grows it, the pool keeps it") {
        using http::detail::connection_buffers;
        harness x(echo);
        x.feed("G"); // a slowloris connection's first byte holds no more than this
        CHECK(x.conn.input_space().size() == connection_buffers::initial_size - 1);

        // Pipelined requests past the first kilobyte grow the buffer (not compact it), so they
        // are read in a few large reads, not a kilobyte at a time.
        // (90: under max_requests_per_connection, 100 by default).
        const std::string pad = "\r\nX-Pad: " + std::string(120, 'p') + "\r\n\r\n";
        std::string batch = "ET /0 HTTP/1.1\r\nHost: x" + pad;
        std::string expected = echoed("GET /0", "");
        for (int i = 1; i < 90; ++i) {
            batch += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: x" + pad;
            expected += echoed("GET /" + std::to_string(i), "");
        }
        std::string_view rest = batch;
        int reads = 0;
        while (!rest.empty()) {
            const std::span<char> space = x.conn.input_space();
            REQUIRE(!space.empty());
            const std::size_t n = std::min(space.size(), rest.size());
            std::copy_n(rest.data(), n, space.data());
            x.conn.received(n);
            rest.remove_prefix(n);
            ++reads;
            x.pump();
        }
        CHECK(batch.size() > 12 * 1024);
        CHECK(reads <= 4);
        CHECK(x.take() == expected);
        CHECK(x.calls == 90);

        // Idle again: the buffers go back to the pool and come back with their grown input.
        x.conn.release_buffers_if_idle();
        CHECK_FALSE(x.conn.has_buffers());
        CHECK(x.conn.input_space().size() == connection_buffers::pooled_size);
    }
}
