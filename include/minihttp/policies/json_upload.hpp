#pragma once
/// @file
/// `http::json_upload`: accepts JSON documents by POST and stores each, whole or not at all,
/// under a unique name. It blocks (write + fsync): run it through `http::blocking`.

#include <minihttp/detail/chars.hpp>
#include <minihttp/detail/fd.hpp>
#include <minihttp/json.hpp>
#include <minihttp/method.hpp>
#include <minihttp/request.hpp>
#include <minihttp/response.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN

/// Settings of `json_upload`.
struct json_upload_options {
    /// The path that accepts uploads (exact match, POST only).
    std::string route = "/upload";
    /// Where the files go; created (with parents) if missing.
    std::string directory = "uploads";
    /// URL prefix of a stored file, for `Location` and the answer's "filepath".
    std::string public_prefix = "/uploads/";
    /// Largest accepted document; larger: 413. (The server's `max_body_bytes` applies first.)
    std::size_t max_bytes = 1 << 20;
    /// JSON nesting limit and the like.
    json_limits json{};
    /// fsync the file and its directory before answering 201 (durable across power loss).
    bool durable = true;
    /// Receives stored files and refusals; empty: silent.
    std::function<void(std::string_view)> log{};
};

namespace detail {

/// True if a Content-Type value is `application/json`, case-insensitively, with or without
/// parameters (RFC 9110 §8.3.1: `type "/" subtype *( OWS ";" OWS parameter )`).
[[nodiscard]] inline bool is_json_media_type(std::string_view v) noexcept {
    const auto semi = v.find(';');
    return iequals(trim_ows(v.substr(0, semi)), "application/json");
}

/// "upload_YYYYMMDD_HHMMSS_xxxx.json" for the current local time, xxxx random hex.
inline std::string upload_name() {
    thread_local std::mt19937_64 rng{std::random_device{}() ^
                                     std::hash<std::thread::id>{}(std::this_thread::get_id())};
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "upload_%04d%02d%02d_%02d%02d%02d_%04x.json", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<unsigned>(rng() & 0xffff));
    return buf;
}

/// mkdir -p with mode 0755.
inline bool make_directories(const std::string& path) {
    std::string partial;
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        partial = path.substr(0, pos);
        if (partial.empty()) continue;
        if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

inline bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = retry_eintr([&] { return ::write(fd, data.data(), data.size()); });
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

/// Result of `store_new_file`.
struct stored_file {
    std::string name; ///< the final name; empty on failure
    int error = 0;    ///< errno of the failure
};

/// Stores `data` in directory `dir_fd` under a fresh name from `make_name`, atomically: the
/// content is written to an anonymous O_TMPFILE (or, where unsupported, a hidden temporary
/// file), fsynced, then linked under its final name with a call that fails rather than replace
/// an existing file (retried with a new name), and the directory is fsynced. So a reader or a
/// crash sees the whole file or none, and two uploads never share a name.
template <class MakeName>
stored_file store_new_file(int dir_fd, std::string_view data, MakeName&& make_name, bool durable) {
    stored_file out;
    const auto fail = [&](int err) {
        out.name.clear();
        out.error = err;
        return out;
    };
    std::string temp;
    unique_fd fd(::openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644));
    if (!fd) {
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) return fail(errno);
        for (int i = 0; i < 100 && !fd; ++i) { // no O_TMPFILE here: a hidden temporary name
            temp = "." + make_name() + ".tmp";
            fd.reset(::openat(dir_fd, temp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644));
            if (!fd && errno != EEXIST) return fail(errno);
        }
        if (!fd) return fail(EEXIST);
    }
    const auto discard = [&](int err) {
        if (!temp.empty()) ::unlinkat(dir_fd, temp.c_str(), 0);
        return fail(err);
    };
    if (!write_all(fd.get(), data)) return discard(errno);
    if (durable && ::fsync(fd.get()) != 0) return discard(errno);
    for (int attempt = 0; attempt < 100; ++attempt) {
        out.name = make_name();
        int rc;
        if (temp.empty()) {
            const std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
            rc = ::linkat(AT_FDCWD, proc.c_str(), dir_fd, out.name.c_str(), AT_SYMLINK_FOLLOW);
            if (rc != 0 && errno == ENOENT) // no /proc: needs CAP_DAC_READ_SEARCH
                rc = ::linkat(fd.get(), "", dir_fd, out.name.c_str(), AT_EMPTY_PATH);
        } else {
            rc = ::linkat(dir_fd, temp.c_str(), dir_fd, out.name.c_str(), 0);
        }
        if (rc == 0) {
            if (!temp.empty()) ::unlinkat(dir_fd, temp.c_str(), 0);
            if (durable && ::fsync(dir_fd) != 0) { // the name itself must survive a crash
                const int err = errno;
                ::unlinkat(dir_fd, out.name.c_str(), 0);
                return fail(err);
            }
            return out;
        }
        if (errno != EEXIST) return discard(errno);
    }
    return discard(EEXIST);
}

