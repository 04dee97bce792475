// http::health: liveness and readiness endpoints, and the drain flag their copies share.
#include <minihttp/policies/health.hpp>

#include "parsed_request.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace {

std::optional<http::response> ask(const http::health& h, std::string_view method,
                                  std::string_view target) {
    const test::parsed_request p(std::string(method) + " " + std::string(target) +
                                 " HTTP/1.1\r\nHost: x\r\n\r\n");
    return h(p.req);
}

std::string field(const http::response& r, std::string_view name) {
    return std::string(r.header(name).value_or(""));
}

} // namespace

TEST_SUITE("health") {
    TEST_CASE("health: liveness and readiness answer 200, no-store; other paths pass on") {
        const http::health h;
        const auto live = ask(h, "GET", "/livez");
        REQUIRE(live);
        CHECK(http::to_int(live->code()) == 200);
        CHECK(live->body() == "live\n");
        CHECK(field(*live, "Cache-Control") == "no-store");
        const auto ready = ask(h, "HEAD", "/readyz");
        REQUIRE(ready);
        CHECK(http::to_int(ready->code()) == 200);
        CHECK_FALSE(ask(h, "GET", "/"));
        CHECK_FALSE(ask(h, "GET", "/livez/x"));
        CHECK_FALSE(ask(h, "POST", "/livez")); // left to the chain: 405 with Allow
        const test::parsed_request p("POST /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(h.allowed_methods(p.req).contains(http::method::get));
    }

    TEST_CASE("health: after set_ready(false) readiness is 503 through every copy; liveness "
              "stays 200") {
        const http::health h({.liveness = "/alive", .readiness = "/ready"});
        const http::health in_chain = h; // as the copy moved into a chain
        h.set_ready(false);
        const auto ready = ask(in_chain, "GET", "/ready");
        REQUIRE(ready);
        CHECK(http::to_int(ready->code()) == 503);
        CHECK(ready->body() == "draining\n");
        const auto live = ask(in_chain, "GET", "/alive");
        REQUIRE(live);
        CHECK(http::to_int(live->code()) == 200);
        CHECK_FALSE(ask(in_chain, "GET", "/livez")); // the defaults were replaced
        in_chain.set_ready(true);
        CHECK(h.ready());
    }

    TEST_CASE("health: an empty path turns its endpoint off") {
        const http::health h({.liveness = "", .readiness = "/readyz"});
        CHECK_FALSE(ask(h, "GET", "/livez"));
        CHECK(ask(h, "GET", "/readyz"));
    }

    TEST_CASE("health: set_ready from another thread is seen by the layer") {
        const http::health h;
        std::thread([copy = h] { copy.set_ready(false); }).join();
        const auto ready = ask(h, "GET", "/readyz");
        REQUIRE(ready);
        CHECK(http::to_int(ready->code()) == 503);
    }
}
