#pragma once
/// @file
/// The request-head reader: a strict, zero-copy, allocation-free parser of request heads
/// (RFC 9112 §2–§3, §5–§6). The chunked content decoder lives in <minihttp/chunked.hpp> and
/// reads its trailer section with this file's field-line parser.
///
/// `parse_request` is a pure function of its input: no I/O, no clock. It re-parses from the start
/// of the head each time it is called (as picohttpparser does); the engine only calls it again
/// once a new line has arrived, so a slow client costs O(head size) per line, not per byte.
///
/// It is three steps, each readable alone: the request line (`detail::parse_request_line`), the
/// field lines (`detail::parse_field_section`, one `detail::parse_field_line` per line), and the
/// interpretation of what they say about the target and the framing (`detail::interpret_head`).
/// Every refusal names its rule with an `http::errc`.

#include <minihttp/detail/chars.hpp>
#include <minihttp/error.hpp>
#include <minihttp/request.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN

/// Size limits applied while parsing a head. Defaults are those of DESIGN.md.
struct parse_limits {
    std::size_t max_request_line = 8192; ///< bytes of the request line without CRLF, else 414
    std::size_t max_header_bytes = 8192; ///< bytes of the field section incl. CRLFs, else 431
    std::size_t max_header_fields = 100; ///< field lines, else 431
};

enum class parse_status : std::uint8_t { complete, need_more, error };

