#pragma once
/// @file
/// `http::chunked_decoder`: an incremental decoder of the chunked transfer coding of request
/// content (RFC 9112 §7.1), trailer section included.
///
/// Like the head parser it is a pure function of its input and its own state: no I/O, no clock.

#include <minihttp/detail/chars.hpp>
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
        std::uint64_t max_body = 1u << 20;    ///< decoded content bytes, else 413
        std::size_t max_line = 4096;          ///< one chunk-size line with extensions, else 400
        std::size_t max_trailer_bytes = 8192; ///< trailer section, else 431
        std::size_t max_trailer_fields = 100; ///< trailer fields, else 431
    };
    struct result {
        parse_status state = parse_status::need_more;
        std::size_t consumed = 0; ///< raw bytes used
        std::size_t produced = 0; ///< content bytes written to `out`
        http::status error = http::status::ok;
        std::string_view reason; ///< on error: a short static description, for logs
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

    /// Decodes as much of `in` as possible. `out` must have room for `in.size()` bytes and may
    /// alias `in` provided `out <= in.data()`. Returns `complete` once the last chunk and the
    /// trailer section are read (`consumed` then stops right after them), `need_more`, or
    /// `error` with the status to answer (400, 413, 431); after an error the connection closes.
    [[nodiscard]] result decode(std::string_view in, char* out) noexcept {
        using detail::is;
        using detail::is_ows;
        using detail::is_tchar;
        result r;
        std::size_t i = 0;
        const std::size_t n = in.size();
        const auto fail = [&](http::status s, std::string_view why) {
            state_ = st::failed;
            r.state = parse_status::error;
            r.error = s;
            r.reason = why;
            r.consumed = i;
            return r;
        };
        while (i < n) {
            const char c = in[i];
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
            ++i;
            if (state_ < st::trailer_start && ++line_ > lim_.max_line)
                return fail(status::bad_request, "chunk line too long");
            switch (state_) {
            case st::size_first:
            case st::size:
                if (detail::is_hex(c)) {
                    if (remaining_ > (UINT64_MAX >> 4))
                        return fail(status::bad_request, "chunk size overflow");
                    remaining_ = (remaining_ << 4) | detail::hex_value(c);
                    state_ = st::size;
                    break;
                }
                if (state_ == st::size_first)
                    return fail(status::bad_request, "invalid chunk size");
                if (remaining_ > lim_.max_body - total_)
                    return fail(status::content_too_large, "chunked body too large");
                if (!after_size(c)) return fail(status::bad_request, "invalid chunk size line");
                break;
            case st::ext_bws_semi: // BWS before ";" or the end of the line
                if (is_ows(c)) {
                    ws_ = true;
                } else if (c == ';') {
                    state_ = st::ext_bws_name;
                } else if (c == '\r' && !ws_) {
                    state_ = st::size_lf;
                } else {
                    return fail(status::bad_request, "invalid chunk extension");
                }
                break;
            case st::ext_bws_eq: // BWS after a name: "=", ";" (no end of line after BWS)
                if (c == '=')
                    state_ = st::ext_bws_value;
                else if (c == ';')
                    state_ = st::ext_bws_name;
                else if (!is_ows(c))
                    return fail(status::bad_request, "invalid chunk extension");
                break;
            case st::ext_bws_name:
                if (is_tchar(c))
                    state_ = st::ext_name;
                else if (!is_ows(c))
                    return fail(status::bad_request, "invalid chunk extension");
                break;
            case st::ext_name:
                if (is_tchar(c)) break;
                if (c == '=')
                    state_ = st::ext_bws_value;
                else if (!after_ext_element(c))
                    return fail(status::bad_request, "invalid chunk extension");
                break;
            case st::ext_bws_value:
                if (c == '"')
                    state_ = st::ext_quoted;
                else if (is_tchar(c))
                    state_ = st::ext_token;
                else if (!is_ows(c))
                    return fail(status::bad_request, "invalid chunk extension");
                break;
            case st::ext_token:
                if (!is_tchar(c) && !after_ext_element(c))
                    return fail(status::bad_request, "invalid chunk extension");
                break;
            case st::ext_quoted: // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
                if (c == '"') {
                    state_ = st::ext_bws_semi;
                    ws_ = false;
                } else if (c == '\\') {
                    state_ = st::ext_quoted_pair;
                } else if (!is(c, detail::cc_field_vchar)) {
                    return fail(status::bad_request, "invalid chunk extension");
                }
                break;
            case st::ext_quoted_pair:
                if (!is(c, detail::cc_field_vchar))
                    return fail(status::bad_request, "invalid chunk extension");
                state_ = st::ext_quoted;
                break;
            case st::size_lf:
                if (c != '\n')
                    return fail(status::bad_request, "chunk size line not ended by CRLF");
                line_ = 0;
                if (remaining_ == 0) {
                    state_ = st::trailer_start;
                } else {
                    total_ += remaining_;
                    state_ = st::data;
                }
                break;
            case st::data_cr:
                if (c != '\r')
                    return fail(status::bad_request,
                                "chunk data not followed by CRLF"); // chunk data must end in CRLF
                state_ = st::data_lf;
                break;
            case st::data_lf:
                if (c != '\n') return fail(status::bad_request, "chunk data not followed by CRLF");
                state_ = st::size_first;
                line_ = 0;
                break;
            case st::trailer_start: // trailer-section = *( field-line CRLF ), then CRLF
                if (++trailer_bytes_ > lim_.max_trailer_bytes)
                    return fail(status::request_header_fields_too_large,
                                "trailer section too large");
                if (c == '\r') {
                    state_ = st::final_lf;
                } else if (is_tchar(c)) {
                    if (++trailer_fields_ > lim_.max_trailer_fields)
                        return fail(status::request_header_fields_too_large,
                                    "too many trailer fields");
                    state_ = st::trailer_name;
                } else {
                    return fail(status::bad_request,
                                "invalid trailer field"); // obs-fold, bare LF, junk
                }
                break;
            case st::trailer_name:
                if (++trailer_bytes_ > lim_.max_trailer_bytes)
                    return fail(status::request_header_fields_too_large,
                                "trailer section too large");
                if (c == ':')
                    state_ = st::trailer_value;
                else if (!is_tchar(c))
                    return fail(status::bad_request, "invalid trailer field");
                break;
            case st::trailer_value:
                if (++trailer_bytes_ > lim_.max_trailer_bytes)
                    return fail(status::request_header_fields_too_large,
                                "trailer section too large");
                if (c == '\r')
                    state_ = st::trailer_lf;
                else if (!is(c, detail::cc_field_vchar))
                    return fail(status::bad_request, "invalid trailer field");
                break;
            case st::trailer_lf:
                // The LFs count too: the limit covers the whole trailer section, CRLFs included,
                // as max_header_bytes does for the head (RFC 9112 §7.1.2: a field section).
                if (++trailer_bytes_ > lim_.max_trailer_bytes)
                    return fail(status::request_header_fields_too_large,
                                "trailer section too large");
                if (c != '\n') return fail(status::bad_request, "invalid trailer field");
                state_ = st::trailer_start;
                break;
            case st::final_lf:
                if (++trailer_bytes_ > lim_.max_trailer_bytes)
                    return fail(status::request_header_fields_too_large,
                                "trailer section too large");
                if (c != '\n') return fail(status::bad_request, "chunked body not ended by CRLF");
                state_ = st::done;
                r.state = parse_status::complete;
                r.consumed = i;
                return r;
            case st::data:
            case st::done:
            case st::failed:
                return fail(status::bad_request, "data after the end of a chunked body");
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
        trailer_start,
        trailer_name,
        trailer_value,
        trailer_lf,
        final_lf,
        done,
        failed,
    };

    // chunk-size [ chunk-ext ] CRLF, chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
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
    // After an extension name or token value: BWS, "=", ";" or the end of the line.
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
    bool ws_ = false;
};

MINIHTTP_NAMESPACE_END
