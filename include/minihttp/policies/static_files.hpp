#pragma once
/// @file
/// `http::static_files`: serves GET and HEAD from a document root, safely.

#include <minihttp/conditional.hpp>
#include <minihttp/detail/chars.hpp>
#include <minihttp/detail/clock.hpp>
#include <minihttp/detail/fd.hpp>
#include <minihttp/detail/file_cache.hpp>
#include <minihttp/detail/http_date.hpp>
#include <minihttp/detail/path.hpp>
#include <minihttp/detail/per_thread.hpp>
#include <minihttp/log.hpp>
#include <minihttp/method.hpp>
#include <minihttp/mime.hpp>
#include <minihttp/request.hpp>
#include <minihttp/response.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN

/// A content coding applied to files as they are sent, for `static_files_options::compress`.
/// `<minihttp/compression.hpp>` builds them (`http::gzip()`), so static_files needs no library.
struct file_encoder {
    /// The content coding, as sent in Content-Encoding and weighed in Accept-Encoding ("gzip").
    std::string coding;
    /// Inserted at the end of the file's ETag, inside the quotes ("-gz"): an encoded
    /// representation needs a tag of its own (RFC 9110 §8.8.3).
    std::string etag_suffix;
    /// Returns a source of the encoded form of the first `size` bytes of `file` (read with
    /// pread from offset 0), pulled as the socket drains; it owns `file` from then on. Called
    /// on the workers, concurrently; must not block; may throw (the request then gets 500).
    std::function<response::stream_source(detail::unique_fd file, std::uint64_t size)> encode;

    [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(encode); }
};

/// Settings of `static_files`.
struct static_files_options {
    /// The document root directory; must exist when the policy is constructed.
    std::string root{};
    /// Served for a directory request ("/" or "/dir/"); a directory without it is 404.
    std::string index = "index.html";
    /// Extensions (no dot) that may be served; anything else is 415, whether or not it
    /// exists. Empty: every extension (and files without one). Every extension-keyed option
    /// matches in any case.
    std::set<std::string, std::less<>> extensions{};
    /// Content-Type per extension, over the built-in table (`http::mime_type`).
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
    /// Compress text types on the fly for clients that accept `compress.coding`, when no
    /// precompressed sibling was chosen: `http::gzip()` from <minihttp/compression.hpp> (which
    /// links zlib). Empty (the default): never. Never for ranges, for types compressed
    /// already, or for files under `compress_min_size` bytes; the body goes out chunked.
    file_encoder compress{};
    std::size_t compress_min_size = 1024;
    /// Small-file cache, one per worker thread (no lock): files up to `cache_max_file` bytes
    /// are kept in memory with their fields prebuilt, and revalidated (open + fstat) at most
    /// every `cache_validity`, so a hot small file costs no open, fstat, read or close. A
    /// change on disk is seen within `cache_validity` (0: at every request). `cache_max_file`
    /// 0 disables it; on-the-fly compression and the chunked mode bypass it.
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
/// A stream of [offset, offset + length) of `fd`, read with pread, at most `max_read` bytes a
/// call. A file that shrinks meanwhile ends it with an error: the body is cut, never padded.
inline response::stream_source file_source(unique_fd fd, std::uint64_t offset, std::uint64_t length,
                                           std::size_t max_read) {
    auto file = std::make_shared<unique_fd>(std::move(fd));
    return [file, pos = offset, end = offset + length,
            max_read](char* buf, std::size_t cap) mutable -> std::ptrdiff_t {
        if (pos >= end) return 0;
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>({cap, max_read, end - pos}));
        const ssize_t n =
            retry_eintr([&] { return ::pread(file->get(), buf, want, static_cast<off_t>(pos)); });
        if (n <= 0) return -1;
        pos += static_cast<std::uint64_t>(n);
        return n;
    };
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
/// `chunked`, a stream of `chunk_size` reads. Extensions compare case-insensitively.
/// Thread-safety: const and stateless per request; call from any number of workers.
/// Lifetime: holds the root directory open (so renaming the directory does not redirect it).
/// Each thread's small-file cache goes when the instance or the thread does. A moved-from
/// instance may only be destroyed or assigned to.
/// Construction throws std::system_error if the root cannot be opened as a directory.
class static_files {
  public:
    explicit static_files(static_files_options o) : opts_(std::move(o)) {
        root_.reset(::open(opts_.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root_)
            throw std::system_error(errno, std::system_category(),
                                    "static_files: cannot open document root '" + opts_.root + "'");
        types_.insert(opts_.content_types.begin(), opts_.content_types.end());
        cache_control_.insert(opts_.cache_control.begin(), opts_.cache_control.end());
        extensions_.insert(opts_.extensions.begin(), opts_.extensions.end());
        download_.insert(opts_.download.begin(), opts_.download.end());
        if (opts_.chunk_size == 0) opts_.chunk_size = 8192;
        validity_ms_ =
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, opts_.cache_validity.count()));
        // The spec's chunked mode streams from the file by definition; encoding streams too.
        caching_ = opts_.cache_max_file > 0 && opts_.cache_max_entries > 0 && !opts_.chunked &&
                   !opts_.compress;
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
    // What a thread keeps for this instance: its small-file cache, and the buffers a request's
    // paths are built in (reused, so a request allocates none once they have grown).
    struct local_state {
        detail::file_cache cache;
        std::string path;    // the file beneath the root, decoded; its name and extension
        std::string sibling; // path + ".br" / ".gz"
    };
    // A representation chosen for the request: the file or a precompressed sibling, either
    // from the small-file cache or open.
    struct representation {
        std::shared_ptr<const detail::cached_file> cached;
        detail::unique_fd fd;
        struct stat st {};
        std::string_view coding;   // "" identity, "br", "gzip", or `compress.coding`
        std::uint64_t checked = 0; // cached: when the file was last revalidated
    };
    // The cache key prefix of request targets (the paths as received). Keys of files start
    // with their coding ("", "br", "gzip") and a newline, so they never collide with these.
    static constexpr std::string_view target_key = "target";

