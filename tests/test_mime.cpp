#include <minihttp/mime.hpp>

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <string_view>

// The table is usable at compile time.
static_assert(http::mime_type("html") == "text/html; charset=utf-8");
static_assert(http::mime_type("nope").empty());
static_assert(http::compressible_extension("css"));
static_assert(!http::compressible_extension("png"));

TEST_SUITE_BEGIN("mime");

TEST_CASE("mime: types of known extensions, in any case; nothing for unknown ones") {
    struct row {
        std::string_view ext, type;
        bool compressible;
    };
    const row rows[] = {
        {"html", "text/html; charset=utf-8", true},
        {"HTML", "text/html; charset=utf-8", true},
        {"Js", "text/javascript; charset=utf-8", true},
        {"json", "application/json", true},
        {"svg", "image/svg+xml", true},
        {"wasm", "application/wasm", true},
        {"png", "image/png", false},
        {"JPEG", "image/jpeg", false},
        {"woff2", "font/woff2", false},
        {"gz", "application/gzip", false},
        {"", "", false},
        {"htmlx", "", false},
        {"htm ", "", false},
        {"exe", "", false},
    };
    for (const auto& r : rows) {
        CAPTURE(r.ext);
        CHECK(http::mime_type(r.ext) == r.type);
        CHECK(http::compressible_extension(r.ext) == r.compressible);
    }
}

TEST_CASE("mime: the table has one row per lower-case extension, text types with a charset") {
    std::set<std::string_view> seen;
    for (const auto& e : http::mime_table) {
        CAPTURE(e.extension);
        CHECK(seen.insert(e.extension).second);
        for (char c : e.extension) CHECK((c < 'A' || c > 'Z'));
        if (e.type.starts_with("text/")) CHECK(e.type.ends_with("; charset=utf-8"));
        CHECK(http::mime_type(e.extension) == e.type); // the first row of its extension
        CHECK(http::compressible_extension(e.extension) == e.compressible);
    }
}

TEST_CASE("mime: a download's Content-Disposition survives any file name (RFC 6266, 8187)") {
    struct row {
        std::string_view name, value;
    };
    const row rows[] = {
        {"report.pdf", "attachment; filename=\"report.pdf\""},
        {"50% it's*.txt", "attachment; filename=\"50% it's*.txt\""}, // plain ASCII: quoted only
        {"caf\xc3\xa9.txt", "attachment; filename=\"caf__.txt\"; filename*=UTF-8''caf%C3%A9.txt"},
        {"a\"b\\c.txt", "attachment; filename=\"a_b_c.txt\"; filename*=UTF-8''a%22b%5Cc.txt"},
        {"a b\x01%.txt", "attachment; filename=\"a b_%.txt\"; filename*=UTF-8''a%20b%01%25.txt"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.name);
        CHECK(http::attachment_disposition(r.name) == r.value);
    }
}

TEST_CASE("mime: iless orders case-insensitively, so a table finds any spelling") {
    const http::detail::iless less;
    CHECK(less("a", "B"));
    CHECK(less("A", "b"));
    CHECK_FALSE(less("HTML", "html"));
    CHECK_FALSE(less("html", "HTML"));
    CHECK(less("htm", "html"));
    CHECK(less("", "a"));
    std::map<std::string, int, http::detail::iless> m{{"Txt", 1}, {"png", 2}};
    CHECK(m.find(std::string_view("TXT"))->second == 1);
    CHECK(m.contains(std::string_view("PNG")));
    CHECK_FALSE(m.contains(std::string_view("pn")));
}

TEST_SUITE_END();
