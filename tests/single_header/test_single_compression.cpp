// Built with only single_include/ on the include path, and zlib: the generated
// <minihttp/compression.hpp> must stand alone on top of the generated <minihttp.hpp>.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <minihttp/compression.hpp>

#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include <string>

#ifndef MINIHTTP_VERSION_STRING
#error "the compression header did not bring in the single header"
#endif

TEST_CASE("single header: static_files compresses with the generated compression header") {
    char dir[] = "/tmp/minihttp-single-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    const std::string root = dir, file = root + "/a.txt";
    std::string content;
    while (content.size() < 20000)
        content += "compress me, compress me, " + std::to_string(content.size());
    const int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    ::close(fd);

    http::response res(http::status::internal_server_error);
    {
        const http::static_files files({.root = root, .compress = http::gzip({.level = 9})});
        const std::string raw = "GET /a.txt HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n";
        http::request r;
        REQUIRE(http::parse_request(raw, r).state == http::parse_status::complete);
        auto answer = files(r);
        REQUIRE(answer);
        res = std::move(*answer);
    }
    CHECK(res.code() == http::status::ok);
    CHECK(res.header("Content-Encoding") == "gzip");
    REQUIRE(res.kind() == http::response::body_kind::stream);
    auto source = http::detail::response_access::take_stream(res);
    std::string gz;
    char buf[4096];
    for (std::ptrdiff_t n; (n = source(buf, sizeof buf)) > 0;)
        gz.append(buf, static_cast<std::size_t>(n));

    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
    std::string out(content.size() + 1, '\0');
    z.next_in = reinterpret_cast<Bytef*>(gz.data());
    z.avail_in = static_cast<uInt>(gz.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    CHECK(out == content);
    ::unlink(file.c_str());
    ::rmdir(dir);
}
