#pragma once
/// @file
/// `http::errc`: a stable name for every rule the request reader and the engine enforce, with
/// the status it is answered with and a short message; a `std::error_category` makes each one a
/// `std::error_code`. Tests and logs name the rule that fired (llhttp's HPE_* codes, Beast's
/// `http::error`), not only the status, which many rules share.

#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

MINIHTTP_NAMESPACE_BEGIN

/// Why the engine refused a request or closed a connection. Values are stable: new rules get
/// new values at the end, none is ever renumbered. 0 means "no error".
enum class errc : std::uint8_t {
    // Request line (RFC 9112 §2–§3).
    bare_lf = 1,              ///< a line ended by LF without CR (400)
    bare_cr,                  ///< a CR not followed by LF (400, RFC 9112 §2.2)
    too_many_empty_lines,     ///< CRLFs before the request line beyond the line limit (400)
    request_line_too_long,    ///< the request line exceeds `max_request_line` (414)
    invalid_method,           ///< the method is not a token (400)
    invalid_percent_encoding, ///< "%" in the target not followed by two hex digits (400)
    invalid_target,           ///< a request-target byte outside visible ASCII, or empty (400)
    invalid_version,          ///< not `HTTP/DIGIT.DIGIT` (400)
    unsupported_version,      ///< a version other than HTTP/1.0 and HTTP/1.1 (505)
    // Field section (RFC 9112 §5).
    header_section_too_large, ///< the field section exceeds `max_header_bytes` (431)
    too_many_fields,          ///< more than `max_header_fields` field lines (431)
    obs_fold,                 ///< a field line starting with whitespace (400, RFC 9112 §5.2)
    invalid_field_name,       ///< not a token, or whitespace before the colon (400, §5.1)
    invalid_field_value,      ///< CR, LF, NUL or another control byte in a value (400)
    // Target forms and Host (RFC 9112 §3.2, RFC 9110 §7.2).
    asterisk_form_not_options, ///< "*" with a method other than OPTIONS (400)
    invalid_authority,         ///< a malformed authority-form or absolute-form authority (400)
    unsupported_scheme,        ///< an absolute-form target that is not http(s) (400)
    connect_without_authority, ///< CONNECT without an authority-form target (400)
    missing_host,              ///< HTTP/1.1 without Host (400, RFC 9112 §3.2)
    duplicate_host,            ///< more than one Host field (400)
    invalid_host,              ///< Host is not `uri-host [":" port]` (400)
    invalid_connection_option, ///< a Connection option that is not a token (400)
    // Framing (RFC 9112 §6).
    invalid_content_length,        ///< not 1*DIGIT, overflowing, or differing values (400)
    transfer_encoding_with_length, ///< Transfer-Encoding and Content-Length together (400)
    transfer_encoding_in_http10,   ///< Transfer-Encoding in an HTTP/1.0 request (400)
    invalid_transfer_encoding,     ///< malformed, or the final coding is not chunked (400)
    unsupported_transfer_coding,   ///< a valid coding other than chunked (501)
    unsupported_expectation,       ///< an Expect other than 100-continue (417)
    // Chunked content (RFC 9112 §7.1).
    invalid_chunk_size,        ///< a chunk size that is not 1*HEXDIG (400)
    chunk_size_overflow,       ///< a chunk size over 64 bits (400)
    chunk_line_too_long,       ///< a chunk-size line with extensions over 4 KiB (400)
    invalid_chunk_extension,   ///< chunk-ext syntax (400)
    chunk_line_not_crlf,       ///< a chunk-size line not ended by CRLF (400)
    chunk_data_not_crlf,       ///< chunk data not followed by CRLF (400)
    invalid_trailer_field,     ///< a trailer field line that a head would refuse (400)
    trailer_section_too_large, ///< the trailer section exceeds the header limits (431)
    // Limits and timeouts enforced by the engine.
    body_too_large,                  ///< content over `max_body_bytes` (413)
    head_timeout,                    ///< no complete head within `header_timeout` (408)
    body_timeout,                    ///< content slower than `min_body_rate` allows (408)
    unknown_method,                  ///< a method the server does not know (501)
    connect_not_supported,           ///< CONNECT: no tunnelling (501)
    too_many_connections,            ///< `max_connections` reached (503)
    too_many_connections_per_client, ///< `max_connections_per_client` reached (503)
    handler_failed,                  ///< the handler threw or returned no final status (500)
    // Chunked content, appended at the end so that no value above moves.
    data_after_chunked_body, ///< a chunked decoder fed more bytes after its last chunk (400)
};

