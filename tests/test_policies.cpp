// The shipped policies in-process: static_files, json_upload, security, logger, path checks.
#include <minihttp/policies/static_files.hpp>

#include <minihttp/policies/json_upload.hpp>
#include <minihttp/policies/logger.hpp>
#include <minihttp/policies/security.hpp>

#include <minihttp/parser.hpp>

#include <doctest/doctest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

// A request parsed from raw bytes it keeps alive.
struct parsed {
    std::string raw;
    http::request req;
    explicit parsed(std::string r, std::uint16_t local_port = 0) : raw(std::move(r)) {
        REQUIRE(http::parse_request(raw, req).state == http::parse_status::complete);
        if (local_port != 0) {
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(local_port);
            http::detail::request_access::set_local(req, http::endpoint(a));
        }
        const auto head = http::parse_request(raw, req).consumed;
        http::detail::request_access::set_body(req, std::string_view(raw).substr(head));
    }
};

parsed get(std::string_view target, std::string_view method = "GET") {
    return parsed(std::string(method) + " " + std::string(target) +
                  " HTTP/1.1\r\nHost: localhost\r\n\r\n");
}

parsed post(std::string_view target, std::string_view type, std::string_view body) {
    std::string r = "POST " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n";
    if (!type.empty()) r += "Content-Type: " + std::string(type) + "\r\n";
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    r += body;
    return parsed(r);
}

// A temporary directory, removed recursively afterwards.
struct temp_dir {
    std::string path;
    temp_dir() {
        char tmpl[] = "/tmp/minihttp-policy-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~temp_dir() { (void)std::system(("rm -rf '" + path + "'").c_str()); }
    std::string operator/(const std::string& rel) const { return path + "/" + rel; }
    void write(const std::string& rel, const std::string& content) const {
        const int fd =
            ::open((*this / rel).c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, content.data(), content.size()) ==
                static_cast<ssize_t>(content.size()));
        ::close(fd);
    }
};

std::string read_fd_region(int fd, std::uint64_t off, std::uint64_t len) {
    std::string s(len, '\0');
    REQUIRE(::pread(fd, s.data(), len, static_cast<off_t>(off)) == static_cast<ssize_t>(len));
    return s;
}

// The content of a file response, sent from the small-file cache or from the file.
std::string body_of(const http::response& r) {
    if (r.kind() == http::response::body_kind::file)
        return read_fd_region(r.file_descriptor(), r.file_offset(), r.file_length());
    REQUIRE(r.kind() == http::response::body_kind::shared);
    return std::string(r.body());
}

// Everything a stream body produces.
std::string drain(http::response& r) {
    auto src = http::detail::response_access::take_stream(r);
    std::string out;
    char buf[16384];
    for (int guard = 0; guard < 100000; ++guard) {
        const auto n = src(buf, sizeof buf);
        REQUIRE(n >= 0);
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d))
            if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..")
                names.emplace_back(e->d_name);
        ::closedir(d);
    }
    return names;
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

// Matches `s` against `pattern`, where '#' is a decimal digit, 'x' a lower-case hex digit and
// every other character itself (std::regex trips a false GCC 12 warning under the sanitizers).
bool matches(std::string_view s, std::string_view pattern) {
    if (s.size() != pattern.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool ok = pattern[i] == '#'   ? (c >= '0' && c <= '9')
                        : pattern[i] == 'x' ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                                            : c == pattern[i];
        if (!ok) return false;
    }
    return true;
}

