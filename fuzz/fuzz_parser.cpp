// libFuzzer target: http::parse_request (RFC 9112 §2-§6 request heads).
//
// The input is a byte stream as a client would send it. Checked for every input:
//  - Splitting: the stream parsed whole must agree with the stream fed in pieces. Every prefix
//    shorter than a complete head is need_more (or, for an erroneous stream, need_more or the
//    same error code as the whole); never complete early. Every prefix that holds the whole
//    head gives exactly the whole's result: consumed, method, target and its parts, version,
//    every field, and the framing (content_length, chunked, keep_alive, expects_continue).
//    Inputs up to 96 bytes are checked at every prefix; longer ones at growing prefixes whose
//    sizes are drawn from a PRNG seeded with a hash of the input, as reads would deliver them.
//  - Invariants: consumed <= size; an error carries an http::errc whose status and message are
//    its `error` and `reason`, and nothing else carries one; every view points inside the parsed
//    bytes (inside the head on complete); on complete the head ends in CRLF CRLF, the method is a
//    token, the target is visible ASCII, field names are tokens, field values have only VCHAR /
//    obs-text / SP / HTAB (so no CR, LF or NUL) and no surrounding whitespace, there is one valid
//    Host in HTTP/1.1, the framing is coherent, and the limits hold.
//  - Limits: a quarter of inputs use small limits drawn from the hash (to reach 414 / 431); and
//    for every complete head, the limits set exactly to its request-line length, field-section
//    size and field count must still accept it, while one less must give 414 / 431.
//  - Pipelining: bytes after a complete head (and its Content-Length or chunked body) are parsed
//    as the next request, up to 4 requests, with the same invariants.
// Every piece is parsed from an exact-size heap copy, so an over-read is an ASan report.

#include <minihttp/chunked.hpp>
#include <minihttp/parser.hpp>

#include "common.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using http::parse_status;
using http::status;

std::string_view state_name(parse_status s) {
    switch (s) {
    case parse_status::complete: return "complete";
    case parse_status::need_more: return "need_more";
    case parse_status::error: return "error";
    }
    return "?";
}

/// Everything observable about a parse, as text, with each view's offset in `buf`; two parses
/// of the same head from different buffers describe identically.
std::string describe(const http::parse_result& r, const http::request& q,
                     const fuzz::exact_copy& buf) {
    std::string s(state_name(r.state));
    if (r.state == parse_status::error)
        s += " " + std::to_string(http::to_int(r.error)) + " (" + std::string(r.reason) + ")";
    if (r.state != parse_status::complete) return s;
    const auto view = [&](std::string_view name, std::string_view v) {
        s.append("\n").append(name).append("=");
        if (!v.empty()) s.append(buf.holds(v) ? "@" + std::to_string(buf.offset_of(v)) : "@static");
        s.append(":").append(fuzz::printable(v));
    };
    s += " consumed=" + std::to_string(r.consumed);
    view("method", q.method_name());
    s += " enum=" + std::to_string(static_cast<int>(q.method()));
    view("target", q.target());
    s += " form=" + std::to_string(static_cast<int>(q.form()));
    view("path", q.path());
    view("query", q.query());
    view("host", q.host());
    s += "\nminor=" + std::to_string(q.version_minor());
    s += " content_length=" + std::to_string(q.content_length());
    s += " chunked=" + std::to_string(q.chunked());
    s += " keep_alive=" + std::to_string(q.keep_alive());
    s += " expects_continue=" + std::to_string(q.expects_continue());
    s += " fields=" + std::to_string(q.headers().size());
    for (const auto& f : q.headers()) {
        view("name", f.name);
        view("value", f.value);
    }
    return s;
}

bool is_allowed_error(status s) {
    switch (s) {
    case status::bad_request:
    case status::uri_too_long:
    case status::expectation_failed:
    case status::request_header_fields_too_large:
    case status::not_implemented:
    case status::http_version_not_supported: return true;
    default: return false;
    }
}

/// Sizes of a complete head, as the limits count them.
struct head_shape {
    std::size_t leading = 0; // bytes of empty lines before the request line
    std::size_t line = 0;    // request line without its CRLF
    std::size_t fields = 0;  // field section, CRLFs and the final empty line included
    std::size_t count = 0;   // field lines
};

