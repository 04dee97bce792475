#pragma once
/// @file
/// `http::static_files`: serves GET and HEAD from a document root, safely.

#include <minihttp/conditional.hpp>
#include <minihttp/detail/chars.hpp>
#include <minihttp/detail/http_date.hpp>
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

#ifdef MINIHTTP_WITH_ZLIB
#include <zlib.h>
#endif

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
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
    /// Send `ETag` (strong, from inode, size and mtime: no file read) and `Last-Modified`, and
    /// answer conditional requests: If-None-Match / If-Modified-Since → 304, If-Match /
    /// If-Unmodified-Since → 412 (RFC 9110 §13).
    bool validators = true;
    /// `Cache-Control` per extension; `default_cache_control` for the others ("" sends none).
    std::map<std::string, std::string, std::less<>> cache_control{
        {"html", "no-cache"},
        {"htm", "no-cache"},
        {"png", "public, max-age=86400"},
        {"jpg", "public, max-age=86400"},
        {"jpeg", "public, max-age=86400"},
        {"gif", "public, max-age=86400"},
        {"webp", "public, max-age=86400"},
        {"svg", "public, max-age=86400"},
        {"ico", "public, max-age=86400"},
        {"woff", "public, max-age=604800"},
        {"woff2", "public, max-age=604800"},
    };
    std::string default_cache_control = "no-cache";
    /// Serve byte ranges (RFC 9110 §14): 206 for one range, 416 when unsatisfiable, the whole
    /// file for several disjoint ranges; `Accept-Ranges: bytes` announces it.
    bool ranges = true;
    /// Serve `file.br` / `file.gz` instead of `file` to clients accepting br / gzip, for text
    /// types, with `Content-Encoding` and `Vary: Accept-Encoding` (nginx's gzip_static).
    bool precompressed = true;
    /// Compress text types on the fly with gzip for clients that accept it, when no
    /// precompressed sibling exists. Needs `MINIHTTP_WITH_ZLIB` (and -lz); otherwise ignored.
    /// Never for ranges, already-compressed types, or files under `gzip_min_size` bytes.
    bool gzip = false;
    std::size_t gzip_min_size = 1024;
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

