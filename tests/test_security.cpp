// http::security: the spec's Host allow-list and the default refusals are tested in
// test_policies.cpp; here the options that change them.
#include <minihttp/policies/security.hpp>

#include "parsed_request.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

std::string get(std::string_view method, std::string_view host) {
    std::string r = std::string(method) + " / HTTP/1.1\r\n";
    if (!host.empty()) r.append("Host: ").append(host).append("\r\n");
    return r + "\r\n";
}

} // namespace

TEST_SUITE_BEGIN("security");

TEST_CASE("security: an explicit port overrides the listening port") {
    http::security_options o;
    o.port = 8080; // e.g. behind a port forward: clients say 8080, the socket is on 9090
    const http::security s(o);
    const test::parsed_request forwarded(get("GET", "localhost:8080"), 9090);
    CHECK_FALSE(s(forwarded.req));
    const test::parsed_request direct(get("GET", "localhost:9090"), 9090);
    const auto r = s(direct.req);
    REQUIRE(r);
    CHECK(r->code() == http::status::forbidden);
}

TEST_CASE("security: check_host off lets any Host through, the method check stays") {
    http::security_options o;
    o.check_host = false;
    const http::security s(o);
    const test::parsed_request evil(get("GET", "evil.example"), 8080);
    CHECK_FALSE(s(evil.req));
    const test::parsed_request http10("GET / HTTP/1.0\r\n\r\n", 8080); // no Host at all
    CHECK_FALSE(s(http10.req));
    const test::parsed_request put(get("PUT", "evil.example"), 8080);
    const auto r = s(put.req);
    REQUIRE(r);
    CHECK(r->code() == http::status::method_not_allowed);
}

TEST_CASE("security: the method allow-list is configurable; OPTIONS always passes") {
    http::security_options o;
    o.methods = http::method_set{http::method::get};
    const http::security s(o);
    for (const char* m : {"HEAD", "POST", "DELETE"}) {
        CAPTURE(m);
        const test::parsed_request req(get(m, "localhost"), 80);
        const auto r = s(req.req);
        REQUIRE(r);
        CHECK(r->code() == http::status::method_not_allowed);
        CHECK(r->header("Allow") == "GET, OPTIONS"); // OPTIONS is always allowed, so listed
    }
    const test::parsed_request ok(get("GET", "localhost"), 80);
    CHECK_FALSE(s(ok.req));
    const test::parsed_request options("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n", 80);
    CHECK_FALSE(s(options.req));
}

TEST_CASE("security: log_accepted logs each accepted Host; refusals are logged either way") {
    for (const bool log_accepted : {true, false}) {
        CAPTURE(log_accepted);
        std::vector<std::string> logged;
        http::security_options o;
        o.log_accepted = log_accepted;
        o.log = [&](std::string_view m) { logged.emplace_back(m); };
        const http::security s(o);
        const test::parsed_request ok(get("GET", "localhost:8080"), 8080);
        CHECK_FALSE(s(ok.req));
        if (log_accepted)
            CHECK(logged == std::vector<std::string>{"Host validation: localhost:8080 \u2705"});
        else
            CHECK(logged.empty());
        logged.clear();
        const test::parsed_request bad(get("GET", "evil.example"), 8080);
        CHECK(s(bad.req));
        CHECK(logged == std::vector<std::string>{"Host validation failed: evil.example"});
    }
}

TEST_CASE("security: the bind host and extra hosts compare case-insensitively") {
    http::security_options o;
    o.bind_host = "MyBox.Local";
    o.extra_hosts = {"WWW.Example.ORG"};
    const http::security s(o);
    CHECK(s.host_allowed("mybox.local", 80));
    CHECK(s.host_allowed("MYBOX.LOCAL:80", 80));
    CHECK(s.host_allowed("www.example.org:80", 80));
    CHECK_FALSE(s.host_allowed("mybox.local:81", 80));
    CHECK_FALSE(s.host_allowed("box.local", 80));
}

TEST_CASE("security: an IPv6 bind host is matched in brackets, with and without the port") {
    http::security_options o;
    o.bind_host = "2001:db8::5";
    const http::security s(o);
    CHECK(s.host_allowed("[2001:db8::5]", 443));
    CHECK(s.host_allowed("[2001:DB8::5]:443", 443));
    CHECK_FALSE(s.host_allowed("2001:db8::5", 443)); // unbracketed is not a valid Host
    CHECK_FALSE(s.host_allowed("[2001:db8::5]:444", 443));
}

TEST_SUITE_END();