struct docroot_fixture {
    temp_dir root, outside;
    std::vector<std::string> logged;
    std::mutex m;
    docroot_fixture() {
        root.write("index.html", "<h1>home</h1>");
        root.write("a.txt", "plain text\n");
        root.write("img.png", std::string("\x89PNG\r\n\x1a\n", 8) + "data");
        root.write("script.php", "<?php ?>");
        root.write("noext", "no extension");
        root.write(".hidden.html", "secret");
        root.write("caf\xc3\xa9.txt", "unicode name");
        REQUIRE(::mkdir((root / "dir").c_str(), 0755) == 0);
        root.write("dir/index.html", "<h1>dir</h1>");
        REQUIRE(::mkdir((root / "emptydir").c_str(), 0755) == 0);
        REQUIRE(::mkdir((root / ".git").c_str(), 0755) == 0);
        root.write(".git/index.html", "hidden dir");
        outside.write("secret.txt", "outside the root");
        REQUIRE(::symlink("a.txt", (root / "link_in.txt").c_str()) == 0);
        REQUIRE(::symlink((outside / "secret.txt").c_str(), (root / "link_out.txt").c_str()) == 0);
        const std::string rel_out =
            "../" + outside.path.substr(outside.path.rfind('/') + 1) + "/secret.txt";
        REQUIRE(::symlink(rel_out.c_str(), (root / "rel_out.txt").c_str()) == 0);
        REQUIRE(::symlink("dir", (root / "dirlink").c_str()) == 0);
        REQUIRE(::symlink(outside.path.c_str(), (root / "outdir").c_str()) == 0);
        REQUIRE(::mkfifo((root / "fifo.txt").c_str(), 0644) == 0);
    }
    http::static_files_options options() {
        http::static_files_options o;
        o.root = root.path;
        o.extensions = {"html", "txt", "png"};
        o.download = {"txt"};
        o.log = [this](std::string_view msg) {
            std::lock_guard lock(m);
            logged.emplace_back(msg);
        };
        return o;
    }
};

} // namespace

TEST_SUITE_BEGIN("policies");

TEST_CASE("path: decoding refuses every traversal form before the file system is touched") {
    struct row {
        const char* raw;
        bool ok;
        const char* decoded;
    };
    const row rows[] = {
        {"/", true, ""},
        {"/a/b.txt", true, "a/b.txt"},
        {"/a%20b.txt", true, "a b.txt"},
        {"/caf%C3%A9.txt", true, "caf\xc3\xa9.txt"},
        {"/a//b", true, "a//b"},
        {"/file..txt", true, "file..txt"},
        {"/..", false, ""},
        {"/../etc/passwd", false, ""},
        {"/a/../b", false, ""},
        {"/a/..", false, ""},
        {"/./a", false, ""},
        {"/a/./b", false, ""},
        {"/a/.", false, ""},
        {"/....//....//etc/passwd", false, ""},
        {"/.../x", false, ""},
        {"/%2e%2e%2f%2e%2e%2fetc%2fpasswd", false, ""},
        {"/%2E%2E/x", false, ""},
        {"/..%2fetc", false, ""},
        {"/%2e/x", false, ""},
        {"//etc/hosts", false, ""},
        {"/%2Fetc/hosts", false, ""},
        {"/a%5c..%5cb", false, ""},
        {"/a\\b", false, ""},
        {"/a%00.txt", false, ""},
        {"/%zz", false, ""},
        {"/%2", false, ""},
        {"relative", false, ""},
        {"/%252e%252e/x", true, "%2e%2e/x"}, // decoded once: a literal name, not a dot segment
        {"/%c0%ae%c0%ae/x", true, "\xc0\xae\xc0\xae/x"}, // overlong UTF-8 is just bytes
    };
    for (const auto& r : rows) {
        CAPTURE(r.raw);
        std::string out;
        const auto check = http::detail::decode_request_path(r.raw, out);
        CHECK(check.ok == r.ok);
        if (r.ok)
            CHECK(out == r.decoded);
        else
            CHECK(!check.reason.empty());
    }
    CHECK(http::detail::has_hidden_segment(".env"));
    CHECK(http::detail::has_hidden_segment("a/.git/config"));
    CHECK_FALSE(http::detail::has_hidden_segment("a.b/c.d"));
}

