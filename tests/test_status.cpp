#include <minihttp/status.hpp>

#include <doctest/doctest.h>

#include <string_view>

TEST_SUITE_BEGIN("status");

TEST_CASE("status: reason phrases and content rules (RFC 9110 §15, §6.4.1)") {
    CHECK(http::reason_phrase(http::status::ok) == "OK");
    CHECK(http::reason_phrase(http::status::request_header_fields_too_large) ==
          "Request Header Fields Too Large");
    CHECK(http::reason_phrase(http::status::content_too_large) == "Content Too Large");
    CHECK(http::reason_phrase(static_cast<http::status>(599)) == "Unknown");
    CHECK(http::status_forbids_body(http::status::continue_));
    CHECK(http::status_forbids_body(http::status::no_content));
    CHECK(http::status_forbids_body(http::status::not_modified));
    CHECK_FALSE(http::status_forbids_body(http::status::ok));
    CHECK_FALSE(http::status_forbids_body(http::status::not_found));
}

TEST_CASE("status: every named status has its value and a registered reason phrase") {
    using s = http::status;
    struct row {
        s code;
        unsigned value;
        std::string_view reason;
    };
    // RFC 9110 §15 (422 and 413 by their RFC 9110 names, 429 from RFC 6585, 507 RFC 4918).
    constexpr row rows[] = {
        {s::continue_, 100, "Continue"},
        {s::switching_protocols, 101, "Switching Protocols"},
        {s::ok, 200, "OK"},
        {s::created, 201, "Created"},
        {s::accepted, 202, "Accepted"},
        {s::no_content, 204, "No Content"},
        {s::partial_content, 206, "Partial Content"},
        {s::moved_permanently, 301, "Moved Permanently"},
        {s::found, 302, "Found"},
        {s::see_other, 303, "See Other"},
        {s::not_modified, 304, "Not Modified"},
        {s::temporary_redirect, 307, "Temporary Redirect"},
        {s::permanent_redirect, 308, "Permanent Redirect"},
        {s::bad_request, 400, "Bad Request"},
        {s::unauthorized, 401, "Unauthorized"},
        {s::forbidden, 403, "Forbidden"},
        {s::not_found, 404, "Not Found"},
        {s::method_not_allowed, 405, "Method Not Allowed"},
        {s::not_acceptable, 406, "Not Acceptable"},
        {s::request_timeout, 408, "Request Timeout"},
        {s::conflict, 409, "Conflict"},
        {s::gone, 410, "Gone"},
        {s::length_required, 411, "Length Required"},
        {s::precondition_failed, 412, "Precondition Failed"},
        {s::content_too_large, 413, "Content Too Large"},
        {s::uri_too_long, 414, "URI Too Long"},
        {s::unsupported_media_type, 415, "Unsupported Media Type"},
        {s::range_not_satisfiable, 416, "Range Not Satisfiable"},
        {s::expectation_failed, 417, "Expectation Failed"},
        {s::misdirected_request, 421, "Misdirected Request"},
        {s::unprocessable_content, 422, "Unprocessable Content"},
        {s::upgrade_required, 426, "Upgrade Required"},
        {s::too_many_requests, 429, "Too Many Requests"},
        {s::request_header_fields_too_large, 431, "Request Header Fields Too Large"},
        {s::internal_server_error, 500, "Internal Server Error"},
        {s::not_implemented, 501, "Not Implemented"},
        {s::bad_gateway, 502, "Bad Gateway"},
        {s::service_unavailable, 503, "Service Unavailable"},
        {s::gateway_timeout, 504, "Gateway Timeout"},
        {s::http_version_not_supported, 505, "HTTP Version Not Supported"},
        {s::insufficient_storage, 507, "Insufficient Storage"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.value);
        CHECK(http::to_int(r.code) == r.value);
        CHECK(http::reason_phrase(r.code) == r.reason);
    }
}

TEST_CASE("status: only 1xx, 204 and 304 forbid content, over the whole range") {
    for (unsigned v = 100; v <= 999; ++v) {
        CAPTURE(v);
        const auto st = static_cast<http::status>(v);
        CHECK(http::status_forbids_body(st) == (v < 200 || v == 204 || v == 304));
        CHECK_FALSE(http::reason_phrase(st).empty()); // a phrase or "Unknown", never nothing
    }
}

TEST_CASE("status: usable in constant expressions") {
    static_assert(http::to_int(http::status::not_found) == 404);
    static_assert(http::reason_phrase(http::status::gone) == "Gone");
    static_assert(http::status_forbids_body(http::status::no_content));
    constexpr auto phrase = http::reason_phrase(http::status::ok);
    CHECK(phrase == "OK");
}

TEST_SUITE_END();
