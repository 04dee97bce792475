#include <minihttp/method.hpp>

#include <doctest/doctest.h>

TEST_SUITE_BEGIN("method");

TEST_CASE("method: tokens map to the enum, case-sensitively (RFC 9110 §9.1)") {
    CHECK(http::to_method("GET") == http::method::get);
    CHECK(http::to_method("HEAD") == http::method::head);
    CHECK(http::to_method("POST") == http::method::post);
    CHECK(http::to_method("PUT") == http::method::put);
    CHECK(http::to_method("DELETE") == http::method::delete_);
    CHECK(http::to_method("CONNECT") == http::method::connect);
    CHECK(http::to_method("OPTIONS") == http::method::options);
    CHECK(http::to_method("TRACE") == http::method::trace);
    CHECK(http::to_method("PATCH") == http::method::patch);
    CHECK(http::to_method("get") == http::method::other);
    CHECK(http::to_method("GETS") == http::method::other);
    CHECK(http::to_method("") == http::method::other);
    for (auto m : {http::method::get, http::method::head, http::method::post, http::method::put,
                   http::method::delete_, http::method::connect, http::method::options,
                   http::method::trace, http::method::patch})
        CHECK(http::to_method(http::to_string(m)) == m);
}

TEST_CASE("method_set: formats Allow in a stable order") {
    http::method_set s{http::method::post, http::method::get};
    CHECK(s.contains(http::method::get));
    CHECK_FALSE(s.contains(http::method::put));
    CHECK_FALSE(s.contains(http::method::other));
    CHECK(s.to_allow() == "GET, POST");
    s.insert(http::method::options);
    CHECK(s.to_allow() == "GET, POST, OPTIONS");
    CHECK(http::method_set{}.empty());
    CHECK((http::method_set{http::method::get} | http::method_set{http::method::head}) ==
          http::method_set{http::method::head, http::method::get});
}

TEST_SUITE_END();