namespace detail {
struct errc_info {
    http::status status;
    std::string_view message;
};

/// The status each rule is answered with, and its message. Indexed by the enum's value.
[[nodiscard]] constexpr errc_info errc_table(errc e) noexcept {
    using s = http::status;
    switch (e) {
    case errc::bare_lf: return {s::bad_request, "bare LF"};
    case errc::bare_cr: return {s::bad_request, "bare CR"};
    case errc::too_many_empty_lines:
        return {s::bad_request, "too many empty lines before the request line"};
    case errc::request_line_too_long: return {s::uri_too_long, "request line too long"};
    case errc::invalid_method: return {s::bad_request, "invalid method"};
    case errc::invalid_percent_encoding:
        return {s::bad_request, "invalid percent-encoding in target"};
    case errc::invalid_target: return {s::bad_request, "invalid request-target"};
    case errc::invalid_version: return {s::bad_request, "invalid HTTP version"};
    case errc::unsupported_version:
        return {s::http_version_not_supported, "unsupported HTTP version"};
    case errc::header_section_too_large:
        return {s::request_header_fields_too_large, "header section too large"};
    case errc::too_many_fields:
        return {s::request_header_fields_too_large, "too many header fields"};
    case errc::obs_fold: return {s::bad_request, "obs-fold or whitespace before a field line"};
    case errc::invalid_field_name:
        return {s::bad_request, "invalid field name or whitespace before colon"};
    case errc::invalid_field_value: return {s::bad_request, "invalid byte in field value"};
    case errc::asterisk_form_not_options:
        return {s::bad_request, "asterisk-form target with a method other than OPTIONS"};
    case errc::invalid_authority: return {s::bad_request, "invalid authority in request-target"};
    case errc::unsupported_scheme: return {s::bad_request, "unsupported URI scheme"};
    case errc::connect_without_authority:
        return {s::bad_request, "CONNECT without authority-form target"};
    case errc::missing_host: return {s::bad_request, "missing Host"};
    case errc::duplicate_host: return {s::bad_request, "repeated Host"};
    case errc::invalid_host: return {s::bad_request, "invalid Host"};
    case errc::invalid_connection_option: return {s::bad_request, "invalid Connection option"};
    case errc::invalid_content_length: return {s::bad_request, "invalid Content-Length"};
    case errc::transfer_encoding_with_length:
        return {s::bad_request, "Transfer-Encoding with Content-Length"};
    case errc::transfer_encoding_in_http10:
        return {s::bad_request, "Transfer-Encoding in HTTP/1.0"};
    case errc::invalid_transfer_encoding:
        return {s::bad_request, "Transfer-Encoding does not end in chunked"};
    case errc::unsupported_transfer_coding:
        return {s::not_implemented, "unsupported transfer coding"};
    case errc::unsupported_expectation: return {s::expectation_failed, "unsupported expectation"};
    case errc::invalid_chunk_size: return {s::bad_request, "invalid chunk size"};
    case errc::chunk_size_overflow: return {s::bad_request, "chunk size overflow"};
    case errc::chunk_line_too_long: return {s::bad_request, "chunk line too long"};
    case errc::invalid_chunk_extension: return {s::bad_request, "invalid chunk extension"};
    case errc::chunk_line_not_crlf: return {s::bad_request, "chunk size line not ended by CRLF"};
    case errc::chunk_data_not_crlf: return {s::bad_request, "chunk data not followed by CRLF"};
    case errc::invalid_trailer_field: return {s::bad_request, "invalid trailer field"};
    case errc::trailer_section_too_large:
        return {s::request_header_fields_too_large, "trailer section too large"};
    case errc::body_too_large: return {s::content_too_large, "request content too large"};
    case errc::head_timeout: return {s::request_timeout, "request head timeout"};
    case errc::body_timeout: return {s::request_timeout, "request body too slow"};
    case errc::unknown_method: return {s::not_implemented, "unknown method"};
    case errc::connect_not_supported: return {s::not_implemented, "CONNECT is not supported"};
    case errc::too_many_connections: return {s::service_unavailable, "max_connections reached"};
    case errc::too_many_connections_per_client:
        return {s::service_unavailable, "max_connections_per_client reached"};
    case errc::handler_failed: return {s::internal_server_error, "handler failed"};
    case errc::data_after_chunked_body:
        return {s::bad_request, "data after the end of a chunked body"};
    }
    return {s::internal_server_error, "unknown error"};
}
} // namespace detail

/// The status a rule is answered with (400, 408, 413, 414, 417, 431, 500, 501, 503, 505).
[[nodiscard]] constexpr http::status status_of(errc e) noexcept {
    return detail::errc_table(e).status;
}
/// A short, static description of the rule, for logs ("bare CR", "invalid Host").
[[nodiscard]] constexpr std::string_view message_of(errc e) noexcept {
    return detail::errc_table(e).message;
}

/// The category of `http::errc` error codes ("minihttp"). Thread-safe; a singleton.
[[nodiscard]] inline const std::error_category& error_category() noexcept {
    struct category final : std::error_category {
        [[nodiscard]] const char* name() const noexcept override { return "minihttp"; }
        [[nodiscard]] std::string message(int v) const override {
            return std::string(message_of(static_cast<errc>(v)));
        }
    };
    static const category instance;
    return instance;
}

/// Makes `errc` usable as a `std::error_code` (found by argument-dependent lookup).
[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

MINIHTTP_NAMESPACE_END

template <>
struct std::is_error_code_enum<::MINIHTTP_NAMESPACE::errc> : std::true_type {};
