#pragma once
/// @file
/// `http::request`: a parsed request whose strings are views into the connection's buffer.

#include <minihttp/detail/chars.hpp>
#include <minihttp/method.hpp>
#include <minihttp/version.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN

/// One field line of a request head, as received (name case preserved, value without the
/// surrounding whitespace).
struct header_field {
    std::string_view name;
    std::string_view value;
};

/// The network address of a peer. A small value type; safe to copy and keep.
class endpoint {
  public:
    endpoint() noexcept = default;
    /// From an IPv4 socket address.
    explicit endpoint(const sockaddr_in& in) noexcept
        : port_(ntohs(in.sin_port)), family_(AF_INET) {
        std::memcpy(addr_, &in.sin_addr, 4);
    }
    /// From an IPv6 socket address.
    explicit endpoint(const sockaddr_in6& in6) noexcept
        : port_(ntohs(in6.sin6_port)), family_(AF_INET6) {
        std::memcpy(addr_, &in6.sin6_addr, 16);
    }
    /// From what accept(2) or getsockname(2) filled in; families other than AF_INET and
    /// AF_INET6 give an empty endpoint.
    explicit endpoint(const sockaddr_storage& ss) noexcept {
        if (ss.ss_family == AF_INET)
            *this = endpoint(reinterpret_cast<const sockaddr_in&>(ss));
        else if (ss.ss_family == AF_INET6)
            *this = endpoint(reinterpret_cast<const sockaddr_in6&>(ss));
    }
    /// AF_INET, AF_INET6, or AF_UNSPEC for an unknown peer.
    [[nodiscard]] int family() const noexcept { return family_; }
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    /// The address in its textual form ("127.0.0.1", "::1"); empty for an unknown peer.
    [[nodiscard]] std::string address() const {
        char text[INET6_ADDRSTRLEN] = {};
        if (family_ == AF_UNSPEC || inet_ntop(family_, addr_, text, sizeof text) == nullptr)
            return {};
        return text;
    }
    /// Raw address bytes (4 for IPv4, 16 for IPv6), e.g. for per-client accounting.
    [[nodiscard]] std::span<const unsigned char> bytes() const noexcept {
        return {addr_, family_ == AF_INET ? 4u : family_ == AF_INET6 ? 16u : 0u};
    }
    /// True for a loopback address: 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104.
    [[nodiscard]] bool is_loopback() const noexcept {
        if (family_ == AF_INET) return addr_[0] == 127;
        if (family_ != AF_INET6) return false;
        static constexpr unsigned char v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                          0, 0, 0, 0, 0, 0, 0, 1};
        static constexpr unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(addr_, v6_loopback, 16) == 0) return true;
        return std::memcmp(addr_, v4_mapped, 12) == 0 && addr_[12] == 127;
    }

  private:
    unsigned char addr_[16] = {};
    std::uint16_t port_ = 0;
    std::uint8_t family_ = AF_UNSPEC;
};

namespace detail {
struct request_access;
}

/// The form of the request-target (RFC 9112 §3.2).
enum class target_form : std::uint8_t { origin, absolute, authority, asterisk };

/// A parsed HTTP/1.x request.
///
/// Lifetime: every `std::string_view` it returns points into the connection's receive buffer and
/// is valid only until the handler returns; a handler that keeps anything copies it.
/// Thread-safety: a request is read by one handler invocation at a time; no internal locking.
class request {
  public:
    request() { fields_.reserve(32); }

    /// The method as an enum; `method::other` never reaches a handler (the engine answers 501).
    [[nodiscard]] http::method method() const noexcept { return method_; }
    /// The method token exactly as received.
    [[nodiscard]] std::string_view method_name() const noexcept { return method_name_; }
    /// The request-target exactly as received, e.g. "/a%20b?x=1" or "http://h/p".
    [[nodiscard]] std::string_view target() const noexcept { return target_; }
    [[nodiscard]] http::target_form form() const noexcept { return form_; }
    /// The path part of the target, still percent-encoded; "/" for an absolute-form target with
    /// an empty path, "*" for asterisk-form, "" for authority-form.
    [[nodiscard]] std::string_view path() const noexcept { return path_; }
    /// The query without the '?', still percent-encoded; empty if there is none.
    [[nodiscard]] std::string_view query() const noexcept { return query_; }
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    [[nodiscard]] unsigned version_minor() const noexcept { return version_minor_; }
    /// The authority the request is for: the absolute-form target's authority if there is one
    /// (RFC 9112 §3.2.2 makes it override Host), else the Host field value; may be empty.
    [[nodiscard]] std::string_view host() const noexcept { return host_; }

