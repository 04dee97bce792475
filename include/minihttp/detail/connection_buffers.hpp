#pragma once
/// @file
/// What a connection with work in progress holds, and where it comes from: `connection_buffers`
/// (input buffer, parsed request, body reader, output queue), the per-worker `buffer_pool` that
/// lends them out, and `handover`, what a protocol taking the socket over after a 101 gets.
/// Split from detail/connection.hpp, which uses them.

#include <minihttp/detail/body_reader.hpp>
#include <minihttp/detail/fd.hpp>
#include <minihttp/detail/output_queue.hpp>
#include <minihttp/request.hpp>
#include <minihttp/response.hpp>
#include <minihttp/version.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// What the protocol taking a connection over after `101 Switching Protocols` receives: the
/// socket, the bytes the client sent after the request that asked for it, and the peer.
struct handover {
    unique_fd socket;
    std::string unread;
    endpoint peer;
};

/// The buffers and parse state of a connection with work in progress. Taken from a pool when
/// bytes arrive and given back when the connection is idle again, so an idle keep-alive
/// connection owns no buffer (DESIGN.md: "an idle keep-alive connection costs a few KiB").
struct connection_buffers {
    /// A new buffer's input capacity. Small, like nginx's 1 KiB header buffer, because a flood
    /// of connections that each send a first byte would otherwise fault in fresh pages for every
    /// one of them (docs/performance.md, "Under attack"); most request heads fit.
    static constexpr std::size_t initial_size = 1024;
    /// Input buffers up to this size go back to the pool with their connection_buffers and grow
    /// to it rather than compact; larger ones (a big body grew them) are freed on release.
    static constexpr std::size_t pooled_size = 8192;

    std::unique_ptr<char[]> in;
    std::size_t cap = 0;       // capacity of `in`
    std::size_t begin = 0;     // start of the current request
    std::size_t end = 0;       // end of received data
    std::size_t scan = 0;      // bytes before this were searched for a line end
    std::size_t head_size = 0; // of the current request, once parsed
    std::size_t next = 0;      // where the request after the current one starts
    bool head_done = false;
    bool views_stale = false; // `in` moved since the head was parsed: re-parse before dispatch
    request req;
    body_reader body;
    output_queue out;
    std::function<void(responder)> deferred; // a deferred answer's start, for the worker
    std::function<void(handover&&)> upgrade; // a 101's taker of the connection
    connection_buffers* next_free = nullptr;
};

/// A free list of buffers, one per worker (so no lock). Input buffers larger than
/// `connection_buffers::pooled_size` are freed rather than pooled.
/// Gives buffers back to their pool (the deleter of a connection's buffers).
struct buffer_return {
    class buffer_pool* pool = nullptr;
    void operator()(connection_buffers* b) const noexcept;
};

class buffer_pool {
  public:
    static constexpr std::size_t max_free = 256;

    buffer_pool() = default;
    buffer_pool(const buffer_pool&) = delete;
    buffer_pool& operator=(const buffer_pool&) = delete;
    ~buffer_pool() {
        while (free_ != nullptr) delete std::exchange(free_, free_->next_free);
    }

    /// Buffers ready for a new request; throws std::bad_alloc. The field table is sized when a
    /// head is first parsed (`reserve_fields`), so bytes that never end a line cost no table.
    connection_buffers& acquire() {
        connection_buffers* b = free_;
        if (b != nullptr) {
            free_ = b->next_free;
            --count_;
        } else {
            b = new connection_buffers;
        }
        if (!b->in) {
            // No zero fill: only received bytes are ever read.
            b->in = std::make_unique_for_overwrite<char[]>(connection_buffers::initial_size);
            b->cap = connection_buffers::initial_size;
        }
        b->begin = b->end = b->scan = 0;
        b->head_done = b->views_stale = false;
        return *b;
    }
    void release(connection_buffers* b) noexcept {
        b->out.trim();
        b->deferred = nullptr;
        b->upgrade = nullptr;
        if (b->cap > connection_buffers::pooled_size) { // a big body grew it: give it back
            b->in.reset();
            b->cap = 0;
        }
        if (count_ >= max_free) {
            delete b;
            return;
        }
        b->next_free = free_;
        free_ = b;
        ++count_;
    }

  private:
    connection_buffers* free_ = nullptr;
    std::size_t count_ = 0;
};

inline void buffer_return::operator()(connection_buffers* b) const noexcept { pool->release(b); }

} // namespace detail
MINIHTTP_NAMESPACE_END
