// http::log_to: one message from parts, through a sink, in a buffer the thread reuses.
#include <minihttp/log.hpp>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using sink_fn = std::function<void(std::string_view)>;

/// A sink that keeps copies of what it receives.
struct recorder {
    std::vector<std::string> lines;
    sink_fn sink() {
        return [this](std::string_view m) { lines.emplace_back(m); };
    }
};

} // namespace

TEST_SUITE_BEGIN("log");

TEST_CASE("log_to: one call of the sink per message, the parts concatenated") {
    recorder r;
    const std::string owned = "photo.jpg";
    const char* c_string = "c-string";
    http::log_to(r.sink(), "file ", owned, ' ', c_string, " (", std::size_t{2453678}, " bytes)");
    http::log_to(r.sink()); // no parts: an empty message, still one call
    REQUIRE(r.lines.size() == 2);
    CHECK(r.lines[0] == "file photo.jpg c-string (2453678 bytes)");
    CHECK(r.lines[1].empty());
}

TEST_CASE("log_to: integers of every width print in decimal; char prints as a character") {
    recorder r;
    http::log_to(r.sink(), std::numeric_limits<std::int64_t>::min(), ' ',
                 std::numeric_limits<std::uint64_t>::max(), ' ', std::int16_t{-3}, ' ',
                 std::uint16_t{65535}, ' ', 0);
    http::log_to(r.sink(), static_cast<unsigned char>(200), ' ', static_cast<signed char>(-5), ' ',
                 'x');
    REQUIRE(r.lines.size() == 2);
    CHECK(r.lines[0] == "-9223372036854775808 18446744073709551615 -3 65535 0");
    CHECK(r.lines[1] == "200 -5 x"); // the byte-sized integer types are numbers, not text
}

TEST_CASE("log_to: the reused buffer starts empty for every message") {
    // The buffer is a thread_local of each log_to<Parts...>: the same part types share one.
    recorder r;
    http::log_to(r.sink(), std::string(1000, 'a'));
    http::log_to(r.sink(), std::string("b"));
    REQUIRE(r.lines.size() == 2);
    CHECK(r.lines[0].size() == 1000);
    CHECK(r.lines[1] == "b");
}

TEST_CASE("log_to: an empty sink is skipped, not called (calling it would throw)") {
    const sink_fn empty;
    CHECK_NOTHROW(http::log_to(empty, "never ", 1, ' ', std::string(100000, 'x')));
}

TEST_CASE("log_to: a sink that logs again does not clobber the message it is handling") {
    // Both calls have the same part types, so they would share one thread_local buffer if
    // log_to did not give the nested call a buffer of its own.
    std::vector<std::string> seen;
    sink_fn sink;
    sink = [&](std::string_view m) {
        if (m == "outer message") {
            http::log_to(sink, std::string("inner"));
            seen.emplace_back(m); // read after the nested call: must still be the outer text
        } else {
            seen.emplace_back(m);
        }
    };
    http::log_to(sink, std::string("outer message"));
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] == "inner");
    CHECK(seen[1] == "outer message");
    http::log_to(sink, std::string("after")); // the buffer is usable again afterwards
    REQUIRE(seen.size() == 3);
    CHECK(seen[2] == "after");
}

TEST_CASE("log_to: threads logging at once each get their own buffer") {
    std::mutex m;
    std::vector<std::string> lines;
    const sink_fn sink = [&](std::string_view msg) {
        std::this_thread::yield(); // widen the window in which a shared buffer would be rewritten
        std::lock_guard lock(m);
        lines.emplace_back(msg);
    };
    constexpr int threads = 4, per_thread = 500;
    std::vector<std::thread> writers;
    for (int t = 0; t < threads; ++t)
        writers.emplace_back([&sink, t] {
            for (int i = 0; i < per_thread; ++i)
                http::log_to(sink, "thread ", t, " line ", i, " end");
        });
    for (auto& w : writers) w.join();
    REQUIRE(lines.size() == threads * per_thread);
    int next[threads] = {};
    for (const auto& l : lines) {
        CAPTURE(l);
        REQUIRE(l.starts_with("thread "));
        const int t = l[7] - '0';
        REQUIRE((t >= 0 && t < threads));
        CHECK(l == "thread " + std::to_string(t) + " line " + std::to_string(next[t]) + " end");
        ++next[t];
    }
}

TEST_SUITE_END();

TEST_CASE("access_json: every field, in order, as one JSON object") {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(40000);
    in.sin_addr.s_addr = htonl(0x7f000001);
    const http::endpoint peer(in);
    http::access_entry e{"GET",
                         "/a?b=1",
                         1,
                         http::status::ok,
                         1234,
                         true,
                         peer,
                         "curl/7.88.1",
                         std::chrono::microseconds(2500)};
    // 2026-12-08 01:02:03.045 UTC
    const std::chrono::system_clock::time_point when{std::chrono::milliseconds(1796691723045)};
    CHECK(http::access_json(e, when) ==
          R"({"time":"2026-12-08T01:02:03.045Z","client":"127.0.0.1","method":"GET",)"
          R"("target":"/a?b=1","status":200,"bytes":1234,"duration_us":2500,)"
          R"("user_agent":"curl/7.88.1"})");
    e.user_agent = {};
    e.status = http::status::not_found;
    const std::string no_agent = http::access_json(e, when);
    CHECK(no_agent.find(R"("status":404,)") != std::string::npos);
    CHECK(no_agent.ends_with(R"("user_agent":null})"));
}

TEST_CASE("access_json: quotes, backslashes, controls and bytes that are not UTF-8 are escaped") {
    const http::endpoint peer;
    const std::string agent = std::string("a\"b\\c\td\x01"
                                          "e\x7f") +
                              "\xc3\xa9" +                                  // é stays
                              "\xff\xc3" + "\xe2\x82\xac" + "\xed\xa0\x80"; // € stays
    const http::access_entry e{"GET", "/", 1, http::status::ok, 0, false, peer, agent, {}};
    const std::string line = http::access_json(e, std::chrono::system_clock::time_point{});
    CHECK(line.starts_with(R"({"time":"1970-01-01T00:00:00.000Z",)"));
    CHECK(line.ends_with(R"("user_agent":"a\"b\\c\td\u0001e\u007f)"
                         "\xc3\xa9"
                         R"(\u00ff\u00c3)"
                         "\xe2\x82\xac"
                         R"(\u00ed\u00a0\u0080"})"));
}
