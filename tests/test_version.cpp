#include <minihttp/version.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>

// Stringizes a macro's expansion.
#define MINIHTTP_TEST_STR2(...) #__VA_ARGS__
#define MINIHTTP_TEST_STR(...) MINIHTTP_TEST_STR2(__VA_ARGS__)

MINIHTTP_NAMESPACE_BEGIN
inline constexpr int version_probe = 42;
MINIHTTP_NAMESPACE_END

TEST_SUITE_BEGIN("version");

TEST_CASE("version: the string is MAJOR.MINOR.PATCH") {
    const std::string expected = std::to_string(MINIHTTP_VERSION_MAJOR) + "." +
                                 std::to_string(MINIHTTP_VERSION_MINOR) + "." +
                                 std::to_string(MINIHTTP_VERSION_PATCH);
    CHECK(std::string_view(MINIHTTP_VERSION_STRING) == expected);
}

#ifdef MINIHTTP_PROJECT_VERSION
TEST_CASE("version: the header and meson.build's project version agree") {
    CHECK(std::string_view(MINIHTTP_VERSION_STRING) == MINIHTTP_PROJECT_VERSION);
}
#endif

TEST_CASE("version: the inline ABI namespace is named after MAJOR and MINOR") {
    // Two vendored copies link together only if their inline namespaces differ, so a release
    // that changes the version must change the namespace with it.
    const std::string begin = MINIHTTP_TEST_STR(MINIHTTP_NAMESPACE_BEGIN);
    const std::string inner = "inline namespace v" + std::to_string(MINIHTTP_VERSION_MAJOR) + "_" +
                              std::to_string(MINIHTTP_VERSION_MINOR) + " {";
    CAPTURE(begin);
    CHECK(begin.starts_with("namespace http {"));
    CHECK(begin.ends_with(inner));
}

TEST_CASE("version: what the namespace macros enclose is reachable as http::") {
    CHECK(http::version_probe == 42); // compiles only if the versioned namespace is inline
}

TEST_SUITE_END();
