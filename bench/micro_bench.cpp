// Micro-benchmarks of the request parser, the response serialiser, the chunked decoder, path
// resolution, JSON validation and the Date formatter (STYLE.md §3.14). How to build, run and read
// them: bench/README.md.
//
// Catch2 v2.13 as Debian 12 ships it, which needs CATCH_CONFIG_ENABLE_BENCHMARKING. Setup stays
// outside each BENCHMARK and every benchmark returns a value, which Catch feeds to an optimiser
// barrier, so the measured work cannot be discarded.

#define CATCH_CONFIG_MAIN
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>

#include <minihttp/chunked.hpp>
#include <minihttp/detail/http_date.hpp>
#include <minihttp/detail/path.hpp>
#include <minihttp/json.hpp>
#include <minihttp/parser.hpp>
#include <minihttp/response.hpp>
#include <minihttp/serializer.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace {

// A Chrome 124 request for an image: 10 field lines, 700 bytes. It is close in size and shape to
// the 703-byte, 9-field request of picohttpparser's bench.c, so the figures can be set side by
// side.
constexpr std::string_view browser_get =
    "GET /assets/img/hero-banner-1920x1080.webp?v=3f9c2a17 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36\r\n"
    "Accept: image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Referer: https://www.example.com/blog/2024/05/notes-on-parsing-http-requests-quickly\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Accept-Language: en-GB,en-US;q=0.9,en;q=0.8\r\n"
    "Cookie: _ga=GA1.1.1790123456.1714567890; "
    "session_id=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\r\n"
    "\r\n";

constexpr std::string_view minimal_get = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

constexpr std::size_t pipeline_depth = 16;
constexpr std::size_t chunked_total = 64 * 1024;
constexpr std::size_t chunked_chunk = 4 * 1024;
constexpr std::size_t derived_iterations = 2'000'000;
constexpr std::size_t derived_rounds = 20;

// A fixed instant (2024-05-01T12:51:30Z), so the serialised head has the same size on every run.
constexpr std::time_t fixed_time = 1714567890;

std::size_t field_count(std::string_view raw) {
    http::request req;
    const auto r = http::parse_request(raw, req);
    return r.state == http::parse_status::complete ? req.headers().size() : 0;
}

std::string browser_get_name() {
    return "parser: browser GET (" + std::to_string(field_count(browser_get)) + " headers, " +
           std::to_string(browser_get.size()) + " bytes)";
}

std::string repeated(std::string_view s, std::size_t n) {
    std::string out;
    out.reserve(s.size() * n);
    for (std::size_t i = 0; i < n; ++i) out.append(s);
    return out;
}

// `total` bytes of content framed as chunks of `chunk` bytes, then the last chunk and an empty
// trailer section (RFC 9112 §7.1).
std::string chunked_body(std::size_t total, std::size_t chunk) {
    std::string out;
    out.reserve(total + (total / chunk + 1) * 16);
    char hex[16];
    for (std::size_t done = 0; done < total; done += chunk) {
        const std::size_t n = std::min(chunk, total - done);
        const auto r = std::to_chars(hex, hex + sizeof hex, n, 16);
        out.append(hex, static_cast<std::size_t>(r.ptr - hex)).append("\r\n");
        for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>('a' + (done + i) % 26));
        out.append("\r\n");
    }
    out.append(http::last_chunk);
    return out;
}

// Parses `raw` `rounds * per_round` times and reports the time per request and the throughput,
// the two figures parsers are usually compared by (pico's bench.c is a plain loop like this one).
// Both the mean over all iterations and the fastest round are kept: on a shared machine the mean
// absorbs whatever else runs, and the fastest round is the better estimate of the parser's cost.
struct parse_rate {
    bool all_complete = true;
    std::size_t consumed = 0;
    double mean_ns = 0;
    double best_ns = 0;
};

