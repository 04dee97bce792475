// libFuzzer target: detail::connection, the whole HTTP/1.1 state machine of one connection
// (heads, bodies, pipelining, errors, keep-alive), without a socket.
//
// The input is what a client sends. It is fed to a connection whole, then again in pieces whose
// sizes come from a PRNG seeded with a hash of the input (as reads would deliver them), with a
// transport that takes at most a few bytes per write at random (as a full socket would).
// Checked for every input:
//  - Splitting: both runs produce exactly the same final responses and the same close decision
//    — but for a refusal of a line that had not ended when the input did (see below). (Only
//    100 Continue depends on the split by design.)
//  - The output is a sequence of complete HTTP/1.1 responses, each with a status line, a Date,
//    a head ending in CRLF CRLF and exactly Content-Length bytes of content (chunked bodies are
//    not produced by this handler); 1xx only as "100 Continue".
//  - A response that says `Connection: close` is the last one: nothing that followed a refused
//    request is ever answered (no smuggling).
//  - A close decision is announced: when the connection will close after its output, the last
//    response says `Connection: close`.
// The handler echoes the method, target and body, so a request's identity shows in its answer.

#include <minihttp/detail/connection.hpp>

#include "common.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using http::detail::connection;
using http::detail::flush_status;
using http::detail::io_result;
using http::detail::io_status;

struct transport {
    std::string written;
    fuzz::rng* cut = nullptr; // null: take everything
    io_result read(std::span<char>) { return {0, io_status::would_block}; }
    io_result write(std::span<const iovec> out, bool) {
        std::size_t room = cut != nullptr ? 1 + cut->below(64) : SIZE_MAX;
        std::size_t n = 0;
        for (const iovec& v : out) {
            const std::size_t take = std::min(v.iov_len, room - n);
            written.append(static_cast<const char*>(v.iov_base), take);
            n += take;
            if (n == room) break;
        }
        return {n, io_status::ok};
    }
    io_result send_file(int, std::uint64_t, std::size_t) { return {0, io_status::error}; }
    void prepare_bulk(std::uint64_t) {}
    void shutdown_write() {}
    void close(bool) {}
};

http::response echo(const void*, const http::request& r) {
    http::response res = http::response::text(std::string(r.body()));
    res.add_header("X-Echo", std::string(r.method_name()) + " " + std::string(r.target()));
    return res;
}

struct run {
    std::string out;
    bool close = false;
};

run drive(std::string_view input, fuzz::rng* pieces, fuzz::rng* cut) {
    http::detail::connection_config cfg;
    cfg.opts.max_request_line = 512;
    cfg.opts.max_header_bytes = 1024;
    cfg.opts.max_header_fields = 16;
    cfg.opts.max_body_bytes = 4096;
    cfg.opts.max_requests_per_connection = 8;
    cfg.dispatch = &echo;
    cfg.apply_limits();
    http::detail::buffer_pool pool;
    connection c(cfg, pool, http::endpoint{}, 0);
    transport t;
    t.cut = cut;
    const http::detail::tick now{0, "Thu, 01 Jan 1970 00:00:00 GMT"};
    auto pump = [&] {
        for (int guard = 0; guard < 1'000'000; ++guard) {
            if (c.has_output()) {
                bool progressed = false;
                const flush_status r = c.flush(t, now, progressed);
                FUZZ_CHECK(r != flush_status::error, "flush failed");
                if (r != flush_status::done) continue;
            }
            if (c.close_pending() || c.handling() || c.upgrade_ready()) return;
            c.process(now);
            if (!c.has_output()) return;
        }
        FUZZ_CHECK(false, "the connection does not settle");
    };
    while (!input.empty() && !c.close_pending()) {
        const std::span<char> space = c.input_space();
        FUZZ_CHECK(!space.empty(), "no input space while the connection still reads");
        std::size_t n = std::min(space.size(), input.size());
        if (pieces != nullptr) n = std::min(n, 1 + pieces->below(40));
        std::copy_n(input.data(), n, space.data());
        c.received(n);
        input.remove_prefix(n);
        pump();
    }
    return {std::move(t.written), c.close_pending()};
}

