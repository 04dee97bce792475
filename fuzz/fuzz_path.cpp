// libFuzzer target: request path resolution (include/minihttp/detail/path.hpp).
//
// The input is a request path as the parser hands it over (still percent-encoded), tried both
// as it is and with a '/' put in front. Checked for every input:
//  - decode_request_path: when ok, the decoded path has no NUL and no backslash, does not start
//    with '/', and has no segment made only of dots ("." ".." "..."); and the verdict and the
//    decoded bytes equal those of the straightforward implementation below, written apart from
//    the library's (decode everything first, then split into segments and judge them).
//  - has_hidden_segment equals "some segment starts with '.'".
//  - open_beneath, on a scratch document root built once under /tmp by LLVMFuzzerInitialize
//    (files, a subdirectory, symlinks to files and directories inside, and symlinks by relative
//    and absolute paths to a directory and a file outside, plus a symlink loop): whatever it
//    opens, for every ok decoded path and also for the raw input, is one of the inodes inside
//    the root, never the outside target or anything else. The raw input reaches the kernel
//    layer with ".." and absolute paths that decode_request_path would have refused, which
//    tests the defence in depth on its own.
//  - With MINIHTTP_FUZZ_NO_OPENAT2=1 in the environment, a seccomp filter makes openat2 fail
//    with ENOSYS, as on Linux < 5.6, so open_beneath takes its O_NOFOLLOW fallback instead; the
//    same checks then apply to the fallback.

#include <minihttp/detail/path.hpp>

#include "common.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace {

std::string scratch;                           // the directory holding root/ and outside/
int root_fd = -1;                              // root/, opened O_PATH | O_DIRECTORY
std::set<std::pair<dev_t, ino_t>> inside;      // every inode reachable inside root/
std::set<std::pair<dev_t, ino_t>> outside_set; // the outside targets, for messages

/// Records `path` and, if it is a real directory (not a symlink), everything below it.
void collect(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (S_ISLNK(st.st_mode)) return; // a symlink is not an inode one may open: its target is
    inside.insert({st.st_dev, st.st_ino});
    if (!S_ISDIR(st.st_mode)) return;
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return;
    while (const dirent* e = ::readdir(d)) {
        const std::string_view name = e->d_name;
        if (name != "." && name != "..") collect(path + "/" + std::string(name));
    }
    ::closedir(d);
}

void write_file(const std::string& path, std::string_view content) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, content.data(), content.size()) < 0) {
        std::perror(path.c_str());
        std::abort();
    }
    ::close(fd);
}

void must(int rc, const std::string& what) {
    if (rc != 0) {
        std::perror(what.c_str());
        std::abort();
    }
}

void remove_tree(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        if (DIR* d = ::opendir(path.c_str())) {
            while (const dirent* e = ::readdir(d)) {
                const std::string_view name = e->d_name;
                if (name != "." && name != "..") remove_tree(path + "/" + std::string(name));
            }
            ::closedir(d);
        }
        ::rmdir(path.c_str());
    } else {
        ::unlink(path.c_str());
    }
}

void cleanup() {
    if (root_fd >= 0) ::close(root_fd);
    if (!scratch.empty()) remove_tree(scratch);
}

/// Makes openat2(2) fail with ENOSYS in this process, as a kernel older than 5.6 would.
void disable_openat2() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    const sock_fprog prog{static_cast<unsigned short>(std::size(filter)), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        std::perror("seccomp");
        std::abort();
    }
}

/// The reference: percent-decode the whole path at once, then judge its segments.
std::pair<bool, std::string> reference_decode(std::string_view raw) {
    if (raw.empty() || raw[0] != '/') return {false, {}};
    std::string decoded;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '%') {
            decoded += raw[i];
            continue;
        }
        const auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        if (raw.size() - i < 3 || hex(raw[i + 1]) < 0 || hex(raw[i + 2]) < 0) return {false, {}};
        decoded += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
        i += 2;
    }
    // A raw "//" at the start, or one made by "/%2F", is a network-path reference: refused.
    if (decoded.size() >= 2 && decoded[1] == '/') return {false, {}};
    for (const char c : decoded)
        if (c == '\0' || c == '\\') return {false, {}};
    std::string rel = decoded.substr(1);
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = rel.find('/', start);
        const std::string seg =
            rel.substr(start, slash == std::string::npos ? slash : slash - start);
        bool dots_only = !seg.empty();
        for (const char c : seg) dots_only = dots_only && c == '.';
        if (dots_only) return {false, {}};
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return {true, rel};
}

bool reference_hidden(std::string_view rel) {
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = rel.find('/', start);
        if (start < rel.size() && rel[start] == '.') return true;
        if (slash == std::string_view::npos) return false;
        start = slash + 1;
    }
}

