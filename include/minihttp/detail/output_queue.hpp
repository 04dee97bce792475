#pragma once
/// @file
/// The output queue of a connection: what is to be written, in order, as a list of typed
/// segments — bytes in the queue's own buffer (heads, small bodies), a body moved in whole, a
/// view of a shared entity, a file region, a stream pulled as the socket drains, and notices
/// (a response is complete once every segment before its notice is written).
///
/// Consecutive in-memory segments leave in one gathered write, so a batch of pipelined
/// responses costs one system call; files go out with the transport's `send_file`; stream
/// chunks are framed in place by the serialiser's `frame_chunk`. Writing goes through a
/// transport (detail/transport.hpp), so the queue itself never calls the system.

#include <minihttp/detail/fd.hpp>
#include <minihttp/detail/transport.hpp>
#include <minihttp/response.hpp>
#include <minihttp/serializer.hpp>
#include <minihttp/status.hpp>
#include <minihttp/version.hpp>

#include <sys/uio.h>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Told when a response has been written, or when the connection ended before it was.
struct notice {
    response::sent_callback on_sent;
    std::string access;        ///< "METHOD TARGET" for the access log ("" when it is off)
    std::string user_agent;    ///< the request's User-Agent, for the access log
    std::uint64_t head_us = 0; ///< when the request head was complete (detail::monotonic_us)
    http::status status = http::status::ok;
    std::uint8_t version_minor = 1;
    bool streamed = false;       ///< the body was a stream: its size is known only at its end
    std::uint64_t body_size = 0; ///< content bytes of a body of known length
};

/// How a flush ended.
enum class flush_status : std::uint8_t {
    done,    ///< everything queued is written
    blocked, ///< the transport would block: wait for writability
    yielded, ///< a file used up its quantum for this turn: resume after the other connections
    error,   ///< the connection is broken, a file shrank or a stream source failed: close
};

/// What the queue reports to its connection while flushing.
template <class H>
concept output_hooks = requires(H& h, notice& n, std::uint64_t bytes, std::string_view msg) {
    {h.delivered(n, bytes, true)};
    {h.log(msg)};
};

/// The segments of one connection. Not thread-safe; one per connection with work in progress,
/// reused across requests (clearing keeps the capacity, so a warm queue allocates nothing).
class output_queue {
  public:
    /// Bodies up to this size are copied behind their head: one write for both.
    static constexpr std::size_t copy_body_limit = 16 * 1024;
    /// Pipelined responses join one batch up to this many copied bytes ...
    static constexpr std::size_t batch_bytes_limit = 64 * 1024;
    /// ... or this many segments (one gathered write takes up to `max_iov` buffers).
    static constexpr std::size_t max_batch_segments = 48;
    static constexpr std::size_t max_iov = 64;
    /// A stream source is asked for up to this much per chunk.
    static constexpr std::size_t stream_chunk = 16 * 1024;
    /// A file body goes out at most this much per turn of the loop: the connections sending
    /// large files take turns (as lighttpd does), so none fills its socket buffer with
    /// megabytes while the others wait, and the data sent stays warm until the client reads.
    static constexpr std::size_t file_quantum = 256 * 1024;

    // ---- building -----------------------------------------------------------------------

    /// The byte buffer heads and small bodies are appended to; `commit` makes what was
    /// appended since `from` part of the output.
    [[nodiscard]] std::string& buffer() noexcept { return buf_; }
    void commit(std::size_t from) {
        const std::size_t to = buf_.size();
        if (from == to) return;
        if (!empty())
            if (auto* last = std::get_if<bytes_seg>(&segs_.back()); last && last->end == from) {
                last->end = to;
                return;
            }
        segs_.emplace_back(bytes_seg{from, to});
    }
    void append(std::string_view bytes) {
        const std::size_t from = buf_.size();
        buf_.append(bytes);
        commit(from);
    }
    /// A large in-memory body, moved in whole (no copy).
    void push_owned(std::string data) { segs_.emplace_back(owned_seg{std::move(data), 0}); }
    /// A part of a shared entity, kept alive by `keep` until written.
    void push_shared(std::string_view data, std::shared_ptr<const shared_entity> keep) {
        segs_.emplace_back(shared_seg{data, std::move(keep)});
    }
    void push_file(unique_fd fd, std::uint64_t offset, std::uint64_t length) {
        segs_.emplace_back(file_seg{std::move(fd), offset, length});
    }
    /// A body of unknown length: chunked framing, or delimited by closing the connection.
    void push_stream(response::stream_source src, bool chunked) {
        stream_seg s;
        s.src = std::move(src);
        s.chunked = chunked;
        segs_.emplace_back(std::move(s));
    }
    void push_notice(notice n) { segs_.emplace_back(std::in_place_type<notice>, std::move(n)); }

