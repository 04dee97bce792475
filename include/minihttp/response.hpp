#pragma once
/// @file
/// `http::response`: status, header fields and one of three body kinds (DESIGN.md §6):
/// bytes in memory, a file region sent with sendfile, or a stream pulled as the socket drains.

#include <minihttp/detail/chars.hpp>
#include <minihttp/detail/fd.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN

class response;
class responder;

namespace detail {
/// Receives a deferred response for a connection; implemented by the engine's workers.
struct completion_sink {
    /// Thread-safe; called exactly once per deferred request.
    virtual void complete(void* token, response&& r) noexcept = 0;

  protected:
    ~completion_sink() = default;
};
struct responder_access;
struct response_access;
class shared_entity;
struct handover;
} // namespace detail

namespace detail {
/// Throws `std::invalid_argument` unless `name: value` may be sent as a response field: the name
/// a token, the value free of control bytes (response splitting) and surrounding whitespace, and
/// no framing field (Content-Length, Transfer-Encoding, Date), which only the engine writes.
/// `Connection` is allowed only as `close`.
inline void check_response_field(std::string_view name, std::string_view value) {
    if (!is_token(name)) throw std::invalid_argument("http::response: field name is not a token");
    for (char c : value)
        if (!is(c, cc_field_vchar))
            throw std::invalid_argument("http::response: control byte in field value");
    if (!value.empty() && (is_ows(value.front()) || is_ows(value.back())))
        throw std::invalid_argument("http::response: field value has surrounding whitespace");
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
        iequals(name, "date"))
        throw std::invalid_argument("http::response: framing fields are set by the engine");
    if (iequals(name, "connection") && !iequals(value, "close"))
        throw std::invalid_argument("http::response: only 'Connection: close' may be set");
}

/// Immutable response parts that many responses share: prebuilt field lines and content, e.g.
/// a cached small file. Built once (fields validated as `response::add_header` does), then a
/// response refers to it for the cost of a reference count.
/// Thread-safety: immutable once shared, so shared freely across threads.
class shared_entity {
  public:
    /// Appends a field line; throws `std::invalid_argument` as `response::add_header` does
    /// (`Connection` is refused here: closing is a property of one response, not of content).
    shared_entity& add_field(std::string_view name, std::string_view value) {
        check_response_field(name, value);
        if (iequals(name, "connection"))
            throw std::invalid_argument("http::shared_entity: Connection is per response");
        fields_.append(name).append(": ").append(value).append("\r\n");
        return *this;
    }
    /// The serialised field lines, "Name: value\r\n" each.
    [[nodiscard]] std::string_view fields() const noexcept { return fields_; }

    std::string body; ///< the content

  private:
    std::string fields_;
};
} // namespace detail

/// What happened to a response, reported to its `on_sent` callback.
struct delivery {
    std::uint64_t body_bytes = 0; ///< content bytes written (0 for HEAD and bodiless statuses)
    bool complete = false;        ///< false: the connection ended before the last byte went out
};

/// A response a handler returns by value.
///
/// Lifetime: self-contained; it owns its body (and the file descriptor of a file body), so it
/// may outlive the request. Move-only because of that descriptor.
/// Thread-safety: a plain value; no sharing.
/// Framing fields (Content-Length, Transfer-Encoding, Date) are written by the engine, never by
/// the handler: adding one throws `std::invalid_argument`, as does a name that is not a token or a
/// value with CR, LF, NUL or another control byte (which would allow response splitting).
class response {
  public:
    /// Pull source of a streamed body: writes up to `capacity` bytes to `buf` and returns how
    /// many it wrote; 0 means the end of the body, a negative value an error (the connection is
    /// then closed, leaving the client with a truncated chunked body it can detect). Called on
    /// the connection's worker thread each time the socket can take more; it must not block.
    using stream_source = std::function<std::ptrdiff_t(char* buf, std::size_t capacity)>;

    enum class body_kind : std::uint8_t { none, bytes, file, stream, deferred, shared };