    local_state& local() const {
        return locals_.local([this] {
            return local_state{
                detail::file_cache(opts_.cache_max_entries, opts_.cache_max_bytes), {}, {}};
        });
    }

    response serve(const request& r) const {
        local_state& local = this->local();
        const std::string_view raw = r.path();
        representation rep;
        if (cached_target(local, raw, rep)) return send(r, local, std::move(rep));

        std::string& path = local.path;
        const detail::path_check check = detail::decode_request_path(raw, path);
        if (!check.ok) return refuse(status::forbidden, raw, check.reason);
        const bool dir_request = path.empty() || path.back() == '/';
        if (!dir_request) {
            const std::string_view name = last_segment(path);
            if (name.find('.') != std::string_view::npos && !allowed(extension_of(name)))
                return unsupported(raw);
        }
        if (detail::has_hidden_segment(path)) return refuse(status::forbidden, raw, "hidden file");
        if (dir_request) path += opts_.index;

        const std::string_view name = last_segment(path);
        if (const int err = open_representation(local, path, name, {}, rep); err != 0)
            return open_error(raw, err);
        if (!rep.cached) {
            if (S_ISDIR(rep.st.st_mode)) return redirect_directory(r);
            if (!S_ISREG(rep.st.st_mode))
                return refuse(status::forbidden, raw, "not a regular file");
        }
        if (!allowed(extension_of(name))) return unsupported(raw); // e.g. no extension
        if (rep.cached && caching_) local.cache.put(target_key, raw, rep.cached, rep.checked, true);
        return send(r, local, std::move(rep));
    }

    // The hot path: a target this thread resolved to a cached file within the validity
    // period. Decoding, the traversal and extension checks and the index are functions of the
    // target's bytes, so their earlier outcome stands; the file is revalidated by the slow
    // path once the period is over.
    bool cached_target(local_state& local, std::string_view raw, representation& rep) const {
        if (!caching_) return false;
        const detail::cache_slot* hit = local.cache.find(target_key, raw);
        if (hit == nullptr || !hit->file ||
            detail::monotonic_ms() - hit->checked_ms >= validity_ms_)
            return false;
        rep.cached = hit->file;
        rep.st = hit->file->st;
        local.path.assign(hit->file->path);
        return true;
    }