    [[nodiscard]] bool empty() const noexcept { return head_ == segs_.size(); }
    /// Whether another pipelined response may join the batch before anything is written:
    /// while the queue holds only heads, small or shared bodies and notices, within the batch
    /// limits. A file, a stream or a large owned body is written first, so a batch never
    /// holds several of them.
    [[nodiscard]] bool accepts_more() const noexcept {
        if (empty()) return true;
        const segment& last = segs_.back();
        const bool batchable = std::holds_alternative<bytes_seg>(last) ||
                               std::holds_alternative<shared_seg>(last) ||
                               std::holds_alternative<notice>(last);
        return batchable && buf_.size() < batch_bytes_limit &&
               segs_.size() - head_ < max_batch_segments;
    }

    // ---- draining -----------------------------------------------------------------------

    /// Writes as much as the transport takes. `progressed` tells whether any byte moved (the
    /// write timeout measures time without progress). Notices are reported through `hooks` as
    /// the bytes before them are written, and so are a stream source's exceptions.
    template <transport T, output_hooks H>
    flush_status flush(T& t, H& hooks, bool& progressed) {
        while (!empty()) {
            segment& s = segs_[head_];
            flush_status r = flush_status::done;
            switch (s.index()) {
            case index_of<notice>: deliver(std::get<notice>(s), hooks); continue;
            case index_of<file_seg>: r = write_file(t, std::get<file_seg>(s), progressed); break;
            case index_of<stream_seg>:
                r = write_stream(t, std::get<stream_seg>(s), hooks, progressed);
                break;
            default: r = write_gathered(t, hooks, progressed); break;
            }
            if (r != flush_status::done) return r;
        }
        clear();
        return flush_status::done;
    }

    /// The connection ends with output pending: tells the notices of the responses cut short
    /// (the first may have been partly written), then drops everything.
    template <output_hooks H>
    void abandon(H& hooks) noexcept {
        for (; head_ < segs_.size(); ++head_)
            if (auto* n = std::get_if<notice>(&segs_[head_]))
                hooks.delivered(*n, std::exchange(body_progress_, 0), false);
        clear();
    }

    /// Empties the queue, keeping its capacity (the buffer only up to a batch's worth).
    void clear() noexcept {
        segs_.clear();
        head_ = 0;
        buf_.clear();
        body_progress_ = 0;
    }
    /// Gives back memory a large stream or batch made the queue take.
    void trim() {
        clear();
        if (buf_.capacity() > batch_bytes_limit) buf_ = std::string();
        stream_buf_ = std::string();
    }

  private:
    struct bytes_seg {
        std::size_t begin, end; // [begin, end) of buf_
    };
    struct owned_seg {
        std::string data;
        std::size_t sent;
    };
    struct shared_seg {
        std::string_view data; // what is still to send
        std::shared_ptr<const shared_entity> keep;
    };
    struct file_seg {
        unique_fd fd;
        std::uint64_t offset, left;
    };
    struct stream_seg {
        response::stream_source src;
        std::uint64_t produced = 0;     // content bytes the source gave
        std::uint64_t pending = 0;      // content bytes in the chunk being written
        std::size_t begin = 0, end = 0; // the framed chunk still to send, in stream_buf_
        bool chunked = true;
        bool src_done = false;
    };
    using segment = std::variant<bytes_seg, owned_seg, shared_seg, file_seg, stream_seg, notice>;
    template <class S>
    static constexpr std::size_t index_of = [] {
        constexpr bool is[] = {std::is_same_v<S, bytes_seg>,  std::is_same_v<S, owned_seg>,
                               std::is_same_v<S, shared_seg>, std::is_same_v<S, file_seg>,
                               std::is_same_v<S, stream_seg>, std::is_same_v<S, notice>};
        std::size_t i = 0;
        while (!is[i]) ++i;
        return i;
    }();

    template <output_hooks H>
    void deliver(notice& n, H& hooks) {
        ++head_;
        body_progress_ = 0;
        hooks.delivered(n, n.streamed ? last_stream_size_ : n.body_size, true);
    }

    // The bytes still to send of an in-memory segment, or an empty span for other kinds.
    [[nodiscard]] std::string_view pending_bytes(const segment& s) const noexcept {
        if (const auto* b = std::get_if<bytes_seg>(&s))
            return std::string_view(buf_).substr(b->begin, b->end - b->begin);
        if (const auto* o = std::get_if<owned_seg>(&s))
            return std::string_view(o->data).substr(o->sent);
        if (const auto* v = std::get_if<shared_seg>(&s)) return v->data;
        return {};
    }
    static void advance(segment& s, std::size_t n) noexcept {
        if (auto* b = std::get_if<bytes_seg>(&s))
            b->begin += n;
        else if (auto* o = std::get_if<owned_seg>(&s))
            o->sent += n;
        else if (auto* v = std::get_if<shared_seg>(&s))
            v->data.remove_prefix(n);
    }

