#pragma once
/// @file
/// `http::chunked_decoder`: an incremental decoder of the chunked transfer coding of request
/// content (RFC 9112 §7.1), trailer section included.
///
/// Like the head parser it is a pure function of its input and its own state: no I/O, no clock.
/// Chunk-size lines are read byte by byte by a small state machine, so a size line may be split
/// anywhere; trailer lines are read whole by the head's field-line parser
/// (`detail::parse_field_line`), so trailers accept and refuse exactly what a head would.

#include <minihttp/detail/chars.hpp>
#include <minihttp/error.hpp>
#include <minihttp/parser.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN

/// Incremental decoder of the chunked transfer coding (RFC 9112 §7.1), trailers included.
///
/// Feed it raw bytes as they arrive; it writes the content to `out`, which may point into the
/// same buffer as the input (in-place decoding: content is never longer than its framing), so
/// the engine decodes a chunked body without a second buffer. Trailer fields are validated and
/// discarded. Thread-safety: one decoder per request; not shared.
class chunked_decoder {
  public:
    struct limits {
        std::uint64_t max_body = 1u << 20; ///< decoded content bytes, else 413
        std::size_t max_line = 4096;       ///< one chunk-size line with extensions, else 400
        /// Trailer section incl. CRLFs, else 431. Counts a trailer line still held back
        /// (see `decode`), so an endless line is refused once it passes the limit.
        std::size_t max_trailer_bytes = 8192;
        std::size_t max_trailer_fields = 100; ///< trailer field lines, else 431
    };
    /// Outcome of one `decode` call. On `error`, `code` names the rule that fired, `error` is
    /// `status_of(code)` and `reason` is `message_of(code)`.
    struct result {
        parse_status state = parse_status::need_more;
        std::size_t consumed = 0; ///< raw bytes used; pass the rest again (see `decode`)
        std::size_t produced = 0; ///< content bytes written to `out`
        http::status error = http::status::ok;
        std::string_view reason; ///< on error: a short static description, for logs
        http::errc code{};       ///< on error: the rule that fired; 0 (no error) otherwise
    };

    chunked_decoder() noexcept = default;
    explicit chunked_decoder(const limits& l) noexcept : lim_(l) {}

    /// Starts a new body with the same limits.
    void reset() noexcept {
        const limits l = lim_;
        *this = chunked_decoder(l);
    }
    /// Content bytes decoded so far.
    [[nodiscard]] std::uint64_t size() const noexcept { return total_; }
    /// True once the last chunk is read and the trailer section is being read.
    [[nodiscard]] bool in_trailers() const noexcept { return state_ == st::trailers; }
    /// Bytes the trailer section may still take (held-back bytes included) before 431.
    [[nodiscard]] std::size_t trailer_room() const noexcept {
        return lim_.max_trailer_bytes - trailer_bytes_;
    }

