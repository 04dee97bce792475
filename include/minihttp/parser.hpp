#pragma once
/// @file
/// The request-head reader: a strict, zero-copy, allocation-free parser of request heads
/// (RFC 9112 §2–§3, §5–§6). The chunked content decoder lives in <minihttp/chunked.hpp>.
///
/// `parse_request` is a pure function of its input: no I/O, no clock. It re-parses from the start
/// of the head each time it is called (as picohttpparser does); the engine only calls it again
/// once a new line has arrived, so a slow client costs O(head size) per line, not per byte.

#include <minihttp/detail/chars.hpp>
#include <minihttp/request.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN

/// Size limits applied while parsing a head. Defaults are those of DESIGN.md.
struct parse_limits {
    std::size_t max_request_line = 8192; ///< bytes of the request line without CRLF, else 414
    std::size_t max_header_bytes = 8192; ///< bytes of the field section incl. CRLFs, else 431
    std::size_t max_header_fields = 100; ///< field lines, else 431
};

enum class parse_status : std::uint8_t { complete, need_more, error };

/// Outcome of a parse step. On `complete`, `consumed` is the size of the head (including any
/// empty lines before it). On `error`, `error` is the status to answer with; the connection must
/// then close, since the framing of anything after the error is unknown.
struct parse_result {
    parse_status state = parse_status::need_more;
    std::size_t consumed = 0;
    http::status error = http::status::ok;
    std::string_view reason; ///< on error: a short static description, for logs
};