TEST_CASE("static_files: answers per the spec and never leaves the document root") {
    docroot_fixture fx;
    const http::static_files files(fx.options());
    struct row {
        const char* target;
        int status;
    };
    const row rows[] = {
        {"/", 200},
        {"/index.html", 200},
        {"/a.txt", 200},
        {"/img.png", 200},
        {"/caf%C3%A9.txt", 200},
        {"/dir/", 200},
        {"/dir/index.html", 200},
        {"/dir", 301},
        {"/dirlink/", 200},    // a symlink to a directory inside the root
        {"/link_in.txt", 200}, // a symlink to a file inside the root
        {"/emptydir/", 404},   // no index, no listing
        {"/missing.html", 404},
        {"/missing/deeper.html", 404},
        {"/a.txt/x.txt", 404},
        {"/script.php", 415},  // extension refused, exists
        {"/missing.php", 415}, // extension refused before the file system is asked
        {"/server.py", 415},
        {"/.env", 415}, // as the spec: its "extension" is env
        {"/noext", 415},
        {"/A.TXT", 404}, // extension check is case-insensitive, names are not
        {"/.hidden.html", 403},
        {"/.git/index.html", 403},
        {"/link_out.txt", 403},      // absolute symlink out of the root
        {"/rel_out.txt", 403},       // relative symlink out of the root
        {"/outdir/secret.txt", 403}, // a directory symlink out of the root
        {"/fifo.txt", 403},          // not a regular file; opening it must not hang
        {"/../etc/passwd", 403},
        {"/%2e%2e/%2e%2e/etc/passwd", 403},
        {"//etc/hosts", 403},
        {"/dir/../a.txt", 403},
        {"/a%00.txt", 403},
        {"/a%5cb.txt", 403},
        {"/%252e%252e/a.txt", 404},
        {"/a.txt.", 415}, // trailing dots: no allowed extension
        {"/a.txt...", 415},
        {"/dir\\..\\a.txt", 403}, // mixed slashes
        {"/dir%5C..%5Ca.txt", 403},
        {"/dir./", 404}, // "dir." is a name, not a dot segment
    };
    for (const auto& r : rows) {
        CAPTURE(r.target);
        auto p = get(r.target);
        auto res = files(p.req);
        REQUIRE(res);
        CHECK(http::to_int(res->code()) == r.status);
    }
    const std::string long_name(5000, 'a');
    auto p = get("/" + long_name + ".txt");
    auto res = files(p.req);
    REQUIRE(res);
    CHECK(res->code() == http::status::not_found);
    std::lock_guard lock(fx.m);
    const auto has = [&](std::string_view s) {
        for (const auto& l : fx.logged)
            if (l.find(s) != std::string::npos) return true;
        return false;
    };
    CHECK(has("Path traversal/forbidden: /../etc/passwd"));
    CHECK(has("Path traversal/forbidden: /link_out.txt"));
    CHECK(has("Unsupported file type: /script.php"));
}

TEST_CASE("static_files: a file replaced by a symlink between requests is not followed out") {
    docroot_fixture fx;
    auto opts = fx.options();
    opts.cache_validity = std::chrono::milliseconds(0); // revalidate every request
    const http::static_files files(opts);
    fx.root.write("swap.txt", "inside");
    auto p1 = get("/swap.txt");
    auto r1 = files(p1.req);
    REQUIRE(r1);
    CHECK(r1->code() == http::status::ok);
    REQUIRE(::unlink((fx.root / "swap.txt").c_str()) == 0);
    REQUIRE(::symlink((fx.outside / "secret.txt").c_str(), (fx.root / "swap.txt").c_str()) == 0);
    auto p2 = get("/swap.txt");
    auto r2 = files(p2.req);
    REQUIRE(r2);
    CHECK(r2->code() == http::status::forbidden);
}

TEST_CASE("static_files: a device node in the docroot is refused without being read") {
    docroot_fixture fx;
    const http::static_files files(fx.options());
    // /dev/zero: reading it would never end. Creating a node needs CAP_MKNOD.
    if (::mknod((fx.root / "zero.txt").c_str(), S_IFCHR | 0644, ::makedev(1, 5)) != 0) {
        MESSAGE("cannot create a device node here (no CAP_MKNOD): the device case did not run");
        return;
    }
    auto p = get("/zero.txt");
    auto r = files(p.req);
    REQUIRE(r);
    CHECK(r->code() == http::status::forbidden);
}