/// Opens `rel` beneath the root as static_files does; whatever it opens must be inside.
void check_open(std::string_view rel) {
    const int fd = http::detail::open_beneath(root_fd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return;
    struct stat st {};
    const int rc = ::fstat(fd, &st);
    ::close(fd);
    FUZZ_CHECK(rc == 0, "fstat failed");
    const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
    FUZZ_CHECK(inside.count(id) == 1, "open_beneath(\"%s\") opened an inode %s the root",
               fuzz::printable(rel).c_str(),
               outside_set.count(id) != 0 ? "OUTSIDE (the symlinks' target)" : "not inside");
}

void check_path(std::string_view raw) {
    std::string out;
    const auto r = http::detail::decode_request_path(raw, out);
    const auto [ref_ok, ref_out] = reference_decode(raw);
    FUZZ_CHECK(r.ok == ref_ok, "decode_request_path(\"%s\"): ok=%d (%s), reference ok=%d",
               fuzz::printable(raw).c_str(), r.ok, std::string(r.reason).c_str(), ref_ok);
    FUZZ_CHECK(r.ok == r.reason.empty(), "reason and verdict disagree");
    if (!r.ok) return;
    FUZZ_CHECK(out == ref_out, "decoded \"%s\" as \"%s\", reference \"%s\"",
               fuzz::printable(raw).c_str(), fuzz::printable(out).c_str(),
               fuzz::printable(ref_out).c_str());
    FUZZ_CHECK(out.find('\0') == std::string::npos, "NUL in a decoded path");
    FUZZ_CHECK(out.find('\\') == std::string::npos, "backslash in a decoded path");
    FUZZ_CHECK(!out.starts_with('/'), "decoded path starts with '/'");
    FUZZ_CHECK(out.size() <= raw.size(), "decoded path longer than the raw one");
    FUZZ_CHECK(http::detail::has_hidden_segment(out) == reference_hidden(out),
               "has_hidden_segment(\"%s\")", fuzz::printable(out).c_str());
    check_open(out);
    check_open(out + "/"); // a directory request, as static_files makes with the index name
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (const char* e = std::getenv("MINIHTTP_FUZZ_NO_OPENAT2"); e != nullptr && *e == '1')
        disable_openat2();
    char tmpl[] = "/tmp/minihttp-fuzz-path.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
        std::perror("mkdtemp");
        std::abort();
    }
    scratch = tmpl;
    std::atexit(cleanup);
    const std::string root = scratch + "/root", out = scratch + "/outside";
    must(::mkdir(root.c_str(), 0755), root);
    must(::mkdir(out.c_str(), 0755), out);
    must(::mkdir((root + "/sub").c_str(), 0755), "sub");
    must(::mkdir((root + "/sub/deeper").c_str(), 0755), "sub/deeper");
    write_file(out + "/secret.txt", "outside the root\n");
    write_file(root + "/index.html", "<p>index</p>\n");
    write_file(root + "/a.txt", "a\n");
    write_file(root + "/.hidden", "hidden\n");
    write_file(root + "/sub/b.txt", "b\n");
    write_file(root + "/sub/deeper/c.json", "{}\n");
    write_file(root + "/caf\xc3\xa9.txt", "utf-8 name\n");
    const std::pair<std::string, std::string> links[] = {
        {"link_in", "a.txt"},                          // inside, relative
        {"link_dir_in", "sub"},                        // a directory inside
        {"sub/link_up_in", "../a.txt"},                // inside, through ".."
        {"link_out", "../outside/secret.txt"},         // outside, relative
        {"link_dir_out", "../outside"},                // a directory outside
        {"sub/link_out2", "../../outside/secret.txt"}, // outside, from a subdirectory
        {"link_abs", out + "/secret.txt"},             // outside, absolute
        {"link_root", "/"},                            // the file system root
        {"link_proc", "/proc/self/root"},              // a magic link's parent
        {"link_loop", "link_loop"},                    // ELOOP
    };
    for (const auto& [name, target] : links)
        must(::symlink(target.c_str(), (root + "/" + name).c_str()), name);
    root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        std::perror(root.c_str());
        std::abort();
    }
    collect(root);
    struct stat st {};
    if (::stat((out + "/secret.txt").c_str(), &st) == 0) outside_set.insert({st.st_dev, st.st_ino});
    if (::stat(out.c_str(), &st) == 0) outside_set.insert({st.st_dev, st.st_ino});
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    check_path(in);
    if (!in.starts_with('/')) check_path("/" + std::string(in));
    // The kernel layer alone, on what the first layer would refuse (up to a NUL, as C strings).
    check_open(in.substr(0, in.find('\0')));
    return 0;
}
