#pragma once
/// @file
/// Turning a request path into a file path that cannot leave a directory.
///
/// Two layers, both required (defence in depth):
///  1. `decode_request_path` percent-decodes the path once and refuses every form of
///     traversal before the file system is touched: NUL, backslashes, a leading "//", and any
///     segment made only of dots ("." and ".." and "...."), which the spec's examples probe.
///  2. `open_beneath` opens relative to the document root's directory descriptor with
///     openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): the kernel refuses any resolution
///     that would leave the root, through ".." or a symlink, even if step 1 missed a case.
///     Where openat2 does not exist (Linux < 5.6) each component is opened with O_NOFOLLOW,
///     so symlinks are refused altogether.

#include <minihttp/detail/chars.hpp>
#include <minihttp/version.hpp>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Outcome of checking a request path.
struct path_check {
    bool ok = false;
    std::string_view reason; ///< why it was refused (static text), empty when ok
};

/// Percent-decodes `raw` (a request's path, starting with '/') exactly once into `out`,
/// without the leading '/', and checks it. A "%2F" decodes to '/' and so separates segments
/// like a literal one; "%252e" decodes to the literal "%2e", never to '.'. Bytes >= 0x80 are
/// kept (UTF-8 file names work). Refused: NUL, '\', a leading "//", a segment of dots only.
/// Empty segments ("a//b") are harmless and kept. Thread-safe; `out` is overwritten.
[[nodiscard]] inline path_check decode_request_path(std::string_view raw, std::string& out) {
    out.clear();
    if (raw.empty() || raw.front() != '/') return {false, "not an absolute path"};
    if (raw.starts_with("//")) return {false, "leading //"};
    out.reserve(raw.size());
    for (std::size_t i = 1; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            if (i + 2 >= raw.size() || !is_hex(raw[i + 1]) || !is_hex(raw[i + 2]))
                return {false, "invalid percent-encoding"};
            c = static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
            i += 2;
        }
        if (c == '\0') return {false, "NUL byte"};
        if (c == '\\') return {false, "backslash"};
        out.push_back(c);
    }
    if (out.starts_with("/")) return {false, "leading //"}; // "/%2F..." decodes to "//..."
    // Every segment made only of dots is refused: "." and ".." are traversal; "..." and more
    // are refused too (Windows-era tricks and the spec's "....//" probe).
    std::size_t start = 0;
    while (start <= out.size()) {
        const auto slash = out.find('/', start);
        const auto seg = std::string_view(out).substr(
            start, (slash == std::string::npos ? out.size() : slash) - start);
        if (!seg.empty() && seg.find_first_not_of('.') == std::string_view::npos)
            return {false, "dot segment"};
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return {true, {}};
}

/// True if any segment of a decoded relative path starts with '.' (a hidden file).
[[nodiscard]] inline bool has_hidden_segment(std::string_view rel) noexcept {
    for (std::size_t i = 0; i < rel.size(); ++i)
        if (rel[i] == '.' && (i == 0 || rel[i - 1] == '/')) return true;
    return false;
}

/// Opens `rel` beneath the directory `root_fd` without ever leaving it (see the file comment).
/// `flags` are open(2) flags (O_CLOEXEC is added). Returns the descriptor, or -1 with errno:
/// ENOENT/ENOTDIR for a missing file, EXDEV or ELOOP for a path that would escape (or, in the
/// fallback, any symlink), others as open(2).
[[nodiscard]] inline int open_beneath(int root_fd, std::string_view rel, int flags) {
    std::string path(rel);
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (path.empty()) path = ".";
    static std::atomic<bool> have_openat2{true};
    if (have_openat2.load(std::memory_order_relaxed)) {
        open_how how{};
        how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        long fd;
        do {
            fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
        } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
        if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
        have_openat2.store(false, std::memory_order_relaxed);
    }
    // Fallback: walk component by component, refusing symlinks (O_NOFOLLOW) and "..".
    int dir = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
    if (dir < 0) return -1;
    std::size_t start = 0;
    for (;;) {
        const auto slash = path.find('/', start);
        const std::string comp =
            path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (comp == "..") {
            ::close(dir);
            errno = EXDEV;
            return -1;
        }
        const bool last = slash == std::string::npos;
        if (comp.empty() || comp == ".") {
            if (last) return dir;
            start = slash + 1;
            continue;
        }
        const int next = ::openat(dir, comp.c_str(),
                                  last ? (flags | O_NOFOLLOW | O_CLOEXEC)
                                       : (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        const int saved = errno;
        ::close(dir);
        if (next < 0) {
            errno = saved;
            return -1;
        }
        if (last) return next;
        dir = next;
        start = slash + 1;
    }
}

} // namespace detail
MINIHTTP_NAMESPACE_END