TEST_CASE("static_files: bodies, types and download mode") {
    docroot_fixture fx;
    const http::static_files files(fx.options());
    {
        auto p = get("/");
        auto res = files(p.req);
        REQUIRE(res);
        CHECK(res->header("Content-Type") == "text/html; charset=utf-8");
        CHECK_FALSE(res->header("Content-Disposition"));
        CHECK(body_of(*res) == "<h1>home</h1>");
    }
    {
        auto p = get("/a.txt");
        auto res = files(p.req);
        REQUIRE(res);
        CHECK(res->header("Content-Type") == "application/octet-stream");
        CHECK(res->header("Content-Disposition") == "attachment; filename=\"a.txt\"");
    }
    {
        auto p = get("/caf%C3%A9.txt");
        auto res = files(p.req);
        REQUIRE(res);
        CHECK(res->header("Content-Disposition") ==
              "attachment; filename=\"caf__.txt\"; filename*=UTF-8''caf%C3%A9.txt");
    }
    {
        auto p = get("/img.png");
        auto res = files(p.req);
        REQUIRE(res);
        CHECK(res->header("Content-Type") == "image/png");
    }
    {
        auto p = get("/dir?x=1");
        auto res = files(p.req);
        REQUIRE(res);
        CHECK(res->header("Location") == "/dir/?x=1");
    }
    auto chunked_opts = fx.options();
    chunked_opts.chunked = true;
    chunked_opts.chunk_size = 3;
    const http::static_files chunked(chunked_opts);
    auto p = get("/a.txt");
    auto res = chunked(p.req);
    REQUIRE(res);
    REQUIRE(res->kind() == http::response::body_kind::stream);
    CHECK(drain(*res) == "plain text\n");
}

TEST_CASE("static_files: only GET and HEAD, and a missing root is an error") {
    docroot_fixture fx;
    const http::static_files files(fx.options());
    auto p = get("/index.html", "POST");
    CHECK_FALSE(files(p.req));
    auto h = get("/index.html", "HEAD");
    CHECK(files(h.req));
    CHECK(files.allowed_methods(p.req) == http::method_set{http::method::get, http::method::head});
    http::static_files_options bad;
    bad.root = fx.root / "no-such-dir";
    CHECK_THROWS_AS(http::static_files{bad}, std::system_error);
}

TEST_CASE("static_files: a thread's cache goes with the instance, and with the thread") {
    docroot_fixture fx;
    // The cached entity is held by the responses that send it and by the cache of the thread
    // that loaded it: once the responses are gone, its expiry shows the cache went.
    std::weak_ptr<const http::detail::shared_entity> cached;
    auto serve = [&](const http::static_files& files) {
        auto p = get("/index.html");
        auto res = files(p.req);
        REQUIRE(res);
        REQUIRE(res->kind() == http::response::body_kind::shared);
        cached = http::detail::response_access::shared(*res);
    };
    {
        const http::static_files files(fx.options());
        serve(files);
        CHECK_FALSE(cached.expired()); // in this thread's cache
        std::thread([&] { serve(files); }).join();
        CHECK(cached.expired()); // that thread ended: its cache went, the instance lives on
        serve(files);
        CHECK_FALSE(cached.expired());
    }
    CHECK(cached.expired()); // the instance went: this thread's cache went with it

    // A thread that outlives many instances keeps none of their caches.
    for (int i = 0; i < 3; ++i) {
        const http::static_files files(fx.options());
        serve(files);
    }
    CHECK(cached.expired());
}

