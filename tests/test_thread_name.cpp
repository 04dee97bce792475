// http::current_thread_name / set_current_thread_name: a name per thread, for log lines. The
// names the engine and http::blocking give their threads are checked in test_blocking.cpp.
#include <minihttp/thread_name.hpp>

#include <doctest/doctest.h>

#include <string>
#include <thread>

TEST_SUITE_BEGIN("thread name");

TEST_CASE("thread name: a new thread has none; a name set is read back, and renaming works") {
    std::string before, after, renamed;
    std::thread t([&] {
        before = std::string(http::current_thread_name());
        http::set_current_thread_name("Thread-3");
        after = std::string(http::current_thread_name());
        http::set_current_thread_name("Pool-12");
        renamed = std::string(http::current_thread_name());
    });
    t.join();
    CHECK(before.empty());
    CHECK(after == "Thread-3");
    CHECK(renamed == "Pool-12");
}

TEST_CASE("thread name: each thread has its own") {
    std::string first_sees, second_sees;
    std::thread first([&] {
        http::set_current_thread_name("first");
        std::thread second([&] {
            http::set_current_thread_name("second");
            second_sees = std::string(http::current_thread_name());
        });
        second.join();
        first_sees = std::string(http::current_thread_name()); // not overwritten by `second`
    });
    first.join();
    CHECK(first_sees == "first");
    CHECK(second_sees == "second");
    CHECK(http::current_thread_name() != "first"); // nor is this thread's
    CHECK(http::current_thread_name() != "second");
}

TEST_SUITE_END();
