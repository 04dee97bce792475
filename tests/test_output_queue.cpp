#include <minihttp/detail/output_queue.hpp> // first: proves the header is self-contained

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using http::detail::flush_status;
using http::detail::io_result;
using http::detail::io_status;
using http::detail::notice;
using http::detail::output_queue;

/// Records every call; accepts up to `room` bytes in all (then would_block).
struct recorder {
    std::string written;
    std::vector<std::size_t> iov_counts; // buffers per gathered write
    std::vector<bool> more_hints;
    std::size_t room = SIZE_MAX;
    int file_calls = 0;
    std::vector<std::uint64_t> bulk_hints; // what prepare_bulk was told

    io_result read(std::span<char>) { return {0, io_status::would_block}; }
    io_result write(std::span<const iovec> out, bool more) {
        iov_counts.push_back(out.size());
        more_hints.push_back(more);
        std::size_t n = 0;
        for (const iovec& v : out) {
            const std::size_t take = std::min(v.iov_len, room);
            written.append(static_cast<const char*>(v.iov_base), take);
            room -= take;
            n += take;
        }
        return n == 0 && room == 0 ? io_result{0, io_status::would_block}
                                   : io_result{n, io_status::ok};
    }
    io_result send_file(int fd, std::uint64_t off, std::size_t len) {
        ++file_calls;
        std::string b(std::min(len, room), '\0');
        if (b.empty()) return {0, io_status::would_block};
        const ssize_t n = ::pread(fd, b.data(), b.size(), static_cast<off_t>(off));
        if (n <= 0) return {0, n == 0 ? io_status::eof : io_status::error};
        written.append(b.data(), static_cast<std::size_t>(n));
        room -= static_cast<std::size_t>(n);
        return {static_cast<std::size_t>(n), io_status::ok};
    }
    void prepare_bulk(std::uint64_t bytes) { bulk_hints.push_back(bytes); }
    void shutdown_write() {}
    void close(bool) {}
};

struct hooks {
    std::vector<std::string> told;
    std::vector<std::string> logged;
    void delivered(notice& n, std::uint64_t bytes, bool complete) {
        told.push_back(n.access + " " + std::to_string(bytes) + (complete ? " ok" : " cut"));
    }
    void log(std::string_view m) { logged.emplace_back(m); }
};

notice named(std::string name, std::uint64_t size = 0, bool streamed = false) {
    notice n;
    n.access = std::move(name);
    n.body_size = size;
    n.streamed = streamed;
    return n;
}

int temp_file(const std::string& content) {
    char path[] = "/tmp/minihttp-oq-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::unlink(path);
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    return fd;
}

} // namespace