head_shape shape_of(const http::parse_result& r, const http::request& q,
                    const fuzz::exact_copy& buf) {
    head_shape h;
    h.leading = buf.offset_of(q.method_name());
    const std::size_t line_end = buf.offset_of(q.target()) + q.target().size() + 9; // " HTTP/1.x"
    h.line = line_end - h.leading;
    h.fields = r.consumed - (line_end + 2);
    h.count = q.headers().size();
    return h;
}

void check_invariants(const http::parse_result& r, const http::request& q,
                      const fuzz::exact_copy& buf, const http::parse_limits& lim) {
    const std::string_view in = buf.view();
    FUZZ_CHECK(r.consumed <= in.size(), "consumed %zu > size %zu", r.consumed, in.size());
    if (r.state == parse_status::need_more) {
        FUZZ_CHECK(r.consumed == 0 && r.error == status::ok && r.code == http::errc{},
                   "need_more with consumed %zu or a code", r.consumed);
        return;
    }
    if (r.state == parse_status::error) {
        FUZZ_CHECK(r.consumed == 0, "error with consumed %zu", r.consumed);
        FUZZ_CHECK(is_allowed_error(r.error), "unexpected error status %u", http::to_int(r.error));
        FUZZ_CHECK(r.code != http::errc{} && r.error == http::status_of(r.code) &&
                       r.reason == http::message_of(r.code),
                   "code %d disagrees with status %u / reason %s", static_cast<int>(r.code),
                   http::to_int(r.error), std::string(r.reason).c_str());
        return;
    }
    FUZZ_CHECK(r.code == http::errc{}, "complete with code %d", static_cast<int>(r.code));
    FUZZ_CHECK(r.state == parse_status::complete, "unknown state %d", static_cast<int>(r.state));
    const std::size_t c = r.consumed;
    FUZZ_CHECK(c >= 4 && in.substr(c - 4, 4) == "\r\n\r\n", "head does not end in CRLF CRLF");
    const std::string_view head = in.substr(0, c);
    const auto inside_head = [&](std::string_view v) {
        return buf.holds(v) && (v.empty() || buf.offset_of(v) + v.size() <= c);
    };

    FUZZ_CHECK(inside_head(q.method_name()) && http::detail::is_token(q.method_name()), "method %s",
               fuzz::printable(q.method_name()).c_str());
    FUZZ_CHECK(inside_head(q.target()) && !q.target().empty(), "target view");
    for (const char ch : q.target())
        FUZZ_CHECK(http::detail::is(ch, http::detail::cc_target), "target byte 0x%02X",
                   static_cast<unsigned char>(ch));
    FUZZ_CHECK(q.version_minor() <= 1, "minor %u", q.version_minor());

    std::size_t hosts = 0;
    for (const auto& f : q.headers()) {
        FUZZ_CHECK(inside_head(f.name) && http::detail::is_token(f.name), "field name %s",
                   fuzz::printable(f.name).c_str());
        FUZZ_CHECK(inside_head(f.value), "field value view outside the head");
        for (const char ch : f.value)
            FUZZ_CHECK(http::detail::is(ch, http::detail::cc_field_vchar),
                       "field value byte 0x%02X in %s", static_cast<unsigned char>(ch),
                       fuzz::printable(f.value).c_str());
        FUZZ_CHECK(f.value.empty() || (!http::detail::is_ows(f.value.front()) &&
                                       !http::detail::is_ows(f.value.back())),
                   "field value with surrounding whitespace: %s", fuzz::printable(f.value).c_str());
        if (http::detail::iequals(f.name, "host")) ++hosts;
    }
    FUZZ_CHECK(hosts <= 1 && (hosts == 1 || q.version_minor() == 0), "%zu Host fields in 1.%u",
               hosts, q.version_minor());

    // The parts of the target.
    FUZZ_CHECK(inside_head(q.query()) && inside_head(q.host()), "query or host view");
    switch (q.form()) {
    case http::target_form::origin:
        FUZZ_CHECK(inside_head(q.path()) && q.path().starts_with('/') &&
                       q.target().starts_with(q.path()),
                   "origin-form path %s", fuzz::printable(q.path()).c_str());
        break;
    case http::target_form::absolute:
        FUZZ_CHECK((inside_head(q.path()) || q.path() == "/") && q.path().starts_with('/'),
                   "absolute-form path %s", fuzz::printable(q.path()).c_str());
        FUZZ_CHECK(q.method() != http::method::connect, "CONNECT with absolute-form");
        break;
    case http::target_form::authority:
        FUZZ_CHECK(q.method() == http::method::connect && q.host() == q.target(), "authority-form");
        break;
    case http::target_form::asterisk:
        FUZZ_CHECK(q.method() == http::method::options && q.target() == "*", "asterisk-form");
        break;
    }
    if (!q.host().empty())
        FUZZ_CHECK(http::detail::valid_authority(q.host()), "invalid host %s accepted",
                   fuzz::printable(q.host()).c_str());
    if (q.form() == http::target_form::origin || q.form() == http::target_form::asterisk)
        FUZZ_CHECK(q.host() == q.header("host").value_or(""), "host is not the Host field");

    // Framing (RFC 9112 §6).
    FUZZ_CHECK(!q.chunked() || (q.content_length() == 0 && q.version_minor() == 1),
               "chunked with Content-Length %llu in 1.%u",
               static_cast<unsigned long long>(q.content_length()), q.version_minor());
    FUZZ_CHECK(!q.expects_continue() ||
                   (q.version_minor() == 1 && (q.chunked() || q.content_length() > 0)),
               "expects_continue without a body");
    if (!q.header("content-length")) FUZZ_CHECK(q.content_length() == 0, "phantom length");
    if (!q.header("transfer-encoding")) FUZZ_CHECK(!q.chunked(), "phantom chunked");

    // Limits.
    const head_shape h = shape_of(r, q, buf);
    FUZZ_CHECK(h.line <= lim.max_request_line && h.fields <= lim.max_header_bytes &&
                   h.count <= lim.max_header_fields && h.leading <= lim.max_request_line,
               "limits exceeded: line %zu/%zu fields %zu/%zu count %zu/%zu leading %zu", h.line,
               lim.max_request_line, h.fields, lim.max_header_bytes, h.count, lim.max_header_fields,
               h.leading);
    FUZZ_CHECK(head.substr(h.leading + h.line, 2) == "\r\n", "request line end");
}