    // Opens `path` beneath the root, or takes it from this thread's cache (revalidated at most
    // every `cache_validity`). Small regular files are read into the cache; others stay open.
    // Returns 0 or an errno.
    int open_representation(local_state& local, std::string_view path, std::string_view name,
                            std::string_view coding, representation& out) const {
        out.coding = coding;
        detail::file_cache* cache = caching_ ? &local.cache : nullptr;
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
        out.st = st;
        if (cache != nullptr && S_ISREG(st.st_mode) &&
            static_cast<std::uint64_t>(st.st_size) <= opts_.cache_max_file) {
            if (slot != nullptr && slot->file && detail::same_file(slot->file->st, st)) {
                slot->checked_ms = now; // unchanged: a fresh lease, no read
                out.cached = slot->file;
                out.checked = now;
                return 0;
            }
            if (auto loaded = load(fd.get(), st, path, name, coding)) {
                out.cached = std::move(loaded);
                out.checked = now;
                cache->put(coding, path, out.cached, now);
                return 0;
            }
        }
        out.fd = std::move(fd);
        return 0;
    }

    // Reads a small file into memory with the fields of its 200 and its 304.
    std::shared_ptr<const detail::cached_file> load(int fd, const struct stat& st,
                                                    std::string_view path, std::string_view name,
                                                    std::string_view coding) const {
        std::string etag = etag_of(st);
        const std::string_view ext = extension_of(name);
        const std::time_t mtime = st.st_mtim.tv_sec;
        auto fields = entity_fields(etag, mtime, name, ext, coding);
        auto not_modified = validator_fields(etag, mtime, ext);
        return detail::read_cached_file(fd, st, path, std::move(etag), fields, not_modified);
    }

    static std::string etag_of(const struct stat& st) {
        return make_etag(static_cast<std::uint64_t>(st.st_ino),
                         static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec,
                         st.st_mtim.tv_nsec);
    }

    // Answers with the file in `local.path`: picks the representation (a precompressed
    // sibling, on-the-fly encoding), then checks preconditions (304/412) and the range
    // (206/416), then sets the body.
    response send(const request& r, local_state& local, representation rep) const {
        const std::string_view name = last_segment(local.path), ext = extension_of(name);
        const auto range = opts_.ranges ? r.header("Range") : std::nullopt;
        // Precompressed siblings (nginx's gzip_static): only when no range is asked for, so that
        // a range always refers to the identity bytes a download manager resumes.
        if (opts_.precompressed && !range && compressible_extension(ext)) {
            if (const auto ae = r.header("Accept-Encoding")) choose_sibling(*ae, local, name, rep);
        }
        // The cached entry's tag is only viewed: the hot path copies no string.
        std::string own_etag = rep.cached ? std::string() : etag_of(rep.st);
        const bool encode = encode_on_the_fly(r, ext, range.has_value(), rep);
        if (encode) { // another representation, another tag (RFC 9110 §8.8.3)
            own_etag.insert(own_etag.size() - 1, opts_.compress.etag_suffix);
            rep.coding = opts_.compress.coding;
        }
        const std::string_view etag = rep.cached ? std::string_view(rep.cached->etag) : own_etag;
        const std::time_t mtime = rep.st.st_mtim.tv_sec;

        if (auto pre = preconditions(r, etag, mtime))
            return answer_precondition(std::move(*pre), rep, etag, mtime, ext);
        response res;
        const auto size = static_cast<std::uint64_t>(rep.st.st_size);
        std::uint64_t offset = 0, length = size;
        if (range) {
            if (auto bad = apply_range(r, *range, etag, mtime, size, res, offset, length))
                return std::move(*bad);
        }
        if (rep.cached) {
            // The hot path: fields prebuilt, content in memory, nothing opened.
            detail::response_access::set_shared(res, rep.cached->entity,
                                                static_cast<std::size_t>(offset),
                                                static_cast<std::size_t>(length));
        } else {
            for (const auto& [n, v] : entity_fields(etag, mtime, name, ext, rep.coding))
                res.add_header(n, v);
            set_body(res, std::move(rep.fd), offset, length, encode);
        }
        if (opts_.log && opts_.log_transfers && r.method() == method::get) log_transfer(res, name);
        return res;
    }

    // Tries the precompressed siblings the client accepts, in the server's order of preference.
    void choose_sibling(std::string_view accept_encoding, local_state& local, std::string_view name,
                        representation& rep) const {
        static constexpr std::pair<std::string_view, std::string_view> siblings[] = {
            {"br", ".br"}, {"gzip", ".gz"}};
        for (const auto& [coding, suffix] : siblings) {
            if (accept_encoding_quality(accept_encoding, coding) <= 0) continue;
            representation candidate;
            local.sibling.assign(local.path).append(suffix);
            if (open_representation(local, local.sibling, name, coding, candidate) != 0) continue;
            if (!candidate.cached && !S_ISREG(candidate.st.st_mode)) continue;
            rep = std::move(candidate);
            return;
        }
    }

