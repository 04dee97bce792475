// Tests of http::parse_request and its detail helpers against DESIGN.md's input rules
// (RFC 9110 / RFC 9112). Every input that goes through `parse` or `status_of` is also parsed at
// every prefix, from ordinary memory and from right before a PROT_NONE guard page, and each
// prefix must agree with the whole (Boost.Beast's parsegrind, picohttpparser's guard page).
#include <minihttp/parser.hpp>

#include <doctest/doctest.h>

#include "guard_page.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

using namespace std::string_view_literals;

namespace {

using http::errc;
using http::parse_status;
using http::status;

/// Stands for `need_more` where a test compares outcomes as statuses.
constexpr auto incomplete = static_cast<status>(0);

using test::guard_page;

/// Everything observable about a parsed request, as text, to compare two parses.
std::string dump(const http::request& r) {
    std::string s;
    const auto add = [&s](std::string_view k, std::string_view v) {
        s.append(k).append("=").append(v).append("\n");
    };
    add("method", r.method_name());
    add("method-enum", std::to_string(static_cast<int>(r.method())));
    add("target", r.target());
    add("form", std::to_string(static_cast<int>(r.form())));
    add("path", r.path());
    add("query", r.query());
    add("host", r.host());
    add("minor", std::to_string(r.version_minor()));
    add("content-length", std::to_string(r.content_length()));
    add("chunked", r.chunked() ? "1" : "0");
    add("keep-alive", r.keep_alive() ? "1" : "0");
    add("expect-continue", r.expects_continue() ? "1" : "0");
    for (const auto& f : r.headers()) add(f.name, f.value);
    return s;
}

/// Parses `raw` whole into `req`, and checks that every prefix of it, parsed from ordinary
/// memory and from right before a guard page, agrees with the whole: before the end of a
/// complete head a prefix is need_more, from there on it is complete with the same head; no
/// prefix of an erroneous input is complete or fails with another status.
http::parse_result parse(std::string_view raw, http::request& req,
                         const http::parse_limits& lim = {}) {
    const auto whole = http::parse_request(raw, req, lim);
    const std::string expected = whole.state == parse_status::complete ? dump(req) : "";
    guard_page guard(raw.size());
    REQUIRE(guard.ok());
    constexpr auto none = std::string_view::npos;
    std::size_t bad_prefix = none;
    bool bad_guarded = false;
    for (std::size_t i = 0; i <= raw.size() && bad_prefix == none; ++i) {
        for (const bool guarded : {false, true}) {
            const auto in = guarded ? guard.place(raw.substr(0, i)) : raw.substr(0, i);
            http::request r;
            const auto res = http::parse_request(in, r, lim);
            // The code, status and reason of a refusal always agree; nothing else has a code.
            const bool consistent = res.state == parse_status::error
                                        ? res.code != errc{} &&
                                              res.error == http::status_of(res.code) &&
                                              res.reason == http::message_of(res.code)
                                        : res.code == errc{} && res.error == status::ok;
            bool agrees = false;
            switch (whole.state) {
            case parse_status::complete:
                agrees = i < whole.consumed
                             ? res.state == parse_status::need_more
                             : res.state == parse_status::complete &&
                                   res.consumed == whole.consumed && dump(r) == expected;
                break;
            case parse_status::error:
                agrees = res.state == parse_status::need_more ||
                         (res.state == parse_status::error && res.code == whole.code);
                break;
            case parse_status::need_more: agrees = res.state == parse_status::need_more; break;
            }
            if ((!agrees || !consistent) && bad_prefix == none) {
                bad_prefix = i;
                bad_guarded = guarded;
            }
        }
    }
    CAPTURE(raw);
    CAPTURE(bad_guarded);
    CHECK_MESSAGE(bad_prefix == none, "the prefix of ", bad_prefix,
                  " bytes disagrees with the whole input");
    return whole;
}

/// A temporary buffer would leave the request's views dangling: name the input first.
template <class S, class = std::enable_if_t<std::is_same_v<S, std::string>>>
http::parse_result parse(S&&, http::request&, const http::parse_limits& = {}) = delete;

/// The outcome of parsing `raw` (checked at every prefix, see `parse`): `status::ok` for a
/// complete head, the error status, or `incomplete`.
status status_of(std::string_view raw, const http::parse_limits& lim = {}) {
    http::request req;
    const auto r = parse(raw, req, lim);
    switch (r.state) {
    case parse_status::complete: return status::ok;
    case parse_status::error: return r.error;
    case parse_status::need_more: break;
    }
    return incomplete;
}

/// Parses `raw` once, without the per-prefix checks (for inputs of several KiB).
status status_once(std::string_view raw, const http::parse_limits& lim = {}) {
    http::request req;
    const auto r = http::parse_request(raw, req, lim);
    switch (r.state) {
    case parse_status::complete: return status::ok;
    case parse_status::error: return r.error;
    case parse_status::need_more: break;
    }
    return incomplete;
}

/// "GET / HTTP/1.1" with a valid Host, then `fields` (each ending in CRLF) and the empty line.
std::string get11(std::string_view fields) {
    return "GET / HTTP/1.1\r\nHost: example.com\r\n" + std::string(fields) + "\r\n";
}

/// "POST /p HTTP/1.1" with a valid Host, then `fields` and the empty line.
std::string post11(std::string_view fields) {
    return "POST /p HTTP/1.1\r\nHost: example.com\r\n" + std::string(fields) + "\r\n";
}

/// "POST /p HTTP/1.0" without Host, then `fields` and the empty line.
std::string post10(std::string_view fields) {
    return "POST /p HTTP/1.0\r\n" + std::string(fields) + "\r\n";
}

/// A head with the request line `line` (no CRLF) and only a valid Host.
std::string with_line(std::string_view line) {
    return std::string(line) + "\r\nHost: example.com\r\n\r\n";
}

/// A GET head whose Host field value is `host`.
std::string with_host(std::string_view host) {
    return "GET / HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n";
}

/// True if `v` lies inside `buf` (a view into the input, not a copy).
bool points_into(std::string_view v, std::string_view buf) {
    return v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size();
}

/// A realistic browser GET (picohttpparser's bench request, ten fields).
constexpr std::string_view browser_get =
    "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
    "Host: www.kittyhell.com\r\n"
    "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) "
    "Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
    "Accept-Encoding: gzip,deflate\r\n"
    "Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
    "Keep-Alive: 115\r\n"
    "Connection: keep-alive\r\n"
    "Referer: http://www.kittyhell.com/2010/03/\r\n"
    "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; "
    "__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
    "__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|"
    "utmcct=/reader/|utmcmd=referral\r\n"
    "\r\n";

} // namespace

TEST_SUITE_BEGIN("parser");

// ---------------------------------------------------------------------------------------------
// Request line (RFC 9112 §3)

TEST_CASE("parser: parses a minimal HTTP/1.1 GET") {
    constexpr std::string_view raw = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
    http::request req;
    const auto r = parse(raw, req);
    CHECK(r.state == parse_status::complete);
    CHECK(r.consumed == raw.size());
    CHECK(req.method() == http::method::get);
    CHECK(req.method_name() == "GET");
    CHECK(req.target() == "/index.html");
    CHECK(req.form() == http::target_form::origin);
    CHECK(req.path() == "/index.html");
    CHECK(req.query().empty());
    CHECK(req.version_minor() == 1);
    CHECK(req.host() == "example.com");
    CHECK(req.headers().size() == 1);
    CHECK(req.content_length() == 0);
    CHECK_FALSE(req.chunked());
    CHECK(req.keep_alive());
    CHECK_FALSE(req.expects_continue());
}

TEST_CASE("parser: accepts HTTP/1.0 and HTTP/1.1") {
    http::request req;
    SUBCASE("HTTP/1.0 needs no Host") {
        CHECK(parse("GET / HTTP/1.0\r\n\r\n", req).state == parse_status::complete);
        CHECK(req.version_minor() == 0);
        CHECK(req.host().empty());
    }
    SUBCASE("HTTP/1.0 with a Host") {
        CHECK(parse("GET / HTTP/1.0\r\nHost: h\r\n\r\n", req).state == parse_status::complete);
        CHECK(req.version_minor() == 0);
        CHECK(req.host() == "h");
    }
    SUBCASE("HTTP/1.1") {
        CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n", req).state == parse_status::complete);
        CHECK(req.version_minor() == 1);
    }
}

