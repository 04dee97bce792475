// http::json_upload: refusals, atomic storage, concurrency and storage errors are tested in
// test_policies.cpp; here the options, the size boundary, the recovery promises (directory
// re-created, stale temporaries removed) and the helpers the answers are built from.
#include <minihttp/policies/json_upload.hpp>

#include "parsed_request.hpp"

#include <doctest/doctest.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <string>
#include <vector>

namespace {

struct temp_dir {
    std::string path;
    temp_dir() {
        char tmpl[] = "/tmp/minihttp-upload-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        ::nftw(
            path.c_str(), [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); },
            16, FTW_DEPTH | FTW_PHYS);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    [[nodiscard]] std::string operator/(const std::string& rel) const { return path + "/" + rel; }
};

std::string post(std::string_view target, std::string_view body) {
    return "POST " + std::string(target) +
           " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::set<std::string> list_dir(const std::string& dir) {
    std::set<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d))
            if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..")
                names.emplace(e->d_name);
        ::closedir(d);
    }
    return names;
}

void touch(const std::string& path, std::string_view content = {}) {
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    ::close(fd);
}

std::string slurp(const std::string& path) {
    std::string s;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return s;
}

} // namespace

TEST_SUITE_BEGIN("json_upload");

TEST_CASE("json_upload: route and public_prefix are options") {
    temp_dir dir;
    http::json_upload_options o;
    o.route = "/api/documents";
    o.directory = dir / "store";
    o.public_prefix = "/files/";
    const http::json_upload up(o);
    const test::parsed_request default_route(post("/upload", "{}"));
    CHECK_FALSE(up.accepts(default_route.req));
    CHECK_FALSE(up(default_route.req));
    const test::parsed_request p(post("/api/documents", "{\"k\":[1,2]}"));
    REQUIRE(up.accepts(p.req));
    const auto res = up(p.req);
    REQUIRE(res);
    CHECK(res->code() == http::status::created);
    const std::string location(res->header("Location").value_or(""));
    CHECK(location.starts_with("/files/upload_"));
    const auto names = list_dir(o.directory);
    REQUIRE(names.size() == 1);
    CHECK(location == "/files/" + *names.begin());
    CHECK(slurp(o.directory + "/" + *names.begin()) == "{\"k\":[1,2]}");
}

TEST_CASE("json_upload: max_bytes is inclusive") {
    temp_dir dir;
    http::json_upload_options o;
    o.directory = dir / "uploads";
    o.max_bytes = 16;
    o.durable = false;
    const http::json_upload up(o);
    const std::string exact = "[\"0123456789ab\"]"; // 16 bytes
    REQUIRE(exact.size() == 16);
    const test::parsed_request at_limit(post("/upload", exact));
    const auto ok = up(at_limit.req);
    REQUIRE(ok);
    CHECK(ok->code() == http::status::created);
    const test::parsed_request over(post("/upload", "[\"0123456789abc\"]"));
    const auto refused = up(over.req);
    REQUIRE(refused);
    CHECK(refused->code() == http::status::content_too_large);
    CHECK(list_dir(o.directory).size() == 1);
}

TEST_CASE("json_upload: a directory removed after construction is created again") {
    temp_dir dir;
    http::json_upload_options o;
    o.directory = dir / "a/b";
    o.durable = false;
    const http::json_upload up(o);
    REQUIRE(::rmdir((dir / "a/b").c_str()) == 0);
    REQUIRE(::rmdir((dir / "a").c_str()) == 0);
    const test::parsed_request p(post("/upload", "true"));
    const auto res = up(p.req);
    REQUIRE(res);
    CHECK(res->code() == http::status::created);
    CHECK(list_dir(o.directory).size() == 1);
}

