#pragma once
/// @file
/// `http::static_files`: serves GET and HEAD from a document root, safely.

#include <minihttp/conditional.hpp>
#include <minihttp/detail/chars.hpp>
#include <minihttp/detail/clock.hpp>
#include <minihttp/detail/fd.hpp>
#include <minihttp/detail/http_date.hpp>
#include <minihttp/detail/path.hpp>
#include <minihttp/log.hpp>
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

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
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
#include <unordered_map>
#include <utility>
#include <vector>

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
    /// Small-file cache, one per worker thread (no lock): files up to `cache_max_file` bytes
    /// are kept in memory with their fields prebuilt, and revalidated (open + fstat) at most
    /// every `cache_validity`, so a hot small file costs no open, fstat, read or close. A
    /// change on disk is seen within `cache_validity` (0: at every request). `cache_max_file`
    /// 0 disables it; on-the-fly gzip and the chunked mode bypass it.
    std::size_t cache_max_file = 64 * 1024;
    std::size_t cache_max_entries = 1024;   ///< per thread; beyond it the cache starts over
    std::size_t cache_max_bytes = 16 << 20; ///< per thread; likewise
    std::chrono::milliseconds cache_validity{1000};
    /// Redirect "/dir" to "/dir/" (301), so relative links in its index resolve.
    bool redirect_directories = true;
    /// Receives refusals and transfer events ("Path traversal/forbidden: ...", "Starting binary
    /// file transfer: ...", "Completed file transfer: ... (N bytes)"); empty: silent.
    std::function<void(std::string_view)> log{};
    /// Also log the two transfer lines of every GET (the spec's); false: refusals only, and
    /// a served file costs no log formatting at all.
    bool log_transfers = true;
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

/// A small file held in memory: its content and prebuilt fields, and those of its 304.
/// Immutable once built; shared by the responses that send it.
struct cached_file {
    std::shared_ptr<const detail::shared_entity> entity;       ///< fields of a 200 + the content
    std::shared_ptr<const detail::shared_entity> not_modified; ///< fields of a 304, no content
    std::string etag;
    struct stat st {};
    std::string path; ///< beneath the root, decoded (what a request target resolved to)
    std::string name; ///< its last segment
    std::string ext;  ///< its extension, lower-cased
};

/// One cache entry: a file, or the knowledge that there is none (a missing sibling).
struct cache_slot {
    std::shared_ptr<const cached_file> file;
    std::uint64_t checked_ms = 0;
};

