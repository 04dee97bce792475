#pragma once
/// @file
/// Body readers: the framing of one request's content, chosen once from its parsed head (as
/// h2o's entity readers are) — no content, Content-Length, or chunked — so the connection asks
/// one small object "is the body complete?" instead of re-deciding the framing on every read.
///
/// A reader works on the connection's input buffer in place: its positions are relative to the
/// first byte after the head, so moving the buffer (compaction, growth) needs no fix-up. The
/// content ends up contiguous at the body's start (chunked content is decoded in place).

#include <minihttp/chunked.hpp>
#include <minihttp/error.hpp>
#include <minihttp/parser.hpp>
#include <minihttp/request.hpp>
#include <minihttp/version.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <variant>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Where reading a body stands.
struct body_step {
    parse_status state = parse_status::need_more;
    std::size_t content = 0; ///< complete: content bytes, at the body's start
    std::size_t framed = 0;  ///< complete: raw bytes the body took; the next request follows
    errc code{};             ///< error: the rule that fired (status: status_of(code))
};

/// A request without content (no Content-Length, or 0).
struct no_body {
    body_step read(char*, std::size_t) noexcept { return {parse_status::complete, 0, 0, {}}; }
    [[nodiscard]] std::uint64_t received(std::size_t) const noexcept { return 0; }
    std::size_t reclaim(char*, std::size_t available) noexcept { return available; }
    [[nodiscard]] std::size_t max_bytes() const noexcept { return 0; }
};

/// Content delimited by Content-Length (RFC 9112 §6.2): complete once that many bytes are in.
struct length_body {
    std::uint64_t length = 0;

    body_step read(char*, std::size_t available) const noexcept {
        if (available < length) return {};
        const auto n = static_cast<std::size_t>(length);
        return {parse_status::complete, n, n, {}};
    }
    [[nodiscard]] std::uint64_t received(std::size_t available) const noexcept {
        return available < length ? available : length;
    }
    std::size_t reclaim(char*, std::size_t available) noexcept { return available; }
    [[nodiscard]] std::size_t max_bytes() const noexcept {
        return static_cast<std::size_t>(length);
    }
};

/// Chunked content (RFC 9112 §7.1), decoded in place: content bytes are moved down over the
/// framing they came in, so the buffer holds [content][gap][raw bytes not yet decoded].
struct chunked_body {
    chunked_decoder decoder;
    std::size_t raw = 0;  // raw bytes consumed, from the body's start
    std::size_t out = 0;  // content bytes decoded, from the body's start
    std::size_t max = 0;  // bytes the buffer may need for this body
    std::size_t held = 0; // raw bytes the decoder left unconsumed (an unfinished trailer line)

    body_step read(char* body, std::size_t available) noexcept {
        // An unfinished trailer line is held back by the decoder and parsed again with every
        // call; as for heads, call again only once a line end arrived (or the limit is near),
        // so a client sending a trailer byte by byte costs a scan per read, not a parse.
        if (held > 0 && decoder.in_trailers() && available - raw > held &&
            available - raw <= decoder.trailer_room()) {
            const char* fresh = body + raw + held;
            const std::size_t n = available - raw - held;
            if (std::memchr(fresh, '\n', n) == nullptr && std::memchr(fresh, '\r', n) == nullptr) {
                held = available - raw;
                return {};
            }
        }
        const auto r = decoder.decode({body + raw, available - raw}, body + out);
        raw += r.consumed;
        out += r.produced;
        if (r.state == parse_status::error) return {parse_status::error, 0, 0, r.code};
        if (r.state == parse_status::need_more) {
            held = available - raw; // an unfinished trailer line, if any
            return {};
        }
        return {parse_status::complete, out, raw, {}};
    }
    // Bytes decoded, not the sizes chunk lines declared: a client must not buy body time by
    // announcing a large chunk and then trickling it.
    [[nodiscard]] std::uint64_t received(std::size_t) const noexcept { return out; }
    /// Closes the gap between decoded content and raw input; returns the bytes now in use.
    std::size_t reclaim(char* body, std::size_t available) noexcept {
        if (out == raw) return available; // (held-back bytes stay right after `raw`)
        std::memmove(body + out, body + raw, available - raw);
        const std::size_t now = out + (available - raw);
        raw = out;
        return now;
    }
    [[nodiscard]] std::size_t max_bytes() const noexcept { return max; }
};

/// The body reader of one request. Plain value; one per request, owned by its connection.
class body_reader {
  public:
    body_reader() noexcept = default;

    /// The reader for `req`'s framing. `limits.max_body` bounds decoded chunked content (413
    /// beyond it); Content-Length has been checked against the same limit by then.
    static body_reader for_request(const request& req, const chunked_decoder::limits& limits) {
        body_reader r;
        if (req.chunked()) {
            // Decoded content, one chunk line, and a trailer line held back whole.
            const std::size_t max = static_cast<std::size_t>(limits.max_body) + limits.max_line +
                                    limits.max_trailer_bytes + 64;
            r.v_.emplace<chunked_body>(chunked_body{chunked_decoder(limits), 0, 0, max, 0});
        } else if (req.content_length() > 0) {
            r.v_.emplace<length_body>(length_body{req.content_length()});
        }
        return r;
    }

    /// Reads the body from the `available` bytes at `body` (the byte after the head).
    body_step read(char* body, std::size_t available) {
        return std::visit([&](auto& b) { return b.read(body, available); }, v_);
    }
    /// Content bytes received so far (the minimum-rate deadline grows with them).
    [[nodiscard]] std::uint64_t received(std::size_t available) const {
        return std::visit([&](const auto& b) { return b.received(available); }, v_);
    }
    /// Frees buffer space the reading left unused; returns the bytes after the body's start
    /// still in use (≤ `available`).
    std::size_t reclaim(char* body, std::size_t available) {
        return std::visit([&](auto& b) { return b.reclaim(body, available); }, v_);
    }
    /// Bytes the input buffer may need beyond the head to hold this body: the buffer grows up
    /// to that as bytes arrive, never because of a declared length alone.
    [[nodiscard]] std::size_t max_bytes() const {
        return std::visit([](const auto& b) { return b.max_bytes(); }, v_);
    }
    [[nodiscard]] bool has_content() const noexcept { return !std::holds_alternative<no_body>(v_); }

  private:
    std::variant<no_body, length_body, chunked_body> v_;
};

} // namespace detail
MINIHTTP_NAMESPACE_END