TEST_CASE("json_upload: refuses wrong types, sizes and JSON with the right status") {
    temp_dir dir;
    http::json_upload_options o;
    o.directory = dir / "uploads";
    o.max_bytes = 64;
    const http::json_upload up(o);
    CHECK(list_dir(o.directory).empty()); // created, empty
    struct row {
        const char* type;
        std::string body;
        int status;
    };
    const row rows[] = {
        {"", "{}", 415},
        {"text/html", "<script>alert(1)</script>", 415},
        {"multipart/form-data; boundary=x", "--x--", 415},
        {"application/jsonx", "{}", 415},
        {"application/json", std::string(65, ' '), 413},
        {"application/json", "", 400},
        {"application/json", "{\"a\":1,}", 400},
        {"application/json", "{'a':1}", 400},
        {"application/json", "[01]", 400},
        {"application/json", "\"\xc0\xae\"", 400},
        {"application/json", "{\"a\":NaN}", 400},
    };
    for (const auto& r : rows) {
        CAPTURE(r.type);
        CAPTURE(r.body);
        auto p = post("/upload", r.type, r.body);
        REQUIRE(up.accepts(p.req));
        auto res = up(p.req);
        REQUIRE(res);
        CHECK(http::to_int(res->code()) == r.status);
        CHECK(res->header("Content-Type") == "application/json");
        CHECK_FALSE(http::validate_json(res->body())); // the error body is JSON itself
        CHECK(res->body().find("\"status\":\"error\"") != std::string_view::npos);
    }
    CHECK(list_dir(o.directory).empty()); // nothing stored for any refusal
    auto g = get("/upload");
    CHECK_FALSE(up.accepts(g.req));
    CHECK(up.allowed_methods(g.req) == http::method_set{http::method::post});
    auto other = post("/elsewhere", "application/json", "{}");
    CHECK_FALSE(up.accepts(other.req));
    CHECK_FALSE(up(other.req));
}

TEST_CASE("json_upload: stores the exact bytes atomically under a unique name") {
    temp_dir dir;
    http::json_upload_options o;
    o.directory = dir / "deep/er/uploads"; // created with its parents
    const http::json_upload up(o);
    const std::string body =
        "{\"name\": \"test\", \"value\": 123, \"utf8\": \"Gr\xc3\xbc\xc3\x9f\x65\"}";
    auto p = post("/upload", "Application/JSON; charset=UTF-8", body);
    auto res = up(p.req);
    REQUIRE(res);
    CHECK(res->code() == http::status::created);
    const std::string location(res->header("Location").value_or(""));
    CHECK(matches(location, "/uploads/upload_########_######_xxxx.json"));
    CHECK(res->body() == "{\"status\":\"success\",\"message\":\"File created successfully\","
                         "\"filepath\":\"" +
                             location + "\"}");
    const auto names = list_dir(o.directory);
    REQUIRE(names.size() == 1);
    CHECK("/uploads/" + names[0] == location);
    CHECK(slurp(o.directory + "/" + names[0]) == body);
}

TEST_CASE("json_upload: 50 concurrent uploads make 50 distinct, complete files") {
    temp_dir dir;
    http::json_upload_options o;
    o.directory = dir / "uploads";
    const http::json_upload up(o);
    std::vector<std::thread> threads;
    std::mutex m;
    std::set<std::string> locations;
    for (int i = 0; i < 50; ++i) {
        threads.emplace_back([&, i] {
            auto p = post("/upload", "application/json", "{\"n\":" + std::to_string(i) + "}");
            auto res = up(p.req);
            std::lock_guard lock(m);
            if (res && res->code() == http::status::created)
                locations.insert(std::string(res->header("Location").value_or("")));
        });
    }
    for (auto& t : threads) t.join();
    CHECK(locations.size() == 50);
    const auto names = list_dir(o.directory);
    CHECK(names.size() == 50);
    std::set<std::string> contents;
    for (const auto& n : names) contents.insert(slurp(o.directory + "/" + n));
    CHECK(contents.size() == 50);
}

TEST_CASE("json_upload: a storage failure answers 500 and leaves no file") {
    temp_dir dir;
    dir.write("uploads", "a file where the directory should be");
    http::json_upload_options o;
    o.directory = dir / "uploads";
    std::vector<std::string> logged;
    o.log = [&](std::string_view m) { logged.emplace_back(m); };
    const http::json_upload up(o);
    auto p = post("/upload", "application/json", "{}");
    auto res = up(p.req);
    REQUIRE(res);
    CHECK(res->code() == http::status::internal_server_error);
    CHECK(list_dir(dir.path) == std::vector<std::string>{"uploads"});
    REQUIRE(!logged.empty());
    CHECK(logged.back().find("Upload failed") != std::string::npos);
}