    /// Called once when the response has been written completely, or when the connection ends
    /// first. Runs on the connection's worker thread; must not block.
    using sent_callback = std::function<void(const delivery&)>;

    explicit response(http::status s = http::status::ok) noexcept : status_(s) {}
    response(response&&) noexcept = default;
    response& operator=(response&&) noexcept = default;
    response(const response&) = delete;
    response& operator=(const response&) = delete;
    ~response() = default;

    /// A `text/plain; charset=utf-8` response.
    [[nodiscard]] static response text(std::string body, http::status s = http::status::ok) {
        response r(s);
        r.set_body(std::move(body));
        r.static_fields_ = "Content-Type: text/plain; charset=utf-8\r\n"; // no allocation
        return r;
    }
    /// A short `text/plain` answer for a status, "404 Not Found\n": the body the engine and the
    /// policies give every error they answer themselves.
    [[nodiscard]] static response error(http::status s) {
        std::string body;
        char digits[4];
        const auto r = std::to_chars(digits, digits + sizeof digits, to_int(s));
        const std::string_view reason = reason_phrase(s);
        body.reserve(static_cast<std::size_t>(r.ptr - digits) + reason.size() + 2);
        body.append(digits, r.ptr).append(" ").append(reason).append("\n");
        return text(std::move(body), s);
    }
    /// A response that will be produced later, possibly on another thread: the engine calls
    /// `start` on the worker, right after the handler returns, with a `responder` to which the
    /// real response must eventually be sent. Until then the connection reads nothing more and
    /// the request (its views included) stays valid. `http::blocking` is built on this.
    [[nodiscard]] static response defer(std::function<void(responder)> start) {
        response r;
        r.deferred_ = std::move(start);
        r.kind_ = body_kind::deferred;
        return r;
    }
    /// A `text/html; charset=utf-8` response.
    [[nodiscard]] static response html(std::string body, http::status s = http::status::ok) {
        response r(s);
        r.set_body(std::move(body));
        r.static_fields_ = "Content-Type: text/html; charset=utf-8\r\n";
        return r;
    }

    [[nodiscard]] http::status code() const noexcept { return status_; }
    response& set_code(http::status s) noexcept {
        status_ = s;
        return *this;
    }

