#include <minihttp/handler.hpp>

#include <minihttp/parser.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>

namespace {
struct parsed {
    std::string raw;
    http::request req;
    explicit parsed(std::string r) : raw(std::move(r)) {
        REQUIRE(http::parse_request(raw, req).state == http::parse_status::complete);
    }
};

// A layer without allowed_methods(): it answers or passes, and says nothing about methods.
struct prefix_layer {
    std::string prefix;
    std::optional<http::response> operator()(const http::request& r) const {
        if (!r.path().starts_with(prefix)) return std::nullopt;
        return http::response::text("prefix");
    }
};
} // namespace

static_assert(http::layer<prefix_layer>);
static_assert(!http::layer_with_methods<prefix_layer>);
static_assert(http::handler<http::chain<prefix_layer>>);
static_assert(!http::handler<int>);
static_assert(!http::layer<http::chain<prefix_layer>>); // returns response, not optional

TEST_SUITE_BEGIN("chain");

TEST_CASE("chain: the first layer that answers wins, in order") {
    int calls = 0;
    auto counting = [&calls](const http::request&) -> std::optional<http::response> {
        ++calls;
        return std::nullopt;
    };
    http::chain app{counting, prefix_layer{"/a"}, prefix_layer{"/"}};
    parsed p("GET /abc HTTP/1.1\r\nHost: h\r\n\r\n");
    const auto r = app(p.req);
    CHECK(r.body() == "prefix");
    CHECK(calls == 1);
}

TEST_CASE("chain: no answer is 404") {
    http::chain app{prefix_layer{"/a"}};
    parsed p("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    const auto r = app(p.req);
    CHECK(r.code() == http::status::not_found);
}

TEST_CASE("chain: a served path with another method is 405 with Allow (RFC 9110 §15.5.6)") {
    http::chain app{http::route({http::method::get}, "/x",
                                [](const http::request&) { return http::response::text("x"); }),
                    http::route({http::method::put}, "/x",
                                [](const http::request&) { return http::response(); })};
    parsed del("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n");
    const auto r = app(del.req);
    CHECK(r.code() == http::status::method_not_allowed);
    CHECK(r.header("Allow") == "GET, HEAD, PUT, OPTIONS");
    parsed head("HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(app(head.req).code() == http::status::ok); // GET implies HEAD
    parsed opt("OPTIONS /x HTTP/1.1\r\nHost: h\r\n\r\n");
    const auto o = app(opt.req);
    CHECK(o.code() == http::status::no_content);
    CHECK(o.header("Allow") == "GET, HEAD, PUT, OPTIONS");
    parsed other("OPTIONS /y HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(app(other.req).code() == http::status::not_found);
}

TEST_CASE("chain: route compares the raw path exactly") {
    http::chain app{http::route({http::method::get}, "/a b",
                                [](const http::request&) { return http::response::text("no"); }),
                    http::route({http::method::get}, "/a%20b",
                                [](const http::request&) { return http::response::text("yes"); })};
    parsed p("GET /a%20b?q HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(app(p.req).body() == "yes");
}

TEST_SUITE_END();