TEST_SUITE("output queue") {
    TEST_CASE("output queue: consecutive bytes, bodies and notices leave in one write") {
        output_queue q;
        recorder t;
        hooks h;
        q.append("HEAD1\r\n\r\n");
        q.append("body1"); // joins the previous bytes segment
        q.push_notice(named("one", 5));
        q.push_owned(std::string(20000, 'o'));
        q.push_notice(named("two", 20000));
        bool progressed = false;
        CHECK(q.flush(t, h, progressed) == flush_status::done);
        CHECK(progressed);
        CHECK(t.iov_counts == std::vector<std::size_t>{2}); // one write, two buffers
        CHECK(t.written == "HEAD1\r\n\r\nbody1" + std::string(20000, 'o'));
        CHECK(h.told == std::vector<std::string>{"one 5 ok", "two 20000 ok"});
        CHECK(q.empty());
    }

    TEST_CASE("output queue: a partial write resumes exactly where it stopped") {
        output_queue q;
        recorder t;
        hooks h;
        auto entity = std::make_shared<http::detail::shared_entity>();
        entity->body = std::string(30000, 's');
        q.append("H\r\n\r\n");
        q.push_shared(entity->body, entity);
        q.push_notice(named("shared", 30000));
        t.room = 1000;
        bool progressed = false;
        CHECK(q.flush(t, h, progressed) == flush_status::blocked);
        CHECK(h.told.empty());
        CHECK(entity.use_count() == 2); // kept alive while unsent
        t.room = SIZE_MAX;
        CHECK(q.flush(t, h, progressed) == flush_status::done);
        CHECK(t.written == "H\r\n\r\n" + entity->body);
        CHECK(h.told == std::vector<std::string>{"shared 30000 ok"});
        CHECK(entity.use_count() == 1); // released once written
    }

    TEST_CASE("output queue: batching stops at a file, a stream, a large body or the limits") {
        output_queue q;
        CHECK(q.accepts_more());
        q.append("small");
        CHECK(q.accepts_more());
        q.push_owned(std::string(20000, 'x'));
        CHECK_FALSE(q.accepts_more());
        q.clear();
        q.append(std::string(output_queue::batch_bytes_limit, 'b'));
        CHECK_FALSE(q.accepts_more());
        q.clear();
        for (std::size_t i = 0; i < output_queue::max_batch_segments; ++i) {
            q.append("x");
            q.push_notice(notice{});
        }
        CHECK_FALSE(q.accepts_more());
        q.clear();
        q.push_stream([](char*, std::size_t) -> std::ptrdiff_t { return 0; }, true);
        CHECK_FALSE(q.accepts_more());
    }

    TEST_CASE("output queue: a file goes out in quanta, its head hinting that more follows") {
        const std::string content(output_queue::file_quantum * 2 + 100, 'f');
        const int fd = temp_file(content);
        output_queue q;
        recorder t;
        hooks h;
        q.append("HEAD\r\n\r\n");
        q.push_file(http::detail::unique_fd(fd), 0, content.size());
        q.push_notice(named("file", content.size()));
        bool progressed = false;
        CHECK(q.flush(t, h, progressed) == flush_status::yielded);
        CHECK(t.more_hints == std::vector<bool>{true}); // MSG_MORE for the head
        CHECK(t.written.size() == 8 + output_queue::file_quantum);
        REQUIRE_FALSE(t.bulk_hints.empty()); // the transport learns the whole body's size first
        CHECK(t.bulk_hints.front() == content.size());
        CHECK(q.flush(t, h, progressed) == flush_status::yielded);
        CHECK(q.flush(t, h, progressed) == flush_status::done);
        CHECK(t.written == "HEAD\r\n\r\n" + content);
        CHECK(h.told == std::vector<std::string>{"file " + std::to_string(content.size()) + " ok"});
    }

    TEST_CASE("output queue: a file that shrank is an error, not a padded body") {
        const int fd = temp_file("short");
        output_queue q;
        recorder t;
        hooks h;
        q.push_file(http::detail::unique_fd(fd), 0, 100);
        bool progressed = false;
        CHECK(q.flush(t, h, progressed) == flush_status::error);
        CHECK(t.written == "short");
    }

    TEST_CASE("output queue: streams are framed in place; a failing source is an error") {
        SUBCASE("chunked") {
            output_queue q;
            recorder t;
            hooks h;
            int n = 0;
            q.push_stream(
                [&n](char* buf, std::size_t cap) -> std::ptrdiff_t {
                    CHECK(cap == output_queue::stream_chunk);
                    if (n == 2) return 0;
                    const std::size_t len = n++ == 0 ? 3 : 300;
                    std::memset(buf, 'a', len);
                    return static_cast<std::ptrdiff_t>(len);
                },
                true);
            q.push_notice(named("stream", 0, true));
            bool progressed = false;
            CHECK(q.flush(t, h, progressed) == flush_status::done);
            CHECK(t.written == "3\r\naaa\r\n12c\r\n" + std::string(300, 'a') + "\r\n0\r\n\r\n");
            CHECK(h.told == std::vector<std::string>{"stream 303 ok"}); // content bytes
        }
        SUBCASE("close-delimited") {
            output_queue q;
            recorder t;
            hooks h;
            bool once = false;
            q.push_stream(
                [&once](char* buf, std::size_t) -> std::ptrdiff_t {
                    if (std::exchange(once, true)) return 0;
                    buf[0] = 'z';
                    return 1;
                },
                false);
            bool progressed = false;
            CHECK(q.flush(t, h, progressed) == flush_status::done);
            CHECK(t.written == "z");
        }
        SUBCASE("a source that throws, or claims more than it was given") {
            for (int mode = 0; mode < 2; ++mode) {
                output_queue q;
                recorder t;
                hooks h;
                q.push_stream(
                    [mode](char*, std::size_t cap) -> std::ptrdiff_t {
                        if (mode == 0) throw std::runtime_error("gone");
                        return static_cast<std::ptrdiff_t>(cap + 1);
                    },
                    true);
                bool progressed = false;
                CHECK(q.flush(t, h, progressed) == flush_status::error);
                CHECK(h.logged.size() == (mode == 0 ? 1u : 0u));
            }
        }
    }

    TEST_CASE("output queue: abandoning reports the responses cut short, with their progress") {
        output_queue q;
        recorder t;
        hooks h;
        q.append("H1\r\n\r\n");
        q.push_owned(std::string(50000, 'x'));
        q.push_notice(named("first", 50000));
        q.append("H2\r\n\r\nbody");
        q.push_notice(named("second", 4));
        t.room = 6 + 1000;
        bool progressed = false;
        CHECK(q.flush(t, h, progressed) == flush_status::blocked);
        q.abandon(h);
        CHECK(h.told == std::vector<std::string>{"first 1000 cut", "second 0 cut"});
        CHECK(q.empty());
    }
}