    // Encode the file as it is sent? For a text type, no range, no sibling chosen, the file
    // open (not from the cache), at least `compress_min_size` bytes, and a willing client.
    bool encode_on_the_fly(const request& r, std::string_view ext, bool ranged,
                           const representation& rep) const {
        if (!opts_.compress || ranged || !rep.fd || !rep.coding.empty() ||
            static_cast<std::uint64_t>(rep.st.st_size) < opts_.compress_min_size ||
            !compressible_extension(ext))
            return false;
        const auto ae = r.header("Accept-Encoding");
        return ae && accept_encoding_quality(*ae, opts_.compress.coding) > 0;
    }

    using field_list = detail::field_list;

    // ETag, Last-Modified, Cache-Control and Vary: the fields a 304 repeats (RFC 9110 §15.4.5).
    field_list validator_fields(std::string_view etag, std::time_t mtime,
                                std::string_view ext) const {
        field_list f;
        if (opts_.validators) {
            f.emplace_back("ETag", std::string(etag));
            char date[detail::http_date_size];
            detail::format_http_date(mtime, date);
            f.emplace_back("Last-Modified", std::string(date, sizeof date));
        }
        const auto cc = cache_control_.find(ext);
        const std::string& cache_control =
            cc != cache_control_.end() ? cc->second : opts_.default_cache_control;
        if (!cache_control.empty()) f.emplace_back("Cache-Control", cache_control);
        // Every response for a type that may be sent encoded says so, encoded or not.
        if ((opts_.precompressed || opts_.compress) && compressible_extension(ext))
            f.emplace_back("Vary", "Accept-Encoding");
        return f;
    }