namespace detail {

/// True if `host` is a valid `uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2): a
/// reg-name, an IPv4 address, or a bracketed IPv6 / IPvFuture literal, then an optional port.
/// An empty host is refused: an "http" URI must have one (RFC 9110 §4.2.1).
/// With `require_port`, the port must be present and non-empty (CONNECT's authority-form).
[[nodiscard]] inline bool valid_authority(std::string_view a, bool require_port = false) noexcept {
    std::string_view host = a, port;
    bool has_port = false;
    if (!a.empty() && a.front() == '[') {
        const auto close = a.find(']');
        if (close == std::string_view::npos) return false;
        host = a.substr(0, close + 1);
        const auto rest = a.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return false;
            port = rest.substr(1);
            has_port = true;
        }
        const auto inner = host.substr(1, host.size() - 2);
        if (inner.empty()) return false;
        if (inner.front() == 'v' || inner.front() == 'V') {
            // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            std::size_t i = 1;
            while (i < inner.size() && is_hex(inner[i])) ++i;
            if (i == 1 || i >= inner.size() || inner[i] != '.' || i + 1 == inner.size())
                return false;
            for (++i; i < inner.size(); ++i)
                if (!is(inner[i], cc_reg_name) && inner[i] != ':') return false;
        } else {
            // IPv6address has only HEXDIG, ":" and "." (RFC 3986 §3.2.2). Checked before
            // inet_pton, which would stop at a NUL and accept "[::1\0junk]".
            if (inner.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
                return false;
            char buf[INET6_ADDRSTRLEN + 1];
            if (inner.size() >= sizeof buf) return false;
            std::memcpy(buf, inner.data(), inner.size());
            buf[inner.size()] = '\0';
            in6_addr addr{};
            if (inet_pton(AF_INET6, buf, &addr) != 1) return false;
        }
    } else {
        const auto colon = a.find(':');
        if (colon != std::string_view::npos) {
            host = a.substr(0, colon);
            port = a.substr(colon + 1);
            has_port = true;
        }
        if (host.empty()) return false;
        for (std::size_t i = 0; i < host.size(); ++i) {
            if (host[i] == '%') {
                if (i + 2 >= host.size() || !is_hex(host[i + 1]) || !is_hex(host[i + 2]))
                    return false;
                i += 2;
            } else if (!is(host[i], cc_reg_name)) {
                return false;
            }
        }
    }
    if (require_port && port.empty()) return false;
    (void)has_port;
    if (port.size() > 5) return false;
    for (char c : port)
        if (!is_digit(c)) return false;
    return true;
}

/// Parses one Content-Length field value into `out`, merging with a previous value when
/// `seen` is set. Accepts a list of identical values ("42, 42"), which RFC 9110 §8.6 allows a
/// recipient to collapse; anything that is not 1*DIGIT, an overflow, or differing values is
/// invalid (a request-smuggling vector, RFC 9112 §6.3).
[[nodiscard]] inline bool merge_content_length(std::string_view value, std::uint64_t& out,
                                               bool& seen) noexcept {
    bool any = false;
    while (true) {
        const auto comma = value.find(',');
        const auto element = trim_ows(value.substr(0, comma));
        std::uint64_t v = 0;
        if (!parse_u64(element, v)) return false;
        if (seen && v != out) return false;
        out = v;
        seen = any = true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return any;
}

/// Outcome of reading the Transfer-Encoding fields.
struct transfer_coding_state {
    bool any = false;          // at least one coding
    bool chunked_seen = false; // "chunked" appeared
    bool chunked_last = false; // the final coding is "chunked"
    bool other = false;        // a coding other than chunked appeared
    bool malformed = false;    // a syntax error, or chunked applied twice / with parameters
};

/// Folds one Transfer-Encoding field value into `st` (RFC 9112 §6.1):
/// `#( token *( OWS ";" OWS token BWS "=" BWS ( token / quoted-string ) ) )`.
inline void merge_transfer_encoding(std::string_view v, transfer_coding_state& st) noexcept {
    std::size_t i = 0;
    const std::size_t n = v.size();
    auto skip_ows = [&] {
        while (i < n && is_ows(v[i])) ++i;
    };
    auto token = [&] {
        const std::size_t s = i;
        while (i < n && is_tchar(v[i])) ++i;
        return v.substr(s, i - s);
    };
    while (true) {
        skip_ows();
        if (i == n) return;
        if (v[i] == ',') { // empty list element: ignored (RFC 9110 §5.6.1)
            ++i;
            continue;
        }
        const auto coding = token();
        if (coding.empty()) {
            st.malformed = true;
            return;
        }
        const bool is_chunked = iequals(coding, "chunked");
        bool has_params = false;
        skip_ows();
        while (i < n && v[i] == ';') {
            ++i;
            skip_ows();
            if (token().empty()) {
                st.malformed = true;
                return;
            }
            skip_ows();
            if (i == n || v[i] != '=') {
                st.malformed = true;
                return;
            }
            ++i;
            skip_ows();
            if (i < n && v[i] == '"') {
                ++i;
                bool closed = false;
                while (i < n) {
                    const char c = v[i++];
                    if (c == '"') {
                        closed = true;
                        break;
                    }
                    if (c == '\\') {
                        if (i == n) break;
                        ++i;
                    }
                }
                if (!closed) {
                    st.malformed = true;
                    return;
                }
            } else if (token().empty()) {
                st.malformed = true;
                return;
            }
            has_params = true;
            skip_ows();
        }
        if (i < n && v[i] != ',') {
            st.malformed = true;
            return;
        }
        st.any = true;
        if (is_chunked) {
            // A sender MUST NOT apply chunked more than once (RFC 9112 §6.1); it has no parameters.
            if (st.chunked_seen || has_params) st.malformed = true;
            st.chunked_seen = true;
            st.chunked_last = true;
        } else {
            st.other = true;
            st.chunked_last = false;
        }
        if (i == n) return;
        ++i; // ','
    }
}

} // namespace detail

/// Parses a request head from `in` into `out`.
///
/// Returns `complete` with the head's size, `need_more` when `in` holds a valid prefix, or
/// `error` with the status to answer (400, 414, 417, 431, 501, 505) per DESIGN.md's input rules.
/// The views stored in `out` point into `in`. Allocates only if `out` has room for fewer than
/// `lim.max_header_fields` fields (a request reserves 32; the engine reserves the limit), and
/// then throws nothing but std::bad_alloc. Thread-safety: pure; concurrent calls on distinct
/// `out` objects are safe.
[[nodiscard]] inline parse_result parse_request(std::string_view in, request& out,
                                                const parse_limits& lim = {}) {
    using detail::is;
    using detail::is_ows;
    using detail::is_tchar;
    using detail::request_access;

    request_access::reset(out);
    const char* const begin = in.data();
    const char* const end = begin + in.size();
    const char* p = begin;
    const auto fail = [](http::status s, std::string_view why) {
        return parse_result{parse_status::error, 0, s, why};
    };
    constexpr parse_result more{parse_status::need_more, 0, http::status::ok, {}};

    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) received before the
    // request-line. We ignore any number, bounded by the request-line limit.
    while (p < end && (*p == '\r' || *p == '\n')) {
        if (*p == '\n') return fail(status::bad_request, "bare LF"); // bare LF: we require CRLF
        if (p + 1 == end) return more;
        if (p[1] != '\n') return fail(status::bad_request, "bare CR"); // bare CR (RFC 9112 §2.2)
        p += 2;
        if (static_cast<std::size_t>(p - begin) > lim.max_request_line)
            return fail(status::bad_request, "too many empty lines before the request line");
    }