TEST_CASE("parser: splits an origin-form target into path and query") {
    http::request req;
    SUBCASE("path and query") {
        const std::string raw = with_line("GET /a/b?x=1&y=2 HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.path() == "/a/b");
        CHECK(req.query() == "x=1&y=2");
        CHECK(req.target() == "/a/b?x=1&y=2");
    }
    SUBCASE("empty query") {
        const std::string raw = with_line("GET /? HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.path() == "/");
        CHECK(req.query().empty());
    }
    SUBCASE("a second '?' belongs to the query") {
        const std::string raw = with_line("GET /a?b?c HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.path() == "/a");
        CHECK(req.query() == "b?c");
    }
    SUBCASE("percent-encoding is kept as received") {
        const std::string raw = with_line("GET /%41%2f%2F?q=%20 HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.path() == "/%41%2f%2F");
        CHECK(req.query() == "q=%20");
    }
    SUBCASE("every visible ASCII byte but '#' is allowed") {
        const std::string raw = with_line("GET /!$&'()*+,;=:@-._~[]{}|\\^`\"<> HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.path() == "/!$&'()*+,;=:@-._~[]{}|\\^`\"<>");
    }
}

TEST_CASE("parser: maps method tokens to the method enum") {
    http::request req;
    SUBCASE("GET") {
        CHECK(status_of(with_line("GET / HTTP/1.1")) == status::ok);
        const std::string raw = with_line("GET / HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::get);
    }
    SUBCASE("HEAD") {
        const std::string raw = with_line("HEAD / HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::head);
    }
    SUBCASE("POST") {
        const std::string raw = with_line("POST / HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::post);
    }
    SUBCASE("PUT") {
        const std::string raw = with_line("PUT / HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::put);
    }
    SUBCASE("DELETE") {
        const std::string raw = with_line("DELETE / HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::delete_);
    }
    SUBCASE("CONNECT") {
        const std::string raw = with_line("CONNECT example.com:443 HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::connect);
    }
    SUBCASE("OPTIONS") {
        const std::string raw = with_line("OPTIONS * HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::options);
    }
    SUBCASE("TRACE") {
        const std::string raw = with_line("TRACE / HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::trace);
    }
    SUBCASE("PATCH") {
        const std::string raw = with_line("PATCH / HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::patch);
    }
}

TEST_CASE("parser: parses an unknown but well-formed method as method::other") {
    // The engine answers 501 later (RFC 9110 §9.1); the parser only checks the token syntax.
    http::request req;
    SUBCASE("an unknown token") {
        const std::string raw = with_line("BREW / HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::other);
        CHECK(req.method_name() == "BREW");
    }
    SUBCASE("methods are case-sensitive: 'get' is not GET") {
        const std::string raw = with_line("get / HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::other);
        CHECK(req.method_name() == "get");
    }
    SUBCASE("a token made of every tchar punctuation") {
        const std::string raw = with_line("M-SEARCH!#$%&'*+.^_`|~ / HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.method() == http::method::other);
        CHECK(req.method_name() == "M-SEARCH!#$%&'*+.^_`|~");
    }
}

TEST_CASE("parser: rejects malformed request lines with 400") {
    SUBCASE("double SP after the method") {
        CHECK(status_of(with_line("GET  / HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("double SP before the version") {
        CHECK(status_of(with_line("GET /  HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("trailing SP after the version") {
        CHECK(status_of(with_line("GET / HTTP/1.1 ")) == status::bad_request);
    }
    SUBCASE("HTAB as separator") {
        CHECK(status_of(with_line("GET\t/ HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("missing version") { CHECK(status_of(with_line("GET /")) == status::bad_request); }
    SUBCASE("SP but no version") { CHECK(status_of(with_line("GET / ")) == status::bad_request); }
    SUBCASE("missing target") {
        CHECK(status_of(with_line("GET HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("method alone") { CHECK(status_of(with_line("GET")) == status::bad_request); }
    SUBCASE("lowercase protocol name") {
        CHECK(status_of(with_line("GET / http/1.1")) == status::bad_request);
    }
    SUBCASE("two-digit minor version") {
        CHECK(status_of(with_line("GET / HTTP/1.10")) == status::bad_request);
    }
    SUBCASE("two-digit major version") {
        CHECK(status_of(with_line("GET / HTTP/11.1")) == status::bad_request);
    }
    SUBCASE("version without minor") {
        CHECK(status_of(with_line("GET / HTTP/1")) == status::bad_request);
    }
    SUBCASE("version with a dot and no minor") {
        CHECK(status_of(with_line("GET / HTTP/1.")) == status::bad_request);
    }
    SUBCASE("version with a letter") {
        CHECK(status_of(with_line("GET / HTTP/1.x")) == status::bad_request);
    }
    SUBCASE("SP inside the version") {
        CHECK(status_of(with_line("GET / HTTP /1.1")) == status::bad_request);
    }
    SUBCASE("non-token method characters") {
        CHECK(status_of(with_line("GE(T / HTTP/1.1")) == status::bad_request);
        CHECK(status_of(with_line("GE\"T / HTTP/1.1")) == status::bad_request);
        CHECK(status_of(with_line("GE/T / HTTP/1.1")) == status::bad_request);
        CHECK(status_of(with_line("G\x80T / HTTP/1.1")) == status::bad_request);
        CHECK(status_of(with_line("G\x01T / HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("empty method") { CHECK(status_of(with_line(" / HTTP/1.1")) == status::bad_request); }
    SUBCASE("HTTP/0.9 style request line") {
        CHECK(status_of("GET /\r\n") == status::bad_request);
        CHECK(status_of("GET /\r\n\r\n") == status::bad_request);
    }
}

TEST_CASE("parser: answers 505 to HTTP versions other than 1.0 and 1.1") {
    SUBCASE("HTTP/2.0") {
        CHECK(status_of(with_line("GET / HTTP/2.0")) == status::http_version_not_supported);
    }
    SUBCASE("the HTTP/2 connection preface") {
        CHECK(status_of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == status::http_version_not_supported);
    }
    SUBCASE("HTTP/1.2") {
        CHECK(status_of(with_line("GET / HTTP/1.2")) == status::http_version_not_supported);
    }
    SUBCASE("HTTP/1.9") {
        CHECK(status_of(with_line("GET / HTTP/1.9")) == status::http_version_not_supported);
    }
    SUBCASE("HTTP/0.9") {
        CHECK(status_of(with_line("GET / HTTP/0.9")) == status::http_version_not_supported);
    }
    SUBCASE("HTTP/3.0") {
        CHECK(status_of(with_line("GET / HTTP/3.0")) == status::http_version_not_supported);
    }
}

TEST_CASE("parser: answers 414 to a complete request line over max_request_line") {
    http::parse_limits lim;
    lim.max_request_line = 32;
    const std::string at_limit = "GET /" + std::string(18, 'a') + " HTTP/1.1"; // 32 bytes
    REQUIRE(at_limit.size() == 32);
    SUBCASE("a line of exactly the limit is accepted") {
        CHECK(status_of(with_line(at_limit), lim) == status::ok);
    }
    SUBCASE("one byte over the limit") {
        const std::string over = "GET /" + std::string(19, 'a') + " HTTP/1.1";
        CHECK(status_of(with_line(over), lim) == status::uri_too_long);
    }
    SUBCASE("a long method token") {
        const std::string over = std::string(30, 'M') + " / HTTP/1.1";
        CHECK(status_of(with_line(over), lim) == status::uri_too_long);
    }
    SUBCASE("the default limit is 8 KiB") {
        const std::string fits = "GET /" + std::string(8192 - 14, 'a') + " HTTP/1.1";
        const std::string over = "GET /" + std::string(8192 - 13, 'a') + " HTTP/1.1";
        CHECK(status_once(with_line(fits)) == status::ok);
        CHECK(status_once(with_line(over)) == status::uri_too_long);
    }
}

TEST_CASE("parser: answers 414 while the request line is incomplete but already too long") {
    http::parse_limits lim;
    lim.max_request_line = 32;
    SUBCASE("still in the target") {
        CHECK(status_of("GET /" + std::string(28, 'a'), lim) == status::uri_too_long);
    }
    SUBCASE("still in the method") {
        CHECK(status_of(std::string(33, 'M'), lim) == status::uri_too_long);
    }
    SUBCASE("still in a percent-encoded triplet") {
        CHECK(status_of("GET /" + std::string(27, 'a') + "%4", lim) == status::uri_too_long);
    }
    SUBCASE("still in the version") {
        CHECK(status_of("GET /" + std::string(20, 'a') + " HTTP/1.", lim) == status::uri_too_long);
    }
    SUBCASE("an incomplete line of exactly the limit is still need_more") {
        CHECK(status_of("GET /" + std::string(27, 'a'), lim) == incomplete);
    }
    SUBCASE("the default limit is 8 KiB") {
        CHECK(status_once("GET /" + std::string(8187, 'a')) == incomplete);
        CHECK(status_once("GET /" + std::string(8188, 'a')) == status::uri_too_long);
    }
}

TEST_CASE("parser: a syntax error past a size limit gets the limit's status, however split") {
    // Found by fuzz/fuzz_parser.cpp: a read that stops right before the bad byte already gets
    // 414 / 431, so the whole stream must get it too, or the answer depends on how TCP split it.
    // `status_of` checks every prefix against the whole.
    http::parse_limits lim;
    lim.max_request_line = 32;
    lim.max_header_bytes = 16;
    SUBCASE("a bad byte in the target after the limit: 414") {
        CHECK(status_of("GET /" + std::string(28, 'a') + "\x01 HTTP/1.1\r\n\r\n", lim) ==
              status::uri_too_long);
    }
    SUBCASE("a bad byte right at the limit: 400") {
        CHECK(status_of("GET /" + std::string(27, 'a') + "\x01 HTTP/1.1\r\n\r\n", lim) ==
              status::bad_request);
    }
    SUBCASE("a bad percent-encoding after the limit: 414") {
        CHECK(status_of("GET /" + std::string(27, 'a') + "%zz HTTP/1.1\r\n\r\n", lim) ==
              status::uri_too_long);
        CHECK(status_of("GET /" + std::string(26, 'a') + "%zz HTTP/1.1\r\n\r\n", lim) ==
              status::bad_request);
        CHECK(status_of("GET /" + std::string(26, 'a') + "%az HTTP/1.1\r\n\r\n", lim) ==
              status::uri_too_long);
    }
    SUBCASE("a bad version after the limit: 414") {
        CHECK(status_of("GET /" + std::string(20, 'a') + " HTTP/1.x\r\n\r\n", lim) ==
              status::uri_too_long);
        CHECK(status_of("GET /" + std::string(8, 'a') + " HTTX/1.1\r\n\r\n", lim) ==
              status::bad_request);
    }
    SUBCASE("a CR without LF ending a line of exactly the limit: 400 (the CR is not counted)") {
        CHECK(status_of("GET /" + std::string(18, 'a') + " HTTP/1.1\rX", lim) ==
              status::bad_request);
        CHECK(status_of("GET /" + std::string(19, 'a') + " HTTP/1.1\rX", lim) ==
              status::uri_too_long);
    }
    SUBCASE("a bad byte in a field value after the limit: 431") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(20, 'b') + "\x01\r\n\r\n",
                        lim) == status::request_header_fields_too_large);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(4, 'b') + "\x01\r\n\r\n",
                        lim) == status::bad_request);
    }
    SUBCASE("whitespace before the colon after the limit: 431") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\n" + std::string(20, 'X') + " : v\r\n\r\n",
                        lim) == status::request_header_fields_too_large);
    }
    SUBCASE("a bare CR ending the field section after the limit: 431") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: bb\r\n\rX", lim) ==
              status::request_header_fields_too_large);
    }
}

TEST_CASE("parser: ignores empty lines before the request line") {
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
    http::request req;
    SUBCASE("one empty line") {
        constexpr std::string_view raw = "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
        const auto r = parse(raw, req);
        CHECK(r.state == parse_status::complete);
        CHECK(r.consumed == raw.size());
        CHECK(req.target() == "/");
    }
    SUBCASE("several empty lines") {
        constexpr std::string_view raw = "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
        const auto r = parse(raw, req);
        CHECK(r.state == parse_status::complete);
        CHECK(r.consumed == raw.size());
    }
    SUBCASE("only empty lines so far is need_more") {
        CHECK(status_of("\r\n\r\n") == incomplete);
        CHECK(status_of("\r") == incomplete);
    }
    SUBCASE("a bare LF before the request line is 400") {
        CHECK(status_of("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n") == status::bad_request);
    }
    SUBCASE("a bare CR before the request line is 400") {
        CHECK(status_of("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n") == status::bad_request);
        CHECK(status_of("\r\rGET / HTTP/1.1\r\nHost: h\r\n\r\n") == status::bad_request);
    }
}

// ---------------------------------------------------------------------------------------------
// Request-target (RFC 9112 §3.2)

TEST_CASE("parser: rejects request-target bytes outside visible ASCII with 400") {
    SUBCASE("SP inside the target") {
        CHECK(status_of(with_line("GET /a b HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("HTAB") { CHECK(status_of(with_line("GET /a\tb HTTP/1.1")) == status::bad_request); }
    SUBCASE("byte 0x80") {
        CHECK(status_of(with_line("GET /\x80 HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("UTF-8 bytes") {
        CHECK(status_of(with_line("GET /caf\xc3\xa9 HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("byte 0xff") {
        CHECK(status_of(with_line("GET /\xff HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("NUL") { CHECK(status_of(with_line("GET /a\0b HTTP/1.1"sv)) == status::bad_request); }
    SUBCASE("control byte 0x01") {
        CHECK(status_of(with_line("GET /a\001b HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("DEL") { CHECK(status_of(with_line("GET /a\x7f HTTP/1.1")) == status::bad_request); }
    SUBCASE("bare CR") { CHECK(status_of(with_line("GET /a\rb HTTP/1.1")) == status::bad_request); }
    SUBCASE("bare LF") { CHECK(status_of(with_line("GET /a\nb HTTP/1.1")) == status::bad_request); }
}

TEST_CASE("parser: rejects a fragment in the request-target with 400") {
    SUBCASE("after the path") {
        CHECK(status_of(with_line("GET /a#b HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("after the query") {
        CHECK(status_of(with_line("GET /a?q#b HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("empty fragment") {
        CHECK(status_of(with_line("GET /# HTTP/1.1")) == status::bad_request);
    }
}

TEST_CASE("parser: rejects bad percent-encoding in the target with 400") {
    SUBCASE("%zz") { CHECK(status_of(with_line("GET /%zz HTTP/1.1")) == status::bad_request); }
    SUBCASE("one hex digit then SP") {
        CHECK(status_of(with_line("GET /%4 HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("one hex digit then a non-hex byte") {
        CHECK(status_of(with_line("GET /%4g HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("'%' at the end of the target") {
        CHECK(status_of(with_line("GET /a% HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("'%' in the query") {
        CHECK(status_of(with_line("GET /a?x=%g1 HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("upper- and lower-case hex digits are accepted") {
        CHECK(status_of(with_line("GET /%4a%4A%fF HTTP/1.1")) == status::ok);
    }
}

TEST_CASE("parser: accepts asterisk-form only for OPTIONS") {
    http::request req;
    SUBCASE("OPTIONS *") {
        const std::string raw = with_line("OPTIONS * HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.form() == http::target_form::asterisk);
        CHECK(req.path() == "*");
        CHECK(req.host() == "example.com");
    }
    SUBCASE("GET * is 400") {
        CHECK(status_of(with_line("GET * HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("POST * is 400") {
        CHECK(status_of(with_line("POST * HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("CONNECT * is 400") {
        CHECK(status_of(with_line("CONNECT * HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("OPTIONS *x is 400") {
        CHECK(status_of(with_line("OPTIONS *x HTTP/1.1")) == status::bad_request);
    }
}

TEST_CASE("parser: accepts authority-form only for CONNECT") {
    http::request req;
    SUBCASE("CONNECT host:port") {
        const std::string raw = with_line("CONNECT example.com:443 HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.form() == http::target_form::authority);
        CHECK(req.host() == "example.com:443");
        CHECK(req.path().empty());
    }
    SUBCASE("CONNECT to an IPv6 literal") {
        const std::string raw = with_line("CONNECT [::1]:8443 HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.host() == "[::1]:8443");
    }
    SUBCASE("authority-form with GET is 400") {
        CHECK(status_of(with_line("GET example.com:443 HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("authority-form with OPTIONS is 400") {
        CHECK(status_of(with_line("OPTIONS example.com:443 HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("CONNECT with origin-form is 400") {
        CHECK(status_of(with_line("CONNECT / HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("CONNECT with absolute-form is 400") {
        CHECK(status_of(with_line("CONNECT http://example.com/ HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("CONNECT without a port is 400") {
        CHECK(status_of(with_line("CONNECT example.com HTTP/1.1")) == status::bad_request);
        CHECK(status_of(with_line("CONNECT example.com: HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("CONNECT with userinfo is 400") {
        CHECK(status_of(with_line("CONNECT u@example.com:443 HTTP/1.1")) == status::bad_request);
    }
}

TEST_CASE("parser: accepts absolute-form http and https targets") {
    http::request req;
    SUBCASE("host() is the target's authority, not the Host field") {
        CHECK(parse("GET http://target.example:8080/a/b?x=1 HTTP/1.1\r\nHost: other\r\n\r\n", req)
                  .state == parse_status::complete);
        CHECK(req.form() == http::target_form::absolute);
        CHECK(req.host() == "target.example:8080");
        CHECK(req.path() == "/a/b");
        CHECK(req.query() == "x=1");
        CHECK(req.target() == "http://target.example:8080/a/b?x=1");
    }
    SUBCASE("an empty path is '/'") {
        const std::string raw = with_line("GET http://example.com HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.host() == "example.com");
        CHECK(req.path() == "/");
        CHECK(req.query().empty());
    }
    SUBCASE("an empty path with a query") {
        const std::string raw = with_line("GET http://example.com?q=1 HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.host() == "example.com");
        CHECK(req.path() == "/");
        CHECK(req.query() == "q=1");
    }
    SUBCASE("https") {
        const std::string raw = with_line("GET https://example.com/x HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.host() == "example.com");
        CHECK(req.path() == "/x");
    }
    SUBCASE("the scheme is case-insensitive") {
        const std::string raw = with_line("GET HTTP://example.com/ HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.host() == "example.com");
    }
    SUBCASE("an IPv6 literal authority") {
        const std::string raw = with_line("GET http://[::1]:8080/p HTTP/1.1");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.host() == "[::1]:8080");
        CHECK(req.path() == "/p");
    }
}

TEST_CASE("parser: rejects other schemes, userinfo and bad authorities in absolute-form") {
    SUBCASE("ftp scheme") {
        CHECK(status_of(with_line("GET ftp://example.com/ HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("ws scheme") {
        CHECK(status_of(with_line("GET ws://example.com/ HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("a target that is neither origin- nor absolute-form") {
        CHECK(status_of(with_line("GET example.com/a HTTP/1.1")) == status::bad_request);
        CHECK(status_of(with_line("GET http:/example.com/ HTTP/1.1")) == status::bad_request);
        CHECK(status_of(with_line("GET ?q HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("userinfo") {
        CHECK(status_of(with_line("GET http://u@h/ HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("userinfo with a password") {
        CHECK(status_of(with_line("GET http://u:p@h/ HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("empty authority") {
        CHECK(status_of(with_line("GET http:/// HTTP/1.1")) == status::bad_request);
        CHECK(status_of(with_line("GET http:// HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("non-numeric port") {
        CHECK(status_of(with_line("GET http://h:port/ HTTP/1.1")) == status::bad_request);
    }
    SUBCASE("unclosed IPv6 literal") {
        CHECK(status_of(with_line("GET http://[::1/ HTTP/1.1")) == status::bad_request);
    }
}

// ---------------------------------------------------------------------------------------------
// Host (RFC 9112 §3.2, RFC 9110 §7.2)

TEST_CASE("parser: requires exactly one Host in HTTP/1.1") {
    SUBCASE("HTTP/1.1 without Host is 400") {
        CHECK(status_of("GET / HTTP/1.1\r\n\r\n") == status::bad_request);
        CHECK(status_of("GET / HTTP/1.1\r\nX: y\r\n\r\n") == status::bad_request);
    }
    SUBCASE("two identical Host fields are 400") {
        CHECK(status_of(get11("Host: example.com\r\n")) == status::bad_request);
    }
    SUBCASE("two differing Host fields are 400") {
        CHECK(status_of(get11("Host: evil.example\r\n")) == status::bad_request);
    }
    SUBCASE("the field name is case-insensitive") {
        CHECK(status_of(get11("hOsT: example.com\r\n")) == status::bad_request);
        CHECK(status_of("GET / HTTP/1.1\r\nHOST: a\r\n\r\n") == status::ok);
    }
    SUBCASE("two Host fields are 400 in HTTP/1.0 too") {
        CHECK(status_of("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n") == status::bad_request);
    }
    SUBCASE("an invalid Host is 400 in HTTP/1.0 too") {
        CHECK(status_of("GET / HTTP/1.0\r\nHost: a b\r\n\r\n") == status::bad_request);
    }
    SUBCASE("absolute-form does not make Host optional") {
        CHECK(status_of("GET http://a/ HTTP/1.1\r\n\r\n") == status::bad_request);
    }
}

TEST_CASE("parser: rejects invalid Host values with 400") {
    SUBCASE("a b") { CHECK(status_of(with_host("a b")) == status::bad_request); }
    SUBCASE("a/b") { CHECK(status_of(with_host("a/b")) == status::bad_request); }
    SUBCASE("[::1") { CHECK(status_of(with_host("[::1")) == status::bad_request); }
    SUBCASE("[zz]") { CHECK(status_of(with_host("[zz]")) == status::bad_request); }
    SUBCASE("host:port") { CHECK(status_of(with_host("host:port")) == status::bad_request); }
    SUBCASE("empty value") { CHECK(status_of(with_host("")) == status::bad_request); }
    SUBCASE("whitespace-only value") { CHECK(status_of(with_host("  ")) == status::bad_request); }
    SUBCASE("userinfo") { CHECK(status_of(with_host("u@h")) == status::bad_request); }
    SUBCASE("port only") { CHECK(status_of(with_host(":80")) == status::bad_request); }
    SUBCASE("two ports") { CHECK(status_of(with_host("h:80:80")) == status::bad_request); }
    SUBCASE("a six-digit port") { CHECK(status_of(with_host("h:123456")) == status::bad_request); }
    SUBCASE("junk after an IPv6 literal") {
        CHECK(status_of(with_host("[::1]x")) == status::bad_request);
    }
    SUBCASE("empty brackets") { CHECK(status_of(with_host("[]")) == status::bad_request); }
    SUBCASE("IPv4 in brackets") {
        CHECK(status_of(with_host("[127.0.0.1]")) == status::bad_request);
    }
    SUBCASE("bad percent-encoding") { CHECK(status_of(with_host("a%zz")) == status::bad_request); }
    SUBCASE("a list of hosts") { CHECK(status_of(with_host("a, b")) == status::bad_request); }
    SUBCASE("a query character") { CHECK(status_of(with_host("a?b")) == status::bad_request); }
    SUBCASE("obs-text") { CHECK(status_of(with_host("caf\xc3\xa9")) == status::bad_request); }
}

TEST_CASE("parser: accepts valid Host values") {
    for (const std::string_view host :
         {"localhost"sv, "localhost:8080"sv, "127.0.0.1:80"sv, "127.0.0.1"sv, "[::1]:8080"sv,
          "[::1]"sv, "[2001:db8::1]:443"sv, "[v1.x]"sv, "xn--d1a.example"sv, "EXAMPLE.com"sv,
          "a%41b"sv, "h:"sv}) {
        CAPTURE(host);
        http::request req;
        const std::string raw = with_host(host);
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.host() == host);
    }
}

// ---------------------------------------------------------------------------------------------
// Field lines (RFC 9112 §5, RFC 9110 §5.5)

TEST_CASE("parser: rejects whitespace between a field name and the colon with 400") {
    // RFC 9112 §5.1: a server MUST reject such a message with 400.
    SUBCASE("SP") { CHECK(status_of(get11("X-A : b\r\n")) == status::bad_request); }
    SUBCASE("HTAB") { CHECK(status_of(get11("X-A\t: b\r\n")) == status::bad_request); }
    SUBCASE("on Host") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n") == status::bad_request);
    }
    SUBCASE("on Content-Length") {
        CHECK(status_of(post11("Content-Length : 5\r\n")) == status::bad_request);
    }
}

TEST_CASE("parser: rejects obs-fold with 400") {
    // RFC 9112 §5.2: a server MUST reject obs-fold or replace it; we reject.
    SUBCASE("continuation line starting with SP") {
        CHECK(status_of(get11("X-A: b\r\n c\r\n")) == status::bad_request);
    }
    SUBCASE("continuation line starting with HTAB") {
        CHECK(status_of(get11("X-A: b\r\n\tc\r\n")) == status::bad_request);
    }
    SUBCASE("folded Host") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost:\r\n example.com\r\n\r\n") == status::bad_request);
    }
}

TEST_CASE("parser: rejects whitespace right after the request line with 400") {
    // RFC 9112 §2.2: whitespace between the start-line and the first field line.
    SUBCASE("SP before the first field") {
        CHECK(status_of("GET / HTTP/1.1\r\n Host: a\r\n\r\n") == status::bad_request);
    }
    SUBCASE("HTAB before the first field") {
        CHECK(status_of("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n") == status::bad_request);
    }
    SUBCASE("a whitespace-only line") {
        CHECK(status_of("GET / HTTP/1.1\r\n \r\nHost: a\r\n\r\n") == status::bad_request);
    }
}

TEST_CASE("parser: rejects a field line without a colon with 400") {
    SUBCASE("name and value") { CHECK(status_of(get11("X-A b\r\n")) == status::bad_request); }
    SUBCASE("name alone") { CHECK(status_of(get11("X-A\r\n")) == status::bad_request); }
}

TEST_CASE("parser: rejects field names that are not tokens with 400") {
    SUBCASE("empty name") { CHECK(status_of(get11(": b\r\n")) == status::bad_request); }
    SUBCASE("parenthesis") { CHECK(status_of(get11("X(A): b\r\n")) == status::bad_request); }
    SUBCASE("quote") { CHECK(status_of(get11("\"X\": b\r\n")) == status::bad_request); }
    SUBCASE("at sign") { CHECK(status_of(get11("X@A: b\r\n")) == status::bad_request); }
    SUBCASE("slash") { CHECK(status_of(get11("X/A: b\r\n")) == status::bad_request); }
    SUBCASE("brackets") { CHECK(status_of(get11("[X]: b\r\n")) == status::bad_request); }
    SUBCASE("obs-text") { CHECK(status_of(get11("X\xc3\xa4: b\r\n")) == status::bad_request); }
    SUBCASE("control byte") { CHECK(status_of(get11("X\001A: b\r\n")) == status::bad_request); }
    SUBCASE("NUL") { CHECK(status_of(get11("X\0A: b\r\n"sv)) == status::bad_request); }
    SUBCASE("DEL") { CHECK(status_of(get11("X\x7f: b\r\n")) == status::bad_request); }
}

TEST_CASE("parser: rejects CR, LF, NUL and other control bytes in field values with 400") {
    SUBCASE("NUL") { CHECK(status_of(get11("X: a\0b\r\n"sv)) == status::bad_request); }
    SUBCASE("bare CR") { CHECK(status_of(get11("X: a\rb\r\n")) == status::bad_request); }
    SUBCASE("CR before CRLF") { CHECK(status_of(get11("X: a\r\r\n")) == status::bad_request); }
    SUBCASE("bare LF") { CHECK(status_of(get11("X: a\nb\r\n")) == status::bad_request); }
    SUBCASE("0x01") { CHECK(status_of(get11("X: a\001b\r\n")) == status::bad_request); }
    SUBCASE("ESC") { CHECK(status_of(get11("X: a\033b\r\n")) == status::bad_request); }
    SUBCASE("0x1f") { CHECK(status_of(get11("X: a\037b\r\n")) == status::bad_request); }
    SUBCASE("DEL") { CHECK(status_of(get11("X: a\177b\r\n")) == status::bad_request); }
    SUBCASE("a control byte in the Host value") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n") == status::bad_request);
    }
    SUBCASE("HTAB and obs-text are allowed") {
        http::request req;
        const std::string raw = get11("X: a\tb \xc3\xa9\x80\xff\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.header("X") == "a\tb \xc3\xa9\x80\xff");
    }
}

TEST_CASE("parser: rejects a bare CR anywhere with 400") {
    SUBCASE("in the method") {
        CHECK(status_of("GE\rT / HTTP/1.1\r\nHost: a\r\n\r\n") == status::bad_request);
    }
    SUBCASE("after the method") {
        CHECK(status_of("GET\r/ HTTP/1.1\r\nHost: a\r\n\r\n") == status::bad_request);
    }
    SUBCASE("in the target") {
        CHECK(status_of("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n") == status::bad_request);
    }
    SUBCASE("ending the request line") {
        CHECK(status_of("GET / HTTP/1.1\rHost: a\r\n\r\n") == status::bad_request);
    }
    SUBCASE("in a field name") {
        CHECK(status_of("GET / HTTP/1.1\r\nHo\rst: a\r\n\r\n") == status::bad_request);
    }
    SUBCASE("at the start of a field line") {
        CHECK(status_of("GET / HTTP/1.1\r\n\rHost: a\r\n\r\n") == status::bad_request);
    }
    SUBCASE("ending a field line") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n") == status::bad_request);
    }
    SUBCASE("as the final empty line") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n") == status::bad_request);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\n\rX") == status::bad_request);
    }
}

TEST_CASE("parser: rejects bare LF line endings with 400") {
    // RFC 9112 §2.2 lets a recipient accept a bare LF; we are strict and require CRLF.
    SUBCASE("everywhere") {
        CHECK(status_of("GET / HTTP/1.1\nHost: a\n\n") == status::bad_request);
    }
    SUBCASE("after the request line") {
        CHECK(status_of("GET / HTTP/1.1\nHost: a\r\n\r\n") == status::bad_request);
    }
    SUBCASE("after a field line") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n") == status::bad_request);
    }
    SUBCASE("as the final empty line") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\n\n") == status::bad_request);
    }
    SUBCASE("after trailing whitespace of a value") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a \n\r\n") == status::bad_request);
    }
}

TEST_CASE("parser: trims OWS around field values") {
    http::request req;
    const std::string raw = get11("A:   x y  \t\r\nB:\tz\r\nC:\r\nD:  \t \r\nE:v\r\n");
    REQUIRE(parse(raw, req).state == parse_status::complete);
    CHECK(req.header("A") == "x y");
    CHECK(req.header("B") == "z");
    CHECK(req.header("C") == "");
    CHECK(req.header("D") == "");
    CHECK(req.header("E") == "v");
}

TEST_CASE("parser: stores names and values as views into the input buffer") {
    const std::string raw = "POST /up/load?x=1 HTTP/1.1\r\nHost: example.com\r\n"
                            "Content-Type:  application/json \r\nContent-Length: 2\r\n\r\n{}";
    http::request req;
    REQUIRE(parse(raw, req).state == parse_status::complete);
    CHECK(points_into(req.method_name(), raw));
    CHECK(points_into(req.target(), raw));
    CHECK(points_into(req.path(), raw));
    CHECK(points_into(req.query(), raw));
    CHECK(points_into(req.host(), raw));
    REQUIRE(req.headers().size() == 3);
    for (const auto& f : req.headers()) {
        CAPTURE(f.name);
        CHECK(points_into(f.name, raw));
        CHECK(points_into(f.value, raw));
    }
    CHECK(req.headers()[1].value.data() == raw.data() + raw.find("application/json"));
    CHECK(req.headers()[1].value == "application/json");
}

TEST_CASE("parser: header() lookup is case-insensitive and returns the first field") {
    http::request req;
    const std::string raw = get11("X-Dup: first\r\nx-dup: second\r\nContent-Type: text/plain\r\n");
    REQUIRE(parse(raw, req).state == parse_status::complete);
    CHECK(req.header("content-type") == "text/plain");
    CHECK(req.header("CONTENT-TYPE") == "text/plain");
    CHECK(req.header("X-DUP") == "first");
    CHECK_FALSE(req.header("X-Missing").has_value());
    CHECK_FALSE(req.header("X-Du").has_value());
    SUBCASE("headers() keeps order and the received case") {
        REQUIRE(req.headers().size() == 4);
        CHECK(req.headers()[0].name == "Host");
        CHECK(req.headers()[1].name == "X-Dup");
        CHECK(req.headers()[2].name == "x-dup");
        CHECK(req.headers()[2].value == "second");
        CHECK(req.headers()[3].name == "Content-Type");
    }
}

TEST_CASE("parser: resets a reused request object") {
    http::request req;
    REQUIRE(parse("POST http://a/x?q HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nConnection: close"
                  "\r\nContent-Length: 3\r\n\r\n",
                  req)
                .state == parse_status::complete);
    REQUIRE(parse("GET / HTTP/1.0\r\n\r\n", req).state == parse_status::complete);
    CHECK(req.headers().empty());
    CHECK(req.method() == http::method::get);
    CHECK(req.form() == http::target_form::origin);
    CHECK(req.query().empty());
    CHECK(req.host().empty());
    CHECK(req.content_length() == 0);
    CHECK_FALSE(req.keep_alive());
    CHECK_FALSE(req.header("A").has_value());
}

// ---------------------------------------------------------------------------------------------
// Limits (431)

TEST_CASE("parser: answers 431 to a header section over max_header_bytes") {
    http::parse_limits lim;
    lim.max_header_bytes = 64;
    // "Host: a\r\n" (9) + "X: " + pad + "\r\n" + "\r\n": 16 + pad bytes, CRLFs included.
    const auto head = [](std::size_t pad) {
        return "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(pad, 'v') + "\r\n\r\n";
    };
    SUBCASE("a section of exactly the limit is accepted") {
        CHECK(status_of(head(48), lim) == status::ok);
    }
    SUBCASE("one byte over the limit") {
        CHECK(status_of(head(49), lim) == status::request_header_fields_too_large);
    }
    SUBCASE("over the limit before the section is complete") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(100, 'v'), lim) ==
              status::request_header_fields_too_large);
    }
    SUBCASE("many short fields over the limit") {
        std::string fields;
        for (int i = 0; i < 10; ++i) fields += "X: 1\r\n";
        CHECK(status_of(get11(fields), lim) == status::request_header_fields_too_large);
    }
    SUBCASE("the default limit is 8 KiB") {
        // "Host: example.com\r\n" (19) + "X: " + pad + "\r\n" + "\r\n" = 26 + pad.
        CHECK(status_once(get11("X: " + std::string(8192 - 26, 'v') + "\r\n")) == status::ok);
        CHECK(status_once(get11("X: " + std::string(8192 - 25, 'v') + "\r\n")) ==
              status::request_header_fields_too_large);
    }
    SUBCASE("the request line does not count against the section") {
        http::parse_limits both;
        both.max_header_bytes = 64;
        both.max_request_line = 200;
        const std::string line = "GET /" + std::string(150, 'a') + " HTTP/1.1";
        CHECK(status_of(line + "\r\nHost: a\r\n\r\n", both) == status::ok);
    }
}

TEST_CASE("parser: answers 431 to more than max_header_fields fields") {
    http::parse_limits lim;
    lim.max_header_fields = 3;
    SUBCASE("exactly the limit is accepted") {
        CHECK(status_of(get11("A: 1\r\nB: 2\r\n"), lim) == status::ok);
    }
    SUBCASE("one field over the limit") {
        CHECK(status_of(get11("A: 1\r\nB: 2\r\nC: 3\r\n"), lim) ==
              status::request_header_fields_too_large);
    }
    SUBCASE("over the limit before the section is complete") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n", lim) ==
              status::request_header_fields_too_large);
    }
    SUBCASE("the default limit is 100 fields") {
        std::string fields99, fields100;
        for (int i = 0; i < 99; ++i) fields99 += "X-" + std::to_string(i) + ": v\r\n";
        fields100 = fields99 + "X-last: v\r\n";
        CHECK(status_once(get11(fields99)) == status::ok);
        CHECK(status_once(get11(fields100)) == status::request_header_fields_too_large);
    }
    SUBCASE("more than 32 fields (beyond the reserved capacity) parse") {
        std::string fields;
        for (int i = 0; i < 40; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
        http::request req;
        const std::string raw = get11(fields);
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.headers().size() == 41);
        CHECK(req.header("x-39") == "v");
    }
}

// ---------------------------------------------------------------------------------------------
// Content-Length (RFC 9110 §8.6, RFC 9112 §6.3)

TEST_CASE("parser: accepts a plain-digit Content-Length") {
    http::request req;
    SUBCASE("5") {
        const std::string raw = post11("Content-Length: 5\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.content_length() == 5);
        CHECK_FALSE(req.chunked());
    }
    SUBCASE("0") {
        const std::string raw = post11("Content-Length: 0\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.content_length() == 0);
    }
    SUBCASE("leading zeros") {
        const std::string raw = post11("Content-Length: 007\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.content_length() == 7);
    }
    SUBCASE("surrounding whitespace") {
        const std::string raw = post11("Content-Length: \t 12 \t\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.content_length() == 12);
    }
    SUBCASE("the largest 64-bit value") {
        const std::string raw = post11("Content-Length: 18446744073709551615\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.content_length() == UINT64_MAX);
    }
    SUBCASE("the field name is case-insensitive") {
        const std::string raw = post11("content-LENGTH: 3\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.content_length() == 3);
    }
    SUBCASE("in HTTP/1.0") {
        const std::string raw = post10("Content-Length: 4\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.content_length() == 4);
    }
}

TEST_CASE("parser: accepts identical duplicate Content-Length values") {
    // RFC 9110 §8.6: a recipient MAY collapse a list of identical values into one.
    http::request req;
    SUBCASE("as a list") {
        const std::string raw = post11("Content-Length: 5, 5\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.content_length() == 5);
    }
    SUBCASE("as a list without spaces") {
        const std::string raw = post11("Content-Length: 5,5,5\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.content_length() == 5);
    }
    SUBCASE("as two fields") {
        const std::string raw = post11("Content-Length: 5\r\nContent-Length: 5\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.content_length() == 5);
    }
    SUBCASE("as a field and a list") {
        const std::string raw = post11("Content-Length: 5\r\nContent-Length: 5 , 5\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.content_length() == 5);
    }
}

TEST_CASE("parser: rejects invalid Content-Length with 400") {
    SUBCASE("differing values in a list") {
        CHECK(status_of(post11("Content-Length: 5, 6\r\n")) == status::bad_request);
    }
    SUBCASE("differing values in two fields") {
        CHECK(status_of(post11("Content-Length: 5\r\nContent-Length: 6\r\n")) ==
              status::bad_request);
    }
    SUBCASE("a differing value in a second field's list") {
        CHECK(status_of(post11("Content-Length: 5\r\nContent-Length: 5, 6\r\n")) ==
              status::bad_request);
    }
    SUBCASE("+5") { CHECK(status_of(post11("Content-Length: +5\r\n")) == status::bad_request); }
    SUBCASE("-5") { CHECK(status_of(post11("Content-Length: -5\r\n")) == status::bad_request); }
    SUBCASE("5a") { CHECK(status_of(post11("Content-Length: 5a\r\n")) == status::bad_request); }
    SUBCASE("0x5") { CHECK(status_of(post11("Content-Length: 0x5\r\n")) == status::bad_request); }
    SUBCASE("5.0") { CHECK(status_of(post11("Content-Length: 5.0\r\n")) == status::bad_request); }
    SUBCASE("5 5") { CHECK(status_of(post11("Content-Length: 5 5\r\n")) == status::bad_request); }
    SUBCASE("empty value") {
        CHECK(status_of(post11("Content-Length:\r\n")) == status::bad_request);
        CHECK(status_of(post11("Content-Length:   \r\n")) == status::bad_request);
    }
    SUBCASE("empty list element") {
        CHECK(status_of(post11("Content-Length: 5,,5\r\n")) == status::bad_request);
        CHECK(status_of(post11("Content-Length: 5,\r\n")) == status::bad_request);
        CHECK(status_of(post11("Content-Length: ,5\r\n")) == status::bad_request);
        CHECK(status_of(post11("Content-Length: 5, ,5\r\n")) == status::bad_request);
    }
    SUBCASE("overflowing 64 bits") {
        CHECK(status_of(post11("Content-Length: 18446744073709551616\r\n")) == status::bad_request);
        CHECK(status_of(post11("Content-Length: 99999999999999999999999\r\n")) ==
              status::bad_request);
    }
    SUBCASE("invalid in HTTP/1.0 too") {
        CHECK(status_of(post10("Content-Length: 5a\r\n")) == status::bad_request);
    }
}

// ---------------------------------------------------------------------------------------------
// Transfer-Encoding (RFC 9112 §6.1, §6.3)

TEST_CASE("parser: rejects Transfer-Encoding together with Content-Length with 400") {
    SUBCASE("Transfer-Encoding first") {
        CHECK(status_of(post11("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")) ==
              status::bad_request);
    }
    SUBCASE("Content-Length first") {
        CHECK(status_of(post11("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")) ==
              status::bad_request);
    }
    SUBCASE("Content-Length: 0") {
        CHECK(status_of(post11("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n")) ==
              status::bad_request);
    }
    SUBCASE("an invalid Content-Length") {
        CHECK(status_of(post11("Content-Length: x\r\nTransfer-Encoding: chunked\r\n")) ==
              status::bad_request);
    }
}

TEST_CASE("parser: accepts chunked as the final transfer coding") {
    for (const std::string_view te : {"chunked"sv, "Chunked"sv, "CHUNKED"sv, " chunked "sv,
                                      "chunked , "sv, ", chunked"sv, "\tchunked\t"sv}) {
        CAPTURE(te);
        http::request req;
        const std::string raw = post11("Transfer-Encoding: " + std::string(te) + "\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.chunked());
        CHECK(req.content_length() == 0);
    }
}

TEST_CASE("parser: rejects Transfer-Encoding in HTTP/1.0 with 400") {
    // RFC 9112 §6.1: TE in an HTTP/1.0 request means the framing is faulty.
    SUBCASE("chunked") {
        CHECK(status_of(post10("Transfer-Encoding: chunked\r\n")) == status::bad_request);
    }
    SUBCASE("with a Host") {
        CHECK(status_of(post10("Host: a\r\nTransfer-Encoding: chunked\r\n")) ==
              status::bad_request);
    }
}

TEST_CASE("parser: rejects malformed Transfer-Encoding lists with 400") {
    SUBCASE("empty value") {
        CHECK(status_of(post11("Transfer-Encoding:\r\n")) == status::bad_request);
    }
    SUBCASE("only commas") {
        CHECK(status_of(post11("Transfer-Encoding: , ,\r\n")) == status::bad_request);
    }
    SUBCASE("codings separated by SP") {
        CHECK(status_of(post11("Transfer-Encoding: gzip chunked\r\n")) == status::bad_request);
    }
    SUBCASE("a quoted coding") {
        CHECK(status_of(post11("Transfer-Encoding: \"chunked\"\r\n")) == status::bad_request);
    }
    SUBCASE("a non-token coding") {
        CHECK(status_of(post11("Transfer-Encoding: gzip/1, chunked\r\n")) == status::bad_request);
    }
    SUBCASE("a parameter without a name") {
        CHECK(status_of(post11("Transfer-Encoding: gzip;=1, chunked\r\n")) == status::bad_request);
    }
    SUBCASE("a parameter without a value") {
        CHECK(status_of(post11("Transfer-Encoding: gzip;q, chunked\r\n")) == status::bad_request);
        CHECK(status_of(post11("Transfer-Encoding: gzip;q=, chunked\r\n")) == status::bad_request);
    }
    SUBCASE("an empty parameter") {
        CHECK(status_of(post11("Transfer-Encoding: gzip;, chunked\r\n")) == status::bad_request);
    }
    SUBCASE("an unterminated quoted parameter") {
        CHECK(status_of(post11("Transfer-Encoding: gzip;q=\"x, chunked\r\n")) ==
              status::bad_request);
    }
    SUBCASE("junk after a parameter") {
        CHECK(status_of(post11("Transfer-Encoding: gzip;q=1 x, chunked\r\n")) ==
              status::bad_request);
    }
}

TEST_CASE("parser: rejects a final transfer coding other than chunked with 400") {
    // RFC 9112 §6.3: a request whose final coding is not chunked has no reliable length.
    SUBCASE("chunked, gzip") {
        CHECK(status_of(post11("Transfer-Encoding: chunked, gzip\r\n")) == status::bad_request);
    }
    SUBCASE("gzip") {
        CHECK(status_of(post11("Transfer-Encoding: gzip\r\n")) == status::bad_request);
    }
    SUBCASE("identity") {
        CHECK(status_of(post11("Transfer-Encoding: identity\r\n")) == status::bad_request);
    }
    SUBCASE("chunked, then gzip in a second field") {
        CHECK(status_of(post11("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n")) ==
              status::bad_request);
    }
}

TEST_CASE("parser: rejects chunked applied twice or with parameters with 400") {
    // RFC 9112 §6.1: a sender MUST NOT apply chunked more than once; it has no parameters.
    SUBCASE("chunked, chunked") {
        CHECK(status_of(post11("Transfer-Encoding: chunked, chunked\r\n")) == status::bad_request);
    }
    SUBCASE("chunked in two fields") {
        CHECK(status_of(post11("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")) ==
              status::bad_request);
    }
    SUBCASE("chunked;a=b") {
        CHECK(status_of(post11("Transfer-Encoding: chunked;a=b\r\n")) == status::bad_request);
    }
    SUBCASE("chunked with a quoted parameter after another coding") {
        CHECK(status_of(post11("Transfer-Encoding: gzip, chunked; a=\"b\"\r\n")) ==
              status::bad_request);
    }
    SUBCASE("chunked; without a parameter") {
        CHECK(status_of(post11("Transfer-Encoding: chunked;\r\n")) == status::bad_request);
    }
}

TEST_CASE("parser: answers 501 to a well-formed coding list naming codings we lack") {
    SUBCASE("gzip, chunked") {
        CHECK(status_of(post11("Transfer-Encoding: gzip, chunked\r\n")) == status::not_implemented);
    }
    SUBCASE("x-custom, chunked") {
        CHECK(status_of(post11("Transfer-Encoding: x-custom, chunked\r\n")) ==
              status::not_implemented);
    }
    SUBCASE("gzip and chunked in two fields") {
        CHECK(status_of(post11("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")) ==
              status::not_implemented);
    }
    SUBCASE("a coding with parameters") {
        CHECK(status_of(post11("Transfer-Encoding: x ; a = 1 ; b=\"c,\\\"d\", chunked\r\n")) ==
              status::not_implemented);
    }
}

// ---------------------------------------------------------------------------------------------
// Expect (RFC 9110 §10.1.1) and Connection (RFC 9112 §9.3)

TEST_CASE("parser: sets expects_continue only for HTTP/1.1 requests with a body") {
    http::request req;
    SUBCASE("HTTP/1.1 with Content-Length") {
        const std::string raw = post11("Expect: 100-continue\r\nContent-Length: 5\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.expects_continue());
    }
    SUBCASE("HTTP/1.1 chunked") {
        const std::string raw = post11("Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.expects_continue());
    }
    SUBCASE("the expectation is case-insensitive") {
        const std::string raw = post11("Expect: 100-Continue\r\nContent-Length: 5\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK(req.expects_continue());
    }
    SUBCASE("HTTP/1.1 without a body") {
        const std::string raw = post11("Expect: 100-continue\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK_FALSE(req.expects_continue());
    }
    SUBCASE("HTTP/1.1 with Content-Length: 0") {
        const std::string raw = post11("Expect: 100-continue\r\nContent-Length: 0\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK_FALSE(req.expects_continue());
    }
    SUBCASE("HTTP/1.0 with a body") {
        const std::string raw = post10("Expect: 100-continue\r\nContent-Length: 5\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK_FALSE(req.expects_continue());
    }
    SUBCASE("no Expect field") {
        const std::string raw = post11("Content-Length: 5\r\n");
        CHECK(parse(raw, req).state == parse_status::complete);
        CHECK_FALSE(req.expects_continue());
    }
}

TEST_CASE("parser: answers 417 to an expectation other than 100-continue") {
    SUBCASE("an unknown expectation") {
        CHECK(status_of(post11("Expect: foo\r\nContent-Length: 5\r\n")) ==
              status::expectation_failed);
    }
    SUBCASE("100-continue and another") {
        CHECK(status_of(post11("Expect: 100-continue, foo\r\nContent-Length: 5\r\n")) ==
              status::expectation_failed);
    }
    SUBCASE("100-continue with a parameter") {
        CHECK(status_of(post11("Expect: 100-continue=1\r\nContent-Length: 5\r\n")) ==
              status::expectation_failed);
    }
    SUBCASE("without a body") {
        CHECK(status_of(get11("Expect: bar\r\n")) == status::expectation_failed);
    }
}

TEST_CASE("parser: decides keep-alive from the version and Connection") {
    struct row {
        std::string_view raw;
        bool keep_alive;
    };
    const row rows[] = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", true},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: upgrade\r\n\r\n", false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.raw);
        http::request req;
        CHECK(parse(r.raw, req).state == parse_status::complete);
        CHECK(req.keep_alive() == r.keep_alive);
    }
}

// ---------------------------------------------------------------------------------------------
// Pipelining, byte splits and the guard page

TEST_CASE("parser: parses pipelined requests from consumed offsets") {
    const std::string raw = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
                            "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                            "\r\n" // an empty line after a body is ignored (RFC 9112 §2.2)
                            "GET /three HTTP/1.0\r\n\r\n";
    std::vector<std::string> targets;
    std::string body;
    std::size_t off = 0;
    for (int n = 0; n < 3; ++n) {
        http::request req;
        const auto r = http::parse_request(std::string_view(raw).substr(off), req);
        REQUIRE(r.state == parse_status::complete);
        CHECK(points_into(req.target(), std::string_view(raw).substr(off, r.consumed)));
        targets.emplace_back(req.target());
        off += r.consumed;
        if (req.content_length() > 0) {
            body = raw.substr(off, req.content_length());
            off += req.content_length();
        }
    }
    CHECK(targets == std::vector<std::string>{"/one", "/two", "/three"});
    CHECK(body == "hello");
    CHECK(off == raw.size());
    SUBCASE("a complete first request with half of the next one") {
        const std::string_view partial = std::string_view(raw).substr(0, 45);
        http::request req;
        const auto first = http::parse_request(partial, req);
        REQUIRE(first.state == parse_status::complete);
        CHECK(req.target() == "/one");
        CHECK(http::parse_request(partial.substr(first.consumed), req).state ==
              parse_status::need_more);
    }
    SUBCASE("every prefix agrees, the first head wherever the buffer ends") {
        http::request req;
        const auto r = parse(raw, req);
        CHECK(r.state == parse_status::complete);
        CHECK(req.target() == "/one");
    }
}

TEST_CASE("parser: needs more at every prefix of valid requests and agrees when complete") {
    const std::string_view samples[] = {
        browser_get,
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "\r\n\r\nGET /x?y=%20 HTTP/1.0\r\n\r\n",
        "POST /upload HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/json\r\n"
        "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n",
        "PUT /f HTTP/1.1\r\nHost: [::1]:80\r\nTransfer-Encoding:  Chunked \r\n"
        "X-Q: gzip;q=\"a\\\"b\"\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Ws: \t a \t\r\n\r\n",
        "GET http://example.com:8080?q HTTP/1.1\r\nHost: ignored\r\n\r\n",
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    };
    for (const auto raw : samples) {
        CAPTURE(raw);
        // One byte at a time into a growing buffer, as reads would deliver it; each call
        // re-parses from the start.
        http::request whole;
        const auto expected = http::parse_request(raw, whole);
        std::string buf;
        http::parse_result last{};
        std::size_t need_more_count = 0;
        for (const char c : raw) {
            buf.push_back(c);
            http::request req;
            last = http::parse_request(buf, req);
            if (last.state == parse_status::need_more) ++need_more_count;
            if (last.state == parse_status::complete) CHECK(dump(req) == dump(whole));
        }
        CHECK(expected.state == parse_status::complete);
        CHECK(last.state == parse_status::complete);
        CHECK(last.consumed == raw.size());
        CHECK(need_more_count == raw.size() - 1);
        http::request req;
        CHECK(parse(raw, req).state == parse_status::complete); // prefixes, guard page
    }
}

TEST_CASE("parser: never reports complete for a prefix of an invalid request") {
    const std::string_view samples[] = {
        "GET / HTTP/1.1\r\nHost: a\r\nX : b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        "GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n",
    };
    for (const auto raw : samples) {
        CAPTURE(raw);
        bool any_complete = false;
        for (std::size_t i = 0; i <= raw.size(); ++i) {
            http::request req;
            if (http::parse_request(raw.substr(0, i), req).state == parse_status::complete)
                any_complete = true;
        }
        CHECK_FALSE(any_complete);
        CHECK(status_of(raw) != status::ok); // also against the guard page
    }
}

TEST_CASE("parser: never reads past the end of its input (guard page)") {
    const std::string_view samples[] = {
        browser_get,
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /%4",
        "GET / HTTP/1.",
        "GET / HTTP/1.1\r",
        "GET / HTTP/1.1\r\nHost: a\r",
        "GET / HTTP/1.1\r\nHost: a\r\n\r",
        "\r",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q=\"x\\",
        "GET http://[::1",
        "GET / HTTP/1.1\r\nHost: [v1.",
    };
    for (const auto raw : samples) {
        CAPTURE(raw);
        guard_page guard(raw.size());
        REQUIRE(guard.ok());
        std::size_t parsed = 0;
        for (std::size_t i = 0; i <= raw.size(); ++i) {
            http::request req;
            const auto in = guard.place(raw.substr(0, i));
            const auto r = http::parse_request(in, req);
            if (r.state != parse_status::error) ++parsed; // an over-read would have crashed
        }
        CHECK(parsed == raw.size() + 1);
    }
}

// ---------------------------------------------------------------------------------------------
// detail helpers

// ---------------------------------------------------------------------------------------------
// Stable error codes: each rule names itself (http::errc), with the status the table gives it

TEST_CASE("parser: each rule is refused with its own errc and status") {
    struct rule {
        const char* name;
        std::string raw;
        http::parse_limits lim;
        errc code;
    };
    const std::string many_empty_lines = "\r\n\r\n\r\n\r\n\r\n" + with_line("GET / HTTP/1.1");
    const rule rules[] = {
        // Request line (RFC 9112 §2.2, §3)
        {"a bare LF before the request line",
         "\n" + with_line("GET / HTTP/1.1"),
         {},
         errc::bare_lf},
        {"a bare CR before the request line",
         "\rX" + with_line("GET / HTTP/1.1"),
         {},
         errc::bare_cr},
        {"empty lines beyond max_request_line",
         many_empty_lines,
         {.max_request_line = 8},
         errc::too_many_empty_lines},
        {"a request line over max_request_line",
         with_line("GET /abcdefghij HTTP/1.1"),
         {.max_request_line = 10},
         errc::request_line_too_long},
        {"a syntax error past max_request_line",
         with_line("GET /abcdefghij\001 HTTP/1.1"),
         {.max_request_line = 10},
         errc::request_line_too_long},
        {"a method that is not a token", with_line("G(T / HTTP/1.1"), {}, errc::invalid_method},
        {"an empty method", with_line(" / HTTP/1.1"), {}, errc::invalid_method},
        {"a bad percent-encoding",
         with_line("GET /a%zz HTTP/1.1"),
         {},
         errc::invalid_percent_encoding},
        {"a fragment in the target", with_line("GET /a#b HTTP/1.1"), {}, errc::invalid_target},
        {"a control byte in the target",
         with_line("GET /a\001 HTTP/1.1"),
         {},
         errc::invalid_target},
        {"two spaces after the method", with_line("GET  / HTTP/1.1"), {}, errc::invalid_target},
        {"a lower-case protocol name", with_line("GET / http/1.1"), {}, errc::invalid_version},
        {"a two-digit minor version", with_line("GET / HTTP/1.10"), {}, errc::invalid_version},
        {"a request line ended by a bare LF", "GET / HTTP/1.1\nHost: a\r\n\r\n", {}, errc::bare_lf},
        {"a request line ended by a bare CR", "GET / HTTP/1.1\rHost: a\r\n\r\n", {}, errc::bare_cr},
        {"HTTP/1.2", with_line("GET / HTTP/1.2"), {}, errc::unsupported_version},
        {"HTTP/2.0", with_line("GET / HTTP/2.0"), {}, errc::unsupported_version},
        // Field lines (RFC 9112 §5, RFC 9110 §5.5)
        {"a field section over max_header_bytes",
         get11("X-A: 0123456789\r\n"),
         {.max_header_bytes = 24},
         errc::header_section_too_large},
        {"a syntax error past max_header_bytes",
         get11("X-A: 0123456789\001\r\n"),
         {.max_header_bytes = 24},
         errc::header_section_too_large},
        {"more fields than max_header_fields",
         get11("A: 1\r\n"),
         {.max_header_fields = 1},
         errc::too_many_fields},
        {"obs-fold", get11("A: 1\r\n 2\r\n"), {}, errc::obs_fold},
        {"whitespace before the first field",
         "GET / HTTP/1.1\r\n\tHost: a\r\n\r\n",
         {},
         errc::obs_fold},
        {"whitespace before a colon", get11("A : 1\r\n"), {}, errc::invalid_field_name},
        {"a field line without a colon", get11("A\r\n"), {}, errc::invalid_field_name},
        {"an empty field name", get11(": 1\r\n"), {}, errc::invalid_field_name},
        {"a field name that is not a token", get11("A(b): 1\r\n"), {}, errc::invalid_field_name},
        {"a control byte in a value", get11("A: 1\001\r\n"), {}, errc::invalid_field_value},
        {"NUL in a value", get11("A: 1\0\r\n"sv), {}, errc::invalid_field_value},
        {"DEL in a value", get11("A: 1\177\r\n"), {}, errc::invalid_field_value},
        {"a bare CR in a value", get11("A: 1\r2\r\n"), {}, errc::bare_cr},
        {"a field line ended by a bare LF", get11("A: 1\n"), {}, errc::bare_lf},
        {"a bare LF as the empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n", {}, errc::bare_lf},
        {"a bare CR as the empty line", "GET / HTTP/1.1\r\nHost: a\r\n\rX", {}, errc::bare_cr},
        // Target forms and Host (RFC 9112 §3.2, RFC 9110 §4.2, §7.2)
        {"asterisk-form with GET",
         with_line("GET * HTTP/1.1"),
         {},
         errc::asterisk_form_not_options},
        {"CONNECT without a port",
         with_line("CONNECT example.com HTTP/1.1"),
         {},
         errc::invalid_authority},
        {"absolute-form with userinfo",
         with_line("GET http://u@example.com/ HTTP/1.1"),
         {},
         errc::invalid_authority},
        {"absolute-form with an empty host",
         with_line("GET http:///p HTTP/1.1"),
         {},
         errc::invalid_authority},
        {"absolute-form with another scheme",
         with_line("GET ftp://example.com/ HTTP/1.1"),
         {},
         errc::unsupported_scheme},
        {"a target in no known form",
         with_line("GET example.com HTTP/1.1"),
         {},
         errc::invalid_target},
        {"CONNECT with an origin-form target",
         with_line("CONNECT / HTTP/1.1"),
         {},
         errc::connect_without_authority},
        {"HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", {}, errc::missing_host},
        {"two Host fields", get11("Host: example.com\r\n"), {}, errc::duplicate_host},
        {"two Host fields in HTTP/1.0",
         "GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n",
         {},
         errc::duplicate_host},
        {"an invalid Host", with_host("a b"), {}, errc::invalid_host},
        {"an empty Host", with_host(""), {}, errc::invalid_host},
        // Connection, framing and Expect (RFC 9110 §7.6.1, RFC 9112 §6, RFC 9110 §10.1.1)
        {"a Connection option that is not a token",
         get11("Connection: \"close\"\r\n"),
         {},
         errc::invalid_connection_option},
        {"a Content-Length that is not a number",
         post11("Content-Length: 5x\r\n"),
         {},
         errc::invalid_content_length},
        {"differing Content-Length values",
         post11("Content-Length: 5, 6\r\n"),
         {},
         errc::invalid_content_length},
        {"Transfer-Encoding with Content-Length",
         post11("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
         {},
         errc::transfer_encoding_with_length},
        {"Transfer-Encoding with an invalid Content-Length",
         post11("Content-Length: x\r\nTransfer-Encoding: chunked\r\n"),
         {},
         errc::transfer_encoding_with_length},
        {"Transfer-Encoding in HTTP/1.0",
         post10("Transfer-Encoding: chunked\r\n"),
         {},
         errc::transfer_encoding_in_http10},
        {"Transfer-Encoding with Content-Length in HTTP/1.0",
         post10("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
         {},
         errc::transfer_encoding_in_http10},
        {"a final coding other than chunked",
         post11("Transfer-Encoding: gzip\r\n"),
         {},
         errc::invalid_transfer_encoding},
        {"chunked applied twice",
         post11("Transfer-Encoding: chunked, chunked\r\n"),
         {},
         errc::invalid_transfer_encoding},
        {"a malformed coding list",
         post11("Transfer-Encoding: chunked;\r\n"),
         {},
         errc::invalid_transfer_encoding},
        {"a coding we lack before chunked",
         post11("Transfer-Encoding: gzip, chunked\r\n"),
         {},
         errc::unsupported_transfer_coding},
        {"an expectation other than 100-continue",
         get11("Expect: 200-ok\r\n"),
         {},
         errc::unsupported_expectation},
    };
    for (const rule& r : rules) {
        CAPTURE(r.name);
        http::request req;
        const auto res = parse(r.raw, req, r.lim);
        CHECK(res.state == parse_status::error);
        CHECK(res.code == r.code);
        CHECK(res.error == http::status_of(r.code));
        CHECK(res.reason == http::message_of(r.code));
        CHECK(res.consumed == 0);
    }
}

TEST_CASE("parser: a head that is complete or incomplete carries no error code") {
    http::request req;
    const std::string raw = get11("");
    const auto done = http::parse_request(raw, req);
    CHECK(done.state == parse_status::complete);
    CHECK(done.code == errc{});
    CHECK(done.reason.empty());
    const auto more = http::parse_request(std::string_view(raw).substr(0, 10), req);
    CHECK(more.state == parse_status::need_more);
    CHECK(more.code == errc{});
}

TEST_CASE("parser: valid_authority accepts reg-names, IPv4, IP literals and ports") {
    for (const std::string_view a :
         {"a"sv, "localhost"sv, "localhost:8080"sv, "127.0.0.1"sv, "127.0.0.1:80"sv, "[::1]"sv,
          "[::1]:8080"sv, "[2001:db8::1]:443"sv, "[::ffff:192.0.2.1]"sv, "[v1.x]"sv, "[V7.a:b]"sv,
          "[vF0.fe80::1]"sv, "a%20b"sv, "xn--d1a.example"sv, "h:"sv, "a-b_c~d.e!$&'()*+,;="sv,
          "h:65535"sv}) {
        CAPTURE(a);
        CHECK(http::detail::valid_authority(a));
    }
}

TEST_CASE("parser: valid_authority rejects malformed authorities") {
    for (const std::string_view a :
         {""sv,         ":80"sv,         "a b"sv,        "a/b"sv,     "a@b"sv,        "a?b"sv,
          "a#b"sv,      "[::1"sv,        "[zz]"sv,       "[]"sv,      "[::1]x"sv,     "[::1]:x"sv,
          "[::1]]"sv,   "host:port"sv,   "h:123456"sv,   "h:80:80"sv, "a%2"sv,        "a%zz"sv,
          "%"sv,        "[v.x]"sv,       "[vz.x]"sv,     "[v1.]"sv,   "[v1x]"sv,      "[v1]"sv,
          "[v1.x y]"sv, "[127.0.0.1]"sv, "[::1%eth0]"sv, "h\t"sv,     "caf\xc3\xa9"sv}) {
        CAPTURE(a);
        CHECK_FALSE(http::detail::valid_authority(a));
    }
}

TEST_CASE("parser: valid_authority refuses an IP literal with bytes inet_pton would not see") {
    // Found by fuzz/fuzz_fields.cpp: inet_pton stops at a NUL, so "[::1<NUL>junk]" passed.
    // IPv6address is HEXDIG, ":" and "." only (RFC 3986 §3.2.2).
    for (const std::string_view a : {"[::1\0]"sv, "[::1\0junk]"sv, "[::1\0\0\0[]"sv, "[\0::1]:80"sv,
                                     "[::1 ]"sv, "[::ffff:1.2.3.4\0]"sv}) {
        CAPTURE(a);
        CHECK_FALSE(http::detail::valid_authority(a));
    }
    CHECK(http::detail::valid_authority("[::ffff:1.2.3.4]"));
}

TEST_CASE("parser: valid_authority with require_port demands a non-empty port") {
    CHECK(http::detail::valid_authority("h:80", true));
    CHECK(http::detail::valid_authority("[::1]:443", true));
    CHECK_FALSE(http::detail::valid_authority("h", true));
    CHECK_FALSE(http::detail::valid_authority("h:", true));
    CHECK_FALSE(http::detail::valid_authority("[::1]", true));
    CHECK_FALSE(http::detail::valid_authority("[::1]:", true));
}

TEST_CASE("parser: merge_content_length parses and merges Content-Length values") {
    std::uint64_t v = 99;
    bool seen = false;
    SUBCASE("one value") {
        CHECK(http::detail::merge_content_length("42", v, seen));
        CHECK(v == 42);
        CHECK(seen);
    }
    SUBCASE("zero") {
        CHECK(http::detail::merge_content_length("0", v, seen));
        CHECK(v == 0);
    }
    SUBCASE("a list of identical values") {
        CHECK(http::detail::merge_content_length(" 42 ,42,\t42 ", v, seen));
        CHECK(v == 42);
    }
    SUBCASE("identical values across fields, then a differing one") {
        CHECK(http::detail::merge_content_length("42", v, seen));
        CHECK(http::detail::merge_content_length("42", v, seen));
        CHECK_FALSE(http::detail::merge_content_length("43", v, seen));
    }
    SUBCASE("the largest 64-bit value, and one more") {
        CHECK(http::detail::merge_content_length("18446744073709551615", v, seen));
        CHECK(v == UINT64_MAX);
        bool seen2 = false;
        CHECK_FALSE(http::detail::merge_content_length("18446744073709551616", v, seen2));
        CHECK_FALSE(http::detail::merge_content_length("18446744073709551620", v, seen2));
        CHECK_FALSE(http::detail::merge_content_length("184467440737095516150", v, seen2));
    }
    SUBCASE("malformed values") {
        for (const std::string_view s : {""sv, " "sv, "+5"sv, "-5"sv, "5a"sv, "0x5"sv, "5 5"sv,
                                         "5,"sv, ",5"sv, "5,,5"sv, "5, 6"sv, "\xd9\xa5"sv}) {
            CAPTURE(s);
            bool fresh = false;
            CHECK_FALSE(http::detail::merge_content_length(s, v, fresh));
        }
    }
}

TEST_CASE("parser: merge_transfer_encoding folds coding lists") {
    http::detail::transfer_coding_state st;
    SUBCASE("chunked") {
        http::detail::merge_transfer_encoding("chunked", st);
        CHECK(st.any);
        CHECK(st.chunked_seen);
        CHECK(st.chunked_last);
        CHECK_FALSE(st.other);
        CHECK_FALSE(st.malformed);
    }
    SUBCASE("gzip, chunked") {
        http::detail::merge_transfer_encoding("gzip, chunked", st);
        CHECK(st.chunked_last);
        CHECK(st.other);
        CHECK_FALSE(st.malformed);
    }
    SUBCASE("chunked, gzip") {
        http::detail::merge_transfer_encoding("chunked, gzip", st);
        CHECK(st.chunked_seen);
        CHECK_FALSE(st.chunked_last);
        CHECK(st.other);
        CHECK_FALSE(st.malformed);
    }
    SUBCASE("an empty value has no coding") {
        http::detail::merge_transfer_encoding("", st);
        CHECK_FALSE(st.any);
        CHECK_FALSE(st.malformed);
    }
    SUBCASE("empty list elements are skipped") {
        http::detail::merge_transfer_encoding(" , ,chunked,", st);
        CHECK(st.any);
        CHECK(st.chunked_last);
        CHECK_FALSE(st.malformed);
    }
    SUBCASE("two fields fold in order") {
        http::detail::merge_transfer_encoding("gzip", st);
        CHECK_FALSE(st.chunked_last);
        http::detail::merge_transfer_encoding("chunked", st);
        CHECK(st.chunked_last);
        CHECK(st.other);
        CHECK_FALSE(st.malformed);
    }
    SUBCASE("chunked twice across fields") {
        http::detail::merge_transfer_encoding("chunked", st);
        http::detail::merge_transfer_encoding("CHUNKED", st);
        CHECK(st.malformed);
    }
    SUBCASE("parameters with BWS and quoted strings") {
        http::detail::merge_transfer_encoding("x ; a = b ; c=\"d,\\\"e\" , chunked", st);
        CHECK(st.other);
        CHECK(st.chunked_last);
        CHECK_FALSE(st.malformed);
    }
    SUBCASE("malformed lists") {
        for (const std::string_view v :
             {"chunked;a=b"sv, "chunked;"sv, "gzip;q"sv, "gzip;q="sv, "gzip;=1"sv, "gzip;q=\"x"sv,
              "gzip;q=\"x\\"sv, "gzip chunked"sv, "\"gzip\""sv, "gzip/1"sv, "gzip;q=1 x"sv,
              "chunked, chunked"sv}) {
            CAPTURE(v);
            http::detail::transfer_coding_state s;
            http::detail::merge_transfer_encoding(v, s);
            CHECK(s.malformed);
        }
    }
}

TEST_SUITE_END();