TEST_CASE("json_upload: a full disk answers 507 and leaves no file") {
    // A 16 KiB tmpfs in a private mount namespace of a child process (needs CAP_SYS_ADMIN).
    temp_dir dir;
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (::unshare(CLONE_NEWNS) != 0 ||
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=16k") != 0)
            ::_exit(42);
        http::json_upload_options o;
        o.directory = dir.path;
        const http::json_upload up(o);
        auto p = post("/upload", "application/json", "[\"" + std::string(64 * 1024, 'x') + "\"]");
        auto res = up(p.req);
        const bool ok =
            res && res->code() == http::status::insufficient_storage && list_dir(dir.path).empty();
        ::_exit(ok ? 0 : 1);
    }
    int st = 0;
    REQUIRE(::waitpid(pid, &st, 0) == pid);
    REQUIRE(WIFEXITED(st));
    if (WEXITSTATUS(st) == 42) {
        MESSAGE("cannot mount a tmpfs here (no CAP_SYS_ADMIN): the ENOSPC case did not run");
    } else {
        CHECK(WEXITSTATUS(st) == 0);
    }
}

TEST_CASE("security: the Host allow-list of the spec, with and without the port") {
    http::security_options o;
    o.bind_host = "0.0.0.0";
    o.port = 8080;
    o.extra_hosts = {"Example.org", "api.example.org:9999"};
    const http::security s(o);
    for (const char* ok : {"localhost", "localhost:8080", "LOCALHOST:8080", "127.0.0.1",
                           "127.0.0.1:8080", "[::1]", "[::1]:8080", "0.0.0.0", "0.0.0.0:8080",
                           "example.org", "example.org:8080", "api.example.org:9999"}) {
        CAPTURE(ok);
        CHECK(s.host_allowed(ok, 8080));
    }
    for (const char* bad :
         {"malicious.com", "evil.com:8080", "localhost:8081", "localhost:", "127.0.0.2",
          "[::2]:8080", "localhost.evil.com", "api.example.org", "::1", "example.org:80"}) {
        CAPTURE(bad);
        CHECK_FALSE(s.host_allowed(bad, 8080));
    }
    http::security_options v6;
    v6.bind_host = "::1";
    const http::security s6(v6);
    CHECK(s6.host_allowed("[::1]:8443", 8443));
}

TEST_CASE("security: refuses Host and methods, passes the rest, and logs why") {
    std::vector<std::string> logged;
    http::security_options o;
    o.log = [&](std::string_view m) { logged.emplace_back(m); };
    const http::security s(o);
    auto ok = parsed("GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n", 8080);
    CHECK_FALSE(s(ok.req)); // port 0 in the options: the listening port decides
    auto wrong_port = parsed("GET / HTTP/1.1\r\nHost: localhost:9\r\n\r\n", 8080);
    auto r = s(wrong_port.req);
    REQUIRE(r);
    CHECK(r->code() == http::status::forbidden);
    auto evil = parsed("GET / HTTP/1.1\r\nHost: malicious.com\r\n\r\n", 8080);
    r = s(evil.req);
    REQUIRE(r);
    CHECK(r->code() == http::status::forbidden);
    REQUIRE(!logged.empty());
    CHECK(logged.back() == "Host validation failed: malicious.com");
    auto no_host = parsed("GET / HTTP/1.0\r\n\r\n", 8080);
    r = s(no_host.req);
    REQUIRE(r);
    CHECK(r->code() == http::status::bad_request);
    for (const char* m : {"PUT", "DELETE", "PATCH", "TRACE"}) {
        CAPTURE(m);
        auto req =
            parsed(std::string(m) + " /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n", 8080);
        r = s(req.req);
        REQUIRE(r);
        CHECK(r->code() == http::status::method_not_allowed);
        CHECK(r->header("Allow") == "GET, HEAD, POST, OPTIONS");
    }
    auto opt = parsed("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n", 8080);
    CHECK_FALSE(s(opt.req));
    auto abs = parsed("GET http://localhost:8080/x HTTP/1.1\r\nHost: evil.com\r\n\r\n", 8080);
    CHECK_FALSE(s(abs.req)); // the absolute-form authority is the Host (RFC 9112 §3.2.2)
}