/// Outcome of a parse step. On `complete`, `consumed` is the size of the head (including any
/// empty lines before it). On `error`, `code` names the rule that fired, `error` is the status to
/// answer with (`status_of(code)`) and `reason` its static message (`message_of(code)`); the
/// connection must then close, since the framing of anything after the error is unknown.
struct parse_result {
    parse_status state = parse_status::need_more;
    std::size_t consumed = 0;
    http::status error = http::status::ok;
    std::string_view reason; ///< on error: a short static description, for logs
    http::errc code{};       ///< on error: the rule that fired; 0 (no error) otherwise
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

/// The result that refuses a head for rule `e`: status and reason both come from `e`, so the
/// three can never disagree.
[[nodiscard]] constexpr parse_result parse_failure(errc e) noexcept {
    return {parse_status::error, 0, status_of(e), message_of(e), e};
}

/// The result of a step (or the whole head) that read `consumed` bytes; no status, no code.
[[nodiscard]] constexpr parse_result parse_complete(std::size_t consumed) noexcept {
    return {parse_status::complete, consumed, status::ok, {}, {}};
}

/// What `parse_field_line` found at its position.
enum class field_line_kind : std::uint8_t {
    field,       ///< a complete field line; `field` and `next` are set
    section_end, ///< the empty line (CRLF) that ends a field section; `next` is set
    need_more,   ///< the input ends inside the line, which is valid so far
    error,       ///< `code` names the rule, `at` the first byte that broke it
};

/// One field line, or why there is none yet. Views point into the parsed input.
struct field_line {
    field_line_kind kind = field_line_kind::need_more;
    errc code{};
    const char* next = nullptr; ///< the byte after the line's CRLF
    const char* at = nullptr;   ///< on error: the offending byte
    header_field field;         ///< name as received, value without surrounding OWS
};

/// Parses the one line that starts at `p`: a field line, or the empty line ending the section.
/// The head and the chunked trailer section (RFC 9112 §7.1.2: a trailer section is a field
/// section) both read their lines here, so they accept and refuse exactly the same bytes. It
/// keeps no state and applies no limit (each caller applies its own). Never reads at or past
/// `end`.
[[nodiscard]] inline field_line parse_field_line(const char* p, const char* end) noexcept {
    const auto fail = [](const char* at, errc e) {
        return field_line{field_line_kind::error, e, nullptr, at, {}};
    };
    field_line r;
    if (p == end) return r;
    if (*p == '\r') {
        if (p + 1 == end) return r;
        if (p[1] != '\n') return fail(p + 1, errc::bare_cr); // RFC 9112 §2.2
        r.kind = field_line_kind::section_end;
        r.next = p + 2;
        return r;
    }
    // We require CRLF: a bare LF is a line end some recipients see and others don't (§2.2).
    if (*p == '\n') return fail(p, errc::bare_lf);
    // A line starting with whitespace is obs-fold, or whitespace between the start-line and the
    // first field: both rejected (RFC 9112 §5.2, §2.2).
    if (is_ows(*p)) return fail(p, errc::obs_fold);
    // field-line = field-name ":" OWS field-value OWS (RFC 9112 §5); field-name = token.
    const char* const name = p;
    while (p < end && is_tchar(*p)) ++p;
    if (p == end) return r;
    // No whitespace is allowed between the field name and colon (RFC 9112 §5.1: MUST 400).
    if (*p != ':' || p == name) return fail(p, errc::invalid_field_name);
    const std::string_view field_name(name, static_cast<std::size_t>(p - name));
    ++p;
    while (p < end && is_ows(*p)) ++p;
    const char* const value = p;
    while (p < end && is(*p, cc_field_vchar)) ++p;
    if (p == end || (*p == '\r' && p + 1 == end)) return r;
    // CR, LF and NUL are never allowed in a value (RFC 9110 §5.5); nor other controls.
    if (*p != '\r') return fail(p, *p == '\n' ? errc::bare_lf : errc::invalid_field_value);
    if (p[1] != '\n') return fail(p + 1, errc::bare_cr);
    const char* value_end = p;
    while (value_end > value && is_ows(value_end[-1])) --value_end;
    r.kind = field_line_kind::field;
    r.next = p + 2;
    r.field = {field_name, {value, static_cast<std::size_t>(value_end - value)}};
    return r;
}

/// Parses the request line at the start of `in` into `out` (RFC 9112 §3). On `complete`,
/// `consumed` is the line's size with its CRLF.
///
/// request-line = method SP request-target SP HTTP-version CRLF. We accept exactly one SP as
/// separator: the lenient whitespace parsing §3 allows is a smuggling risk.
[[nodiscard]] inline parse_result parse_request_line(std::string_view in, const parse_limits& lim,
                                                     request& out) noexcept {
    const char* const line = in.data();
    const char* const end = line + in.size();
    const char* p = line;
    const auto over = [&](const char* at) {
        return static_cast<std::size_t>(at - line) > lim.max_request_line;
    };
    const auto more = [&] {
        return over(end) ? parse_failure(errc::request_line_too_long) : parse_result{};
    };
    // A syntax error at byte `at` is answered 414 if the bytes before it are already over the
    // limit (RFC 9112 §3: 414 for a request-target too long): a read that stopped right before
    // `at` got 414, and the answer must not depend on how the stream was split into reads.
    const auto fail_at = [&](const char* at, errc e) {
        return parse_failure(over(at) ? errc::request_line_too_long : e);
    };

    while (p < end && is_tchar(*p)) ++p; // method = token
    if (p == end) return more();
    if (*p != ' ' || p == line) return fail_at(p, errc::invalid_method);
    const std::string_view method(line, static_cast<std::size_t>(p - line));
    ++p;

    const char* const target_begin = p;
    while (p < end && is(*p, cc_target)) {
        if (*p == '%') { // pct-encoded = "%" HEXDIG HEXDIG (RFC 3986 §2.1)
            for (const char* h = p + 1; h < p + 3; ++h) { // byte by byte, as reads deliver them
                if (h == end) return more();
                if (!is_hex(*h)) return fail_at(h, errc::invalid_percent_encoding);
            }
            p += 3;
            continue;
        }
        ++p;
    }
    if (p == end) return more();
    // Any byte outside visible ASCII (controls, SP inside, >= 0x80) or a fragment ends up here.
    if (*p != ' ' || p == target_begin) return fail_at(p, errc::invalid_target);
    const std::string_view target(target_begin, static_cast<std::size_t>(p - target_begin));
    ++p;

    // HTTP-version = "HTTP" "/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive.
    constexpr std::string_view proto = "HTTP/";
    for (std::size_t i = 0; i < proto.size(); ++i, ++p) {
        if (p == end) return more();
        if (*p != proto[i]) return fail_at(p, errc::invalid_version);
    }
    // The byte where CRLF should start: an LF there is a bare LF, a CR there is bare when the
    // next byte is not LF (RFC 9112 §2.2); anything else is not a version.
    const auto line_end_error = [](const char* at) {
        return *at == '\n' ? errc::bare_lf : *at == '\r' ? errc::bare_cr : errc::invalid_version;
    };
    if (end - p < 5) { // DIGIT "." DIGIT CR LF
        for (const char* q = p; q < end; ++q) {
            const auto k = q - p;
            const bool ok = (k == 1) ? *q == '.' : (k == 3) ? *q == '\r' : is_digit(*q);
            if (!ok) return fail_at(q, k == 3 ? line_end_error(q) : errc::invalid_version);
        }
        // A CR received last ends the line; it is not part of the request-line's length (the
        // limit excludes CRLF, RFC 9112 §3), else a line of exactly the limit would get 414
        // when a read happens to stop between its CR and LF.
        if (end - p == 4 && !over(p + 3)) return parse_result{};
        return more();
    }
    if (!is_digit(p[0]) || p[1] != '.' || !is_digit(p[2]) || p[3] != '\r' || p[4] != '\n') {
        // The first wrong byte; a wrong LF counts from the CR, which the limit excludes.
        if (!is_digit(p[0])) return fail_at(p, errc::invalid_version);
        if (p[1] != '.') return fail_at(p + 1, errc::invalid_version);
        if (!is_digit(p[2])) return fail_at(p + 2, errc::invalid_version);
        return fail_at(p + 3, line_end_error(p + 3));
    }
    if (over(p + 3)) return parse_failure(errc::request_line_too_long);
    const auto major = static_cast<unsigned>(p[0] - '0');
    const auto minor = static_cast<unsigned>(p[2] - '0');
    if (major != 1 || minor > 1) return parse_failure(errc::unsupported_version);
    request_access::set_line(out, method, target, minor);
    return parse_complete(static_cast<std::size_t>(p + 5 - line));
}

/// Parses the field lines at the start of `in`, up to and including the empty line, appending
/// them to `fields` (RFC 9112 §5). On `complete`, `consumed` is the section's size.
[[nodiscard]] inline parse_result parse_field_section(std::string_view in, const parse_limits& lim,
                                                      std::vector<header_field>& fields) {
    const char* const begin = in.data();
    const char* const end = begin + in.size();
    const auto over = [&](const char* at) {
        return static_cast<std::size_t>(at - begin) > lim.max_header_bytes;
    };
    const char* p = begin;
    for (;;) {
        const field_line line = parse_field_line(p, end);
        switch (line.kind) {
        case field_line_kind::need_more:
            return over(end) ? parse_failure(errc::header_section_too_large) : parse_result{};
        case field_line_kind::error:
            // As for the request line: a syntax error past the limit is answered as a read
            // stopping before it was, 431 (RFC 6585 §5), whatever the split into reads.
            return parse_failure(over(line.at) ? errc::header_section_too_large : line.code);
        case field_line_kind::section_end:
            if (over(line.next)) return parse_failure(errc::header_section_too_large);
            return parse_complete(static_cast<std::size_t>(line.next - begin));
        case field_line_kind::field:
            // Bytes first: a read that stopped inside this line saw the byte limit only.
            if (over(line.next)) return parse_failure(errc::header_section_too_large);
            if (fields.size() >= lim.max_header_fields) return parse_failure(errc::too_many_fields);
            fields.push_back(line.field);
            p = line.next;
            break;
        }
    }
}

/// Classifies the request-target (RFC 9112 §3.2) and stores its parts in `out`; returns the
/// rule it breaks, or `errc{}`. Runs after the field lines, so the line's syntax is known good.
[[nodiscard]] inline errc resolve_target_form(request& out) noexcept {
    const std::string_view target = out.target();
    const http::method m = out.method();
    if (target == "*") {
        if (m != http::method::options) return errc::asterisk_form_not_options; // §3.2.4
        request_access::set_target_parts(out, target_form::asterisk, target, {}, {});
    } else if (target.front() == '/') {
        const auto q = target.find('?');
        request_access::set_target_parts(
            out, target_form::origin, target.substr(0, q),
            q == std::string_view::npos ? std::string_view{} : target.substr(q + 1), {});
    } else if (m == http::method::connect) {
        if (!valid_authority(target, true)) return errc::invalid_authority; // §3.2.3
        request_access::set_target_parts(out, target_form::authority, {}, {}, target);
    } else {
        // absolute-form = scheme "://" authority path-abempty [ "?" query ]; only http(s).
        const auto colon = target.find("://");
        if (colon == std::string_view::npos) return errc::invalid_target;
        const auto scheme = target.substr(0, colon);
        if (!iequals(scheme, "http") && !iequals(scheme, "https")) return errc::unsupported_scheme;
        auto rest = target.substr(colon + 3);
        const auto auth_end = rest.find_first_of("/?");
        const auto authority = rest.substr(0, auth_end);
        // userinfo in an http(s) URI is treated as an error (RFC 9110 §4.2.4).
        if (authority.find('@') != std::string_view::npos || !valid_authority(authority))
            return errc::invalid_authority;
        rest = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
        const auto q = rest.find('?');
        std::string_view path = rest.substr(0, q);
        if (path.empty()) path = "/";
        request_access::set_target_parts(
            out, target_form::absolute, path,
            q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1), authority);
    }
    if (m == http::method::connect && out.form() != target_form::authority)
        return errc::connect_without_authority;
    return {};
}