TEST_CASE("json_upload: construction removes temporaries a crash left, and nothing else") {
    temp_dir dir;
    const std::string d = dir / "uploads";
    REQUIRE(::mkdir(d.c_str(), 0755) == 0);
    touch(d + "/.upload_20240101_000000_abcd.json.tmp", "{\"half");
    touch(d + "/upload_20240101_000000_abcd.json", "{}");
    touch(d + "/.upload_notes"); // not a temporary: no .tmp suffix
    touch(d + "/other.tmp");     // not ours: no .upload_ prefix
    http::json_upload_options o;
    o.directory = d;
    const http::json_upload up(o);
    CHECK(list_dir(d) ==
          std::set<std::string>{"upload_20240101_000000_abcd.json", ".upload_notes", "other.tmp"});
}

TEST_CASE("json_upload: store_new_file never replaces an existing file") {
    temp_dir dir;
    touch(dir / "taken.json", "old");
    const int dir_fd = ::open(dir.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(dir_fd >= 0);
    int calls = 0;
    // Every name but the last is taken: the file goes under the free one.
    const auto mostly_taken = [&calls] {
        return ++calls < 3 ? std::string("taken.json") : std::string("free.json");
    };
    const auto stored = http::detail::store_new_file(dir_fd, "new", mostly_taken, false);
    CHECK(stored.name == "free.json");
    CHECK(stored.error == 0);
    CHECK(slurp(dir / "taken.json") == "old");
    CHECK(slurp(dir / "free.json") == "new");
    // Only taken names: a failure with EEXIST, and no partial or temporary file left.
    const auto always_taken = [] { return std::string("taken.json"); };
    const auto failed = http::detail::store_new_file(dir_fd, "newer", always_taken, false);
    CHECK(failed.name.empty());
    CHECK(failed.error == EEXIST);
    CHECK(slurp(dir / "taken.json") == "old");
    CHECK(list_dir(dir.path) == std::set<std::string>{"taken.json", "free.json"});
    ::close(dir_fd);
}

TEST_CASE("json_upload: application/json with or without parameters, nothing else") {
    for (const char* yes :
         {"application/json", "Application/JSON", "application/json;charset=utf-8",
          "application/json ; charset=UTF-8", " application/json "}) {
        CAPTURE(yes);
        CHECK(http::detail::is_json_media_type(yes));
    }
    for (const char* no : {"", "application/jsonx", "application/json-patch+json", "text/json",
                           "application/ld+json", "application/x-www-form-urlencoded",
                           "application/json, text/html"}) {
        CAPTURE(no);
        CHECK_FALSE(http::detail::is_json_media_type(no));
    }
}

TEST_CASE("json_upload: upload names follow the spec's pattern") {
    const std::string name = http::detail::upload_name();
    CAPTURE(name);
    // upload_YYYYMMDD_HHMMSS_xxxx.json
    REQUIRE(name.size() == std::string("upload_20240101_000000_abcd.json").size());
    CHECK(name.starts_with("upload_"));
    CHECK(name.ends_with(".json"));
    for (const std::size_t i : {7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 16u, 17u, 18u, 19u, 20u, 21u})
        CHECK(http::detail::is_digit(name[i]));
    CHECK(name[15] == '_');
    CHECK(name[22] == '_');
    for (std::size_t i = 23; i < 27; ++i)
        CHECK(std::string_view("0123456789abcdef").find(name[i]) != std::string_view::npos);
}

TEST_CASE("json_upload: json_quote makes any ASCII text a JSON string") {
    CHECK(http::detail::json_quote("plain /uploads/a.json") == "\"plain /uploads/a.json\"");
    CHECK(http::detail::json_quote("say \"hi\" \\o/") == "\"say \\\"hi\\\" \\\\o/\"");
    CHECK(http::detail::json_quote(std::string_view("a\nb\tc\x01\0", 7)) ==
          "\"a\\u000ab\\u0009c\\u0001\\u0000\"");
    // The answers built with it are JSON that the library's own validator accepts.
    const auto answer = http::detail::json_error_answer(http::status::bad_request, "bad \"x\"\n");
    CHECK_FALSE(http::validate_json(answer.body()));
    CHECK(answer.header("Content-Type") == "application/json");
}

TEST_SUITE_END();