/// Parses `in` whole, then growing prefixes of it, and checks they agree.
class split_checker {
  public:
    split_checker(std::string_view in, const http::parse_limits& lim)
        : in_(in), lim_(lim), whole_buf_(in) {
        whole_ = http::parse_request(whole_buf_.view(), whole_req_, lim_);
        check_invariants(whole_, whole_req_, whole_buf_, lim_);
        whole_desc_ = describe(whole_, whole_req_, whole_buf_);
    }

    const http::parse_result& whole() const noexcept { return whole_; }
    const http::request& request() const noexcept { return whole_req_; }
    const fuzz::exact_copy& buffer() const noexcept { return whole_buf_; }
    const std::string& description() const noexcept { return whole_desc_; }

    /// Parses the first `len` bytes and checks the result against the whole's.
    void prefix(std::size_t len) {
        fuzz::exact_copy buf(in_.substr(0, len));
        const auto r =
            http::parse_request(buf.view(), req_, lim_); // req_ reused, as the engine does
        check_invariants(r, req_, buf, lim_);
        switch (whole_.state) {
        case parse_status::complete:
            if (len < whole_.consumed) {
                FUZZ_CHECK(r.state == parse_status::need_more,
                           "prefix %zu of a %zu-byte head: %s (whole: %s)", len, whole_.consumed,
                           describe(r, req_, buf).c_str(), whole_desc_.c_str());
            } else {
                const std::string d = describe(r, req_, buf);
                FUZZ_CHECK(d == whole_desc_, "prefix %zu differs:\n%s\nwhole:\n%s", len, d.c_str(),
                           whole_desc_.c_str());
            }
            break;
        case parse_status::need_more:
            FUZZ_CHECK(r.state == parse_status::need_more, "prefix %zu: %s, whole need_more", len,
                       describe(r, req_, buf).c_str());
            break;
        case parse_status::error:
            FUZZ_CHECK(r.state == parse_status::need_more ||
                           (r.state == parse_status::error && r.code == whole_.code),
                       "prefix %zu: %s, whole: %s", len, describe(r, req_, buf).c_str(),
                       whole_desc_.c_str());
            break;
        }
    }

