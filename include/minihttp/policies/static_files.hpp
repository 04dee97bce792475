#pragma once
/// @file
/// `http::static_files`: serves GET and HEAD from a document root, safely.

#include <minihttp/detail/chars.hpp>
#include <minihttp/detail/path.hpp>
#include <minihttp/detail/socket.hpp>
#include <minihttp/method.hpp>
#include <minihttp/request.hpp>
#include <minihttp/response.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN

/// Settings of `static_files`.
struct static_files_options {
    /// The document root directory; must exist when the policy is constructed.
    std::string root{};
    /// Served for a directory request ("/" or "/dir/"); a directory without it is 404.
    std::string index = "index.html";
    /// Extensions (lower case, no dot) that may be served; anything else is 415, whether or
    /// not it exists. Empty: every extension (and files without one).
    std::set<std::string, std::less<>> extensions{};
    /// Content-Type per extension (lower case), merged over the built-in table.
    std::map<std::string, std::string, std::less<>> content_types{};
    /// Extensions served as downloads: `Content-Disposition: attachment; filename="..."`.
    std::set<std::string, std::less<>> download{};
    /// Stream files with chunked transfer coding (the spec's mode) instead of Content-Length
    /// with sendfile (the default, zero-copy).
    bool chunked = false;
    /// Read size per chunk in chunked mode (the spec reads 8 KiB at a time).
    std::size_t chunk_size = 8192;
    /// Redirect "/dir" to "/dir/" (301), so relative links in its index resolve.
    bool redirect_directories = true;
    /// Receives refusals and transfer events ("Path traversal/forbidden: ...", "Starting binary
    /// file transfer: ...", "Completed file transfer: ... (N bytes)"); empty: silent.
    std::function<void(std::string_view)> log{};
};

namespace detail {
/// The built-in MIME table (extension → Content-Type).
inline const std::map<std::string, std::string, std::less<>>& default_content_types() {
    static const std::map<std::string, std::string, std::less<>> table = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"},
        {"csv", "text/csv; charset=utf-8"},
        {"xml", "application/xml"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"avif", "image/avif"},
        {"ico", "image/vnd.microsoft.icon"},
        {"pdf", "application/pdf"},
        {"wasm", "application/wasm"},
        {"woff", "font/woff"},
        {"woff2", "font/woff2"},
        {"mp4", "video/mp4"},
        {"webm", "video/webm"},
        {"mp3", "audio/mpeg"},
        {"ogg", "audio/ogg"},
        {"zip", "application/zip"},
        {"gz", "application/gzip"},
        {"tar", "application/x-tar"},
    };
    return table;
}

/// `Content-Disposition: attachment` with a file name that survives any bytes (RFC 6266 §4.3):
/// a quoted ASCII fallback, plus `filename*` (RFC 8187) when the name is not plain ASCII.
inline std::string attachment_disposition(std::string_view name) {
    std::string ascii;
    bool plain = true;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
            ascii.push_back(c);
        } else {
            ascii.push_back('_');
            plain = false;
        }
    }
    std::string v = "attachment; filename=\"" + ascii + "\"";
    if (!plain) {
        static constexpr char hex[] = "0123456789ABCDEF";
        v += "; filename*=UTF-8''";
        for (char c : name) {
            const auto u = static_cast<unsigned char>(c);
            if (is_tchar(c) && c != '%' && c != '\'' && c != '*') {
                v.push_back(c);
            } else {
                v.push_back('%');
                v.push_back(hex[u >> 4]);
                v.push_back(hex[u & 15]);
            }
        }
    }
    return v;
}
} // namespace detail