    /// All field lines in the order received.
    [[nodiscard]] std::span<const header_field> headers() const noexcept { return fields_; }
    /// The value of the first field named `name` (case-insensitive), if any.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept {
        for (const auto& f : fields_)
            if (detail::iequals(f.name, name)) return f.value;
        return std::nullopt;
    }

    /// The whole request content, decoded from chunked framing if it was chunked.
    [[nodiscard]] std::string_view body() const noexcept { return body_; }
    /// Whether the connection stays open after this exchange (RFC 9112 §9.3).
    [[nodiscard]] bool keep_alive() const noexcept { return keep_alive_; }
    /// Declared Content-Length (0 when absent or chunked).
    [[nodiscard]] std::uint64_t content_length() const noexcept { return content_length_; }
    [[nodiscard]] bool chunked() const noexcept { return chunked_; }
    /// The client sent `Expect: 100-continue` (only honoured for HTTP/1.1, RFC 9110 §10.1.1).
    [[nodiscard]] bool expects_continue() const noexcept { return expect_continue_; }
    /// The peer's address.
    [[nodiscard]] const endpoint& remote() const noexcept { return remote_; }
    /// The server's listening address (its port is the real one, also after binding port 0).
    [[nodiscard]] const endpoint& local() const noexcept { return local_; }

  private:
    friend struct detail::request_access;

    std::vector<header_field> fields_;
    std::string_view method_name_, target_, path_, query_, host_, body_;
    std::uint64_t content_length_ = 0;
    endpoint remote_;
    endpoint local_;
    http::method method_ = http::method::other;
    http::target_form form_ = http::target_form::origin;
    std::uint8_t version_minor_ = 1;
    bool keep_alive_ = true;
    bool chunked_ = false;
    bool expect_continue_ = false;
};

namespace detail {
/// Write access for the parser and the engine; not part of the public API.
struct request_access {
    static void reset(request& r) noexcept {
        r.fields_.clear();
        r.method_name_ = r.target_ = r.path_ = r.query_ = r.host_ = r.body_ = {};
        r.content_length_ = 0;
        r.method_ = http::method::other;
        r.form_ = target_form::origin;
        r.version_minor_ = 1;
        r.keep_alive_ = true;
        r.chunked_ = r.expect_continue_ = false;
    }
    static std::vector<header_field>& fields(request& r) noexcept { return r.fields_; }
    static void set_line(request& r, std::string_view method, std::string_view target,
                         unsigned minor) noexcept {
        r.method_name_ = method;
        r.method_ = to_method(method);
        r.target_ = target;
        r.version_minor_ = static_cast<std::uint8_t>(minor);
    }
    static void set_target_parts(request& r, target_form form, std::string_view path,
                                 std::string_view query, std::string_view authority) noexcept {
        r.form_ = form;
        r.path_ = path;
        r.query_ = query;
        r.host_ = authority;
    }
    static void set_host(request& r, std::string_view host) noexcept { r.host_ = host; }
    static void set_framing(request& r, std::uint64_t content_length, bool chunked, bool keep_alive,
                            bool expect_continue) noexcept {
        r.content_length_ = content_length;
        r.chunked_ = chunked;
        r.keep_alive_ = keep_alive;
        r.expect_continue_ = expect_continue;
    }
    static void set_body(request& r, std::string_view body) noexcept { r.body_ = body; }
    static void set_remote(request& r, const endpoint& e) noexcept { r.remote_ = e; }
    static void set_local(request& r, const endpoint& e) noexcept { r.local_ = e; }
};
} // namespace detail

MINIHTTP_NAMESPACE_END
