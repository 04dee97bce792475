#pragma once
/// @file
/// `http::security`: a Host allow-list and a method allow-list, in front of the other layers.

#include <minihttp/detail/chars.hpp>
#include <minihttp/log.hpp>
#include <minihttp/method.hpp>
#include <minihttp/request.hpp>
#include <minihttp/response.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <charconv>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN

/// Settings of `security`.
struct security_options {
    /// The host the server binds (e.g. "127.0.0.1", "::1", "0.0.0.0"); allowed as a Host name.
    std::string bind_host = "127.0.0.1";
    /// The port clients use in Host; 0: the port of the listening socket (`request::local()`),
    /// which is what you want after binding port 0.
    std::uint16_t port = 0;
    /// Further allowed Host names (with or without ":port"), e.g. a DNS name of the machine.
    std::vector<std::string> extra_hosts{};
    /// Check Host at all (the defence against DNS rebinding and Host header injection).
    bool check_host = true;
    /// Methods served; others get 405 with `Allow`. OPTIONS always passes (to `chain`).
    method_set methods{method::get, method::head, method::post};
    /// Receives "Host validation failed: ..." and the like; empty: silent.
    std::function<void(std::string_view)> log{};
    /// Also log accepted Hosts ("Host validation: localhost:8080 ✅"), as the spec does.
    bool log_accepted = false;
};

/// Refuses requests for a Host the server does not answer to (403), requests without Host
/// (400; HTTP/1.1 ones never get here, the engine refuses them), and methods outside the
/// allow-list (405 with `Allow`, RFC 9110 §15.5.6). Passes everything else on.
///
/// The allowed Hosts are `localhost`, `127.0.0.1`, `[::1]`, the bind host, and `extra_hosts`,
/// each with and without `:port`, compared case-insensitively (RFC 9110 §4.2.3).
/// Thread-safety: const after construction.
class security {
  public:
    explicit security(security_options o) : opts_(std::move(o)) {
        names_ = {"localhost", "127.0.0.1", "[::1]"};
        std::string bind = lower(opts_.bind_host);
        if (!bind.empty() && bind.find(':') != std::string::npos && bind.front() != '[')
            bind = "[" + bind + "]"; // an IPv6 literal in Host is bracketed (RFC 3986 §3.2.2)
        if (!bind.empty()) names_.push_back(bind);
        for (const auto& h : opts_.extra_hosts) extras_.push_back(lower(h));
    }

    std::optional<response> operator()(const request& r) const {
        if (opts_.check_host) {
            const std::string_view host = r.host();
            if (host.empty()) {
                log("Host validation failed: missing Host header");
                return response::text("400 Bad Request: missing Host header\n",
                                      status::bad_request);
            }
            const std::uint16_t port = opts_.port != 0 ? opts_.port : r.local().port();
            if (!host_allowed(host, port)) {
                log("Host validation failed: " + std::string(host));
                return response::text("403 Forbidden: invalid Host header\n", status::forbidden);
            }
            if (opts_.log_accepted) log_to(opts_.log, "Host validation: ", host, " \u2705");
        }
        const method m = r.method();
        if (m != method::options && !opts_.methods.contains(m)) {
            log("Method not allowed: " + std::string(r.method_name()) + " " +
                std::string(r.target()));
            response res = response::error(status::method_not_allowed);
            res.add_header("Allow", method_set(opts_.methods).insert(method::options).to_allow());
            return res;
        }
        return std::nullopt;
    }

    /// Whether `host` (a Host value: name or literal, optional ":port") is allowed for `port`.
    /// Allocation-free: it runs on every request.
    [[nodiscard]] bool host_allowed(std::string_view host, std::uint16_t port) const noexcept {
        if (any_iequal(extras_, host)) return true;
        std::string_view name = host;
        const auto colon = host.rfind(':');
        const auto bracket = host.rfind(']');
        if (colon != std::string_view::npos &&
            (bracket == std::string_view::npos || colon > bracket)) {
            char digits[8];
            const auto end = std::to_chars(digits, digits + sizeof digits, port).ptr;
            if (host.substr(colon + 1) !=
                std::string_view(digits, static_cast<std::size_t>(end - digits)))
                return false;
            name = host.substr(0, colon);
            if (any_iequal(extras_, name)) return true;
        }
        return any_iequal(names_, name);
    }

  private:
    static bool any_iequal(const std::vector<std::string>& set, std::string_view v) noexcept {
        for (const auto& s : set)
            if (detail::iequals(s, v)) return true;
        return false;
    }
    static std::string lower(std::string_view s) {
        std::string out(s);
        for (char& c : out) c = detail::ascii_lower(c);
        return out;
    }
    void log(const std::string& msg) const {
        if (opts_.log) opts_.log(msg);
    }

    security_options opts_;
    std::vector<std::string> names_; // a handful: a linear scan beats a set
    std::vector<std::string> extras_;
};

MINIHTTP_NAMESPACE_END