    /// Decodes as much of `in` as possible. `out` must have room for `in.size()` bytes and may
    /// alias `in` provided `out <= in.data()`. Returns `complete` once the last chunk and the
    /// trailer section are read (`consumed` then stops right after them), `need_more`, or
    /// `error` with the rule broken and the status to answer (400, 413, 431); after an error
    /// the connection closes, and every later call repeats the error.
    ///
    /// Re-feed contract: on `need_more`, `consumed` may be less than `in.size()`. Chunk lines
    /// and data are always consumed whole, but in the trailer section a line is read only once
    /// its CRLF has arrived: the bytes of an incomplete trailer line are left unconsumed, and
    /// the caller passes them again, followed by the bytes that arrive next (the next call's
    /// `in` starts at this call's `in.data() + consumed`; its `out` right after the content
    /// produced so far). At most `max_trailer_bytes` are ever left unconsumed.
    [[nodiscard]] result decode(std::string_view in, char* out) noexcept {
        using detail::is;
        using detail::is_ows;
        using detail::is_tchar;
        result r;
        if (state_ == st::failed) return fail(r, 0, failure_);
        std::size_t i = 0;
        const std::size_t n = in.size();
        while (i < n) {
            if (state_ == st::data) {
                const auto take =
                    static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, n - i));
                std::memmove(out + r.produced, in.data() + i, take);
                r.produced += take;
                remaining_ -= take;
                i += take;
                if (remaining_ == 0) state_ = st::data_cr;
                continue;
            }
            if (state_ == st::trailers) return decode_trailers(in, i, r);
            const char c = in[i];
            ++i;
            if (state_ < st::trailers && ++line_ > lim_.max_line)
                return fail(r, i, errc::chunk_line_too_long);
            // A bare LF in a chunk line ends it for a recipient that accepts one (RFC 9112
            // §2.2); name that, whichever part of the line it interrupts.
            const auto line_fail = [&](errc e) {
                return fail(r, i, c == '\n' ? errc::chunk_line_not_crlf : e);
            };
            switch (state_) {
            case st::size_first:
            case st::size:
                if (detail::is_hex(c)) {
                    if (remaining_ > (UINT64_MAX >> 4))
                        return fail(r, i, errc::chunk_size_overflow);
                    remaining_ = (remaining_ << 4) | detail::hex_value(c);
                    state_ = st::size;
                    break;
                }
                if (state_ == st::size_first) return line_fail(errc::invalid_chunk_size);
                if (remaining_ > lim_.max_body - total_) return fail(r, i, errc::body_too_large);
                if (!after_size(c)) return line_fail(errc::invalid_chunk_size);
                break;
            case st::ext_bws_semi: // BWS before ";" or the end of the line
                if (is_ows(c)) {
                    ws_ = true;
                } else if (c == ';') {
                    state_ = st::ext_bws_name;
                } else if (c == '\r' && !ws_) {
                    state_ = st::size_lf;
                } else {
                    return line_fail(errc::invalid_chunk_extension);
                }
                break;
            case st::ext_bws_eq: // BWS after a name: "=", ";" (no end of line after BWS)
                if (c == '=')
                    state_ = st::ext_bws_value;
                else if (c == ';')
                    state_ = st::ext_bws_name;
                else if (!is_ows(c))
                    return line_fail(errc::invalid_chunk_extension);
                break;
            case st::ext_bws_name:
                if (is_tchar(c))
                    state_ = st::ext_name;
                else if (!is_ows(c))
                    return line_fail(errc::invalid_chunk_extension);
                break;
            case st::ext_name:
                if (is_tchar(c)) break;
                if (c == '=')
                    state_ = st::ext_bws_value;
                else if (!after_ext_element(c))
                    return line_fail(errc::invalid_chunk_extension);
                break;
            case st::ext_bws_value:
                if (c == '"')
                    state_ = st::ext_quoted;
                else if (is_tchar(c))
                    state_ = st::ext_token;
                else if (!is_ows(c))
                    return line_fail(errc::invalid_chunk_extension);
                break;
            case st::ext_token:
                if (!is_tchar(c) && !after_ext_element(c))
                    return line_fail(errc::invalid_chunk_extension);
                break;
            case st::ext_quoted: // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
                if (c == '"') {
                    state_ = st::ext_bws_semi;
                    ws_ = false;
                } else if (c == '\\') {
                    state_ = st::ext_quoted_pair;
                } else if (!is(c, detail::cc_field_vchar)) {
                    return line_fail(errc::invalid_chunk_extension);
                }
                break;
            case st::ext_quoted_pair:
                if (!is(c, detail::cc_field_vchar)) return line_fail(errc::invalid_chunk_extension);
                state_ = st::ext_quoted;
                break;
            case st::size_lf:
                if (c != '\n') return fail(r, i, errc::chunk_line_not_crlf);
                line_ = 0;
                if (remaining_ == 0) {
                    state_ = st::trailers;
                } else {
                    total_ += remaining_;
                    state_ = st::data;
                }
                break;
            case st::data_cr: // chunk-data must end in CRLF
                if (c != '\r') return fail(r, i, errc::chunk_data_not_crlf);
                state_ = st::data_lf;
                break;
            case st::data_lf:
                if (c != '\n') return fail(r, i, errc::chunk_data_not_crlf);
                state_ = st::size_first;
                line_ = 0;
                break;
            case st::done: return fail(r, i, errc::data_after_chunked_body);
            case st::data:
            case st::trailers:
            case st::failed: break; // handled before the switch
            }
        }
        r.consumed = i;
        if (state_ == st::done) r.state = parse_status::complete;
        return r;
    }

  private:
    enum class st : std::uint8_t {
        size_first,
        size,
        ext_bws_semi,
        ext_bws_name,
        ext_name,
        ext_bws_eq,
        ext_bws_value,
        ext_token,
        ext_quoted,
        ext_quoted_pair,
        size_lf,
        data,
        data_cr,
        data_lf,
        trailers,
        done,
        failed,
    };

    /// Fails with rule `e` for good; `consumed` counts the bytes read, the offending one too.
    result fail(result r, std::size_t consumed, errc e) noexcept {
        state_ = st::failed;
        failure_ = e;
        r.state = parse_status::error;
        r.consumed = consumed;
        r.error = status_of(e);
        r.reason = message_of(e);
        r.code = e;
        return r;
    }

    /// Reads the trailer section from `in[i]` on: `*( field-line CRLF ) CRLF` (RFC 9112 §7.1.2),
    /// one whole line at a time with the head's field-line parser. An incomplete line stays
    /// unconsumed until its CRLF arrives (the re-feed contract of `decode`).
    result decode_trailers(std::string_view in, std::size_t i, result r) noexcept {
        const char* const base = in.data();
        const char* const end = base + in.size();
        for (;;) {
            // Bytes the section may still take; the limit counts held-back bytes too, so that a
            // line without end is refused as soon as it passes the limit, not buffered.
            const std::size_t room = lim_.max_trailer_bytes - trailer_bytes_;
            const auto too_large = [&] {
                return fail(r, i + room + 1, errc::trailer_section_too_large);
            };
            const detail::field_line line = detail::parse_field_line(base + i, end);
            switch (line.kind) {
            case detail::field_line_kind::need_more:
                if (in.size() - i > room) return too_large();
                r.consumed = i;
                return r;
            case detail::field_line_kind::error: {
                // As in the head: an error past the limit is answered as the limit, which a
                // read stopping right before the error saw; the answer is split-independent.
                const auto at = static_cast<std::size_t>(line.at - base);
                if (at - i > room) return too_large();
                return fail(r, at + 1, errc::invalid_trailer_field);
            }
            case detail::field_line_kind::field:
            case detail::field_line_kind::section_end: break;
            }
            const auto len = static_cast<std::size_t>(line.next - (base + i));
            if (len > room) return too_large();
            trailer_bytes_ += len;
            i += len;
            if (line.kind == detail::field_line_kind::section_end) {
                state_ = st::done;
                r.state = parse_status::complete;
                r.consumed = i;
                return r;
            }
            // Counted when complete, as the head counts its field lines.
            if (++trailer_fields_ > lim_.max_trailer_fields)
                return fail(r, i, errc::trailer_section_too_large);
        }
    }

    /// The byte after a chunk size's digits (RFC 9112 §7.1.1):
    /// chunk-size [ chunk-ext ] CRLF, chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
    bool after_size(char c) noexcept {
        if (c == '\r') {
            state_ = st::size_lf;
        } else if (c == ';') {
            state_ = st::ext_bws_name;
        } else if (detail::is_ows(c)) {
            state_ = st::ext_bws_semi;
            ws_ = true;
        } else {
            return false;
        }
        return true;
    }
    /// After an extension name or token value: BWS, "=", ";" or the end of the line.
    bool after_ext_element(char c) noexcept {
        if (c == ';') {
            state_ = st::ext_bws_name;
        } else if (c == '\r') {
            state_ = st::size_lf;
        } else if (detail::is_ows(c)) {
            state_ = (state_ == st::ext_name) ? st::ext_bws_eq : st::ext_bws_semi;
            ws_ = true;
        } else {
            return false;
        }
        return true;
    }

    limits lim_{};
    std::uint64_t remaining_ = 0;
    std::uint64_t total_ = 0;
    std::size_t line_ = 0;
    std::size_t trailer_bytes_ = 0;
    std::size_t trailer_fields_ = 0;
    st state_ = st::size_first;
    errc failure_{};
    bool ws_ = false;
};

MINIHTTP_NAMESPACE_END