parse_rate measure_parse(std::string_view raw, std::size_t rounds, std::size_t per_round) {
    using clock = std::chrono::steady_clock;
    // The request is reused, as a connection reuses its own: its constructor reserves the field
    // vector, which is an allocation the engine does not pay per request.
    http::request req;
    // Read through a volatile pointer on every iteration, so the compiler cannot prove the input
    // loop-invariant and hoist the parse out of the loop.
    const char* volatile data = raw.data();
    parse_rate rate;
    for (std::size_t i = 0; i < per_round / 10; ++i) // warm caches and branch predictors
        rate.consumed += http::parse_request({data, raw.size()}, req).consumed;
    rate.consumed = 0;
    double total_ns = 0;
    for (std::size_t round = 0; round < rounds; ++round) {
        const auto start = clock::now();
        for (std::size_t i = 0; i < per_round; ++i) {
            const auto r = http::parse_request({data, raw.size()}, req);
            rate.all_complete &= r.state == http::parse_status::complete;
            rate.consumed += r.consumed;
        }
        const double ns = std::chrono::duration<double, std::nano>(clock::now() - start).count();
        const double per_request = ns / static_cast<double>(per_round);
        total_ns += ns;
        if (round == 0 || per_request < rate.best_ns) rate.best_ns = per_request;
    }
    rate.mean_ns = total_ns / static_cast<double>(rounds * per_round);
    return rate;
}

} // namespace

TEST_CASE("parser", "[bench]") {
    // Heap copies: a real request sits in a heap buffer whose contents the compiler cannot see,
    // whereas parse_request is inline and could be specialised for a constexpr literal.
    const std::string browser(browser_get), minimal(minimal_get);
    const std::string pipelined = repeated(minimal_get, pipeline_depth);
    http::request req;
    REQUIRE(http::parse_request(browser, req).consumed == browser.size());
    REQUIRE(http::parse_request(minimal, req).consumed == minimal.size());

    BENCHMARK(browser_get_name()) { return http::parse_request(browser, req).consumed; };

    BENCHMARK("parser: minimal GET") { return http::parse_request(minimal, req).consumed; };

    BENCHMARK("parser: 16 pipelined minimal GETs") {
        std::string_view in = pipelined;
        std::size_t parsed = 0;
        while (!in.empty()) {
            const auto r = http::parse_request(in, req);
            if (r.state != http::parse_status::complete) break;
            in.remove_prefix(r.consumed);
            ++parsed;
        }
        return parsed;
    };

    std::string_view in = pipelined;
    std::size_t parsed = 0;
    for (auto r = http::parse_request(in, req); r.state == http::parse_status::complete;
         r = http::parse_request(in, req)) {
        in.remove_prefix(r.consumed);
        ++parsed;
    }
    CHECK(parsed == pipeline_depth);
}

TEST_CASE("serializer", "[bench]") {
    const http::response res = http::response::text("Hello, World!");
    char date[http::detail::http_date_size];
    http::detail::format_http_date(fixed_time, date);
    http::head_context ctx;
    ctx.date = std::string_view(date, sizeof date);
    std::string out;
    out.reserve(256);

    BENCHMARK("serializer: 200 text response head") {
        out.clear();
        const auto head = http::serialize_head(out, res, ctx);
        return out.size() + static_cast<std::size_t>(head.framing);
    };

    CHECK(out == "HTTP/1.1 200 OK\r\n"
                 "Date: Wed, 01 May 2024 12:51:30 GMT\r\n"
                 "Content-Length: 13\r\n"
                 "Content-Type: text/plain; charset=utf-8\r\n"
                 "\r\n");
}

TEST_CASE("chunked_decoder", "[bench]") {
    const std::string in = chunked_body(chunked_total, chunked_chunk);
    std::vector<char> out(in.size());

    BENCHMARK("chunked_decoder: 64 KiB in 4 KiB chunks") {
        http::chunked_decoder dec;
        return dec.decode(in, out.data()).produced;
    };

    http::chunked_decoder dec;
    const auto r = dec.decode(in, out.data());
    CHECK(r.state == http::parse_status::complete);
    CHECK(r.consumed == in.size());
    CHECK(r.produced == chunked_total);
}

