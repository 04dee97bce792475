// libFuzzer target: the validators of single field values.
//
// The input is one field value (or name). Checked for every input:
//  - detail::valid_authority (Host, and CONNECT's authority with require_port) equals an
//    independent implementation of RFC 3986 §3.2.2-§3.2.3 `host [ ":" port ]` written below from
//    the ABNF: IP-literal = "[" ( IPv6address / IPvFuture ) "]" with IPv6address by its nine
//    alternatives (no inet_pton), IPv4address, and reg-name with pct-encoded. Where the library
//    deliberately narrows or reads the grammar, the reference follows it, as listed:
//      - an empty host is invalid (RFC 9110 §4.2.1: an "http" URI has a non-empty host);
//      - the port is at most 5 digits (a value above 65535 in 5 digits passes) and may be empty
//        ("h:", RFC 3986 port = *DIGIT), except with require_port;
//      - no userinfo (RFC 9110 §4.2.4) and no IPv6 zone identifier (RFC 6874 is not supported);
//      - the IPvFuture "v" is case-insensitive (ABNF strings are).
//  - response::add_header and set_header throw std::invalid_argument exactly when the name is
//    not a token, the value has a byte other than VCHAR / obs-text / SP / HTAB, the value has
//    leading or trailing whitespace, the name is a framing field (Content-Length,
//    Transfer-Encoding, Date), or it is Connection with a value other than "close"; and when
//    they do not throw, the field is stored as given. Tried with the input as the name, as the
//    value, and split at its first ':' into both.
//  - http::cookies on a parsed request whose Cookie field values are the input's lines (bytes a
//    field value may not hold replaced by 'x'): no crash, every name and value view lies inside
//    the request buffer, names are non-empty, and the pairs equal those of a plain re-reading of
//    RFC 6265 §5.4's lenient split.

#include <minihttp/cookies.hpp>
#include <minihttp/parser.hpp>
#include <minihttp/response.hpp>

#include "common.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// ---- RFC 3986 host [ ":" port ] ------------------------------------------------------------

bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool hexdig(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool unreserved(char c) {
    return alpha(c) || digit(c) || std::string_view("-._~").find(c) != std::string_view::npos;
}
bool sub_delim(char c) {
    return c != '\0' && std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos;
}

// dec-octet = DIGIT / %x31-39 DIGIT / "1" 2DIGIT / "2" %x30-34 DIGIT / "25" %x30-35
bool dec_octet(std::string_view s) {
    if (s.empty() || s.size() > 3) return false;
    for (const char c : s)
        if (!digit(c)) return false;
    if (s.size() > 1 && s[0] == '0') return false;
    return std::stoi(std::string(s)) <= 255;
}

// IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet
bool ipv4(std::string_view s) {
    for (int k = 0; k < 3; ++k) {
        const auto dot = s.find('.');
        if (dot == std::string_view::npos || !dec_octet(s.substr(0, dot))) return false;
        s.remove_prefix(dot + 1);
    }
    return dec_octet(s);
}

// h16 = 1*4HEXDIG
bool h16(std::string_view s) {
    if (s.empty() || s.size() > 4) return false;
    for (const char c : s)
        if (!hexdig(c)) return false;
    return true;
}

/// Splits `s` on ':' into groups; counts 16-bit pieces (an IPv4 tail counts 2). Returns -1 if a
/// group is not an h16, or an IPv4 is anywhere but last (when `ipv4_tail` allows it at all).
int pieces(std::string_view s, bool ipv4_tail) {
    if (s.empty()) return 0;
    int n = 0;
    while (true) {
        const auto colon = s.find(':');
        const std::string_view g = s.substr(0, colon);
        if (colon == std::string_view::npos) {
            if (h16(g)) return n + 1;
            if (ipv4_tail && ipv4(g)) return n + 2;
            return -1;
        }
        if (!h16(g)) return -1;
        ++n;
        s.remove_prefix(colon + 1);
    }
}

// IPv6address (RFC 3986 §3.2.2): the nine alternatives come down to: without "::", exactly 8
// pieces; with one "::", at most 7 pieces around it (it stands for at least one). h16 groups
// only, except that the last 32 bits (ls32) may be an IPv4address.
bool ipv6(std::string_view s) {
    const auto dc = s.find("::");
    if (dc == std::string_view::npos) return pieces(s, true) == 8;
    if (s.find("::", dc + 1) != std::string_view::npos) return false;
    const std::string_view left = s.substr(0, dc), right = s.substr(dc + 2);
    const int l = pieces(left, false), r = pieces(right, true);
    // A ':' left over next to the "::" ("1:::2") makes an empty group: pieces() refuses it.
    if (l < 0 || r < 0) return false;
    return l + r <= 7;
}

// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
bool ipvfuture(std::string_view s) {
    if (s.size() < 4 || (s[0] != 'v' && s[0] != 'V')) return false;
    std::size_t i = 1;
    while (i < s.size() && hexdig(s[i])) ++i;
    if (i == 1 || i == s.size() || s[i] != '.' || i + 1 == s.size()) return false;
    for (++i; i < s.size(); ++i)
        if (!unreserved(s[i]) && !sub_delim(s[i]) && s[i] != ':') return false;
    return true;
}

// reg-name = *( unreserved / pct-encoded / sub-delims ), non-empty here.
bool reg_name(std::string_view s) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (s.size() - i < 3 || !hexdig(s[i + 1]) || !hexdig(s[i + 2])) return false;
            i += 2;
        } else if (!unreserved(s[i]) && !sub_delim(s[i])) {
            return false;
        }
    }
    return true;
}

