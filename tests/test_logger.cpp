// http::logger: its line format, ordering under load and dropping are tested in
// test_policies.cpp; here what its destructor, its SIGPIPE handling and its limit promise.
#include <minihttp/policies/logger.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <string>
#include <string_view>
#include <thread>

namespace {

// A pipe whose read end is drained by a thread into `out` until EOF.
struct captured_pipe {
    int fds[2] = {-1, -1};
    std::string out;
    std::thread reader;
    captured_pipe() {
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        reader = std::thread([this] {
            char buf[65536];
            ssize_t n;
            while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
                out.append(buf, static_cast<std::size_t>(n));
        });
    }
    int write_end() const { return fds[1]; }
    /// Closes the write end and returns everything read.
    std::string finish() {
        ::close(fds[1]);
        fds[1] = -1;
        reader.join();
        return out;
    }
    ~captured_pipe() {
        if (fds[1] >= 0) ::close(fds[1]);
        if (reader.joinable()) reader.join();
        ::close(fds[0]);
    }
    captured_pipe(const captured_pipe&) = delete;
    captured_pipe& operator=(const captured_pipe&) = delete;
};

std::string local_stamp(std::time_t t) {
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "[%Y-%m-%d %H:%M:%S] ", &tm);
    return buf;
}

} // namespace

TEST_SUITE_BEGIN("logger");

TEST_CASE("logger: the destructor writes every pending line before it returns") {
    captured_pipe pipe;
    {
        http::logger log({.fd = pipe.write_end()});
        for (int i = 0; i < 1000; ++i) log.log("line " + std::to_string(i));
        // no flush(): the destructor alone must write them
    }
    const std::string out = pipe.finish();
    std::size_t pos = 0;
    for (int i = 0; i < 1000; ++i) {
        CAPTURE(i);
        const auto at = out.find("] line " + std::to_string(i) + "\n", pos);
        REQUIRE(at != std::string::npos);
        pos = at;
    }
}

TEST_CASE("logger: the timestamp is the local time of the call") {
    captured_pipe pipe;
    const std::time_t before = std::time(nullptr);
    {
        http::logger log({.fd = pipe.write_end()});
        log.log("now");
    }
    const std::time_t after = std::time(nullptr);
    const std::string out = pipe.finish();
    bool matched = false;
    for (std::time_t t = before; t <= after; ++t) matched |= out == local_stamp(t) + "now\n";
    CAPTURE(out);
    CHECK(matched);
}

TEST_CASE("logger: a closed output fails its writes instead of killing the process") {
    // In a child with SIGPIPE at its default disposition: a write to a pipe without a reader
    // kills the child unless the writer thread blocks SIGPIPE, as the logger promises. An
    // alarm turns a hang (flush() waiting on a write that never ends) into a failure too.
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::alarm(10);
        ::signal(SIGPIPE, SIG_DFL);
        int fds[2];
        if (::pipe(fds) != 0) ::_exit(2);
        ::close(fds[0]); // nobody will ever read
        {
            http::logger log({.fd = fds[1]});
            log.log("into the void");
            log.flush(); // returns once the failed write has been given up
            log.log("and again");
        }
        ::_exit(0);
    }
    int st = 0;
    REQUIRE(::waitpid(pid, &st, 0) == pid);
    CAPTURE(st);
    CHECK_FALSE(WIFSIGNALED(st)); // SIGPIPE (or SIGALRM) would show here
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("logger: a line longer than max_pending is dropped and counted, later ones pass") {
    captured_pipe pipe;
    std::uint64_t dropped = 0;
    {
        http::logger log({.fd = pipe.write_end(), .max_pending = 100});
        log.log(std::string(200, 'x'));
        log.log("short");
        log.flush();
        dropped = log.dropped();
    }
    const std::string out = pipe.finish();
    CHECK(dropped == 1);
    CHECK(out.find('x') == std::string::npos);
    CHECK(out.ends_with("] short\n"));
}

TEST_CASE("logger: sink() forwards to log()") {
    captured_pipe pipe;
    {
        http::logger log({.fd = pipe.write_end()});
        const auto sink = log.sink();
        sink("through the sink");
    }
    CHECK(pipe.finish().ends_with("] through the sink\n"));
}

TEST_CASE("logger: without the prefix, lines are written exactly as given") {
    captured_pipe pipe;
    {
        http::logger log({.fd = pipe.write_end(), .prefix = false});
        log.log(R"({"a":1})");
        log.log(R"({"b":2})");
    }
    CHECK(pipe.finish() == "{\"a\":1}\n{\"b\":2}\n");
}

TEST_SUITE_END();
