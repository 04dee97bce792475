#include <minihttp/detail/client_table.hpp> // first: proves the header is self-contained

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace {
http::endpoint v4(const char* a) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    ::inet_pton(AF_INET, a, &in.sin_addr);
    return http::endpoint(in);
}
http::endpoint v6(const char* a) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    ::inet_pton(AF_INET6, a, &in6.sin6_addr);
    return http::endpoint(in6);
}
} // namespace

TEST_SUITE("client table") {
    TEST_CASE("client table: counts connections per address up to the cap") {
        http::detail::client_table t;
        CHECK(t.try_add(v4("10.0.0.1"), 2));
        CHECK(t.try_add(v4("10.0.0.1"), 2));
        CHECK_FALSE(t.try_add(v4("10.0.0.1"), 2));
        CHECK(t.try_add(v4("10.0.0.2"), 2)); // another client has its own count
        t.remove(v4("10.0.0.1"));
        CHECK(t.try_add(v4("10.0.0.1"), 2));
    }

    TEST_CASE("client table: an IPv4 client and its IPv4-mapped IPv6 spelling count together") {
        http::detail::client_table t;
        CHECK(t.try_add(v4("192.0.2.7"), 1));
        CHECK_FALSE(t.try_add(v6("::ffff:192.0.2.7"), 1));
        t.remove(v6("::ffff:192.0.2.7"));
        CHECK(t.try_add(v4("192.0.2.7"), 1));
    }

    TEST_CASE("client table: a cap of zero refuses, and leaves no entry behind") {
        http::detail::client_table t;
        CHECK_FALSE(t.try_add(v6("2001:db8::1"), 0));
        CHECK(t.try_add(v6("2001:db8::1"), 1));
        CHECK_FALSE(t.try_add(v6("2001:db8::1"), 1));
    }

    TEST_CASE(
        "client_table: a cap per client address, IPv4 and IPv4-mapped IPv6 counted together") {
        http::detail::client_table t;
        const auto a = v4("192.0.2.1"), a_mapped = v6("::ffff:192.0.2.1"), b = v4("192.0.2.2");
        CHECK(t.try_add(a, 2));
        CHECK(t.try_add(a_mapped, 2)); // the same client, spelt as IPv6
        CHECK_FALSE(t.try_add(a, 2));  // its third connection
        CHECK_FALSE(t.try_add(a_mapped, 2));
        CHECK(t.try_add(b, 2)); // another client is not affected
        t.remove(a_mapped);
        CHECK(t.try_add(a, 2)); // a slot freed by a close is usable again
        CHECK_FALSE(t.try_add(a, 2));
        t.remove(v6("2001:db8::2")); // removing an unknown client is harmless
        CHECK(t.try_add(v6("2001:db8::2"), 1));
    }
}