    /// Appends a field line; several fields of one name are allowed (e.g. Set-Cookie).
    /// `Connection: close` is accepted and makes the connection close after this response.
    response& add_header(std::string_view name, std::string_view value) {
        detail::check_response_field(name, value);
        if (detail::iequals(name, "connection")) {
            close_ = true;
            return *this;
        }
        fields_.reserve(fields_.size() + name.size() + value.size() + 4);
        fields_.append(name).append(": ").append(value).append("\r\n");
        return *this;
    }
    /// Replaces every field named `name` (case-insensitive) with one line.
    response& set_header(std::string_view name, std::string_view value) {
        detail::check_response_field(name, value);
        remove_header(name);
        return add_header(name, value);
    }
    /// Removes every field named `name`; returns how many were removed.
    std::size_t remove_header(std::string_view name) {
        std::size_t removed = 0, pos = 0;
        if (!static_fields_.empty() &&
            detail::iequals(static_fields_.substr(0, static_fields_.find(':')), name)) {
            static_fields_ = {};
            ++removed;
        }
        while (pos < fields_.size()) {
            const auto eol = fields_.find("\r\n", pos);
            const auto colon = fields_.find(':', pos);
            if (detail::iequals(std::string_view(fields_).substr(pos, colon - pos), name)) {
                fields_.erase(pos, eol + 2 - pos);
                ++removed;
            } else {
                pos = eol + 2;
            }
        }
        return removed;
    }
    /// The value of the first field named `name`, if any, among this response's own fields
    /// and then a shared entity's (a cached file's). Valid until the response changes.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept {
        for (const std::string_view f :
             {static_fields_, std::string_view(fields_), shared_fields()}) {
            for (std::size_t pos = 0; pos < f.size();) {
                const auto eol = f.find("\r\n", pos);
                const auto colon = f.find(':', pos);
                if (detail::iequals(f.substr(pos, colon - pos), name))
                    return f.substr(colon + 2, eol - colon - 2);
                pos = eol + 2;
            }
        }
        return std::nullopt;
    }
    /// All handler-set field lines, serialised ("Name: value\r\n" each), but for the
    /// Content-Type of `text` and `html`, which is in `static_fields`.
    [[nodiscard]] std::string_view fields() const noexcept { return fields_; }
    /// Field lines in static storage that precede `fields()`: the Content-Type line `text` and
    /// `html` set without allocating ("" otherwise).
    [[nodiscard]] std::string_view static_fields() const noexcept { return static_fields_; }

    /// Sets an in-memory body, and Content-Type unless `content_type` is empty.
    response& set_body(std::string data, std::string_view content_type = {}) {
        if (!content_type.empty()) set_header("Content-Type", content_type);
        file_.reset();
        stream_ = nullptr;
        shared_ = nullptr;
        body_ = std::move(data);
        kind_ = body_kind::bytes;
        return *this;
    }
    /// Sets a file region as the body, sent with sendfile(2). Takes ownership of `fd` (closed
    /// when the response is destroyed, even if it is never sent). The engine sends exactly
    /// `length` bytes from `offset`; if the file shrinks meanwhile the connection is closed.
    response& set_file(int fd, std::uint64_t offset, std::uint64_t length,
                       std::string_view content_type = {}) {
        if (!content_type.empty()) set_header("Content-Type", content_type);
        file_.reset();
        body_.clear();
        stream_ = nullptr;
        shared_ = nullptr;
        file_.reset(fd);
        file_offset_ = offset;
        file_length_ = length;
        kind_ = body_kind::file;
        return *this;
    }
    /// Sets a body of unknown length, sent with chunked framing to HTTP/1.1 clients and
    /// delimited by closing the connection for HTTP/1.0 ones (RFC 9112 §6.3).
    response& set_stream(stream_source source, std::string_view content_type = {}) {
        if (!content_type.empty()) set_header("Content-Type", content_type);
        file_.reset();
        body_.clear();
        shared_ = nullptr;
        stream_ = std::move(source);
        kind_ = body_kind::stream;
        return *this;
    }

    [[nodiscard]] body_kind kind() const noexcept { return kind_; }
    /// The in-memory body: bytes, or the shared entity's part (empty for other kinds).
    [[nodiscard]] std::string_view body() const noexcept {
        if (kind_ == body_kind::shared)
            return std::string_view(shared_->body).substr(file_offset_, file_length_);
        return body_;
    }
    /// The file body's descriptor (-1 for other kinds); owned by the response.
    [[nodiscard]] int file_descriptor() const noexcept { return file_.get(); }
    [[nodiscard]] std::uint64_t file_offset() const noexcept { return file_offset_; }
    [[nodiscard]] std::uint64_t file_length() const noexcept { return file_length_; }

    /// Sets the callback told when this response is written (or abandoned): for transfer logs.
    response& on_sent(sent_callback cb) {
        on_sent_ = std::move(cb);
        return *this;
    }

    /// Asks the engine to close the connection after this response.
    response& close_connection(bool close = true) noexcept {
        close_ = close;
        return *this;
    }
    [[nodiscard]] bool closes_connection() const noexcept { return close_; }

  private:
    friend struct detail::response_access;

    [[nodiscard]] std::string_view shared_fields() const noexcept {
        return shared_ ? shared_->fields() : std::string_view{};
    }

    std::string_view static_fields_; // one line in static storage (text/html Content-Type)
    std::string fields_;
    std::string body_;
    stream_source stream_;
    std::shared_ptr<const detail::shared_entity> shared_;
    std::function<void(responder)> deferred_;
    sent_callback on_sent_;
    std::function<void(detail::handover&&)> upgrade_; // a 101's taker of the connection
    std::uint64_t file_offset_ = 0;
    std::uint64_t file_length_ = 0;
    detail::unique_fd file_;
    http::status status_;
    body_kind kind_ = body_kind::none;
    bool close_ = false;
};

