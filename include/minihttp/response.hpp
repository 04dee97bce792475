#pragma once
/// @file
/// `http::response`: status, header fields and one of three body kinds (DESIGN.md §6):
/// bytes in memory, a file region sent with sendfile, or a stream pulled as the socket drains.

#include <minihttp/detail/chars.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <unistd.h>

#include <algorithm>
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
} // namespace detail

/// Immutable response parts that many responses share: prebuilt field lines and content, e.g.
/// a cached small file. Build it once, then `response::set_shared` costs a reference count.
/// Thread-safety: immutable after construction, so shared freely across threads.
struct shared_entity {
    std::string fields; ///< serialised field lines, "Name: value\r\n" each; not re-validated
    std::string body;   ///< the content
};

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
    // Member-wise, not via operator=: a response is moved several times on its way out of a
    // chain, and constructing each member from the source halves the cost of every move.
    response(response&& o) noexcept
        : static_fields_(o.static_fields_), fields_(std::move(o.fields_)),
          body_(std::move(o.body_)), stream_(std::move(o.stream_)), shared_(std::move(o.shared_)),
          deferred_(std::move(o.deferred_)), on_sent_(std::move(o.on_sent_)),
          file_offset_(o.file_offset_), file_length_(o.file_length_),
          file_fd_(std::exchange(o.file_fd_, -1)), status_(o.status_),
          kind_(std::exchange(o.kind_, body_kind::none)), close_(o.close_) {}
    response& operator=(response&& o) noexcept {
        if (this != &o) {
            close_file();
            status_ = o.status_;
            static_fields_ = o.static_fields_;
            fields_ = std::move(o.fields_);
            body_ = std::move(o.body_);
            stream_ = std::move(o.stream_);
            shared_ = std::move(o.shared_);
            deferred_ = std::move(o.deferred_);
            on_sent_ = std::move(o.on_sent_);
            file_fd_ = std::exchange(o.file_fd_, -1);
            file_offset_ = o.file_offset_;
            file_length_ = o.file_length_;
            kind_ = std::exchange(o.kind_, body_kind::none);
            close_ = o.close_;
        }
        return *this;
    }
    response(const response&) = delete;
    response& operator=(const response&) = delete;
    ~response() { close_file(); }

    /// A `text/plain; charset=utf-8` response.
    [[nodiscard]] static response text(std::string body, http::status s = http::status::ok) {
        response r(s);
        r.set_body(std::move(body));
        r.static_fields_ = "Content-Type: text/plain; charset=utf-8\r\n"; // no allocation
        return r;
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
        check_field(name, value);
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
        check_field(name, value);
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
    /// and then a shared entity's. Valid until the response changes.
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
        close_file();
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
        close_file();
        body_.clear();
        stream_ = nullptr;
        shared_ = nullptr;
        file_fd_ = fd;
        file_offset_ = offset;
        file_length_ = length;
        kind_ = body_kind::file;
        return *this;
    }
    /// Sets a body of unknown length, sent with chunked framing to HTTP/1.1 clients and
    /// delimited by closing the connection for HTTP/1.0 ones (RFC 9112 §6.3).
    response& set_stream(stream_source source, std::string_view content_type = {}) {
        if (!content_type.empty()) set_header("Content-Type", content_type);
        close_file();
        body_.clear();
        shared_ = nullptr;
        stream_ = std::move(source);
        kind_ = body_kind::stream;
        return *this;
    }

    /// Uses a shared entity: its fields follow this response's own, and its content — or the
    /// part [offset, offset + length) of it, for a range — is the body. No copy is made.
    response& set_shared(std::shared_ptr<const shared_entity> e, std::size_t offset = 0,
                         std::size_t length = std::string::npos) {
        close_file();
        body_.clear();
        stream_ = nullptr;
        file_offset_ = std::min(offset, e->body.size());
        file_length_ = std::min(length, e->body.size() - file_offset_);
        shared_ = std::move(e);
        kind_ = body_kind::shared;
        return *this;
    }

    [[nodiscard]] body_kind kind() const noexcept { return kind_; }
    /// The in-memory body: bytes, or the shared entity's part (empty for other kinds).
    [[nodiscard]] std::string_view body() const noexcept {
        if (kind_ == body_kind::shared)
            return std::string_view(shared_->body).substr(file_offset_, file_length_);
        return body_;
    }
    /// The shared entity's prebuilt field lines ("" without one).
    [[nodiscard]] std::string_view shared_fields() const noexcept {
        return shared_ ? std::string_view(shared_->fields) : std::string_view{};
    }
    /// Keeps a shared body alive while the engine sends it.
    [[nodiscard]] std::shared_ptr<const shared_entity> shared() const noexcept { return shared_; }
    [[nodiscard]] int file_descriptor() const noexcept { return file_fd_; }
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

    /// For the engine: moves the body out (the response keeps its head).
    std::string take_body() noexcept { return std::move(body_); }
    stream_source take_stream() noexcept { return std::move(stream_); }
    int release_file() noexcept { return std::exchange(file_fd_, -1); }
    std::function<void(responder)> take_deferred() noexcept { return std::move(deferred_); }
    sent_callback take_on_sent() noexcept { return std::move(on_sent_); }

  private:
    static void check_field(std::string_view name, std::string_view value) {
        if (!detail::is_token(name))
            throw std::invalid_argument("http::response: field name is not a token");
        for (char c : value)
            if (!detail::is(c, detail::cc_field_vchar))
                throw std::invalid_argument("http::response: control byte in field value");
        if (!value.empty() && (detail::is_ows(value.front()) || detail::is_ows(value.back())))
            throw std::invalid_argument("http::response: field value has surrounding whitespace");
        if (detail::iequals(name, "content-length") || detail::iequals(name, "transfer-encoding") ||
            detail::iequals(name, "date"))
            throw std::invalid_argument("http::response: framing fields are set by the engine");
        if (detail::iequals(name, "connection") && !detail::iequals(value, "close"))
            throw std::invalid_argument("http::response: only 'Connection: close' may be set");
    }
    void close_file() noexcept {
        if (file_fd_ >= 0) ::close(file_fd_);
        file_fd_ = -1;
    }

    std::string_view static_fields_; // one line in static storage (text/html Content-Type)
    std::string fields_;
    std::string body_;
    stream_source stream_;
    std::shared_ptr<const shared_entity> shared_;
    std::function<void(responder)> deferred_;
    sent_callback on_sent_;
    std::uint64_t file_offset_ = 0;
    std::uint64_t file_length_ = 0;
    int file_fd_ = -1;
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
struct responder_access {
    static responder make(completion_sink* sink, void* token) noexcept { return {sink, token}; }
};
} // namespace detail

MINIHTTP_NAMESPACE_END
