#pragma once
// The request inspector's handler (the httpbin of minihttp), shared by the `inspector` binary
// and the conformance tests that drive it in-process.
//
//   GET|HEAD /echo    200 text/plain: the request's header fields, one per line, as received
//   GET /cookie       200 text/plain: the parsed Cookie pairs, one per line, name=value
//   POST any path     200: the request body echoed (Content-Type echoed too)
//   OPTIONS           204 with Allow
//   other GET|HEAD    200 "OK"
//   other methods     405 with Allow
#include <minihttp.hpp>

#include <string>

namespace inspector {

inline const http::method_set allowed{http::method::get, http::method::head, http::method::post,
                                      http::method::options};

inline http::response handle(const http::request& r) {
    switch (r.method()) {
    case http::method::get:
    case http::method::head: {
        if (r.path() == "/echo") {
            std::string out;
            for (const auto& f : r.headers())
                out.append(f.name).append(": ").append(f.value).append("\n");
            return http::response::text(std::move(out));
        }
        if (r.path() == "/cookie" && r.method() == http::method::get) {
            std::string out;
            for (const auto& c : http::cookies(r))
                out.append(c.name).append("=").append(c.value).append("\n");
            return http::response::text(std::move(out));
        }
        return http::response::text("OK\n");
    }
    case http::method::post: {
        http::response res(http::status::ok);
        const auto type = r.header("Content-Type");
        res.set_body(std::string(r.body()),
                     type ? *type : std::string_view("application/octet-stream"));
        return res;
    }
    case http::method::options: {
        http::response res(http::status::no_content);
        res.add_header("Allow", allowed.to_allow());
        return res;
    }
    default: {
        auto res =
            http::response::text("405 Method Not Allowed\n", http::status::method_not_allowed);
        res.add_header("Allow", allowed.to_allow());
        return res;
    }
    }
}

} // namespace inspector
