#pragma once
/// @file
/// `http::cookies`: the name/value pairs of a request's Cookie header (RFC 6265 §4.2, §5.4).

#include <minihttp/detail/chars.hpp>
#include <minihttp/request.hpp>
#include <minihttp/version.hpp>

#include <string_view>
#include <utility>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN

/// One cookie sent by the client.
struct cookie {
    std::string_view name;
    std::string_view value; ///< without surrounding double quotes
};

/// Parses `cookie-string = cookie-pair *( ";" SP cookie-pair )` (RFC 6265 §4.2.1) leniently,
/// as servers must: pairs are split on ';', whitespace around them is dropped, a pair without
/// '=' or with an empty name is skipped, a value in double quotes loses them. Several Cookie
/// fields (which HTTP/2 intermediaries produce) are read in order. Duplicates are kept, in order
/// (RFC 6265 §5.4 orders them by path length and age; the first is the most specific).
/// Lifetime: the views point into the request, valid until the handler returns.
[[nodiscard]] inline std::vector<cookie> cookies(const request& r) {
    std::vector<cookie> out;
    for (const header_field& f : r.headers()) {
        if (!detail::iequals(f.name, "cookie")) continue;
        std::string_view rest = f.value;
        while (!rest.empty()) {
            const auto semi = rest.find(';');
            const std::string_view pair = detail::trim_ows(rest.substr(0, semi));
            rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos) continue;
            const std::string_view name = detail::trim_ows(pair.substr(0, eq));
            std::string_view value = detail::trim_ows(pair.substr(eq + 1));
            if (name.empty()) continue;
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            out.push_back({name, value});
        }
    }
    return out;
}

MINIHTTP_NAMESPACE_END