    // Gathers consecutive in-memory segments into one write (head + body, or a batch of
    // pipelined responses), skipping notices, which are told once the bytes before them left.
    template <transport T, output_hooks H>
    flush_status write_gathered(T& t, H& hooks, bool& progressed) {
        iovec iov[max_iov];
        std::size_t cnt = 0, total = 0, i = head_;
        for (; i < segs_.size() && cnt < max_iov; ++i) {
            const segment& s = segs_[i];
            if (std::holds_alternative<notice>(s)) continue;
            if (std::holds_alternative<file_seg>(s) || std::holds_alternative<stream_seg>(s)) break;
            const std::string_view b = pending_bytes(s);
            iov[cnt].iov_base = const_cast<char*>(b.data());
            iov[cnt].iov_len = b.size();
            total += b.size();
            ++cnt;
        }
        const bool file_follows = i < segs_.size() && std::holds_alternative<file_seg>(segs_[i]);
        const io_result r = t.write({iov, cnt}, file_follows);
        if (r.status == io_status::would_block) return flush_status::blocked;
        if (r.status != io_status::ok) return flush_status::error;
        if (r.bytes > 0) progressed = true;
        std::size_t left = r.bytes;
        while (head_ < i) {
            segment& s = segs_[head_];
            if (auto* n = std::get_if<notice>(&s)) {
                deliver(*n, hooks);
                continue;
            }
            const std::size_t len = pending_bytes(s).size();
            const std::size_t take = std::min(left, len);
            advance(s, take);
            left -= take;
            if (!std::holds_alternative<bytes_seg>(s)) body_progress_ += take;
            if (take < len) break;
            s = bytes_seg{0, 0}; // frees a moved-in body or a shared entity at once
            ++head_;
        }
        return r.bytes < total ? flush_status::blocked : flush_status::done;
    }

    template <transport T>
    flush_status write_file(T& t, file_seg& f, bool& progressed) {
        t.prepare_bulk(f.left);
        std::size_t sent = 0;
        while (f.left > 0) {
            if (sent >= file_quantum) return flush_status::yielded;
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(f.left, file_quantum - sent));
            const io_result r = t.send_file(f.fd.get(), f.offset, want);
            if (r.status == io_status::would_block) return flush_status::blocked;
            // eof: the file shrank, so the promised Content-Length would be a lie.
            if (r.status != io_status::ok) return flush_status::error;
            progressed = true;
            f.offset += r.bytes;
            f.left -= r.bytes;
            sent += r.bytes;
            body_progress_ += r.bytes;
        }
        f.fd.reset();
        ++head_;
        return flush_status::done;
    }

    // Pulls the next chunk from the source into stream_buf_, framed in place; false if the
    // source failed (threw, returned a negative count or more than asked).
    template <output_hooks H>
    bool pull(stream_seg& s, H& hooks) {
        stream_buf_.resize(chunk_prefix_room + stream_chunk + 2);
        char* data = stream_buf_.data() + chunk_prefix_room;
        std::ptrdiff_t n = -1;
        try { // the one place a stream source's exception is caught
            n = s.src(data, stream_chunk);
        } catch (const std::exception& e) {
            hooks.log(std::string("stream source threw: ") + e.what());
        } catch (...) {
            hooks.log("stream source threw a non-standard exception");
        }
        if (n < 0 || static_cast<std::size_t>(n) > stream_chunk) return false;
        const auto size = static_cast<std::size_t>(n);
        s.produced += size;
        s.pending = size;
        if (size == 0) {
            s.src_done = true;
            s.begin = s.end = 0;
            if (s.chunked) {
                std::memcpy(stream_buf_.data(), last_chunk.data(), last_chunk.size());
                s.end = last_chunk.size();
            }
        } else if (s.chunked) {
            s.begin = static_cast<std::size_t>(frame_chunk(data, size) - stream_buf_.data());
            s.end = chunk_prefix_room + size + 2;
        } else {
            s.begin = chunk_prefix_room;
            s.end = chunk_prefix_room + size;
        }
        return true;
    }

    template <transport T, output_hooks H>
    flush_status write_stream(T& t, stream_seg& s, H& hooks, bool& progressed) {
        for (;;) {
            if (s.begin == s.end) {
                if (s.src_done) {
                    last_stream_size_ = s.produced;
                    s.src = nullptr;
                    ++head_;
                    return flush_status::done;
                }
                if (!pull(s, hooks)) return flush_status::error;
                continue;
            }
            const iovec one{stream_buf_.data() + s.begin, s.end - s.begin};
            const io_result r = t.write({&one, 1}, false);
            if (r.status == io_status::would_block) return flush_status::blocked;
            if (r.status != io_status::ok) return flush_status::error;
            if (r.bytes > 0) progressed = true;
            s.begin += r.bytes;
            if (s.begin < s.end) return flush_status::blocked;
            body_progress_ += std::exchange(s.pending, 0);
        }
    }

    std::vector<segment> segs_;
    std::size_t head_ = 0;
    std::string buf_;                 // heads and small bodies, referenced by bytes_seg
    std::string stream_buf_;          // the stream chunk being written, with room for its framing
    std::uint64_t body_progress_ = 0; // body bytes written of the response in progress
    std::uint64_t last_stream_size_ = 0; // content bytes of the last stream finished
};

} // namespace detail
MINIHTTP_NAMESPACE_END
