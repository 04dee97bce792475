#pragma once
/// @file
/// Writes response heads and chunk framing into a caller's buffer; never touches a socket.

#include <minihttp/response.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN

/// What the serialiser needs to know about the request being answered.
struct head_context {
    bool head_request = false;  ///< HEAD: same fields as GET, no content (RFC 9110 §9.3.2)
    unsigned version_minor = 1; ///< the request's HTTP/1.x minor version
    bool keep_alive = true;     ///< whether the engine intends to keep the connection open
    std::string_view date;      ///< the Date field value (RFC 9110 §6.6.1); omitted if empty
    bool upgrade = false;       ///< a 101 handing the connection to another protocol
};

/// How the content that follows the head is delimited.
enum class framing : std::uint8_t {
    none,        ///< no content follows (HEAD, 1xx, 204, 304, or an empty body)
    length,      ///< exactly Content-Length bytes follow
    chunked,     ///< chunked transfer coding follows (RFC 9112 §7.1)
    until_close, ///< content ends when the connection closes (a stream to an HTTP/1.0 client)
};

/// Result of serialising a head.
struct head_result {
    http::framing framing = framing::none;
    bool keep_alive = true; ///< false when the connection must close after this response
};

namespace detail {
inline void append_number(std::string& out, std::uint64_t v) {
    char buf[20];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}
} // namespace detail

/// Appends the status line and fields of `r` to `out`, choosing the framing: Content-Length for
/// bytes and file bodies (also on HEAD, with the length a GET would get), chunked for a stream to
/// HTTP/1.1, close-delimited for a stream to HTTP/1.0, and none for statuses that forbid content
/// (RFC 9110 §6.4.1, §8.6: no Content-Length in 1xx/204). Adds `Connection: close` when the
/// connection will close, `Connection: keep-alive` to an HTTP/1.0 client that keeps it.
/// Always answers as HTTP/1.1 (RFC 9110 §6.2). Throws only std::bad_alloc.
inline head_result serialize_head(std::string& out, const response& r, const head_context& c) {
    using namespace std::string_view_literals; // literals with their length: no strlen per call
    head_result res;
    res.keep_alive = c.keep_alive && !r.closes_connection();
    const http::status s = r.code();
    const bool no_content = status_forbids_body(s);

    std::uint64_t length = 0;
    bool has_length = false;
    switch (r.kind()) {
    case response::body_kind::none: has_length = true; break;
    case response::body_kind::bytes:
    case response::body_kind::shared:
        length = r.body().size();
        has_length = true;
        break;
    case response::body_kind::file:
        length = r.file_length();
        has_length = true;
        break;
    case response::body_kind::stream:
        if (c.version_minor == 0 && !c.head_request && !no_content) res.keep_alive = false;
        break;
    case response::body_kind::deferred: // never serialised: the engine waits for the real one
        has_length = true;
        break;
    }

    out.append("HTTP/1.1 "sv);
    detail::append_number(out, to_int(s));
    out.push_back(' ');
    out.append(reason_phrase(s));
    out.append("\r\n"sv);
    if (!c.date.empty()) out.append("Date: "sv).append(c.date).append("\r\n"sv);
    if (no_content) {
        res.framing = framing::none;
    } else if (has_length) {
        out.append("Content-Length: "sv);
        detail::append_number(out, length);
        out.append("\r\n"sv);
        res.framing = (c.head_request || length == 0) ? framing::none : framing::length;
    } else if (c.version_minor >= 1) {
        out.append("Transfer-Encoding: chunked\r\n"sv);
        res.framing = c.head_request ? framing::none : framing::chunked;
    } else {
        res.framing = c.head_request ? framing::none : framing::until_close;
    }
    if (c.upgrade)
        out.append("Connection: upgrade\r\n"sv); // Upgrade is hop-by-hop (RFC 9110 §7.8)
    else if (!res.keep_alive)
        out.append("Connection: close\r\n"sv);
    else if (c.version_minor == 0)
        out.append("Connection: keep-alive\r\n"sv);
    out.append(r.static_fields());
    out.append(r.fields());
    out.append(detail::response_access::shared_fields(r));
    out.append("\r\n"sv);
    return res;
}

/// Appends the chunk-size line for a chunk of `size` bytes (`size` > 0).
inline void append_chunk_header(std::string& out, std::size_t size) {
    char buf[16];
    const auto r = std::to_chars(buf, buf + sizeof buf, size, 16);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
    out.append("\r\n", 2);
}

/// Bytes to leave free in front of chunk data for its chunk-size line (16 hex digits + CRLF).
inline constexpr std::size_t chunk_prefix_room = 18;

/// Frames `size` > 0 bytes of chunk data at `data` in place (RFC 9112 §7.1): the chunk-size
/// line goes into the `chunk_prefix_room` bytes before `data` and CRLF after the data, so the
/// content is never copied. Returns the first byte of the framed chunk; it ends at
/// `data + size + 2`.
inline char* frame_chunk(char* data, std::size_t size) noexcept {
    char hex[16];
    const auto r = std::to_chars(hex, hex + sizeof hex, size, 16);
    const auto digits = static_cast<std::size_t>(r.ptr - hex);
    char* start = data - digits - 2;
    std::memcpy(start, hex, digits);
    std::memcpy(data - 2, "\r\n", 2);
    std::memcpy(data + size, "\r\n", 2);
    return start;
}

/// The last chunk and an empty trailer section, which end a chunked body.
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

MINIHTTP_NAMESPACE_END
