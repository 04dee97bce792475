#pragma once
/// @file
/// How files are presented: `http::mime_type` (the built-in table `static_files` starts
/// from), `http::compressible_extension` (what is worth compressing), and
/// `http::attachment_disposition` (a download's file name).

#include <minihttp/detail/chars.hpp>
#include <minihttp/version.hpp>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN

/// One row of the built-in table: an extension (lower case, no dot), its Content-Type, and
/// whether its content compresses (text and text-like formats; images, fonts, audio, video and
/// archives are compressed already).
struct mime_entry {
    std::string_view extension;
    std::string_view type;
    bool compressible = false;
};

/// The built-in table. Text types carry `charset=utf-8`, since a browser would otherwise guess.
inline constexpr mime_entry mime_table[] = {
    {"html", "text/html; charset=utf-8", true},
    {"htm", "text/html; charset=utf-8", true},
    {"css", "text/css; charset=utf-8", true},
    {"js", "text/javascript; charset=utf-8", true},
    {"mjs", "text/javascript; charset=utf-8", true},
    {"json", "application/json", true},
    {"txt", "text/plain; charset=utf-8", true},
    {"md", "text/markdown; charset=utf-8", true},
    {"csv", "text/csv; charset=utf-8", true},
    {"xml", "application/xml", true},
    {"svg", "image/svg+xml", true},
    {"wasm", "application/wasm", true},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/vnd.microsoft.icon"},
    {"pdf", "application/pdf"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
};

namespace detail {
/// The index of `extension`'s row in `mime_table`, or the table's size if it has none. (An
/// index, not a pointer: g++'s -fsanitize=undefined cannot constant-evaluate a comparison of
/// a pointer into the table with nullptr.)
[[nodiscard]] constexpr std::size_t mime_index(std::string_view extension) noexcept {
    std::size_t i = 0;
    while (i < std::size(mime_table) && !iequals(mime_table[i].extension, extension)) ++i;
    return i;
}
} // namespace detail

/// The Content-Type of files with `extension` (no dot, any case): "text/html; charset=utf-8"
/// for "html"; "" if the table does not know it (`static_files` then sends
/// application/octet-stream). The view is of static storage.
[[nodiscard]] constexpr std::string_view mime_type(std::string_view extension) noexcept {
    const std::size_t i = detail::mime_index(extension);
    return i < std::size(mime_table) ? mime_table[i].type : std::string_view{};
}

/// True if files with `extension` (no dot, any case) are worth compressing: text and
/// text-like formats of the table. False for everything else, unknown extensions included.
[[nodiscard]] constexpr bool compressible_extension(std::string_view extension) noexcept {
    const std::size_t i = detail::mime_index(extension);
    return i < std::size(mime_table) && mime_table[i].compressible;
}

/// A `Content-Disposition` value that makes a browser save the content as `name` rather than
/// render it (RFC 6266 §4.3), whatever bytes the name holds: a quoted ASCII fallback, plus
/// `filename*` (RFC 8187) when the name is not plain ASCII.
inline std::string attachment_disposition(std::string_view name) {
    std::string ascii;
    bool plain = true;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
            ascii.push_back(c);
        } else {
            ascii.push_back('_');
            plain = false;
        }
    }
    std::string v = "attachment; filename=\"" + ascii + "\"";
    if (!plain) {
        static constexpr char hex[] = "0123456789ABCDEF";
        v += "; filename*=UTF-8''";
        for (char c : name) {
            const auto u = static_cast<unsigned char>(c);
            if (detail::is_tchar(c) && c != '%' && c != '\'' && c != '*') {
                v.push_back(c);
            } else {
                v.push_back('%');
                v.push_back(hex[u >> 4]);
                v.push_back(hex[u & 15]);
            }
        }
    }
    return v;
}

namespace detail {
/// Case-insensitive (ASCII) ordering, transparent: the order of extension-keyed tables, so
/// that a lookup needs no lower-cased copy of the extension.
struct iless {
    using is_transparent = void;
    [[nodiscard]] constexpr bool operator()(std::string_view a, std::string_view b) const noexcept {
        return std::lexicographical_compare(
            a.begin(), a.end(), b.begin(), b.end(),
            [](char x, char y) { return ascii_lower(x) < ascii_lower(y); });
    }
};
} // namespace detail

MINIHTTP_NAMESPACE_END