/// The fields that decide the host, the framing and the connection's persistence, gathered in
/// one pass over the field lines; judged afterwards by `apply_framing`.
struct framing_fields {
    std::size_t host_count = 0;
    std::string_view host;
    std::uint64_t content_length = 0;
    bool has_cl = false, cl_invalid = false;
    bool has_te = false;
    transfer_coding_state te;
    bool conn_close = false, conn_keep_alive = false, conn_invalid = false;
    bool expect_continue = false, expect_other = false;
};

/// Reads Host, Content-Length, Transfer-Encoding, Connection and Expect from `fields`. The
/// switch on the first letter keeps the common case (no framing field) to one comparison.
[[nodiscard]] inline framing_fields
collect_framing_fields(std::span<const header_field> fields) noexcept {
    framing_fields f;
    for (const auto& field : fields) {
        const std::string_view v = field.value;
        switch (ascii_lower(field.name.front())) {
        case 'h':
            if (iequals(field.name, "host")) {
                ++f.host_count;
                f.host = v;
            }
            break;
        case 'c':
            if (iequals(field.name, "content-length")) {
                if (!merge_content_length(v, f.content_length, f.has_cl)) f.cl_invalid = true;
            } else if (iequals(field.name, "connection")) {
                for_each_list_element(v, [&](std::string_view opt) {
                    if (!is_token(opt))
                        f.conn_invalid = true;
                    else if (iequals(opt, "close"))
                        f.conn_close = true;
                    else if (iequals(opt, "keep-alive"))
                        f.conn_keep_alive = true;
                    return true;
                });
            }
            break;
        case 't':
            if (iequals(field.name, "transfer-encoding")) {
                f.has_te = true;
                merge_transfer_encoding(v, f.te);
            }
            break;
        case 'e':
            if (iequals(field.name, "expect")) {
                for_each_list_element(v, [&](std::string_view e) {
                    if (iequals(e, "100-continue"))
                        f.expect_continue = true;
                    else
                        f.expect_other = true;
                    return true;
                });
            }
            break;
        default: break;
        }
    }
    return f;
}