/// The right to answer one deferred request (see `response::defer`), from any thread, once.
///
/// Move-only. `send` is thread-safe and may be called from any thread while the server runs.
/// Destroying a responder that never sent answers 500, so a request is never left hanging.
class responder {
  public:
    responder() noexcept = default;
    responder(responder&& o) noexcept : sink_(std::exchange(o.sink_, nullptr)), token_(o.token_) {}
    responder& operator=(responder&& o) noexcept {
        if (this != &o) {
            abandon();
            sink_ = std::exchange(o.sink_, nullptr);
            token_ = o.token_;
        }
        return *this;
    }
    responder(const responder&) = delete;
    responder& operator=(const responder&) = delete;
    ~responder() { abandon(); }

    /// Delivers the response to the connection's worker; later calls do nothing.
    void send(response r) noexcept {
        if (detail::completion_sink* s = std::exchange(sink_, nullptr))
            s->complete(token_, std::move(r));
    }
    /// True until `send` was called.
    [[nodiscard]] explicit operator bool() const noexcept { return sink_ != nullptr; }

  private:
    friend struct detail::responder_access;
    responder(detail::completion_sink* sink, void* token) noexcept : sink_(sink), token_(token) {}
    void abandon() noexcept {
        if (sink_ != nullptr) send(response(status::internal_server_error));
    }

    detail::completion_sink* sink_ = nullptr;
    void* token_ = nullptr;
};

namespace detail {
/// What only the engine and the library's policies may do with a response: move its body parts
/// out for sending, and attach a shared entity (whose fields were validated when it was built).
struct response_access {
    static std::string take_body(response& r) noexcept { return std::move(r.body_); }
    static response::stream_source take_stream(response& r) noexcept {
        return std::move(r.stream_);
    }
    static unique_fd take_file(response& r) noexcept { return std::move(r.file_); }
    static std::function<void(responder)> take_deferred(response& r) noexcept {
        return std::move(r.deferred_);
    }
    static response::sent_callback take_on_sent(response& r) noexcept {
        return std::move(r.on_sent_);
    }
    static std::string_view shared_fields(const response& r) noexcept { return r.shared_fields(); }
    /// Makes a `101 Switching Protocols` response hand the connection, once the 101 is written,
    /// to `taker` (on the worker thread): the hand-over seam another protocol plugs into.
    static void set_upgrade(response& r, std::function<void(handover&&)> taker) {
        r.upgrade_ = std::move(taker);
    }
    static std::function<void(handover&&)> take_upgrade(response& r) noexcept {
        return std::move(r.upgrade_);
    }
    [[nodiscard]] static bool upgrades(const response& r) noexcept {
        return static_cast<bool>(r.upgrade_);
    }
    static const std::shared_ptr<const shared_entity>& shared(const response& r) noexcept {
        return r.shared_;
    }
    /// Uses a shared entity: its fields follow the response's own, and its content — or the
    /// part [offset, offset + length) of it, for a range — is the body. No copy is made.
    static void set_shared(response& r, std::shared_ptr<const shared_entity> e,
                           std::size_t offset = 0, std::size_t length = std::string::npos) {
        r.file_.reset();
        r.body_.clear();
        r.stream_ = nullptr;
        r.file_offset_ = std::min(offset, e->body.size());
        r.file_length_ = std::min(length, e->body.size() - r.file_offset_);
        r.shared_ = std::move(e);
        r.kind_ = response::body_kind::shared;
    }
};

struct responder_access {
    static responder make(completion_sink* sink, void* token) noexcept { return {sink, token}; }
};
} // namespace detail

MINIHTTP_NAMESPACE_END
