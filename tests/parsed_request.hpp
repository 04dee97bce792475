#pragma once
// A request parsed from bytes it keeps alive, for unit tests of code that takes a
// `const http::request&` (cookies, policies) without a server. Its views point into `raw`, so
// it is neither copied nor moved.

#include <minihttp/parser.hpp>
#include <minihttp/request.hpp>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace test {

struct parsed_request {
    std::string raw;
    http::request req;

    /// Parses the head of `bytes` (which must be complete); whatever follows it becomes the
    /// body, as the engine would deliver it. `local_port` is the listening port the request
    /// reports (`request::local()`), 0 for none.
    explicit parsed_request(std::string bytes, std::uint16_t local_port = 0)
        : raw(std::move(bytes)) {
        const auto res = http::parse_request(raw, req);
        REQUIRE(res.state == http::parse_status::complete);
        http::detail::request_access::set_body(req, std::string_view(raw).substr(res.consumed));
        if (local_port != 0) {
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(local_port);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            http::detail::request_access::set_local(req, http::endpoint(a));
        }
    }
    parsed_request(const parsed_request&) = delete;
    parsed_request& operator=(const parsed_request&) = delete;
};

} // namespace test
