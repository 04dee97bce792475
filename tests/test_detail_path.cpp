// detail/path.hpp, layer 2: open_beneath never resolves outside the root directory, whatever
// the path says (layer 1, decode_request_path, has its table of traversal forms in
// test_policies.cpp; a few of its properties are checked here too).
#include <minihttp/detail/path.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace {

// A temporary directory, removed with everything in it.
struct temp_dir {
    std::string path;
    temp_dir() {
        char tmpl[] = "/tmp/minihttp-path-XXXXXX";
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
    void write(const std::string& rel, const std::string& content) const {
        const int fd =
            ::open((*this / rel).c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, content.data(), content.size()) ==
                static_cast<ssize_t>(content.size()));
        ::close(fd);
    }
};

// An opened descriptor, closed at scope exit, with the errno of the attempt.
struct opened {
    int fd;
    int error;
    opened(int root, std::string_view rel, int flags = O_RDONLY) {
        errno = 0;
        fd = http::detail::open_beneath(root, rel, flags);
        error = fd < 0 ? errno : 0;
    }
    ~opened() {
        if (fd >= 0) ::close(fd);
    }
    opened(const opened&) = delete;
    opened& operator=(const opened&) = delete;
    [[nodiscard]] std::string read_all() const {
        std::string s;
        char buf[256];
        ssize_t n;
        while ((n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(s.size()))) > 0)
            s.append(buf, static_cast<std::size_t>(n));
        return s;
    }
    [[nodiscard]] bool is_directory() const {
        struct stat st {};
        return ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    }
};

// A document root with a file, a subdirectory, and symlinks that point out of it, next to a
// directory holding a secret.
struct fixture {
    temp_dir root, outside;
    int root_fd = -1;
    fixture() {
        root.write("a.txt", "in the root");
        REQUIRE(::mkdir((root / "dir").c_str(), 0755) == 0);
        root.write("dir/b.txt", "in a subdirectory");
        outside.write("secret.txt", "outside the root");
        REQUIRE(::symlink((outside / "secret.txt").c_str(), (root / "abs_out").c_str()) == 0);
        const std::string rel_out =
            "../" + outside.path.substr(outside.path.rfind('/') + 1) + "/secret.txt";
        REQUIRE(::symlink(rel_out.c_str(), (root / "rel_out").c_str()) == 0);
        REQUIRE(::symlink(outside.path.c_str(), (root / "dir_out").c_str()) == 0);
        root_fd = ::open(root.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(root_fd >= 0);
    }
    ~fixture() { ::close(root_fd); }
    fixture(const fixture&) = delete;
    fixture& operator=(const fixture&) = delete;
};

} // namespace

TEST_SUITE_BEGIN("detail path");

TEST_CASE("open_beneath: opens files and directories inside the root") {
    const fixture f;
    {
        const opened o(f.root_fd, "a.txt");
        REQUIRE(o.fd >= 0);
        CHECK(o.read_all() == "in the root");
        CHECK((::fcntl(o.fd, F_GETFD) & FD_CLOEXEC) != 0); // O_CLOEXEC is added
    }
    {
        const opened o(f.root_fd, "dir/b.txt");
        REQUIRE(o.fd >= 0);
        CHECK(o.read_all() == "in a subdirectory");
    }
    for (const char* dir : {"dir", "dir/", "dir//", ""}) { // "" is the root itself
        CAPTURE(dir);
        const opened o(f.root_fd, dir, O_RDONLY | O_DIRECTORY);
        REQUIRE(o.fd >= 0);
        CHECK(o.is_directory());
    }
}

TEST_CASE("open_beneath: a missing file is ENOENT, a file used as a directory ENOTDIR") {
    const fixture f;
    const opened missing(f.root_fd, "nope.txt");
    CHECK(missing.fd < 0);
    CHECK(missing.error == ENOENT);
    const opened missing_dir(f.root_fd, "nodir/x.txt");
    CHECK(missing_dir.fd < 0);
    CHECK(missing_dir.error == ENOENT);
    const opened through_file(f.root_fd, "a.txt/x");
    CHECK(through_file.fd < 0);
    CHECK(through_file.error == ENOTDIR);
}

TEST_CASE("open_beneath: no path leaves the root, through '..' or a symlink") {
    const fixture f;
    const std::string outside_name = f.outside.path.substr(f.outside.path.rfind('/') + 1);
    // The kernel's openat2 says EXDEV, or ELOOP for a symlink; the O_NOFOLLOW fallback says
    // ELOOP for any symlink and EXDEV for "..". Either way: refused, nothing opened.
    for (const std::string& rel :
         {"../" + outside_name + "/secret.txt", "dir/../../" + outside_name + "/secret.txt",
          std::string("abs_out"), std::string("rel_out"), std::string("dir_out/secret.txt"),
          std::string("..")}) {
        CAPTURE(rel);
        const opened o(f.root_fd, rel);
        CHECK(o.fd < 0);
        CHECK((o.error == EXDEV || o.error == ELOOP));
    }
    // An absolute path is resolved beneath the root as well, never from "/".
    const opened abs(f.root_fd, f.outside / "secret.txt");
    CHECK(abs.fd < 0);
}

TEST_CASE("decode_request_path: decodes once, and %2F separates segments like '/'") {
    std::string out = "stale";
    CHECK(http::detail::decode_request_path("/a%2Fb%2fc", out).ok);
    CHECK(out == "a/b/c");
    const auto dots = http::detail::decode_request_path("/a%2F..%2Fb", out);
    CHECK_FALSE(dots.ok); // a dot segment, even when its slashes were encoded
    CHECK(dots.reason == "dot segment");
    CHECK(http::detail::decode_request_path("/%41%62%7E", out).ok); // either case of hex
    CHECK(out == "Ab~");
    CHECK(http::detail::decode_request_path("/x", out).ok); // out is overwritten, not appended
    CHECK(out == "x");
}

TEST_SUITE_END();