    // Every field of a 200 for the representation (a 206 adds Content-Range).
    field_list entity_fields(std::string_view etag, std::time_t mtime, std::string_view name,
                             std::string_view ext, std::string_view coding) const {
        field_list f = validator_fields(etag, mtime, ext);
        if (download_.contains(ext)) {
            // The spec's download mode: a generic type, so browsers save rather than render.
            f.emplace_back("Content-Type", "application/octet-stream");
            f.emplace_back("Content-Disposition", attachment_disposition(name));
        } else {
            const auto own = types_.find(ext);
            const std::string_view type = own != types_.end() ? own->second : mime_type(ext);
            f.emplace_back("Content-Type", type.empty() ? "application/octet-stream" : type);
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
        std::string joined; // used only for a field repeated on several lines
        if (const auto im = all_values(r, "If-Match", joined)) {
            if (!if_match_matches(*im, etag)) return response::error(status::precondition_failed);
        } else if (const auto ius = r.header("If-Unmodified-Since")) {
            if (const auto date = parse_http_date(*ius); date && mtime > *date)
                return response::error(status::precondition_failed);
        }
        if (const auto inm = all_values(r, "If-None-Match", joined)) {
            if (if_none_match_matches(*inm, etag)) return response(status::not_modified);
        } else if (const auto ims = r.header("If-Modified-Since")) {
            // Only a date in the past is meaningful (RFC 9110 §13.1.3).
            if (const auto date = parse_http_date(*ims);
                date && mtime <= *date && *date <= std::time(nullptr))
                return response(status::not_modified);
        }
        return std::nullopt;
    }
    // The values of every field line named `name`, as one list (RFC 9110 §5.3): a view of the
    // request when the field occurs once; joined with ", " in `joined` when it repeats.
    static std::optional<std::string_view> all_values(const request& r, std::string_view name,
                                                      std::string& joined) {
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
    // A 304 repeats the validators (prebuilt for a cached file); a 412 names the current tag.
    response answer_precondition(response pre, const representation& rep, std::string_view etag,
                                 std::time_t mtime, std::string_view ext) const {
        if (pre.code() != status::not_modified) {
            pre.set_header("ETag", etag);
        } else if (rep.cached) {
            detail::response_access::set_shared(pre, rep.cached->not_modified);
        } else {
            for (const auto& [n, v] : validator_fields(etag, mtime, ext)) pre.add_header(n, v);
        }
        return pre;
    }

    // RFC 9110 §14: narrows [offset, offset + length) to the one range asked for and makes
    // `res` a 206; or returns the 416 to send instead. Several disjoint ranges get the whole
    // representation (§14.2 allows it; multipart/byteranges would cost a lot for little use),
    // and a malformed Range is ignored.
    static std::optional<response> apply_range(const request& r, std::string_view field,
                                               std::string_view etag, std::time_t mtime,
                                               std::uint64_t size, response& res,
                                               std::uint64_t& offset, std::uint64_t& length) {
        // RFC 9110 §13.1.5: a stale If-Range means "send me the whole thing".
        if (const auto if_range = r.header("If-Range");
            if_range && !if_range_matches(*if_range, etag, mtime))
            return std::nullopt;
        byte_range range;
        std::string content_range;
        switch (parse_range(field, size, range)) {
        case range_result::satisfiable:
            res.set_code(status::partial_content);
            append_content_range(content_range, range.first, range.last, size);
            res.add_header("Content-Range", content_range);
            offset = range.first;
            length = range.length();
            return std::nullopt;
        case range_result::unsatisfiable: {
            response bad = response::error(status::range_not_satisfiable);
            append_unsatisfied_content_range(content_range, size);
            bad.add_header("Content-Range", content_range);
            return bad;
        }
        case range_result::multiple:
        case range_result::ignore: break;
        }
        return std::nullopt;
    }

    // A file that was opened: a region for sendfile, or a stream (the chunked mode, encoding).
    void set_body(response& res, detail::unique_fd fd, std::uint64_t offset, std::uint64_t length,
                  bool encode) const {
        if (encode)
            res.set_stream(opts_.compress.encode(std::move(fd), length));
        else if (opts_.chunked)
            res.set_stream(detail::file_source(std::move(fd), offset, length, opts_.chunk_size));
        else
            res.set_file(fd.release(), offset, length);
    }

    void log_transfer(response& res, std::string_view name) const {
        log_to(opts_.log, "Starting binary file transfer: ", name);
        // `this` outlives every response it made: the policy lives as long as the server.
        res.on_sent([self = this, display = std::string(name)](const delivery& d) {
            if (d.complete)
                log_to(self->opts_.log, "Completed file transfer: ", display, " (", d.body_bytes,
                       " bytes)");
            else
                log_to(self->opts_.log, "File transfer interrupted: ", display);
        });
    }

    response redirect_directory(const request& r) const {
        if (!opts_.redirect_directories) return not_found(r.path());
        // RFC 9110 §15.4.2: the resource lives at "dir/"; relative links need the slash.
        std::string location(r.path());
        location.push_back('/');
        if (!r.query().empty()) location.append("?").append(r.query());
        response res = response::error(status::moved_permanently);
        res.add_header("Location", location);
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
            log_to(opts_.log, "Cannot open ", raw, ": ", std::system_category().message(err));
            return response::error(status::internal_server_error);
        }
    }
    response refuse(http::status s, std::string_view raw, std::string_view why) const {
        log_to(opts_.log, "Path traversal/forbidden: ", raw, " (", why, ")");
        return response::error(s);
    }
    response unsupported(std::string_view raw) const {
        log_to(opts_.log, "Unsupported file type: ", raw);
        return response::error(status::unsupported_media_type);
    }
    response not_found(std::string_view raw) const {
        log_to(opts_.log, "File not found: ", raw);
        return response::error(status::not_found);
    }

    [[nodiscard]] bool allowed(std::string_view ext) const {
        return extensions_.empty() || extensions_.contains(ext);
    }
    static std::string_view last_segment(std::string_view path) {
        const auto slash = path.rfind('/');
        return slash == std::string_view::npos ? path : path.substr(slash + 1);
    }
    // The text after the last dot of a file name, as it is ("" without a dot): every table it
    // is looked up in compares case-insensitively.
    static std::string_view extension_of(std::string_view name) {
        const auto dot = name.rfind('.');
        return dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    }

    static_files_options opts_;
    detail::unique_fd root_;
    // The options' extension tables, ordered case-insensitively (detail::iless).
    std::map<std::string, std::string, detail::iless> types_, cache_control_;
    std::set<std::string, detail::iless> extensions_, download_;
    std::uint64_t validity_ms_ = 1000;
    bool caching_ = true;
    detail::per_thread<local_state> locals_;
};

MINIHTTP_NAMESPACE_END