/// Judges the gathered fields in a fixed order (Host, Connection, framing, Expect: the order
/// decides the code when several rules break) and stores the host and framing in `out`;
/// returns the first rule broken, or `errc{}`.
[[nodiscard]] inline errc apply_framing(request& out, const framing_fields& f) noexcept {
    const unsigned minor = out.version_minor();
    // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, with several, or an invalid one.
    if (f.host_count > 1) return errc::duplicate_host;
    if (f.host_count == 0 && minor == 1) return errc::missing_host;
    if (f.host_count == 1 && !valid_authority(f.host)) return errc::invalid_host;
    // §3.2.2: an absolute-form target's authority overrides Host (authority-form has its own).
    if (out.form() != target_form::absolute && out.form() != target_form::authority)
        request_access::set_host(out, f.host);
    if (f.conn_invalid) return errc::invalid_connection_option; // RFC 9110 §7.6.1: tokens

    bool chunked = false;
    if (f.has_te) {
        // RFC 9112 §6.1: TE in HTTP/1.0 means faulty framing; with Content-Length it is a
        // smuggling attempt (§6.3 allows processing, but closing with 400 is the safe reading).
        if (minor == 0) return errc::transfer_encoding_in_http10;
        if (f.has_cl || f.cl_invalid) return errc::transfer_encoding_with_length;
        // §6.3: a request whose final coding is not chunked is refused with 400.
        if (f.te.malformed || !f.te.any || !f.te.chunked_last)
            return errc::invalid_transfer_encoding;
        if (f.te.other) return errc::unsupported_transfer_coding; // §6.1: SHOULD 501
        chunked = true;
    } else if (f.cl_invalid) {
        return errc::invalid_content_length; // §6.3 (5)
    }
    // RFC 9110 §10.1.1: an expectation other than 100-continue MAY be answered 417; HTTP/1.0
    // requests' 100-continue is ignored.
    if (f.expect_other) return errc::unsupported_expectation;
    const bool keep_alive = minor == 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
    const bool has_body = chunked || f.content_length > 0;
    request_access::set_framing(out, f.content_length, chunked, keep_alive,
                                f.expect_continue && minor == 1 && has_body);
    return {};
}