/// Serves GET and HEAD requests from a document root (DESIGN.md "Policies shipped").
///
/// Order of checks, each answering before anything is opened:
///  1. the path is percent-decoded once and traversal is refused: 403 (detail/path.hpp);
///  2. a last segment with an extension not on the allow-list: 415;
///  3. hidden files (any segment starting with '.'): 403;
///  4. the file is opened beneath the root (a symlink cannot lead out: 403), missing: 404;
///  5. a directory is served through its index (or redirected to "dir/"); no listings;
///     only regular files are served (a FIFO or device: 403).
/// Bodies are a file region (sendfile) or, with `chunked`, a stream of `chunk_size` reads.
/// Thread-safety: const and stateless per request; call from any number of workers.
/// Lifetime: holds the root directory open (so renaming the directory does not redirect it).
/// Construction throws std::system_error if the root cannot be opened as a directory.
class static_files {
  public:
    explicit static_files(static_files_options o) : opts_(std::move(o)) {
        root_.reset(::open(opts_.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root_)
            throw std::system_error(errno, std::system_category(),
                                    "static_files: cannot open document root '" + opts_.root + "'");
        types_ = detail::default_content_types();
        for (auto& [ext, type] : opts_.content_types) types_[ext] = type;
        if (opts_.chunk_size == 0) opts_.chunk_size = 8192;
    }

    /// Answers GET and HEAD for origin-form targets; anything else passes.
    std::optional<response> operator()(const request& r) const {
        if (r.method() != method::get && r.method() != method::head) return std::nullopt;
        if (r.form() == target_form::asterisk || r.form() == target_form::authority)
            return std::nullopt;
        return serve(r);
    }

    /// Every path may be a file: GET and HEAD.
    [[nodiscard]] method_set allowed_methods(const request&) const {
        return {method::get, method::head};
    }

    [[nodiscard]] const static_files_options& options() const noexcept { return opts_; }

  private:
    response serve(const request& r) const {
        const std::string_view raw = r.path();
        std::string rel;
        const detail::path_check check = detail::decode_request_path(raw, rel);
        if (!check.ok) return refuse(status::forbidden, raw, check.reason);

        const bool dir_request = rel.empty() || rel.back() == '/';
        if (!dir_request) {
            const std::string_view name = last_segment(rel);
            if (name.find('.') != std::string_view::npos && !allowed(extension_of(name)))
                return unsupported(raw);
        }
        if (detail::has_hidden_segment(rel)) return refuse(status::forbidden, raw, "hidden file");

        std::string file = rel;
        if (dir_request) file += opts_.index;
        detail::unique_fd fd(
            detail::open_beneath(root_.get(), file, O_RDONLY | O_NONBLOCK | O_NOCTTY));
        if (!fd) return open_error(raw, errno);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return open_error(raw, errno);
        if (S_ISDIR(st.st_mode)) {
            if (!opts_.redirect_directories) return not_found(raw);
            // RFC 9110 §15.4.2: the resource lives at "dir/"; relative links need the slash.
            std::string location(raw);
            location.push_back('/');
            if (!r.query().empty()) location.append("?").append(r.query());
            response res = response::text("301 Moved Permanently\n", status::moved_permanently);
            res.add_header("Location", location);
            return res;
        }
        if (!S_ISREG(st.st_mode)) return refuse(status::forbidden, raw, "not a regular file");
        const std::string_view name = last_segment(file);
        const std::string ext = extension_of(name);
        if (!allowed(ext)) return unsupported(raw); // e.g. a file without an extension
        return send(r, std::move(fd), static_cast<std::uint64_t>(st.st_size), name, ext);
    }

    response send(const request& r, detail::unique_fd fd, std::uint64_t size, std::string_view name,
                  const std::string& ext) const {
        response res;
        const auto type = types_.find(ext);
        const std::string_view content_type =
            type != types_.end() ? std::string_view(type->second) : "application/octet-stream";
        if (opts_.download.contains(ext)) {
            // The spec's download mode: a generic type, so browsers save rather than render.
            res.set_header("Content-Type", "application/octet-stream");
            res.add_header("Content-Disposition", detail::attachment_disposition(name));
        } else {
            res.set_header("Content-Type", content_type);
        }
        if (opts_.chunked) {
            auto file = std::make_shared<detail::unique_fd>(std::move(fd));
            auto offset = std::make_shared<std::uint64_t>(0);
            const std::size_t chunk = opts_.chunk_size;
            res.set_stream([file, offset, size, chunk](char* buf,
                                                       std::size_t cap) -> std::ptrdiff_t {
                if (*offset >= size) return 0;
                const auto want =
                    static_cast<std::size_t>(std::min<std::uint64_t>({cap, chunk, size - *offset}));
                ssize_t n;
                do {
                    n = ::pread(file->get(), buf, want, static_cast<off_t>(*offset));
                } while (n < 0 && errno == EINTR);
                if (n <= 0) return -1; // shrank or failed: cut, never pad
                *offset += static_cast<std::uint64_t>(n);
                return n;
            });
        } else {
            res.set_file(fd.release(), 0, size);
        }
        if (opts_.log && r.method() == method::get) {
            const std::string display(name);
            opts_.log("Starting binary file transfer: " + display);
            res.on_sent([log = opts_.log, display](const delivery& d) {
                if (d.complete)
                    log("Completed file transfer: " + display + " (" +
                        std::to_string(d.body_bytes) + " bytes)");
                else
                    log("File transfer interrupted: " + display);
            });
        }
        return res;
    }

    response open_error(std::string_view raw, int err) const {
        // The errno → status mapping lives here only (STYLE.md §10; nginx's static module).
        switch (err) {
        case ENOENT:
        case ENOTDIR:
        case ENAMETOOLONG: return not_found(raw);
        case EXDEV: return refuse(status::forbidden, raw, "leads outside the document root");
        case ELOOP: return refuse(status::forbidden, raw, "symbolic link refused");
        case EACCES:
        case EPERM: return refuse(status::forbidden, raw, "permission denied");
        default:
            if (opts_.log)
                opts_.log("Cannot open " + std::string(raw) + ": " +
                          std::system_category().message(err));
            return response::text("500 Internal Server Error\n", status::internal_server_error);
        }
    }

    response refuse(http::status s, std::string_view raw, std::string_view why) const {
        if (opts_.log)
            opts_.log("Path traversal/forbidden: " + std::string(raw) + " (" + std::string(why) +
                      ")");
        return response::text(
            std::to_string(to_int(s)) + " " + std::string(reason_phrase(s)) + "\n", s);
    }
    response unsupported(std::string_view raw) const {
        if (opts_.log) opts_.log("Unsupported file type: " + std::string(raw));
        return response::text("415 Unsupported Media Type\n", status::unsupported_media_type);
    }
    response not_found(std::string_view raw) const {
        if (opts_.log) opts_.log("File not found: " + std::string(raw));
        return response::text("404 Not Found\n", status::not_found);
    }

    [[nodiscard]] bool allowed(std::string_view ext) const {
        return opts_.extensions.empty() || opts_.extensions.contains(ext);
    }
    static std::string_view last_segment(std::string_view rel) {
        const auto slash = rel.rfind('/');
        return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
    }
    // The text after the last dot, lower-cased; "" without a dot.
    static std::string extension_of(std::string_view name) {
        const auto dot = name.rfind('.');
        std::string ext;
        if (dot == std::string_view::npos) return ext;
        for (char c : name.substr(dot + 1)) ext.push_back(detail::ascii_lower(c));
        return ext;
    }

    static_files_options opts_;
    detail::unique_fd root_;
    std::map<std::string, std::string, std::less<>> types_;
};

MINIHTTP_NAMESPACE_END