    // request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3). We accept
    // exactly one SP as separator: the lenient whitespace parsing §3 allows is a smuggling risk.
    const char* const line = p;
    const auto line_more = [&]() {
        return static_cast<std::size_t>(end - line) > lim.max_request_line
                   ? fail(status::uri_too_long, "request line too long")
                   : more;
    };
    // A syntax error at byte `at` is answered 414 if the bytes before it are already over the
    // limit (RFC 9112 §3: 414 for a request-target too long): a read that stopped right before
    // `at` got 414, and the answer must not depend on how the stream was split into reads.
    const auto line_fail = [&](const char* at, std::string_view why) {
        return static_cast<std::size_t>(at - line) > lim.max_request_line
                   ? fail(status::uri_too_long, "request line too long")
                   : fail(status::bad_request, why);
    };
    while (p < end && is_tchar(*p)) ++p;
    if (p == end) return line_more();
    if (*p != ' ' || p == line) return line_fail(p, "invalid method"); // method = token
    const std::string_view method_token(line, static_cast<std::size_t>(p - line));
    ++p;

    const char* const target_begin = p;
    while (p < end && is(*p, detail::cc_target)) {
        if (*p == '%') { // pct-encoded = "%" HEXDIG HEXDIG (RFC 3986 §2.1)
            for (const char* h = p + 1; h < p + 3; ++h) { // byte by byte, as reads deliver them
                if (h == end) return line_more();
                if (!detail::is_hex(*h)) return line_fail(h, "invalid percent-encoding in target");
            }
            p += 3;
            continue;
        }
        ++p;
    }
    if (p == end) return line_more();
    // Any byte outside visible ASCII (controls, SP inside, >= 0x80) or a fragment ends up here.
    if (*p != ' ' || p == target_begin) return line_fail(p, "invalid request-target");
    const std::string_view target(target_begin, static_cast<std::size_t>(p - target_begin));
    ++p;

    // HTTP-version = "HTTP" "/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive.
    constexpr std::string_view proto = "HTTP/";
    for (std::size_t i = 0; i < proto.size(); ++i, ++p) {
        if (p == end) return line_more();
        if (*p != proto[i]) return line_fail(p, "invalid HTTP version");
    }
    if (end - p < 5) { // DIGIT "." DIGIT CR LF
        for (const char* q = p; q < end; ++q) {
            const auto k = q - p;
            const bool ok = (k == 1) ? *q == '.' : (k == 3) ? *q == '\r' : detail::is_digit(*q);
            if (!ok) return line_fail(q, "invalid HTTP version");
        }
        // A CR received last ends the line; it is not part of the request-line's length (the
        // limit excludes CRLF, RFC 9112 §3), else a line of exactly the limit would get 414
        // when a read happens to stop between its CR and LF.
        if (end - p == 4 && static_cast<std::size_t>(p + 3 - line) <= lim.max_request_line)
            return more;
        return line_more();
    }
    if (!detail::is_digit(p[0]) || p[1] != '.' || !detail::is_digit(p[2]) || p[3] != '\r' ||
        p[4] != '\n') {
        // The first wrong byte; a wrong LF counts from the CR, which the limit excludes.
        const char* at = !detail::is_digit(p[0])   ? p
                         : p[1] != '.'             ? p + 1
                         : !detail::is_digit(p[2]) ? p + 2
                                                   : p + 3;
        return line_fail(at, "invalid HTTP version");
    }
    if (static_cast<std::size_t>(p + 3 - line) > lim.max_request_line)
        return fail(status::uri_too_long, "request line too long");
    const unsigned major = static_cast<unsigned>(p[0] - '0');
    const unsigned minor = static_cast<unsigned>(p[2] - '0');
    if (major != 1 || minor > 1)
        return fail(status::http_version_not_supported, "unsupported HTTP version");
    p += 5;
    request_access::set_line(out, method_token, target, minor);

