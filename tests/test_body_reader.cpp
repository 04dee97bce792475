#include <minihttp/detail/body_reader.hpp> // first: proves the header is self-contained

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace {

http::request parsed(std::string_view head) {
    http::request r;
    REQUIRE(http::parse_request(head, r).state == http::parse_status::complete);
    return r;
}

} // namespace

TEST_SUITE("body reader") {
    TEST_CASE("body reader: no content is complete at once") {
        const http::request r = parsed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        auto b = http::detail::body_reader::for_request(r, {});
        CHECK_FALSE(b.has_content());
        char buf[4] = {};
        const auto s = b.read(buf, 4); // pipelined bytes after the head are not content
        CHECK(s.state == http::parse_status::complete);
        CHECK(s.content == 0);
        CHECK(s.framed == 0);
        CHECK(b.max_bytes() == 0);
    }

    TEST_CASE("body reader: Content-Length waits for exactly that many bytes") {
        const http::request r = parsed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
        auto b = http::detail::body_reader::for_request(r, {});
        CHECK(b.has_content());
        std::string buf = "hel";
        CHECK(b.read(buf.data(), buf.size()).state == http::parse_status::need_more);
        CHECK(b.received(buf.size()) == 3);
        buf += "loGET";
        const auto s = b.read(buf.data(), buf.size());
        CHECK(s.state == http::parse_status::complete);
        CHECK(s.content == 5);
        CHECK(s.framed == 5); // the next request starts right after
        CHECK(b.received(buf.size()) == 5);
        CHECK(b.max_bytes() == 5);
    }

    TEST_CASE("body reader: chunked content is decoded in place, and the gap reclaimed") {
        const http::request r =
            parsed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        http::chunked_decoder::limits lim;
        lim.max_body = 100;
        auto b = http::detail::body_reader::for_request(r, lim);
        CHECK(b.max_bytes() >= 100);
        std::string buf = "4\r\nwiki\r\n5\r\npe";
        CHECK(b.read(buf.data(), buf.size()).state == http::parse_status::need_more);
        CHECK(b.received(buf.size()) == 6); // "wiki" + "pe"
        // Decoded bytes sit at the start; reclaiming closes the gap behind them.
        const std::size_t used = b.reclaim(buf.data(), buf.size());
        CHECK(used == 6);
        CHECK(buf.substr(0, used) == "wikipe");
        buf.resize(used);
        buf += "dia\r\n0\r\n\r\nNEXT";
        const auto s = b.read(buf.data(), buf.size());
        CHECK(s.state == http::parse_status::complete);
        CHECK(buf.substr(0, s.content) == "wikipedia");
        CHECK(buf.substr(s.framed) == "NEXT");
    }

    TEST_CASE("body reader: chunked content over the limit is 413 with its code") {
        const http::request r =
            parsed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        http::chunked_decoder::limits lim;
        lim.max_body = 3;
        auto b = http::detail::body_reader::for_request(r, lim);
        std::string buf = "4\r\nwiki\r\n";
        const auto s = b.read(buf.data(), buf.size());
        CHECK(s.state == http::parse_status::error);
        CHECK(http::status_of(s.code) == http::status::content_too_large);
    }

    TEST_CASE("body reader: an unfinished trailer line is parsed again only once a line ends") {
        const http::request r =
            parsed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        auto b = http::detail::body_reader::for_request(r, {});
        std::string buf = "0\r\nX";
        CHECK(b.read(buf.data(), buf.size()).state == http::parse_status::need_more);
        buf += " T: v"; // a space inside the name: wrong, but the line has not ended yet
        CHECK(b.read(buf.data(), buf.size()).state == http::parse_status::need_more);
        buf += "\r\n\r\n";
        const auto s = b.read(buf.data(), buf.size());
        CHECK(s.state == http::parse_status::error);
        CHECK(s.code == http::errc::invalid_trailer_field);
    }

    TEST_CASE("body reader: trailers sent a byte at a time are read") {
        const http::request r =
            parsed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        auto b = http::detail::body_reader::for_request(r, {});
        const std::string input = "3\r\nabc\r\n0\r\nX-One: 1\r\nX-Two: 2\r\n\r\n";
        std::string buf;
        http::detail::body_step s;
        for (char c : input) {
            buf.push_back(c);
            s = b.read(buf.data(), buf.size());
            if (s.state != http::parse_status::need_more) break;
            buf.resize(b.reclaim(buf.data(), buf.size()));
        }
        CHECK(s.state == http::parse_status::complete);
        CHECK(buf.substr(0, s.content) == "abc");
        CHECK(s.framed == buf.size());
    }
}