bool reference_authority(std::string_view a, bool require_port) {
    std::string_view host = a, port;
    bool has_port = false;
    if (a.starts_with('[')) {
        // An IP-literal ends at the first ']' (neither alternative contains one).
        const auto close = a.find(']');
        if (close == std::string_view::npos) return false;
        host = a.substr(0, close + 1);
        const std::string_view literal = a.substr(1, close - 1), rest = a.substr(close + 1);
        if (!ipv6(literal) && !ipvfuture(literal)) return false;
        if (!rest.empty()) {
            if (rest[0] != ':') return false;
            port = rest.substr(1);
            has_port = true;
        }
    } else {
        // A reg-name (IPv4address is one of them) has no ':', so the first one starts the port.
        const auto colon = a.find(':');
        if (colon != std::string_view::npos) {
            host = a.substr(0, colon);
            port = a.substr(colon + 1);
            has_port = true;
        }
        if (!reg_name(host)) return false;
    }
    for (const char c : port)
        if (!digit(c)) return false;
    if (port.size() > 5) return false;
    if (require_port && (!has_port || port.empty())) return false;
    return true;
}

// ---- response fields -----------------------------------------------------------------------

bool lower_equals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != b[i]) return false;
    }
    return true;
}

// token = 1*tchar (RFC 9110 §5.6.2)
bool token(std::string_view s) {
    if (s.empty()) return false;
    for (const char c : s)
        if (!alpha(c) && !digit(c) &&
            std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos)
            return false;
    return true;
}