    // field-line = field-name ":" OWS field-value OWS CRLF (RFC 9112 §5)
    const char* const fields_begin = p;
    const auto head_more = [&]() {
        return static_cast<std::size_t>(end - fields_begin) > lim.max_header_bytes
                   ? fail(status::request_header_fields_too_large, "header section too large")
                   : more;
    };
    // As line_fail: a syntax error past the limit is answered as a read stopping before it was,
    // 431 (RFC 6585 §5), whatever the split of the stream into reads.
    const auto head_fail = [&](const char* at, std::string_view why) {
        return static_cast<std::size_t>(at - fields_begin) > lim.max_header_bytes
                   ? fail(status::request_header_fields_too_large, "header section too large")
                   : fail(status::bad_request, why);
    };
    auto& fields = request_access::fields(out);
    for (;;) {
        if (p == end) return head_more();
        if (*p == '\r') {
            if (p + 1 == end) return head_more();
            if (p[1] != '\n') return head_fail(p + 1, "bare CR");
            p += 2;
            break;
        }
        // A line starting with whitespace is obs-fold, or whitespace between the start-line and
        // the first field: both rejected (RFC 9112 §5.2, §2.2).
        if (*p == '\n' || is_ows(*p))
            return head_fail(p, "obs-fold or whitespace before a field line");
        const char* const name = p;
        while (p < end && is_tchar(*p)) ++p;
        if (p == end) return head_more();
        // No whitespace is allowed between the field name and colon (RFC 9112 §5.1: MUST 400).
        if (*p != ':' || p == name)
            return head_fail(p, "invalid field name or whitespace before colon");
        const std::string_view field_name(name, static_cast<std::size_t>(p - name));
        ++p;
        while (p < end && is_ows(*p)) ++p;
        const char* const value = p;
        while (p < end && is(*p, detail::cc_field_vchar)) ++p;
        if (p == end || (*p == '\r' && p + 1 == end)) return head_more();
        // CR, LF and NUL are never allowed in a value (RFC 9110 §5.5); nor other controls.
        if (*p != '\r' || p[1] != '\n')
            return head_fail(*p != '\r' ? p : p + 1, "invalid byte in field value");
        const char* value_end = p;
        while (value_end > value && is_ows(value_end[-1])) --value_end;
        p += 2;
        if (static_cast<std::size_t>(p - fields_begin) > lim.max_header_bytes ||
            fields.size() >= lim.max_header_fields)
            return fail(status::request_header_fields_too_large,
                        "too many header fields or header section too large");
        fields.push_back({field_name, {value, static_cast<std::size_t>(value_end - value)}});
    }
    if (static_cast<std::size_t>(p - fields_begin) > lim.max_header_bytes)
        return fail(status::request_header_fields_too_large, "header section too large");
    const std::size_t head_size = static_cast<std::size_t>(p - begin);

