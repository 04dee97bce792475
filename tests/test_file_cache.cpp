#include <minihttp/detail/file_cache.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <memory>
#include <string>

using http::detail::cached_file;
using http::detail::file_cache;

namespace {

std::shared_ptr<const cached_file> file_of(std::size_t bytes, std::string path = "p") {
    auto entity = std::make_shared<http::detail::shared_entity>();
    entity->body.assign(bytes, 'x');
    auto f = std::make_shared<cached_file>();
    f->entity = std::move(entity);
    f->path = std::move(path);
    return f;
}

} // namespace

TEST_SUITE_BEGIN("file cache");

TEST_CASE("file cache: entries by kind and path, negative ones included") {
    file_cache c(100, 1 << 20);
    CHECK(c.find("", "a.html") == nullptr);
    const auto a = file_of(10);
    c.put("", "a.html", a, 5);
    c.put("gzip", "a.html.gz", nullptr, 6); // known not to exist
    REQUIRE(c.find("", "a.html") != nullptr);
    CHECK(c.find("", "a.html")->file == a);
    CHECK(c.find("", "a.html")->checked_ms == 5);
    REQUIRE(c.find("gzip", "a.html.gz") != nullptr);
    CHECK_FALSE(c.find("gzip", "a.html.gz")->file);
    // Kinds are separate namespaces, whatever the path holds (a newline decodes from %0A).
    CHECK(c.find("gzip", "a.html") == nullptr);
    CHECK(c.find("", "gzip\na.html.gz") == nullptr);
    CHECK(c.size() == 2);
    CHECK(c.bytes() == 10);
}

TEST_CASE("file cache: bytes are counted once per file, replaced entries uncounted") {
    file_cache c(100, 1000);
    const auto a = file_of(300);
    c.put("", "a", a, 1);
    c.put("target", "/a", a, 1, true); // an alias of the same file
    CHECK(c.bytes() == 300);
    c.put("", "a", file_of(100), 2); // the file changed on disk
    CHECK(c.bytes() == 100);
    c.put("", "a", nullptr, 3); // and then went
    CHECK(c.bytes() == 0);
    CHECK(c.size() == 2);
}

TEST_CASE("file cache: starts over when an entry would cross a bound") {
    SUBCASE("entries") {
        file_cache c(3, 1 << 20);
        for (int i = 0; i < 3; ++i) c.put("", std::to_string(i), file_of(1), 0);
        CHECK(c.size() == 3);
        c.put("", "3", file_of(1), 0);
        CHECK(c.size() == 1);
        CHECK(c.find("", "0") == nullptr);
        CHECK(c.find("", "3") != nullptr);
        CHECK(c.bytes() == 1);
    }
    SUBCASE("bytes") {
        file_cache c(100, 1000);
        c.put("", "a", file_of(600), 0);
        c.put("", "b", file_of(300), 0);
        CHECK(c.bytes() == 900);
        c.put("", "c", file_of(200), 0);
        CHECK(c.size() == 1);
        CHECK(c.bytes() == 200);
    }
}

TEST_CASE("file cache: same_file compares device, inode, size and mtime to the nanosecond") {
    struct stat a {};
    a.st_dev = 1;
    a.st_ino = 2;
    a.st_size = 3;
    a.st_mtim.tv_sec = 4;
    a.st_mtim.tv_nsec = 5;
    CHECK(http::detail::same_file(a, a));
    for (int field = 0; field < 5; ++field) {
        CAPTURE(field);
        struct stat b = a;
        switch (field) {
        case 0: b.st_dev = 9; break;
        case 1: b.st_ino = 9; break;
        case 2: b.st_size = 9; break;
        case 3: b.st_mtim.tv_sec = 9; break;
        default: b.st_mtim.tv_nsec = 9; break;
        }
        CHECK_FALSE(http::detail::same_file(a, b));
    }
}

TEST_SUITE_END();
