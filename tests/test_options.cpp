// http::server_options: the defaults are the ones README.md's "Limits and their answers" table
// promises; the engine's behaviour at each limit is tested in test_server.cpp and test_rfc.cpp.
#include <minihttp/options.hpp>

#include <minihttp/parser.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <type_traits>

using namespace std::chrono_literals;

TEST_SUITE_BEGIN("options");

TEST_CASE("server_options: the defaults are README.md's") {
    const http::server_options o;
    CHECK(o.threads == 0); // one per hardware thread
    CHECK(o.max_request_line == 8192);
    CHECK(o.max_header_bytes == 8192);
    CHECK(o.max_header_fields == 100);
    CHECK(o.max_body_bytes == 1024 * 1024);
    CHECK(o.header_timeout == 10s);
    CHECK(o.body_timeout == 10s);
    CHECK(o.min_body_rate == 1024);
    CHECK(o.keep_alive_timeout == 30s);
    CHECK(o.write_timeout == 30s);
    CHECK(o.max_requests_per_connection == 100);
    CHECK(o.max_connections == 10'000);
    CHECK(o.max_connections_per_client == 0); // no cap
    CHECK(o.shutdown_timeout == 5s);
    CHECK_FALSE(o.reuse_port);
    CHECK_FALSE(o.defer_accept);
    CHECK_FALSE(o.error_log);
    CHECK_FALSE(o.on_refusal);
    CHECK_FALSE(o.access_log); // empty: no copy of method and target per request
}

TEST_CASE("server_options: head limits agree with the parser's own defaults") {
    // A parse_limits built by hand elsewhere (fuzzers, benchmarks) means what the server means.
    const http::server_options o;
    const http::parse_limits p;
    CHECK(o.max_request_line == p.max_request_line);
    CHECK(o.max_header_bytes == p.max_header_bytes);
    CHECK(o.max_header_fields == p.max_header_fields);
}

TEST_CASE("server_options: an aggregate, set with designated initialisers, copyable") {
    static_assert(std::is_aggregate_v<http::server_options>);
    std::string seen;
    const http::server_options o{.threads = 4,
                                 .max_connections = 512,
                                 .header_timeout = 2s,
                                 .error_log = [&seen](std::string_view m) { seen = m; }};
    const http::server_options copy = o;
    CHECK(copy.threads == 4);
    CHECK(copy.max_connections == 512);
    CHECK(copy.header_timeout == 2000ms);
    CHECK(copy.max_body_bytes == 1024 * 1024); // the rest keep their defaults
    REQUIRE(copy.error_log);
    copy.error_log("from the copy");
    CHECK(seen == "from the copy");
}

TEST_SUITE_END();
