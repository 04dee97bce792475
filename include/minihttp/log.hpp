#pragma once
/// @file
/// `http::log_to`: one log message built from parts without allocating, for the policies'
/// `std::function<void(std::string_view)>` sinks; and `http::access_json`, the JSON-lines form
/// of an access log entry. Apart from `logger.hpp`, which owns a thread: a policy that only
/// formats messages needs none of that.

#include <minihttp/options.hpp>
#include <minihttp/version.hpp>

#include <time.h>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN

namespace detail {
inline void append_log_part(std::string& out, std::string_view part) { out.append(part); }
inline void append_log_part(std::string& out, char part) { out.push_back(part); }
template <class Int>
requires std::is_integral_v<Int> &&(!std::is_same_v<Int, char>)&&(
    !std::is_same_v<Int, bool>)inline void append_log_part(std::string& out, Int part) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, part);
    out.append(digits, r.ptr);
}
} // namespace detail

/// Hands `sink` one message made of `parts` (strings, characters and integers, concatenated),
/// built in a buffer this thread reuses: a policy logging on every request allocates nothing
/// once warm, where `"a" + std::string(b) + ...` would allocate several times per line. Does
/// nothing if `sink` is empty. The view passed to `sink` is valid only during the call.
/// Thread-safety: as `sink`; re-entrant (a sink that logs again gets a buffer of its own).
template <class... Parts>
void log_to(const std::function<void(std::string_view)>& sink, const Parts&... parts) {
    if (!sink) return;
    thread_local std::string reused;
    thread_local bool busy = false;
    std::string own;
    std::string& line = busy ? own : reused;
    line.clear();
    (detail::append_log_part(line, parts), ...);
    const bool was_busy = std::exchange(busy, true);
    struct release {
        bool& flag;
        bool previous;
        ~release() { flag = previous; }
    } guard{busy, was_busy};
    sink(line);
}

namespace detail {
// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 §4), or 0 if it is not one.
[[nodiscard]] inline std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const auto in = [](unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
    const unsigned char c = b(0);
    const std::size_t left = s.size() - i;
    if (in(c, 0xC2, 0xDF)) return left >= 2 && in(b(1), 0x80, 0xBF) ? 2 : 0;
    if (in(c, 0xE0, 0xEF)) {
        const unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return left >= 3 && in(b(1), lo, hi) && in(b(2), 0x80, 0xBF) ? 3 : 0;
    }
    if (in(c, 0xF0, 0xF4)) {
        const unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return left >= 4 && in(b(1), lo, hi) && in(b(2), 0x80, 0xBF) && in(b(3), 0x80, 0xBF) ? 4
                                                                                             : 0;
    }
    return 0;
}

// Appends `s` as a JSON string (RFC 8259 §7). Bytes that are not well-formed UTF-8 (a header
// may carry any obs-text) are written as \u00XX of their value, so the line stays valid JSON
// whatever the client sent.
inline void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            if (const std::size_t n = utf8_sequence(s, i); n != 0) {
                out.append(s.substr(i, n));
                i += n;
                continue;
            }
        }
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c == '\n') {
            out.append("\\n");
        } else if (c == '\r') {
            out.append("\\r");
        } else if (c == '\t') {
            out.append("\\t");
        } else if (c < 0x20 || c >= 0x7F) {
            out.append("\\u00");
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        } else {
            out.push_back(static_cast<char>(c));
        }
        ++i;
    }
    out.push_back('"');
}
} // namespace detail

/// The JSON-lines form of an access log entry: one object, without the newline, with `time`
/// (`when`, RFC 3339 in UTC with milliseconds), `client` (the peer's address), `method`,
/// `target`, `status`, `bytes` (body bytes sent), `duration_us` and `user_agent` (null if the
/// request had none). Strings are escaped so that the line is valid JSON for any input.
/// Throws std::bad_alloc. Thread-safe (no shared state).
[[nodiscard]] inline std::string access_json(const access_entry& e,
                                             std::chrono::system_clock::time_point when) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(when.time_since_epoch()).count();
    const time_t secs = static_cast<time_t>(ms / 1000);
    tm t{};
    ::gmtime_r(&secs, &t);
    char stamp[40];
    const auto frac = static_cast<int>(ms % 1000);
    const int len =
        std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                      t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, frac < 0 ? 0 : frac);
    std::string out;
    out.reserve(160 + e.target.size() + e.user_agent.size());
    out.append("{\"time\":\"").append(stamp, static_cast<std::size_t>(len > 0 ? len : 0));
    out.append("\",\"client\":");
    detail::append_json_string(out, e.peer.address());
    out.append(",\"method\":");
    detail::append_json_string(out, e.method);
    out.append(",\"target\":");
    detail::append_json_string(out, e.target);
    out.append(",\"status\":");
    detail::append_log_part(out, to_int(e.status));
    out.append(",\"bytes\":");
    detail::append_log_part(out, e.body_bytes);
    out.append(",\"duration_us\":");
    detail::append_log_part(out, static_cast<std::int64_t>(e.duration.count()));
    out.append(",\"user_agent\":");
    if (e.user_agent.empty())
        out.append("null");
    else
        detail::append_json_string(out, e.user_agent);
    out.push_back('}');
    return out;
}

MINIHTTP_NAMESPACE_END