/// Interprets a syntactically valid head: the target's form, then Host and the framing fields.
/// Returns the first rule broken, or `errc{}`.
[[nodiscard]] inline errc interpret_head(request& out) noexcept {
    if (const errc e = resolve_target_form(out); e != errc{}) return e;
    return apply_framing(out, collect_framing_fields(out.headers()));
}

} // namespace detail

/// Parses a request head from `in` into `out`.
///
/// Returns `complete` with the head's size, `need_more` when `in` holds a valid prefix, or
/// `error` with the rule broken and the status to answer (400, 414, 417, 431, 501, 505) per
/// DESIGN.md's input rules; the answer never depends on how the head was split into reads.
/// The views stored in `out` point into `in`. Allocates only if `out` has room for fewer than
/// `lim.max_header_fields` fields (a request reserves 32; the engine reserves the limit), and
/// then throws nothing but std::bad_alloc. Thread-safety: pure; concurrent calls on distinct
/// `out` objects are safe.
[[nodiscard]] inline parse_result parse_request(std::string_view in, request& out,
                                                const parse_limits& lim = {}) {
    using detail::parse_failure;
    detail::request_access::reset(out);
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) received before the
    // request-line. We ignore any number, bounded by the request-line limit.
    std::size_t at = 0;
    while (at < in.size() && (in[at] == '\r' || in[at] == '\n')) {
        if (in[at] == '\n') return parse_failure(errc::bare_lf); // we require CRLF
        if (at + 1 == in.size()) return {};
        if (in[at + 1] != '\n') return parse_failure(errc::bare_cr);
        at += 2;
        if (at > lim.max_request_line) return parse_failure(errc::too_many_empty_lines);
    }
    const parse_result line = detail::parse_request_line(in.substr(at), lim, out);
    if (line.state != parse_status::complete) return line;
    at += line.consumed;
    const parse_result fields =
        detail::parse_field_section(in.substr(at), lim, detail::request_access::fields(out));
    if (fields.state != parse_status::complete) return fields;
    at += fields.consumed;
    if (const errc e = detail::interpret_head(out); e != errc{}) return parse_failure(e);
    return detail::parse_complete(at);
}

MINIHTTP_NAMESPACE_END