/// True if `add_header(name, value)` must throw (see the file comment).
bool must_refuse(std::string_view name, std::string_view value) {
    if (!token(name)) return true;
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        // field-vchar = VCHAR / obs-text, plus SP and HTAB inside (RFC 9110 §5.5)
        if (!((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t')) return true;
    }
    const auto ws = [](char c) { return c == ' ' || c == '\t'; };
    if (!value.empty() && (ws(value.front()) || ws(value.back()))) return true;
    if (lower_equals(name, "content-length") || lower_equals(name, "transfer-encoding") ||
        lower_equals(name, "date"))
        return true;
    return lower_equals(name, "connection") && !lower_equals(value, "close");
}

void check_header(std::string_view name, std::string_view value) {
    const bool refuse = must_refuse(name, value);
    for (const bool replace : {false, true}) {
        http::response r;
        bool threw = false;
        try {
            if (replace)
                r.set_header(name, value);
            else
                r.add_header(name, value);
        } catch (const std::invalid_argument&) {
            threw = true;
        }
        FUZZ_CHECK(threw == refuse, "%s(\"%s\", \"%s\"): %s, expected %s",
                   replace ? "set_header" : "add_header", fuzz::printable(name).c_str(),
                   fuzz::printable(value).c_str(), threw ? "threw" : "accepted",
                   refuse ? "a throw" : "acceptance");
        if (threw) {
            FUZZ_CHECK(r.fields().empty() && !r.closes_connection(), "a refused field left state");
        } else if (lower_equals(name, "connection")) {
            FUZZ_CHECK(r.closes_connection() && r.fields().empty(), "Connection: close");
        } else {
            const std::string line = std::string(name) + ": " + std::string(value) + "\r\n";
            FUZZ_CHECK(r.fields() == line, "stored as \"%s\"", fuzz::printable(r.fields()).c_str());
            FUZZ_CHECK(r.header(name) == value, "header() reads back another value");
        }
    }
}

// ---- cookies -------------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// RFC 6265 §5.4 leniently: split on ';', a pair needs '=' and a non-empty name, surrounding
/// whitespace goes, a value in double quotes loses them.
std::vector<std::pair<std::string, std::string>>
reference_cookies(const std::vector<std::string>& values) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& v : values) {
        std::size_t start = 0;
        while (start <= v.size()) {
            auto semi = v.find(';', start);
            if (semi == std::string::npos) semi = v.size();
            const std::string_view pair = std::string_view(v).substr(start, semi - start);
            start = semi + 1;
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos) continue;
            const std::string_view name = trim(pair.substr(0, eq));
            std::string_view value = trim(pair.substr(eq + 1));
            if (name.empty()) continue;
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            out.emplace_back(name, value);
        }
    }
    return out;
}

void check_cookies(std::string_view in) {
    // Each line of the input is one Cookie field; bytes a value cannot hold become 'x', and the
    // value is trimmed as the parser trims it.
    std::vector<std::string> values;
    std::string raw = "GET / HTTP/1.1\r\nHost: a\r\n";
    std::size_t start = 0;
    while (start <= in.size() && values.size() < 8) {
        auto nl = in.find('\n', start);
        if (nl == std::string_view::npos) nl = in.size();
        std::string v(in.substr(start, nl - start));
        start = nl + 1;
        for (char& c : v)
            if (!http::detail::is(c, http::detail::cc_field_vchar)) c = 'x';
        v = std::string(trim(v));
        raw += "Cookie: " + v + "\r\n";
        values.push_back(std::move(v));
    }
    raw += "\r\n";
    fuzz::exact_copy buf(raw);
    http::request req;
    const auto r = http::parse_request(buf.view(), req, {.max_header_bytes = 1 << 20});
    FUZZ_CHECK(r.state == http::parse_status::complete, "the Cookie request did not parse: %s",
               std::string(r.reason).c_str());
    const std::vector<http::cookie> got = http::cookies(req);
    const auto want = reference_cookies(values);
    FUZZ_CHECK(got.size() == want.size(), "%zu cookies, reference %zu", got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        FUZZ_CHECK(!got[i].name.empty(), "empty cookie name");
        FUZZ_CHECK(buf.holds(got[i].name) && buf.holds(got[i].value),
                   "cookie view outside the request buffer");
        FUZZ_CHECK(got[i].name == want[i].first && got[i].value == want[i].second,
                   "cookie %zu: \"%s\"=\"%s\", reference \"%s\"=\"%s\"", i,
                   fuzz::printable(got[i].name).c_str(), fuzz::printable(got[i].value).c_str(),
                   fuzz::printable(want[i].first).c_str(), fuzz::printable(want[i].second).c_str());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::exact_copy copy(std::string_view(reinterpret_cast<const char*>(data), size));
    const std::string_view in = copy.view();

    for (const bool require_port : {false, true}) {
        const bool got = http::detail::valid_authority(in, require_port);
        const bool want = reference_authority(in, require_port);
        FUZZ_CHECK(got == want, "valid_authority(\"%s\", require_port=%d) = %d, reference %d",
                   fuzz::printable(in).c_str(), require_port, got, want);
    }

    check_header(in, "v");
    check_header("X-Fuzz", in);
    if (const auto colon = in.find(':'); colon != std::string_view::npos)
        check_header(in.substr(0, colon), in.substr(colon + 1));

    check_cookies(in);
    return 0;
}