inline response json_answer(http::status s, std::string_view body) {
    response r(s);
    r.set_body(std::string(body), "application/json");
    return r;
}

/// A JSON string literal for `s` (which is ASCII here: messages and file names).
inline std::string json_quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out += buf;
            continue;
        }
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

inline response json_error_answer(http::status s, std::string_view message) {
    return json_answer(s, "{\"status\":\"error\",\"message\":" + json_quote(message) + "}");
}

} // namespace detail

/// Accepts `POST <route>` with an `application/json` body and stores it as a new file.
///
/// Answers: 415 for another media type, 413 over `max_bytes`, 400 (with a JSON error body
/// saying what and where) for text that is not strict RFC 8259 JSON, 507 when the disk is
/// full, 500 for other storage errors, else `201 Created` with `Location` and the spec's body
/// `{"status":"success","message":"File created successfully","filepath":"/uploads/<name>"}`.
/// The file holds exactly the bytes received. Blocking (disk I/O): wrap in `http::blocking`;
/// `accepts()` tells it which requests to take. Thread-safety: const; concurrent uploads are
/// safe and never share a name. Construction tries to create the directory and removes
/// temporary files a crash may have left (only on file systems without O_TMPFILE).
class json_upload {
  public:
    explicit json_upload(json_upload_options o) : opts_(std::move(o)) {
        if (!opts_.directory.empty()) {
            (void)detail::make_directories(opts_.directory);
            remove_stale_temporaries();
        }
    }

    /// Cheap and non-blocking: is this a request for us?
    [[nodiscard]] bool accepts(const request& r) const noexcept {
        return r.method() == method::post && r.path() == opts_.route;
    }
    [[nodiscard]] method_set allowed_methods(const request& r) const {
        return r.path() == opts_.route ? method_set{method::post} : method_set{};
    }

    /// Handles an accepted request (blocks on the disk); passes on anything else.
    std::optional<response> operator()(const request& r) const {
        if (!accepts(r)) return std::nullopt;
        const auto type = r.header("Content-Type");
        if (!type || !detail::is_json_media_type(*type)) {
            log("Upload refused: Content-Type '" + std::string(type.value_or("")) +
                "' is not application/json");
            return detail::json_error_answer(status::unsupported_media_type,
                                             "Content-Type must be application/json");
        }
        const std::string_view body = r.body();
        if (body.size() > opts_.max_bytes) {
            log("Upload refused: " + std::to_string(body.size()) + " bytes is over the limit");
            return detail::json_error_answer(status::content_too_large,
                                             "Request body exceeds " +
                                                 std::to_string(opts_.max_bytes) + " bytes");
        }
        if (const json_error e = validate_json(body, opts_.json)) {
            const std::string msg =
                "Invalid JSON: " + std::string(e.message) + " at byte " + std::to_string(e.offset);
            log("Upload refused: " + msg);
            return detail::json_error_answer(status::bad_request, msg);
        }
        return store(body);
    }

    [[nodiscard]] const json_upload_options& options() const noexcept { return opts_; }

  private:
    response store(std::string_view body) const {
        detail::unique_fd dir(::open(opts_.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir && errno == ENOENT && detail::make_directories(opts_.directory))
            dir.reset(::open(opts_.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir) return storage_error(errno);
        const detail::stored_file f =
            detail::store_new_file(dir.get(), body, detail::upload_name, opts_.durable);
        if (f.name.empty()) return storage_error(f.error);
        const std::string url = opts_.public_prefix + f.name;
        log("Upload saved: " + url + " (" + std::to_string(body.size()) + " bytes)");
        response r = detail::json_answer(
            status::created, "{\"status\":\"success\",\"message\":\"File created successfully\","
                             "\"filepath\":" +
                                 detail::json_quote(url) + "}");
        r.add_header("Location", url);
        return r;
    }

    response storage_error(int err) const {
        log("Upload failed: " + std::system_category().message(err));
        if (err == ENOSPC || err == EDQUOT) // RFC 4918 §11.5
            return detail::json_error_answer(status::insufficient_storage, "Insufficient storage");
        return detail::json_error_answer(status::internal_server_error, "Could not store the file");
    }

    void remove_stale_temporaries() const {
        DIR* d = ::opendir(opts_.directory.c_str());
        if (d == nullptr) return;
        while (const dirent* e = ::readdir(d)) {
            const std::string_view n = e->d_name;
            if (n.starts_with(".upload_") && n.ends_with(".tmp"))
                ::unlinkat(::dirfd(d), e->d_name, 0);
        }
        ::closedir(d);
    }

    void log(const std::string& msg) const {
        if (opts_.log) opts_.log(msg);
    }

    json_upload_options opts_;
};

MINIHTTP_NAMESPACE_END