TEST_CASE("path resolution", "[bench]") {
    // What static_files does to every request target before it opens anything: percent-decode
    // once, refuse traversal, NUL and backslashes, then look for hidden segments.
    const std::string plain = "/assets/img/hero-banner-1920x1080.webp";
    const std::string encoded = "/docs/r%C3%A9sum%C3%A9%20final/2024%20report.html";
    std::string out;
    out.reserve(256);

    BENCHMARK("path: decode + check, 38-byte plain path") {
        const auto r = http::detail::decode_request_path(plain, out);
        return r.ok && !http::detail::has_hidden_segment(out);
    };
    BENCHMARK("path: decode + check, 49-byte percent-encoded path") {
        const auto r = http::detail::decode_request_path(encoded, out);
        return r.ok && !http::detail::has_hidden_segment(out);
    };

    CHECK(http::detail::decode_request_path(encoded, out).ok);
    CHECK(out == "docs/r\xC3\xA9sum\xC3\xA9 final/2024 report.html");
    CHECK_FALSE(http::detail::decode_request_path("/a/%2e%2e/etc/passwd", out).ok);
}

TEST_CASE("json validation", "[bench]") {
    // A 1 KiB upload of the shape the example server stores, and a 64 KiB array of them.
    std::string one = R"({"id": 12345, "name": "sensor-7", "tags": ["a", "b", "c"], )"
                      R"("ok": true, "note": "caf\u00e9 \"quoted\"", "values": [)";
    for (int i = 0; one.size() < 1000; ++i) one += std::to_string(i * 1.25) + ", ";
    one += "0]}";
    std::string many = "[";
    while (many.size() < 64 * 1024) many += one + ",";
    many.back() = ']';

    BENCHMARK("json: validate 1 KiB object") { return http::validate_json(one).offset; };
    BENCHMARK("json: validate 64 KiB array") { return http::validate_json(many).offset; };

    CHECK_FALSE(http::validate_json(one));
    CHECK_FALSE(http::validate_json(many));
    CHECK(http::validate_json(one + ","));
}

TEST_CASE("http_date", "[bench]") {
    std::time_t t = fixed_time;
    char buf[http::detail::http_date_size];

    // A new second on every call, as when the per-worker date_cache refreshes.
    BENCHMARK("http_date: format") {
        http::detail::format_http_date(++t, buf);
        return buf[24];
    };

    http::detail::format_http_date(fixed_time, buf);
    CHECK(std::string_view(buf, sizeof buf) == "Wed, 01 May 2024 12:51:30 GMT");
}

TEST_CASE("parser: derived ns/request and GB/s", "[bench][derived]") {
    struct named_input {
        std::string name;
        std::string raw; // a heap copy, as in the BENCHMARKs above
    };
    const named_input inputs[] = {{browser_get_name(), std::string(browser_get)},
                                  {"parser: minimal GET", std::string(minimal_get)}};
    constexpr std::size_t per_round = derived_iterations / derived_rounds;
    std::printf("\nDerived parser figures: %zu parses each in %zu rounds, timed with "
                "std::chrono::steady_clock;\nGB/s = request bytes / (ns per request).\n",
                derived_iterations, derived_rounds);
    std::printf("  %-45s  %-19s    %s\n", "", "mean", "fastest round");
    for (const auto& input : inputs) {
        const parse_rate rate = measure_parse(input.raw, derived_rounds, per_round);
        const auto bytes = static_cast<double>(input.raw.size());
        std::printf("  %-45s %6.1f ns %5.2f GB/s   %6.1f ns %5.2f GB/s\n", input.name.c_str(),
                    rate.mean_ns, bytes / rate.mean_ns, rate.best_ns, bytes / rate.best_ns);
        CHECK(rate.all_complete);
        CHECK(rate.consumed == derived_rounds * per_round * input.raw.size());
    }
    std::fflush(stdout);
}