/// Types worth compressing: text, and text-like formats (images and archives already are).
[[nodiscard]] inline bool compressible_type(std::string_view ext) noexcept {
    for (std::string_view t :
         {"html", "htm", "css", "js", "mjs", "json", "txt", "md", "csv", "xml", "svg", "wasm"})
        if (ext == t) return true;
    return false;
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
/// Then: validators and preconditions (304 / 412), Cache-Control, precompressed siblings,
/// byte ranges (206 / 416); see the options. Bodies are a file region (sendfile) or, with
/// `chunked`, a stream of `chunk_size` reads.
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
        return send(r, std::move(fd), st, file, name, ext);
    }

    // A representation chosen for the request: the file itself, or a precompressed sibling.
    struct representation {
        detail::unique_fd fd;
        struct stat st {};
        std::string_view coding; // "" identity, "br", "gzip"
    };

    response send(const request& r, detail::unique_fd fd, const struct stat& st,
                  const std::string& file, std::string_view name, const std::string& ext) const {
        representation rep{std::move(fd), st, {}};
        const bool compressible = opts_.precompressed && detail::compressible_type(ext);
        const auto range_field = opts_.ranges ? r.header("Range") : std::nullopt;
        // Precompressed siblings (nginx's gzip_static): only when no range is asked for, so that
        // a range always refers to the identity bytes a download manager resumes.
        if (compressible && !range_field) {
            if (const auto ae = r.header("Accept-Encoding")) choose_sibling(*ae, file, rep);
        }
        const std::uint64_t size = static_cast<std::uint64_t>(rep.st.st_size);
        std::string etag = make_etag(static_cast<std::uint64_t>(rep.st.st_ino), size,
                                     rep.st.st_mtim.tv_sec, rep.st.st_mtim.tv_nsec);
        bool deflate = false;
#ifdef MINIHTTP_WITH_ZLIB
        if (opts_.gzip && compressible && rep.coding.empty() && !range_field &&
            size >= opts_.gzip_min_size) {
            const auto ae = r.header("Accept-Encoding");
            deflate = ae && accept_encoding_quality(*ae, "gzip") > 0;
            if (deflate) { // another representation, another tag (RFC 9110 §8.8.3)
                etag.insert(etag.size() - 1, "-gz");
                rep.coding = "gzip";
            }
        }
#endif
        const std::time_t mtime = rep.st.st_mtim.tv_sec;

        response res;
        add_entity_fields(res, etag, mtime, ext, compressible);
        if (auto pre = preconditions(r, etag, mtime)) { // 304 or 412 (RFC 9110 §13.2.2)
            pre->set_header("ETag", etag);
            if (pre->code() == status::not_modified) copy_entity_fields(res, *pre);
            return std::move(*pre);
        }

        const auto type = types_.find(ext);
        if (opts_.download.contains(ext)) {
            // The spec's download mode: a generic type, so browsers save rather than render.
            res.set_header("Content-Type", "application/octet-stream");
            res.add_header("Content-Disposition", detail::attachment_disposition(name));
        } else {
            res.set_header("Content-Type", type != types_.end() ? std::string_view(type->second)
                                                                : "application/octet-stream");
        }
        if (!rep.coding.empty()) res.add_header("Content-Encoding", rep.coding);
        if (opts_.ranges) res.add_header("Accept-Ranges", "bytes");

        std::uint64_t offset = 0, length = size;
        if (range_field && (r.method() == method::get || r.method() == method::head)) {
            const auto if_range = r.header("If-Range");
            byte_range range;
            // RFC 9110 §13.1.5: a stale If-Range means "send me the whole thing".
            if (!if_range || if_range_matches(*if_range, etag, mtime)) {
                switch (parse_range(*range_field, size, range)) {
                case range_result::satisfiable: {
                    res.set_code(status::partial_content);
                    std::string cr;
                    append_content_range(cr, range.first, range.last, size);
                    res.add_header("Content-Range", cr);
                    offset = range.first;
                    length = range.length();
                    break;
                }
                case range_result::unsatisfiable: {
                    response bad = response::text("416 Range Not Satisfiable\n",
                                                  status::range_not_satisfiable);
                    std::string cr;
                    append_unsatisfied_content_range(cr, size);
                    bad.add_header("Content-Range", cr);
                    return bad;
                }
                // Several disjoint ranges: the whole representation (RFC 9110 §14.2 allows it;
                // multipart/byteranges would cost a lot for little use). Malformed: ignored.
                case range_result::multiple:
                case range_result::ignore: break;
                }
            }
        }
        if (deflate)
            set_gzip_body(res, std::move(rep.fd), size);
        else
            set_body(res, std::move(rep.fd), offset, length);
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

    // Tries the precompressed siblings the client accepts, in the server's order of preference.
    void choose_sibling(std::string_view accept_encoding, const std::string& file,
                        representation& rep) const {
        static constexpr std::pair<std::string_view, std::string_view> siblings[] = {
            {"br", ".br"}, {"gzip", ".gz"}};
        for (const auto& [coding, suffix] : siblings) {
            if (accept_encoding_quality(accept_encoding, coding) <= 0) continue;
            const std::string path = file + std::string(suffix);
            detail::unique_fd fd(
                detail::open_beneath(root_.get(), path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
            struct stat st {};
            if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
            rep.fd = std::move(fd);
            rep.st = st;
            rep.coding = coding;
            return;
        }
    }

    // ETag, Last-Modified, Cache-Control and Vary: the fields a 304 repeats (RFC 9110 §15.4.5).
    void add_entity_fields(response& res, const std::string& etag, std::time_t mtime,
                           const std::string& ext, bool compressible) const {
        if (opts_.validators) {
            res.add_header("ETag", etag);
            char date[detail::http_date_size];
            detail::format_http_date(mtime, date);
            res.add_header("Last-Modified", std::string_view(date, sizeof date));
        }
        const auto cc = opts_.cache_control.find(ext);
        const std::string& cache_control =
            cc != opts_.cache_control.end() ? cc->second : opts_.default_cache_control;
        if (!cache_control.empty()) res.add_header("Cache-Control", cache_control);
        if (compressible) res.add_header("Vary", "Accept-Encoding");
    }
    static void copy_entity_fields(const response& from, response& to) {
        for (const char* f : {"Last-Modified", "Cache-Control", "Vary"})
            if (const auto v = from.header(f)) to.set_header(f, *v);
    }

    // RFC 9110 §13.2.2: If-Match, then If-Unmodified-Since, then If-None-Match, then
    // If-Modified-Since; a failed precondition of the first two is 412, of the last two 304
    // (for GET and HEAD; this policy answers nothing else).
    std::optional<response> preconditions(const request& r, const std::string& etag,
                                          std::time_t mtime) const {
        if (!opts_.validators) return std::nullopt;
        if (const auto im = all_values(r, "If-Match")) {
            if (!if_match_matches(*im, etag)) return failed_precondition();
        } else if (const auto ius = r.header("If-Unmodified-Since")) {
            if (const auto date = parse_http_date(*ius); date && mtime > *date)
                return failed_precondition();
        }
        if (const auto inm = all_values(r, "If-None-Match")) {
            if (if_none_match_matches(*inm, etag)) return response(status::not_modified);
        } else if (const auto ims = r.header("If-Modified-Since")) {
            // Only a date in the past is meaningful (RFC 9110 §13.1.3).
            if (const auto date = parse_http_date(*ims);
                date && mtime <= *date && *date <= std::time(nullptr))
                return response(status::not_modified);
        }
        return std::nullopt;
    }
    static response failed_precondition() {
        return response::text("412 Precondition Failed\n", status::precondition_failed);
    }
    // The values of every field line named `name`, joined as one list (RFC 9110 §5.3).
    static std::optional<std::string> all_values(const request& r, std::string_view name) {
        std::optional<std::string> out;
        for (const auto& f : r.headers()) {
            if (!detail::iequals(f.name, name)) continue;
            if (out)
                out->append(", ").append(f.value);
            else
                out.emplace(f.value);
        }
        return out;
    }

    // A stream deflating the file (gzip wrapper) as the socket drains; its length is unknown,
    // so it goes out chunked (or close-delimited to HTTP/1.0).
    void set_gzip_body([[maybe_unused]] response& res, [[maybe_unused]] detail::unique_fd fd,
                       [[maybe_unused]] std::uint64_t size) const {
#ifdef MINIHTTP_WITH_ZLIB
        struct state {
            z_stream z{};
            detail::unique_fd fd;
            std::uint64_t pos = 0, size = 0;
            char in[16384];
            bool input_done = false, finished = false, ok = false;
            state(detail::unique_fd f, std::uint64_t n) : fd(std::move(f)), size(n) {
                ok = deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
            }
            ~state() {
                if (ok) deflateEnd(&z);
            }
        };
        auto st = std::make_shared<state>(std::move(fd), size);
        if (!st->ok) throw std::runtime_error("static_files: deflateInit2 failed");
        res.set_stream([st](char* buf, std::size_t cap) -> std::ptrdiff_t {
            if (st->finished) return 0;
            z_stream& z = st->z;
            z.next_out = reinterpret_cast<Bytef*>(buf);
            z.avail_out = static_cast<uInt>(cap);
            while (z.avail_out > 0 && !st->finished) {
                if (z.avail_in == 0 && !st->input_done) {
                    ssize_t n;
                    do {
                        n = ::pread(st->fd.get(), st->in, sizeof st->in,
                                    static_cast<off_t>(st->pos));
                    } while (n < 0 && errno == EINTR);
                    if (n < 0 || (n == 0 && st->pos < st->size)) return -1; // shrank or failed
                    st->pos += static_cast<std::uint64_t>(n);
                    st->input_done = st->pos >= st->size;
                    z.next_in = reinterpret_cast<Bytef*>(st->in);
                    z.avail_in = static_cast<uInt>(n);
                }
                const int flush = st->input_done && z.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH;
                const int rc = ::deflate(&z, flush);
                if (rc == Z_STREAM_END)
                    st->finished = true;
                else if (rc != Z_OK && rc != Z_BUF_ERROR)
                    return -1;
            }
            return static_cast<std::ptrdiff_t>(cap - z.avail_out);
        });
#endif
    }

    void set_body(response& res, detail::unique_fd fd, std::uint64_t offset,
                  std::uint64_t length) const {
        if (!opts_.chunked) {
            res.set_file(fd.release(), offset, length);
            return;
        }
        auto file = std::make_shared<detail::unique_fd>(std::move(fd));
        auto pos = std::make_shared<std::uint64_t>(offset);
        const std::uint64_t end = offset + length;
        const std::size_t chunk = opts_.chunk_size;
        res.set_stream([file, pos, end, chunk](char* buf, std::size_t cap) -> std::ptrdiff_t {
            if (*pos >= end) return 0;
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>({cap, chunk, end - *pos}));
            ssize_t n;
            do {
                n = ::pread(file->get(), buf, want, static_cast<off_t>(*pos));
            } while (n < 0 && errno == EINTR);
            if (n <= 0) return -1; // shrank or failed: cut, never pad
            *pos += static_cast<std::uint64_t>(n);
            return n;
        });
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
