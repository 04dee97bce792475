#include <minihttp/error.hpp> // first: proves the header is self-contained

#include <doctest/doctest.h>

#include <ostream>
#include <set>
#include <string>
#include <system_error>

TEST_SUITE("error") {
    TEST_CASE("errc: each code converts to a std::error_code of the minihttp category") {
        const std::error_code ec = http::errc::bare_cr;
        CHECK(ec.category() == http::error_category());
        CHECK(std::string(ec.category().name()) == "minihttp");
        CHECK(ec.value() == static_cast<int>(http::errc::bare_cr));
        CHECK(ec.message() == "bare CR");
        CHECK(ec == http::errc::bare_cr);
        CHECK(ec != http::errc::bare_lf);
        CHECK_FALSE(std::error_code{}); // 0 is "no error", never a code
    }

    TEST_CASE("errc: every code has its own message and an error status") {
        std::set<std::string> messages;
        const auto last = static_cast<int>(http::errc::data_after_chunked_body);
        for (int v = 1; v <= last; ++v) {
            CAPTURE(v);
            const auto e = static_cast<http::errc>(v);
            const auto code = http::to_int(http::status_of(e));
            CHECK(code >= 400);
            CHECK(code < 600);
            CHECK_FALSE(http::message_of(e).empty());
            CHECK(http::message_of(e) != "unknown error");
            messages.insert(std::string(http::message_of(e)));
        }
        CHECK(messages.size() == static_cast<std::size_t>(last)); // no two rules share a message
    }

    TEST_CASE("errc: the status of a rule is the one DESIGN.md's input table gives") {
        using http::errc;
        using s = http::status;
        CHECK(http::status_of(errc::request_line_too_long) == s::uri_too_long);
        CHECK(http::status_of(errc::header_section_too_large) ==
              s::request_header_fields_too_large);
        CHECK(http::status_of(errc::unsupported_version) == s::http_version_not_supported);
        CHECK(http::status_of(errc::unsupported_transfer_coding) == s::not_implemented);
        CHECK(http::status_of(errc::body_too_large) == s::content_too_large);
        CHECK(http::status_of(errc::head_timeout) == s::request_timeout);
        CHECK(http::status_of(errc::unsupported_expectation) == s::expectation_failed);
        CHECK(http::status_of(errc::too_many_connections) == s::service_unavailable);
        CHECK(http::status_of(errc::obs_fold) == s::bad_request);
        CHECK(http::status_of(errc::trailer_section_too_large) ==
              s::request_header_fields_too_large);
        CHECK(http::status_of(errc::data_after_chunked_body) == s::bad_request);
    }

    TEST_CASE("errc: values are stable; new codes are appended, never renumbered") {
        // Logs and tests outside this repository may hold these numbers.
        CHECK(static_cast<int>(http::errc::bare_lf) == 1);
        CHECK(static_cast<int>(http::errc::invalid_trailer_field) == 35);
        CHECK(static_cast<int>(http::errc::handler_failed) == 44);
        CHECK(static_cast<int>(http::errc::data_after_chunked_body) == 45);
    }
}