[[nodiscard]] inline bool same_file(const struct stat& a, const struct stat& b) noexcept {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

/// The small-file cache of one thread, keyed by coding and path. Bounded: when full it
/// starts over (simple, and a working set that fits never hits the bound).
class file_cache {
  public:
    file_cache(std::size_t max_entries, std::size_t max_bytes)
        : max_entries_(max_entries), max_bytes_(max_bytes) {}

    cache_slot* find(std::string_view coding, std::string_view path) {
        make_key(coding, path);
        const auto it = map_.find(std::string_view(key_));
        return it == map_.end() ? nullptr : &it->second;
    }
    // `alias`: another key for a file already counted (a request target), so its bytes are
    // not counted twice against max_bytes.
    void put(std::string_view coding, std::string_view path,
             std::shared_ptr<const cached_file> file, std::uint64_t now, bool alias = false) {
        const std::size_t size = file && !alias ? file->entity->body.size() : 0;
        make_key(coding, path);
        auto it = map_.find(std::string_view(key_));
        if (it == map_.end()) {
            if (map_.size() >= max_entries_ || bytes_ + size > max_bytes_) {
                map_.clear();
                bytes_ = 0;
            }
            it = map_.emplace(key_, cache_slot{}).first;
        } else if (it->second.file && !alias) {
            bytes_ -= it->second.file->entity->body.size();
        }
        it->second.file = std::move(file);
        it->second.checked_ms = now;
        bytes_ += size;
    }

  private:
    struct hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    void make_key(std::string_view coding, std::string_view path) {
        key_.assign(coding).push_back('\n');
        key_.append(path);
    }

    std::unordered_map<std::string, cache_slot, hash, std::equal_to<>> map_;
    std::string key_; // reused for lookups: no allocation per request
    std::size_t bytes_ = 0;
    std::size_t max_entries_;
    std::size_t max_bytes_;
};

/// Distinguishes the caches of different `static_files` instances on one thread.
inline std::atomic<std::uint64_t> static_files_ids{1};

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
        validity_ms_ =
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, opts_.cache_validity.count()));
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
        // The hot path: a target this thread resolved to a cached file within the validity
        // period. Decoding, the traversal and extension checks and the index are functions of
        // the target's bytes, so their earlier outcome stands; the file is revalidated by the
        // slow path below once the period is over.
        detail::file_cache* cache = caching() ? &local_cache() : nullptr;
        if (cache != nullptr) {
            const detail::cache_slot* hit = cache->find(target_key, raw);
            if (hit != nullptr && hit->file &&
                detail::monotonic_ms() - hit->checked_ms < validity_ms_) {
                representation rep;
                rep.cached = hit->file;
                rep.st = hit->file->st;
                const detail::cached_file& f = *hit->file;
                return send(r, std::move(rep), f.path, f.name, f.ext);
            }
        }
        thread_local std::string rel; // reused: no allocation per request once warm
        const detail::path_check check = detail::decode_request_path(raw, rel);
        if (!check.ok) return refuse(status::forbidden, raw, check.reason);

        const bool dir_request = rel.empty() || rel.back() == '/';
        if (!dir_request) {
            const std::string_view name = last_segment(rel);
            if (name.find('.') != std::string_view::npos && !allowed(extension_of(name, ext_)))
                return unsupported(raw);
        }
        if (detail::has_hidden_segment(rel)) return refuse(status::forbidden, raw, "hidden file");

        thread_local std::string file;
        file = rel;
        if (dir_request) file += opts_.index;
        const std::string_view name = last_segment(file);
        const std::string& ext = extension_of(name, ext_);
        representation rep;
        if (const int err = open_representation(file, name, ext, {}, rep); err != 0)
            return open_error(raw, err);
        if (!rep.cached) {
            if (S_ISDIR(rep.st.st_mode)) {
                if (!opts_.redirect_directories) return not_found(raw);
                // RFC 9110 §15.4.2: the resource lives at "dir/"; relative links need the slash.
                std::string location(raw);
                location.push_back('/');
                if (!r.query().empty()) location.append("?").append(r.query());
                response res = response::error(status::moved_permanently);
                res.add_header("Location", location);
                return res;
            }
            if (!S_ISREG(rep.st.st_mode))
                return refuse(status::forbidden, raw, "not a regular file");
        }
        if (!allowed(ext)) return unsupported(raw); // e.g. a file without an extension
        if (rep.cached && cache != nullptr)
            cache->put(target_key, raw, rep.cached, rep.checked, true);
        return send(r, std::move(rep), file, name, ext);
    }

    // A representation chosen for the request: the file or a precompressed sibling, either
    // from the small-file cache or open.
    struct representation {
        std::shared_ptr<const detail::cached_file> cached;
        detail::unique_fd fd;
        struct stat st {};
        std::string_view coding;   // "" identity, "br", "gzip"
        std::uint64_t checked = 0; // cached: when the file was last revalidated
    };
    // The cache key prefix of request targets (the paths as received). Keys of files start
    // with their coding ("", "br", "gzip") and a newline, so they never collide with these.
    static constexpr std::string_view target_key = "target";

    // Opens `path` beneath the root, or takes it from this thread's cache (revalidated at most
    // every `cache_validity`). Small regular files are read into the cache; others stay open.
    // Returns 0 or an errno.
    int open_representation(const std::string& path, std::string_view name, const std::string& ext,
                            std::string_view coding, representation& out) const {
        out.coding = coding;
        detail::file_cache* cache = caching() ? &local_cache() : nullptr;
        const std::uint64_t now = cache != nullptr ? detail::monotonic_ms() : 0;
        detail::cache_slot* slot = nullptr;
        if (cache != nullptr) {
            slot = cache->find(coding, path);
            if (slot != nullptr && now - slot->checked_ms < validity_ms_) {
                if (!slot->file) return ENOENT;
                out.cached = slot->file;
                out.st = slot->file->st;
                out.checked = slot->checked_ms;
                return 0;
            }
        }
        detail::unique_fd fd(
            detail::open_beneath(root_.get(), path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
        if (!fd) {
            const int err = errno;
            if (cache != nullptr && err == ENOENT) cache->put(coding, path, nullptr, now);
            return err;
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return errno;
        if (cache != nullptr && S_ISREG(st.st_mode) &&
            static_cast<std::uint64_t>(st.st_size) <= opts_.cache_max_file) {
            if (slot != nullptr && slot->file && detail::same_file(slot->file->st, st)) {
                slot->checked_ms = now; // unchanged: a fresh lease, no read
                out.cached = slot->file;
                out.st = st;
                out.checked = now;
                return 0;
            }
            if (auto loaded = load(fd.get(), st, path, name, ext, coding)) {
                out.cached = std::move(loaded);
                out.st = st;
                out.checked = now;
                cache->put(coding, path, out.cached, now);
                return 0;
            }
        }
        out.fd = std::move(fd);
        out.st = st;
        return 0;
    }

    // Reads a small file and prebuilds its fields and those of its 304.
    std::shared_ptr<const detail::cached_file> load(int fd, const struct stat& st,
                                                    std::string_view path, std::string_view name,
                                                    const std::string& ext,
                                                    std::string_view coding) const {
        auto entity = std::make_shared<detail::shared_entity>();
        entity->body.resize(static_cast<std::size_t>(st.st_size));
        std::size_t got = 0;
        while (got < entity->body.size()) {
            const ssize_t n = ::pread(fd, entity->body.data() + got, entity->body.size() - got,
                                      static_cast<off_t>(got));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return nullptr; // shrank or failed: serve it open instead
            got += static_cast<std::size_t>(n);
        }
        auto file = std::make_shared<detail::cached_file>();
        file->st = st;
        file->path = path;
        file->name = name;
        file->ext = ext;
        file->etag = etag_of(st);
        for (const auto& [n, v] : entity_fields(file->etag, st.st_mtim.tv_sec, name, ext, coding))
            entity->add_field(n, v);
        auto not_modified = std::make_shared<detail::shared_entity>();
        for (const auto& [n, v] : validator_fields(file->etag, st.st_mtim.tv_sec, ext))
            not_modified->add_field(n, v);
        file->entity = std::move(entity);
        file->not_modified = std::move(not_modified);
        return file;
    }

    [[nodiscard]] bool caching() const noexcept {
        // The spec's chunked mode streams from the file by definition; gzip streams too.
        return opts_.cache_max_file > 0 && !opts_.gzip && !opts_.chunked &&
               opts_.cache_max_entries > 0;
    }
    // This thread's cache for this instance: workers never share it, so no lock is taken.
    detail::file_cache& local_cache() const {
        thread_local std::unordered_map<std::uint64_t, detail::file_cache> caches;
        auto it = caches.find(id_);
        if (it == caches.end())
            it = caches
                     .emplace(id_,
                              detail::file_cache(opts_.cache_max_entries, opts_.cache_max_bytes))
                     .first;
        return it->second;
    }

    static std::string etag_of(const struct stat& st) {
        return make_etag(static_cast<std::uint64_t>(st.st_ino),
                         static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec,
                         st.st_mtim.tv_nsec);
    }

    response send(const request& r, representation rep, const std::string& file,
                  std::string_view name, const std::string& ext) const {
        const bool compressible = opts_.precompressed && detail::compressible_type(ext);
        const auto range_field = opts_.ranges ? r.header("Range") : std::nullopt;
        // Precompressed siblings (nginx's gzip_static): only when no range is asked for, so that
        // a range always refers to the identity bytes a download manager resumes.
        if (compressible && !range_field) {
            if (const auto ae = r.header("Accept-Encoding"))
                choose_sibling(*ae, file, name, ext, rep);
        }
        const std::uint64_t size = static_cast<std::uint64_t>(rep.st.st_size);
        // The cached entry's tag is only viewed: the hot path copies no string.
        std::string own_etag = rep.cached ? std::string() : etag_of(rep.st);
        std::string_view etag = rep.cached ? std::string_view(rep.cached->etag) : own_etag;
        bool deflate = false;
#ifdef MINIHTTP_WITH_ZLIB
        if (opts_.gzip && compressible && rep.coding.empty() && !range_field &&
            size >= opts_.gzip_min_size) {
            const auto ae = r.header("Accept-Encoding");
            deflate = ae && accept_encoding_quality(*ae, "gzip") > 0;
            if (deflate) { // another representation, another tag (RFC 9110 §8.8.3)
                own_etag = etag;
                own_etag.insert(own_etag.size() - 1, "-gz");
                etag = own_etag;
                rep.coding = "gzip";
            }
        }
#endif
        const std::time_t mtime = rep.st.st_mtim.tv_sec;

        if (auto pre = preconditions(r, etag, mtime)) { // 304 or 412 (RFC 9110 §13.2.2)
            if (pre->code() == status::not_modified) {
                if (rep.cached)
                    detail::response_access::set_shared(*pre, rep.cached->not_modified);
                else
                    for (const auto& [n, v] : validator_fields(etag, mtime, ext))
                        pre->add_header(n, v);
            } else {
                pre->set_header("ETag", etag);
            }
            return std::move(*pre);
        }

        response res;
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
                    response bad = response::error(status::range_not_satisfiable);
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
        if (rep.cached) {
            // The hot path: fields prebuilt, content in memory, nothing opened.
            detail::response_access::set_shared(res, rep.cached->entity,
                                                static_cast<std::size_t>(offset),
                                                static_cast<std::size_t>(length));
        } else {
            for (const auto& [n, v] : entity_fields(etag, mtime, name, ext, rep.coding))
                res.add_header(n, v);
            if (deflate)
                set_gzip_body(res, std::move(rep.fd), size);
            else
                set_body(res, std::move(rep.fd), offset, length);
        }
        if (opts_.log && opts_.log_transfers && r.method() == method::get) {
            log_to(opts_.log, "Starting binary file transfer: ", name);
            // `this` outlives every response it made: the policy lives as long as the server.
            res.on_sent([self = this, display = std::string(name)](const delivery& d) {
                if (d.complete)
                    log_to(self->opts_.log, "Completed file transfer: ", display, " (",
                           d.body_bytes, " bytes)");
                else
                    log_to(self->opts_.log, "File transfer interrupted: ", display);
            });
        }
        return res;
    }

    // Tries the precompressed siblings the client accepts, in the server's order of preference.
    void choose_sibling(std::string_view accept_encoding, const std::string& file,
                        std::string_view name, const std::string& ext, representation& rep) const {
        static constexpr std::pair<std::string_view, std::string_view> siblings[] = {
            {"br", ".br"}, {"gzip", ".gz"}};
        for (const auto& [coding, suffix] : siblings) {
            if (accept_encoding_quality(accept_encoding, coding) <= 0) continue;
            representation candidate;
            const std::string path = file + std::string(suffix);
            if (open_representation(path, name, ext, coding, candidate) != 0) continue;
            if (!candidate.cached && !S_ISREG(candidate.st.st_mode)) continue;
            rep = std::move(candidate);
            return;
        }
    }

    using field_list = std::vector<std::pair<std::string_view, std::string>>;

    // ETag, Last-Modified, Cache-Control and Vary: the fields a 304 repeats (RFC 9110 §15.4.5).
    field_list validator_fields(std::string_view etag, std::time_t mtime,
                                const std::string& ext) const {
        field_list f;
        if (opts_.validators) {
            f.emplace_back("ETag", std::string(etag));
            char date[detail::http_date_size];
            detail::format_http_date(mtime, date);
            f.emplace_back("Last-Modified", std::string(date, sizeof date));
        }
        const auto cc = opts_.cache_control.find(ext);
        const std::string& cache_control =
            cc != opts_.cache_control.end() ? cc->second : opts_.default_cache_control;
        if (!cache_control.empty()) f.emplace_back("Cache-Control", cache_control);
        if (opts_.precompressed && detail::compressible_type(ext))
            f.emplace_back("Vary", "Accept-Encoding");
        return f;
    }

    // Every field of a 200 for the representation (a 206 adds Content-Range).
    field_list entity_fields(std::string_view etag, std::time_t mtime, std::string_view name,
                             const std::string& ext, std::string_view coding) const {
        field_list f = validator_fields(etag, mtime, ext);
        if (opts_.download.contains(ext)) {
            // The spec's download mode: a generic type, so browsers save rather than render.
            f.emplace_back("Content-Type", "application/octet-stream");
            f.emplace_back("Content-Disposition", detail::attachment_disposition(name));
        } else {
            const auto type = types_.find(ext);
            f.emplace_back("Content-Type",
                           type != types_.end() ? type->second : "application/octet-stream");
        }
        if (!coding.empty()) f.emplace_back("Content-Encoding", std::string(coding));
        if (opts_.ranges) f.emplace_back("Accept-Ranges", "bytes");
        return f;
    }

    // RFC 9110 §13.2.2: If-Match, then If-Unmodified-Since, then If-None-Match, then
    // If-Modified-Since; a failed precondition of the first two is 412, of the last two 304
    // (for GET and HEAD; this policy answers nothing else).
    std::optional<response> preconditions(const request& r, std::string_view etag,
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
    static response failed_precondition() { return response::error(status::precondition_failed); }
    // The values of every field line named `name`, joined as one list (RFC 9110 §5.3).
    // The field's values joined with ", " (RFC 9110 §5.3), viewed in place when it occurs once
    // (no allocation); joined in this thread's buffer, valid until the next call, otherwise.
    static std::optional<std::string_view> all_values(const request& r, std::string_view name) {
        thread_local std::string joined;
        std::optional<std::string_view> first;
        bool several = false;
        for (const auto& f : r.headers()) {
            if (!detail::iequals(f.name, name)) continue;
            if (!first) {
                first = f.value;
                continue;
            }
            if (!several) joined.assign(*first);
            several = true;
            joined.append(", ").append(f.value);
        }
        if (several) return std::string_view(joined);
        return first;
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
            return response::error(status::internal_server_error);
        }
    }

    response refuse(http::status s, std::string_view raw, std::string_view why) const {
        if (opts_.log)
            opts_.log("Path traversal/forbidden: " + std::string(raw) + " (" + std::string(why) +
                      ")");
        return response::error(s);
    }
    response unsupported(std::string_view raw) const {
        if (opts_.log) opts_.log("Unsupported file type: " + std::string(raw));
        return response::error(status::unsupported_media_type);
    }
    response not_found(std::string_view raw) const {
        if (opts_.log) opts_.log("File not found: " + std::string(raw));
        return response::error(status::not_found);
    }

    [[nodiscard]] bool allowed(std::string_view ext) const {
        return opts_.extensions.empty() || opts_.extensions.contains(ext);
    }
    static std::string_view last_segment(std::string_view rel) {
        const auto slash = rel.rfind('/');
        return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
    }
    // The text after the last dot, lower-cased, into `out` (returned); "" without a dot.
    static const std::string& extension_of(std::string_view name, std::string& out) {
        const auto dot = name.rfind('.');
        out.assign(dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1));
        for (char& c : out) c = detail::ascii_lower(c);
        return out;
    }
    // This thread's extension buffer: reused, so a request allocates none.
    static inline thread_local std::string ext_;

    static_files_options opts_;
    detail::unique_fd root_;
    std::uint64_t id_ = detail::static_files_ids.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t validity_ms_ = 1000;
    std::map<std::string, std::string, std::less<>> types_;
};

MINIHTTP_NAMESPACE_END