TEST_CASE("logger: lines in the spec's format, in order, with thread names") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    {
        http::logger log({.fd = fds[1]});
        log.log("HTTP Server started on http://127.0.0.1:8080");
        std::thread t([&] {
            http::set_current_thread_name("Thread-7");
            for (int i = 0; i < 100; ++i) log.log("line " + std::to_string(i));
        });
        t.join();
        log.flush();
        CHECK(log.dropped() == 0);
    }
    ::close(fds[1]);
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    const std::string_view first = std::string_view(out).substr(0, out.find('\n'));
    CHECK(matches(first, "[####-##-## ##:##:##] HTTP Server started on http://127.0.0.1:8080"));
    std::size_t pos = 0;
    for (int i = 0; i < 100; ++i) {
        const auto at = out.find("] [Thread-7] line " + std::to_string(i) + "\n", pos);
        REQUIRE(at != std::string::npos);
        pos = at;
    }
}

TEST_CASE("logger: drops lines instead of blocking when the output stalls") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
    std::uint64_t dropped = 0;
    {
        http::logger log({.fd = fds[1], .max_pending = 4096});
        const std::string big(1000, 'x');
        for (int i = 0; i < 2000; ++i) log.log(big); // ~2 MB into a 64 KiB pipe nobody reads
        dropped = log.dropped();
        ::close(fds[0]); // let the writer fail and finish
    }
    ::close(fds[1]);
    CHECK(dropped > 0);
}

TEST_SUITE_END();

TEST_CASE("log_to: concatenates text, characters and integers; re-entrant; empty sink is a no-op") {
    std::vector<std::string> got;
    std::function<void(std::string_view)> sink;
    http::log_to(sink, "never called"); // empty: nothing happens, nothing throws
    sink = [&](std::string_view m) {
        got.emplace_back(m);
        if (got.size() == 1) // a sink that logs again gets its own buffer
            http::log_to(sink, "inner ", -42, ' ', std::uint64_t{18446744073709551615u});
    };
    const std::string name = "photo.jpg";
    http::log_to(sink, "Completed file transfer: ", name, " (", std::size_t{2453678}, " bytes)");
    REQUIRE(got.size() == 2);
    CHECK(got[0] == "Completed file transfer: photo.jpg (2453678 bytes)");
    CHECK(got[1] == "inner -42 18446744073709551615");
}

TEST_CASE("logger: a burst of lines from several threads is written whole, in per-thread order") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string out;
    std::thread reader([&] {
        char buf[65536];
        for (;;) {
            const ssize_t n = ::read(fds[0], buf, sizeof buf);
            if (n <= 0) break;
            out.append(buf, static_cast<std::size_t>(n));
        }
    });
    {
        http::logger log({.fd = fds[1]});
        std::vector<std::thread> writers;
        for (int t = 0; t < 4; ++t)
            writers.emplace_back([&log, t] {
                for (int i = 0; i < 5000; ++i) http::log_to(log.sink(), "w", t, " line ", i);
            });
        for (auto& w : writers) w.join();
        log.flush(); // must not wait out the gathering delay forever
        CHECK(log.dropped() == 0);
    }
    ::close(fds[1]);
    reader.join();
    ::close(fds[0]);
    int next[4] = {0, 0, 0, 0};
    std::size_t lines = 0;
    for (std::size_t pos = 0; pos < out.size();) {
        const auto eol = out.find('\n', pos);
        REQUIRE(eol != std::string::npos);
        const std::string_view line(out.data() + pos, eol - pos);
        const auto w = line.find("] w");
        REQUIRE(w != std::string_view::npos);
        const int t = line[w + 3] - '0';
        REQUIRE((t >= 0 && t < 4));
        CHECK(line.substr(w + 4) == " line " + std::to_string(next[t]));
        ++next[t];
        ++lines;
        pos = eol + 1;
    }
    CHECK(lines == 20000);
}