// Walks the responses in `out`; checks each one's shape. Returns false on a malformed one.
void check_responses(std::string_view out, bool close, std::string_view input) {
    bool refused_seen = false;
    bool last_says_close = false;
    while (!out.empty()) {
        FUZZ_CHECK(!refused_seen, "a response after Connection: close; input: %s",
                   fuzz::printable(input).c_str());
        FUZZ_CHECK(out.substr(0, 9) == "HTTP/1.1 ", "not a status line: %s",
                   fuzz::printable(out, 80).c_str());
        const auto end = out.find("\r\n\r\n");
        FUZZ_CHECK(end != std::string_view::npos, "incomplete head: %s",
                   fuzz::printable(out, 200).c_str());
        const std::string_view head = out.substr(0, end + 4);
        const int code = std::stoi(std::string(head.substr(9, 3)));
        out.remove_prefix(end + 4);
        if (code == 100) {
            FUZZ_CHECK(head == "HTTP/1.1 100 Continue\r\n\r\n", "odd 100: %s",
                       fuzz::printable(head).c_str());
            continue;
        }
        FUZZ_CHECK(code >= 200 && code < 600, "status %d", code);
        FUZZ_CHECK(head.find("\r\nDate: ") != std::string_view::npos, "no Date");
        const auto cl = head.find("\r\nContent-Length: ");
        FUZZ_CHECK(cl != std::string_view::npos, "no Content-Length: %s",
                   fuzz::printable(head).c_str());
        // HEAD gets GET's Content-Length and no content.
        const bool head_request = head.find("\r\nX-Echo: HEAD ") != std::string_view::npos;
        const std::size_t len = head_request ? 0 : std::stoul(std::string(head.substr(cl + 18)));
        FUZZ_CHECK(out.size() >= len, "content cut short");
        out.remove_prefix(len);
        last_says_close = head.find("\r\nConnection: close\r\n") != std::string_view::npos;
        // After a response that announced the close, nothing may follow: in particular nothing
        // that came after a refused request (no smuggling).
        if (last_says_close) refused_seen = true;
    }
    if (close)
        FUZZ_CHECK(last_says_close, "closes without announcing it; input: %s",
                   fuzz::printable(input).c_str());
}

// `out` (which check_responses accepted) without its interim 100 (Continue) responses. Walked
// response by response: a body may contain the same bytes (an echoed upload), and those stay.
std::string without_interim(std::string_view out) {
    constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
    std::string kept;
    while (!out.empty()) {
        if (out.starts_with(interim)) {
            out.remove_prefix(interim.size());
            continue;
        }
        const auto end = out.find("\r\n\r\n");
        if (end == std::string_view::npos) break;
        const std::string_view head = out.substr(0, end + 4);
        const bool head_request = head.find("\r\nX-Echo: HEAD ") != std::string_view::npos;
        const auto cl = head.find("\r\nContent-Length: ");
        const std::size_t len = head_request || cl == std::string_view::npos
                                    ? 0
                                    : std::stoul(std::string(head.substr(cl + 18)));
        const std::size_t take = std::min(out.size(), end + 4 + len);
        kept.append(out.substr(0, take));
        out.remove_prefix(take);
    }
    kept.append(out);
    return kept;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 16384) return 0;
    const std::string input(reinterpret_cast<const char*>(data), size);
    run whole = drive(input, nullptr, nullptr);
    fuzz::rng pieces(fuzz::hash(input));
    fuzz::rng cut(fuzz::hash(input) ^ 0x5bd1e995);
    run split = drive(input, &pieces, &cut);
    check_responses(split.out, split.close, input);
    check_responses(whole.out, whole.close, input);
    // 100 (Continue) depends on the split by design: it is sent only when no content arrived
    // with the head (RFC 9110 §10.1.1). Compare the final responses.
    for (run* r : {&whole, &split}) r->out = without_interim(r->out);
    // A head is parsed again only once a line end (or the size limit) arrives, so that a client
    // sending a byte at a time costs a parse per line, not per byte. So when the input ends in
    // the middle of a bad line, the whole run (which saw that line together with an earlier
    // line end) may already have refused it while the split run waits for the line to end (and
    // would refuse it then, or answer 408 at the head timeout). Only that last refusal may
    // differ: everything before it must be identical.
    if (whole.out != split.out) {
        const bool prefix = whole.out.compare(0, split.out.size(), split.out) == 0;
        const std::string_view rest = std::string_view(whole.out).substr(split.out.size());
        const bool one_refusal = rest.substr(0, 10) == "HTTP/1.1 4" &&
                                 rest.find("\r\nConnection: close\r\n") != std::string_view::npos &&
                                 rest.find("HTTP/1.1 ", 1) == std::string_view::npos;
        FUZZ_CHECK(prefix && one_refusal && whole.close && !split.close,
                   "the answer depends on the split\n  input: %s\n  whole: %s\n  split: %s",
                   fuzz::printable(input).c_str(), fuzz::printable(whole.out).c_str(),
                   fuzz::printable(split.out).c_str());
    } else {
        FUZZ_CHECK(whole.close == split.close, "the close decision depends on the split");
    }
    return 0;
}