    /// Every prefix for short inputs; else growing prefixes (reads of random sizes), plus the
    /// prefixes around the end of a complete head.
    void grind(fuzz::rng& rng) {
        const std::size_t n = in_.size();
        if (n <= 96) {
            for (std::size_t len = 0; len < n; ++len) prefix(len);
            return;
        }
        for (std::size_t len = 0; len < n; len += 1 + rng.below(n / 8 + 1)) prefix(len);
        if (whole_.state == parse_status::complete) {
            const std::size_t c = whole_.consumed;
            prefix(c - 1);
            prefix(c);
            if (c < n) prefix(c + 1);
        }
    }

  private:
    std::string_view in_;
    http::parse_limits lim_;
    fuzz::exact_copy whole_buf_;
    http::request whole_req_;
    http::parse_result whole_;
    std::string whole_desc_;
    http::request req_;
};

/// For a complete head: limits set exactly to its sizes accept it; one less refuses it.
void check_limit_boundaries(std::string_view in, const split_checker& whole) {
    const head_shape h = shape_of(whole.whole(), whole.request(), whole.buffer());
    // Empty lines before the request line count against max_request_line too (RFC 9112 §2.2).
    const http::parse_limits exact{std::max(h.line, h.leading), h.fields, h.count};
    {
        split_checker at(in, exact);
        FUZZ_CHECK(at.description() == whole.description(),
                   "limits set to the head's own sizes (%zu, %zu, %zu) change the result:\n%s",
                   exact.max_request_line, h.fields, h.count, at.description().c_str());
    }
    const auto expect = [&](http::parse_limits lim, http::errc want, const char* which) {
        http::request q;
        fuzz::exact_copy buf(in);
        const auto r = http::parse_request(buf.view(), q, lim);
        FUZZ_CHECK(r.state == parse_status::error && r.code == want,
                   "%s one below the head's size: %s, want %s", which, describe(r, q, buf).c_str(),
                   std::string(http::message_of(want)).c_str());
    };
    {
        auto lim = exact; // exact.max_request_line >= h.line > 0
        --lim.max_request_line;
        // Empty lines before the request line count against the same limit and fail first.
        expect(lim,
               h.leading > lim.max_request_line ? http::errc::too_many_empty_lines
                                                : http::errc::request_line_too_long,
               "max_request_line");
    }
    {
        auto lim = exact;
        --lim.max_header_bytes; // h.fields >= 2: the final CRLF
        expect(lim, http::errc::header_section_too_large, "max_header_bytes");
    }
    if (h.count > 0) {
        auto lim = exact;
        --lim.max_header_fields;
        expect(lim, http::errc::too_many_fields, "max_header_fields");
    }
}

/// Parses the requests pipelined after a complete head (skipping each one's body).
void check_pipeline(std::string_view in, const http::parse_result& first,
                    const http::request& first_req, const http::parse_limits& lim) {
    std::size_t at = first.consumed;
    bool chunked = first_req.chunked();
    std::uint64_t length = first_req.content_length();
    for (int k = 0; k < 4 && at < in.size(); ++k) {
        std::string_view rest = in.substr(at);
        if (chunked) {
            http::chunked_decoder dec;
            std::string out(rest.size(), '\0');
            const auto d = dec.decode(rest, out.data());
            if (d.state != parse_status::complete) return;
            rest.remove_prefix(d.consumed);
        } else {
            if (length > rest.size()) return;
            rest.remove_prefix(static_cast<std::size_t>(length));
        }
        fuzz::exact_copy buf(rest);
        http::request q;
        const auto r = http::parse_request(buf.view(), q, lim);
        check_invariants(r, q, buf, lim);
        if (r.state != parse_status::complete) return;
        at = in.size() - rest.size() + r.consumed;
        chunked = q.chunked();
        length = q.content_length();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    fuzz::rng rng(fuzz::hash(in));
    http::parse_limits lim;
    if (rng.one_in(4)) {
        lim.max_request_line = rng.below(80);
        lim.max_header_bytes = rng.below(300);
        lim.max_header_fields = rng.below(10);
    }
    split_checker whole(in, lim);
    whole.grind(rng);
    if (whole.whole().state == parse_status::complete) {
        check_limit_boundaries(in, whole);
        check_pipeline(in, whole.whole(), whole.request(), lim);
    }
    return 0;
}