    // request-target forms (RFC 9112 §3.2).
    const http::method m = out.method();
    if (target == "*") {
        if (m != http::method::options)
            return fail(status::bad_request,
                        "asterisk-form target with a method other than OPTIONS"); // §3.2.4
        request_access::set_target_parts(out, target_form::asterisk, target, {}, {});
    } else if (target.front() == '/') {
        const auto q = target.find('?');
        request_access::set_target_parts(
            out, target_form::origin, target.substr(0, q),
            q == std::string_view::npos ? std::string_view{} : target.substr(q + 1), {});
    } else if (m == http::method::connect) {
        if (!detail::valid_authority(target, true))
            return fail(status::bad_request, "invalid CONNECT authority"); // §3.2.3
        request_access::set_target_parts(out, target_form::authority, {}, {}, target);
    } else {
        // absolute-form = scheme "://" authority path-abempty [ "?" query ]; only http(s).
        const auto colon = target.find("://");
        if (colon == std::string_view::npos)
            return fail(status::bad_request, "invalid request-target");
        const auto scheme = target.substr(0, colon);
        if (!detail::iequals(scheme, "http") && !detail::iequals(scheme, "https"))
            return fail(status::bad_request, "unsupported URI scheme");
        auto rest = target.substr(colon + 3);
        const auto auth_end = rest.find_first_of("/?");
        const auto authority = rest.substr(0, auth_end);
        // userinfo in an http(s) URI is treated as an error (RFC 9110 §4.2.4).
        if (authority.find('@') != std::string_view::npos || !detail::valid_authority(authority))
            return fail(status::bad_request, "invalid authority in absolute-form target");
        rest = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
        const auto q = rest.find('?');
        std::string_view path = rest.substr(0, q);
        if (path.empty()) path = "/";
        request_access::set_target_parts(
            out, target_form::absolute, path,
            q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1), authority);
    }
    if (m == http::method::connect && out.form() != target_form::authority)
        return fail(status::bad_request, "CONNECT without authority-form target");

    // Framing and connection fields.
    std::size_t host_count = 0;
    std::string_view host_value;
    std::uint64_t content_length = 0;
    bool has_cl = false, cl_invalid = false;
    detail::transfer_coding_state te;
    bool has_te = false;
    bool conn_close = false, conn_keep_alive = false, conn_invalid = false;
    bool expect_continue = false, expect_other = false;
    for (const auto& f : fields) {
        switch (detail::ascii_lower(f.name.front())) {
        case 'h':
            if (detail::iequals(f.name, "host")) {
                ++host_count;
                host_value = f.value;
            }
            break;
        case 'c':
            if (detail::iequals(f.name, "content-length")) {
                if (!detail::merge_content_length(f.value, content_length, has_cl))
                    cl_invalid = true;
            } else if (detail::iequals(f.name, "connection")) {
                detail::for_each_list_element(f.value, [&](std::string_view opt) {
                    if (!detail::is_token(opt))
                        conn_invalid = true;
                    else if (detail::iequals(opt, "close"))
                        conn_close = true;
                    else if (detail::iequals(opt, "keep-alive"))
                        conn_keep_alive = true;
                    return true;
                });
            }
            break;
        case 't':
            if (detail::iequals(f.name, "transfer-encoding")) {
                has_te = true;
                detail::merge_transfer_encoding(f.value, te);
            }
            break;
        case 'e':
            if (detail::iequals(f.name, "expect")) {
                detail::for_each_list_element(f.value, [&](std::string_view e) {
                    if (detail::iequals(e, "100-continue"))
                        expect_continue = true;
                    else
                        expect_other = true;
                    return true;
                });
            }
            break;
        default: break;
        }
    }

    // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, with several, or an invalid one.
    if (host_count > 1 || (host_count == 0 && minor == 1))
        return fail(status::bad_request, "missing or repeated Host");
    if (host_count == 1 && !detail::valid_authority(host_value))
        return fail(status::bad_request, "invalid Host");
    if (out.form() != target_form::absolute && out.form() != target_form::authority)
        request_access::set_host(out, host_value);
    if (conn_invalid) return fail(status::bad_request, "invalid Connection option");

    bool chunked = false;
    if (has_te) {
        // RFC 9112 §6.1: TE in HTTP/1.0 means faulty framing; with Content-Length it is a
        // smuggling attempt (§6.3 allows processing, but closing with 400 is the safe reading).
        if (minor == 0 || has_cl || cl_invalid)
            return fail(status::bad_request,
                        "Transfer-Encoding with Content-Length or in HTTP/1.0");
        if (te.malformed || !te.any || !te.chunked_last)
            return fail(status::bad_request, "Transfer-Encoding does not end in chunked"); // §6.3
        if (te.other)
            return fail(status::not_implemented,
                        "unsupported transfer coding"); // a coding we don't implement
        chunked = true;
    } else if (cl_invalid) {
        return fail(status::bad_request, "invalid Content-Length"); // §6.3: invalid Content-Length
    }
    // RFC 9110 §10.1.1: an expectation other than 100-continue MAY be answered 417; HTTP/1.0
    // requests' 100-continue is ignored.
    if (expect_other) return fail(status::expectation_failed, "unsupported expectation");
    const bool keep_alive = minor == 1 ? !conn_close : (conn_keep_alive && !conn_close);
    const bool has_body = chunked || content_length > 0;
    request_access::set_framing(out, content_length, chunked, keep_alive,
                                expect_continue && minor == 1 && has_body);
    return {parse_status::complete, head_size, status::ok, {}};
}

MINIHTTP_NAMESPACE_END
