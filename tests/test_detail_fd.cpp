// detail/fd.hpp: unique_fd owns exactly one descriptor; retry_eintr repeats only on EINTR.
#include <minihttp/detail/fd.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

#include <cerrno>
#include <ostream> // doctest prints an error_code through operator<<
#include <system_error>
#include <type_traits>
#include <utility>

using http::detail::unique_fd;

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

/// A fresh descriptor (a duplicate of /dev/null's) that the test owns.
int fresh_fd() {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    return fd;
}

} // namespace

static_assert(!std::is_copy_constructible_v<unique_fd>);
static_assert(!std::is_copy_assignable_v<unique_fd>);
static_assert(std::is_nothrow_move_constructible_v<unique_fd>);
static_assert(std::is_nothrow_move_assignable_v<unique_fd>);

TEST_SUITE_BEGIN("detail fd");

TEST_CASE("unique_fd: closes its descriptor when destroyed; empty is -1 and false") {
    const int raw = fresh_fd();
    {
        const unique_fd fd(raw);
        CHECK(fd);
        CHECK(fd.get() == raw);
        CHECK(is_open(raw));
    }
    CHECK_FALSE(is_open(raw));
    const unique_fd empty;
    CHECK_FALSE(empty);
    CHECK(empty.get() == -1);
}

TEST_CASE("unique_fd: release gives the descriptor up without closing it") {
    const int raw = fresh_fd();
    {
        unique_fd fd(raw);
        CHECK(fd.release() == raw);
        CHECK_FALSE(fd);
    }
    CHECK(is_open(raw));
    ::close(raw);
}

TEST_CASE("unique_fd: reset closes the old descriptor and owns the new one") {
    const int a = fresh_fd(), b = fresh_fd();
    {
        unique_fd fd(a);
        fd.reset(b);
        CHECK_FALSE(is_open(a));
        CHECK(fd.get() == b);
        fd.reset();
        CHECK_FALSE(is_open(b));
        CHECK_FALSE(fd);
    }
}

TEST_CASE("unique_fd: moves transfer ownership; move-assignment closes the target's own") {
    const int a = fresh_fd(), b = fresh_fd();
    unique_fd first(a);
    unique_fd second(std::move(first));
    CHECK_FALSE(first); // NOLINT(bugprone-use-after-move): the moved-from state is specified
    CHECK(second.get() == a);
    unique_fd third(b);
    third = std::move(second);
    CHECK_FALSE(is_open(b)); // third's previous descriptor
    CHECK(third.get() == a);
    CHECK(is_open(a));
    auto& alias = third; // self-move-assignment keeps the descriptor
    third = std::move(alias);
    CHECK(third.get() == a);
    CHECK(is_open(a));
}

TEST_CASE("retry_eintr: repeats while the call fails with EINTR, and only then") {
    int calls = 0;
    const auto interrupted_twice = [&calls] {
        ++calls;
        if (calls <= 2) {
            errno = EINTR;
            return -1;
        }
        return 7;
    };
    CHECK(http::detail::retry_eintr(interrupted_twice) == 7);
    CHECK(calls == 3);

    calls = 0;
    const auto fails = [&calls] {
        ++calls;
        errno = EAGAIN;
        return -1L;
    };
    CHECK(http::detail::retry_eintr(fails) == -1L);
    CHECK(calls == 1);
    CHECK(errno == EAGAIN); // errno tells why, as documented

    calls = 0;
    const auto succeeds = [&calls] {
        ++calls;
        errno = EINTR; // stale errno after a success must not cause a retry
        return 0;
    };
    CHECK(http::detail::retry_eintr(succeeds) == 0);
    CHECK(calls == 1);
}

TEST_CASE("last_error: errno as a system-category error_code") {
    errno = ENOENT;
    const std::error_code ec = http::detail::last_error();
    CHECK(ec.value() == ENOENT);
    CHECK(ec.category() == std::system_category());
    CHECK(ec == std::errc::no_such_file_or_directory);
}

TEST_CASE("reserve_descriptor_table: the table grows to the count (within the limit), and no "
          "open descriptor is touched") {
    rlimit rl{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &rl) == 0);
    const std::size_t limit = rl.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : rl.rlim_cur;
    const std::size_t want = std::min<std::size_t>(limit, 1 << 16);
    REQUIRE(want > 256);
    const auto [before, after] =
        test::descriptor_table_around([want] { http::detail::reserve_descriptor_table(0, want); });
    CHECK(before < want); // a fresh child's table: the test can tell growth
    CHECK(after >= want);

    // An application's descriptor where the duplicate would go: it stays what it was; the
    // duplicate is closed again, so the next descriptor is a low one.
    const int mine = ::fcntl(fresh_fd(), F_DUPFD_CLOEXEC, static_cast<int>(want / 2));
    REQUIRE(mine >= 0);
    unique_fd keep(mine);
    const int flags = ::fcntl(mine, F_GETFL);
    http::detail::reserve_descriptor_table(mine, want / 2 + 1);
    CHECK(::fcntl(mine, F_GETFL) == flags);
    const int next = fresh_fd();
    CHECK(static_cast<std::size_t>(next) < want / 2);
    ::close(next);
    // Beyond the limit nothing fails: the table stops at it.
    const auto [b2, a2] = test::descriptor_table_around(
        [] { http::detail::reserve_descriptor_table(0, std::size_t{1} << 40); });
    CHECK(a2 >= std::min<std::size_t>(limit, std::size_t{1} << 20));
    CHECK(a2 >= b2);
}

TEST_SUITE_END();
