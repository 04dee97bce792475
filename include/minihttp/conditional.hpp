#pragma once
/// @file
/// Validators, conditional requests, ranges and content-coding negotiation (RFC 9110 §5.6.7,
/// §8.8, §12.5.3, §13, §14): strict, noexcept parsers of the request fields a file server
/// needs (If-None-Match, If-Match, If-Modified-Since, If-Range, Range, Accept-Encoding), and
/// formatters of the matching response fields (ETag, Content-Range).
///
/// Every parser is a pure function of its arguments (only the one-argument `parse_http_date`
/// reads the clock, and only for a two-digit year): no I/O, no allocation, no locale, no TZ.
/// Inputs are field values as `request` stores them, i.e. without leading or trailing OWS
/// (RFC 9110 §5.5); views in results point into the input and live as long as it does.
/// All functions are safe to call concurrently.

#include <minihttp/detail/chars.hpp>
#include <minihttp/version.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <ctime>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN

// ---------------------------------------------------------------------------------------------
// HTTP-date (RFC 9110 §5.6.7)
// ---------------------------------------------------------------------------------------------

namespace detail {

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil):
/// timegm() would do, but it is a non-standard extension and mktime() depends on TZ.
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m,
                                                     unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);                // [0, 399]
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; // [0, 365]
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           // [0, 146096]
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// The Gregorian year of day `z` since 1970-01-01 (Hinnant's civil_from_days, year only).
[[nodiscard]] constexpr std::int64_t year_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153; // March-based month, [0, 11]
    return static_cast<std::int64_t>(yoe) + era * 400 + (mp >= 10 ? 1 : 0);
}

[[nodiscard]] constexpr bool is_leap_year(std::int64_t y) noexcept {
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

[[nodiscard]] constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    constexpr unsigned char days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29u : days[m - 1];
}

/// The value of exactly `n` DIGITs at `s[pos]`, or -1. The caller has checked the length.
[[nodiscard]] constexpr int fixed_digits(std::string_view s, std::size_t pos,
                                         std::size_t n) noexcept {
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (!is_digit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/// Month 1–12 of the three-letter `month` at `s[pos]` (case-sensitive, §5.6.7), or 0.
[[nodiscard]] constexpr unsigned month_at(std::string_view s, std::size_t pos) noexcept {
    constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const auto name = s.substr(pos, 3);
    for (unsigned m = 0; m < 12; ++m)
        if (months.substr(m * 3, 3) == name) return m + 1;
    return 0;
}

/// True if `name` is a `day-name` ("Mon") or, with `long_form`, a `day-name-l` ("Monday").
[[nodiscard]] constexpr bool is_day_name(std::string_view name, bool long_form) noexcept {
    constexpr std::string_view names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday"};
    for (auto n : names)
        if (long_form ? name == n : name == n.substr(0, 3)) return true;
    return false;
}

/// Parses `time-of-day = hour ":" minute ":" second` at `s[pos]` (8 bytes, checked by the
/// caller) into seconds since midnight, or -1. Second 60 is a leap second (§5.6.7 via
/// RFC 5322 §3.3); it is counted as such, i.e. 23:59:60 is the next day's 00:00:00, since
/// time_t has no leap seconds.
[[nodiscard]] constexpr std::int64_t time_of_day_at(std::string_view s, std::size_t pos) noexcept {
    if (s[pos + 2] != ':' || s[pos + 5] != ':') return -1;
    const int h = fixed_digits(s, pos, 2);
    const int m = fixed_digits(s, pos + 3, 2);
    const int sec = fixed_digits(s, pos + 6, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return -1;
    return std::int64_t{h} * 3600 + m * 60 + sec;
}

/// Combines checked fields into a time_t, or nullopt if the day does not exist in that month
/// or the instant does not fit in time_t (only possible where time_t has 32 bits).
[[nodiscard]] constexpr std::optional<std::time_t>
make_time(std::int64_t year, unsigned month, int day, std::int64_t seconds) noexcept {
    if (month == 0 || day < 1 || static_cast<unsigned>(day) > days_in_month(year, month))
        return std::nullopt;
    const std::int64_t t =
        days_from_civil(year, month, static_cast<unsigned>(day)) * 86400 + seconds;
    // Where time_t has 32 bits, an instant outside its range does not survive the conversion.
    if (static_cast<std::int64_t>(static_cast<std::time_t>(t)) != t) return std::nullopt;
    return static_cast<std::time_t>(t);
}

/// The core of `parse_http_date`; `now` is consulted only for an rfc850-date, and read from
/// the clock when null.
[[nodiscard]] inline std::optional<std::time_t> parse_http_date(std::string_view s,
                                                                const std::time_t* now) noexcept {
    if (s.size() < 4) return std::nullopt;
    if (s[3] == ',') {
        // IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT
        //               "Sun, 06 Nov 1994 08:49:37 GMT" (fixed length 29)
        if (s.size() != 29 || !is_day_name(s.substr(0, 3), false) || s[4] != ' ' || s[7] != ' ' ||
            s[11] != ' ' || s[16] != ' ' || s[25] != ' ' || s.substr(26) != "GMT")
            return std::nullopt;
        const int day = fixed_digits(s, 5, 2);
        const int year = fixed_digits(s, 12, 4);
        const auto tod = time_of_day_at(s, 17);
        if (day < 0 || year < 0 || tod < 0) return std::nullopt;
        return make_time(year, month_at(s, 8), day, tod);
    }
    if (s[3] == ' ') {
        // asctime-date = day-name SP date3 SP time-of-day SP year
        //                "Sun Nov  6 08:49:37 1994" (fixed length 24);
        // date3 = month SP ( 2DIGIT / ( SP DIGIT ) )
        if (s.size() != 24 || !is_day_name(s.substr(0, 3), false) || s[7] != ' ' || s[10] != ' ' ||
            s[19] != ' ')
            return std::nullopt;
        const int day = s[8] == ' ' ? fixed_digits(s, 9, 1) : fixed_digits(s, 8, 2);
        const int year = fixed_digits(s, 20, 4);
        const auto tod = time_of_day_at(s, 11);
        if (day < 0 || year < 0 || tod < 0) return std::nullopt;
        return make_time(year, month_at(s, 4), day, tod);
    }
    // rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT
    //               "Sunday, 06-Nov-94 08:49:37 GMT"; date2 = day "-" month "-" 2DIGIT
    const auto comma = s.find(',');
    if (comma == std::string_view::npos || !is_day_name(s.substr(0, comma), true))
        return std::nullopt;
    const auto r = s.substr(comma); // ", 06-Nov-94 08:49:37 GMT" (24 bytes)
    if (r.size() != 24 || r[1] != ' ' || r[4] != '-' || r[8] != '-' || r[11] != ' ' ||
        r[20] != ' ' || r.substr(21) != "GMT")
        return std::nullopt;
    const int day = fixed_digits(r, 2, 2);
    const int yy = fixed_digits(r, 9, 2);
    const auto tod = time_of_day_at(r, 12);
    if (day < 0 || yy < 0 || tod < 0) return std::nullopt;
    // §5.6.7: a two-digit year that "appears to be more than 50 years in the future" is "the
    // most recent year in the past that had the same last two digits". It appears to be in the
    // current century; if that is more than 50 years after the current year, it is a century
    // earlier. (A year that appears to be in the past stays there.)
    const std::time_t clock = now != nullptr ? *now : std::time(nullptr);
    const auto days = static_cast<std::int64_t>(clock) / 86400 -
                      (static_cast<std::int64_t>(clock) % 86400 < 0 ? 1 : 0);
    const std::int64_t current = year_from_days(days);
    const std::int64_t century = current - ((current % 100) + 100) % 100;
    std::int64_t year = century + yy;
    if (year > current + 50) year -= 100;
    return make_time(year, month_at(r, 5), day, tod);
}

} // namespace detail

/// Parses an HTTP-date in any of the three formats a recipient must accept (RFC 9110 §5.6.7):
/// IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", rfc850-date "Sunday, 06-Nov-94 08:49:37 GMT"
/// and asctime-date "Sun Nov  6 08:49:37 1994". Strict: case-sensitive names, "GMT", exact
/// field widths, no extra whitespace, real calendar dates; anything else is nullopt (which
/// for If-Modified-Since means "ignore the field", §13.1.3). The day name must be a valid
/// one but is not checked against the date: it is redundant, and a mismatch says nothing the
/// date does not. Second 60 (leap second) is accepted and folds into the next minute.
/// An rfc850-date's two-digit year is read in the century of `now` (UTC), or the one before if
/// that year would be more than 50 years after the year of `now` (§5.6.7; compared by year).
/// With `now` in 2024: "94" is 1994, "74" is 2074, "75" is 1975.
[[nodiscard]] inline std::optional<std::time_t> parse_http_date(std::string_view value,
                                                                std::time_t now) noexcept {
    return detail::parse_http_date(value, &now);
}

/// As above, with `now` read from the system clock, and only for an rfc850-date.
[[nodiscard]] inline std::optional<std::time_t> parse_http_date(std::string_view value) noexcept {
    return detail::parse_http_date(value, nullptr);
}

// ---------------------------------------------------------------------------------------------
// Entity tags (RFC 9110 §8.8.3) and If-Match / If-None-Match (§13.1.1, §13.1.2)
// ---------------------------------------------------------------------------------------------

/// An entity tag. `opaque` is the opaque-tag *including* its DQUOTEs (`"abc"`), exactly as
/// in the grammar and the field value, so that it can be compared with and written back as
/// is. It views the parsed input.
struct entity_tag {
    bool weak = false;       ///< had the case-sensitive "W/" prefix
    std::string_view opaque; ///< DQUOTE *etagc DQUOTE
};

namespace detail {

/// etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3): visible ASCII except DQUOTE, or
/// bytes >= 0x80. No SP, no HTAB, no controls.
[[nodiscard]] constexpr bool is_etagc(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u == 0x21 || (u >= 0x23 && u <= 0x7e) || u >= 0x80;
}

/// Scans one `entity-tag` at `s[pos]`; on success stores it and moves `pos` past it.
[[nodiscard]] constexpr bool scan_entity_tag(std::string_view s, std::size_t& pos,
                                             entity_tag& out) noexcept {
    std::size_t i = pos;
    bool weak = false;
    if (s.substr(i, 2) == "W/") { // weak = %s"W/": case-sensitive
        weak = true;
        i += 2;
    }
    if (i >= s.size() || s[i] != '"') return false;
    const std::size_t open = i++;
    while (i < s.size() && is_etagc(s[i])) ++i;
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    out = entity_tag{weak, s.substr(open, i - open)};
    pos = i;
    return true;
}

} // namespace detail

/// Parses a single entity-tag (an ETag field value, or the current tag of a resource);
/// nullopt unless the whole of `value` is one.
[[nodiscard]] constexpr std::optional<entity_tag>
parse_entity_tag(std::string_view value) noexcept {
    std::size_t pos = 0;
    entity_tag tag;
    if (!detail::scan_entity_tag(value, pos, tag) || pos != value.size()) return std::nullopt;
    return tag;
}

/// Strong comparison (RFC 9110 §8.8.3.2): neither is weak and the opaque-tags are identical.
[[nodiscard]] constexpr bool strong_match(const entity_tag& a, const entity_tag& b) noexcept {
    return !a.weak && !b.weak && a.opaque == b.opaque;
}

/// Weak comparison (RFC 9110 §8.8.3.2): the opaque-tags are identical, weak or not.
[[nodiscard]] constexpr bool weak_match(const entity_tag& a, const entity_tag& b) noexcept {
    return a.opaque == b.opaque;
}

/// What an If-Match / If-None-Match value (`"*" / #entity-tag`) is.
enum class etag_list_result : std::uint8_t {
    malformed, ///< not the grammar: neither "*" nor a list of entity-tags
    any,       ///< "*"
    list,      ///< a (possibly empty) list of entity-tags
};

/// Classifies an If-Match / If-None-Match `field_value` and, only if it is a well-formed list,
/// calls `f(entity_tag)` for each element in order; `f` is never called for "*" or a malformed
/// value, so callers may act on matches before looking at the result. Empty list elements and
/// OWS around commas are skipped (§5.6.1). The value is scanned tag by tag, not split at
/// commas: etagc includes ',' (`"a,b"` is one tag). Combine repeated field lines with ", ".
template <class F>
constexpr etag_list_result for_each_entity_tag(std::string_view field_value, F&& f) {
    if (detail::trim_ows(field_value) == "*") return etag_list_result::any;
    // Two passes, so that `f` sees nothing of a value that turns out to be malformed.
    for (int pass = 0; pass < 2; ++pass) {
        std::size_t i = 0;
        const std::size_t n = field_value.size();
        while (true) {
            while (i < n && (detail::is_ows(field_value[i]) || field_value[i] == ',')) ++i;
            if (i == n) break;
            entity_tag tag;
            if (!detail::scan_entity_tag(field_value, i, tag)) return etag_list_result::malformed;
            while (i < n && detail::is_ows(field_value[i])) ++i;
            if (i < n && field_value[i] != ',') return etag_list_result::malformed;
            if (pass == 1) f(tag);
        }
    }
    return etag_list_result::list;
}

/// True if an If-None-Match `field_value` matches the selected representation, whose ETag is
/// `current_etag` (empty if it has none), with the weak comparison §13.1.2 requires; "*"
/// matches, so call this only for an existing resource. A match means 304 for GET/HEAD (412
/// otherwise). A malformed value never matches: garbage must not produce a 304 (the request
/// proceeds as if the field were absent); callers handling unsafe methods that prefer to fail
/// closed can classify the value with `for_each_entity_tag`.
[[nodiscard]] constexpr bool if_none_match_matches(std::string_view field_value,
                                                   std::string_view current_etag) noexcept {
    const auto current = parse_entity_tag(current_etag);
    bool matched = false;
    const auto r = for_each_entity_tag(field_value, [&](const entity_tag& t) {
        if (current && weak_match(t, *current)) matched = true;
    });
    return r == etag_list_result::any || (r == etag_list_result::list && matched);
}

/// True if an If-Match `field_value` matches the selected representation's ETag
/// `current_etag` (empty if none) with the strong comparison §13.1.1 requires: a weak tag, on
/// either side, never matches; "*" matches (call this only for an existing resource). No
/// match means 412. A malformed value never matches, so it fails safe with 412 rather than
/// letting a request whose precondition could not be read succeed.
[[nodiscard]] constexpr bool if_match_matches(std::string_view field_value,
                                              std::string_view current_etag) noexcept {
    const auto current = parse_entity_tag(current_etag);
    bool matched = false;
    const auto r = for_each_entity_tag(field_value, [&](const entity_tag& t) {
        if (current && strong_match(t, *current)) matched = true;
    });
    return r == etag_list_result::any || (r == etag_list_result::list && matched);
}

/// A strong ETag derived from file metadata, without reading the file (as nginx and Apache
/// do): `"<inode>-<size>-<mtime sec>.<mtime nsec>"`, each in lower-case hex (negative values
/// as their 64-bit two's complement). It changes whenever a write changes the size or mtime;
/// a rewrite with the same size within one mtime tick would go unnoticed (§8.8.1 accepts
/// such metadata-based validators as strong in practice). Allocates the returned string.
[[nodiscard]] inline std::string make_etag(std::uint64_t inode, std::uint64_t size,
                                           std::int64_t mtime_sec, long mtime_nsec) {
    char buf[4 * 16 + 5];
    char* p = buf;
    // Each number gets exactly its 16 digits of room, so no write can pass the buffer (and
    // gcc -O3 can prove it: with a shared end pointer it warns of an overflow that cannot be).
    const auto hex = [&p](std::uint64_t v) { p = std::to_chars(p, p + 16, v, 16).ptr; };
    *p++ = '"';
    hex(inode);
    *p++ = '-';
    hex(size);
    *p++ = '-';
    hex(static_cast<std::uint64_t>(mtime_sec));
    *p++ = '.';
    hex(static_cast<std::uint64_t>(mtime_nsec));
    *p++ = '"';
    return std::string(buf, static_cast<std::size_t>(p - buf));
}

// ---------------------------------------------------------------------------------------------
// Range requests (RFC 9110 §14) and If-Range (§13.1.5)
// ---------------------------------------------------------------------------------------------

/// A satisfiable byte range: offsets of its first and last bytes, both inclusive.
struct byte_range {
    std::uint64_t first = 0;
    std::uint64_t last = 0;

    /// Number of bytes in the range (never 0).
    [[nodiscard]] constexpr std::uint64_t length() const noexcept { return last - first + 1; }
    friend constexpr bool operator==(const byte_range&, const byte_range&) = default;
};

/// What to answer a Range field with.
enum class range_result : std::uint8_t {
    ignore,        ///< no Range, another unit, malformed or abusive: 200 with everything
    satisfiable,   ///< one range (after coalescing): 206 with Content-Range
    unsatisfiable, ///< no range overlaps the representation: 416, "Content-Range: bytes */N"
    multiple,      ///< several disjoint ranges: 200 with everything (§14.2 allows it; we
                   ///< do not produce multipart/byteranges)
};

/// More range-specs than this and the Range field is ignored (RFC 9110 §14.2, §17.15: many
/// small or overlapping ranges are a denial-of-service pattern).
inline constexpr std::size_t max_range_specs = 100;

/// Evaluates a Range `field_value` (RFC 9110 §14.1–§14.2) against a representation of `size`
/// bytes; pass "" when there is no Range field. Writes `out` only on `satisfiable`.
/// - Only the "bytes" unit (case-insensitive) is understood; others are ignored (§14.1.1).
/// - `bytes=` is followed directly by `1#range-spec`; OWS is allowed around commas only and
///   empty elements are skipped (§5.6.1). Any invalid spec (`5-4`, `abc`, `1 - 2`, a number
///   over 64 bits) makes the whole field invalid, hence ignored (§14.2).
/// - `a-b` and `a-` are satisfiable if a < size (b is clamped to size - 1); `-n` is the last
///   n bytes (all of them if n >= size) and is satisfiable if n > 0 (§14.1.2).
/// - Satisfiable ranges are sorted and coalesced when they overlap or touch; one result is
///   `satisfiable`, several are `multiple`, none is `unsatisfiable`.
/// - A zero-length representation has nothing to send in a 206: int-ranges are unsatisfiable,
///   but a suffix-range with n > 0 counts as satisfiable (§14.1.2) and means "all of it", so
///   the answer is `ignore` (200 with the empty representation), not 416.
[[nodiscard]] inline range_result parse_range(std::string_view field_value, std::uint64_t size,
                                              byte_range& out) noexcept {
    const auto eq = field_value.find('=');
    if (eq == std::string_view::npos || !detail::iequals(field_value.substr(0, eq), "bytes"))
        return range_result::ignore;
    const auto set = field_value.substr(eq + 1);
    // ranges-specifier = range-unit "=" range-set: no OWS after "=". (", 0-1" is fine: an
    // empty element may lead the list, and OWS may follow its comma.)
    if (set.empty() || detail::is_ows(set.front())) return range_result::ignore;

    std::array<byte_range, max_range_specs> ranges{};
    std::size_t count = 0, specs = 0;
    bool malformed = false, empty_but_suffix = false;
    const auto fail = [&malformed] {
        malformed = true;
        return false; // stops the scan
    };
    detail::for_each_list_element(set, [&](std::string_view spec) {
        if (++specs > max_range_specs) return fail();
        const auto dash = spec.find('-');
        if (dash == std::string_view::npos) return fail();
        const auto a = spec.substr(0, dash), b = spec.substr(dash + 1);
        std::uint64_t first = 0, last = 0;
        if (a.empty()) {
            // suffix-range = "-" suffix-length
            if (!detail::parse_u64(b, last)) return fail();
            if (last == 0) return true; // unsatisfiable
            if (size == 0) {
                empty_but_suffix = true;
                return true;
            }
            ranges[count++] = {size - std::min(last, size), size - 1};
            return true;
        }
        // int-range = first-pos "-" [ last-pos ]
        if (!detail::parse_u64(a, first)) return fail();
        if (b.empty()) {
            last = std::numeric_limits<std::uint64_t>::max();
        } else if (!detail::parse_u64(b, last) || last < first) {
            return fail(); // §14.1.2: last-pos < first-pos is invalid
        }
        if (first >= size) return true; // unsatisfiable
        ranges[count++] = {first, std::min(last, size - 1)};
        return true;
    });
    if (malformed || specs == 0) return range_result::ignore;
    if (empty_but_suffix) return range_result::ignore;
    if (count == 0) return range_result::unsatisfiable;

    std::sort(ranges.begin(), ranges.begin() + static_cast<std::ptrdiff_t>(count),
              [](const byte_range& x, const byte_range& y) { return x.first < y.first; });
    std::size_t merged = 0; // ranges[0..merged] are disjoint and not adjacent
    for (std::size_t i = 1; i < count; ++i) {
        auto& cur = ranges[merged];
        // Adjacent when next.first == cur.last + 1; cur.last < size <= UINT64_MAX, no overflow.
        if (ranges[i].first <= cur.last + 1) {
            cur.last = std::max(cur.last, ranges[i].last);
        } else {
            ranges[++merged] = ranges[i];
        }
    }
    if (merged > 0) return range_result::multiple;
    out = ranges[0];
    return range_result::satisfiable;
}

/// True if an If-Range value lets the Range field apply (RFC 9110 §13.1.5); false means
/// ignore Range and send 200 with the whole representation. An entity-tag (starts with
/// DQUOTE or "W/") must strongly match `current_etag`: a weak tag on either side never
/// does. Otherwise the value must be an HTTP-date exactly equal to `last_modified` (we do
/// not check that the date is strong, i.e. at least a second older than the Date sent).
/// A malformed value is false: the safe answer is the full representation.
[[nodiscard]] inline bool if_range_matches(std::string_view if_range_value,
                                           std::string_view current_etag,
                                           std::time_t last_modified) noexcept {
    // §13.1.5: a DQUOTE or "W/" at the start tells an entity-tag from an HTTP-date.
    if (if_range_value.starts_with('"') || if_range_value.starts_with("W/")) {
        const auto tag = parse_entity_tag(if_range_value);
        const auto current = parse_entity_tag(current_etag);
        return tag && current && strong_match(*tag, *current);
    }
    const auto date = parse_http_date(if_range_value);
    return date && *date == last_modified;
}

/// Appends a Content-Range value for a 206: "bytes <first>-<last>/<size>" (§14.4).
inline void append_content_range(std::string& out, std::uint64_t first, std::uint64_t last,
                                 std::uint64_t size) {
    char buf[3 * 20 + 8] = "bytes ";
    char* p = buf + 6;
    // Each number gets its own 20 digits of room (see make_etag).
    const auto dec = [&p](std::uint64_t v) { p = std::to_chars(p, p + 20, v).ptr; };
    dec(first);
    *p++ = '-';
    dec(last);
    *p++ = '/';
    dec(size);
    out.append(buf, static_cast<std::size_t>(p - buf));
}

/// Appends the Content-Range value of a 416: "bytes */<size>" (§14.4, §15.5.17).
inline void append_unsatisfied_content_range(std::string& out, std::uint64_t size) {
    char buf[20 + 8] = "bytes */";
    char* p = buf + 8;
    p = std::to_chars(p, p + 20, size).ptr;
    out.append(buf, static_cast<std::size_t>(p - buf));
}

// ---------------------------------------------------------------------------------------------
// Accept-Encoding (RFC 9110 §12.5.3, §12.4.2)
// ---------------------------------------------------------------------------------------------

namespace detail {

/// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 9110 §12.4.2), in
/// thousandths (0–1000), or -1. Integers keep comparisons exact.
[[nodiscard]] constexpr int parse_qvalue(std::string_view s) noexcept {
    if (s.empty() || (s[0] != '0' && s[0] != '1')) return -1;
    const bool one = s[0] == '1';
    if (s.size() == 1) return one ? 1000 : 0;
    if (s[1] != '.' || s.size() > 5) return -1;
    int v = 0, scale = 100;
    for (std::size_t i = 2; i < s.size(); ++i, scale /= 10) {
        if (!is_digit(s[i]) || (one && s[i] != '0')) return -1;
        v += (s[i] - '0') * scale;
    }
    return one ? 1000 : v;
}

/// "x-gzip" and "x-compress" are "gzip" and "compress" (RFC 9110 §8.4.1.1, §8.4.1.3).
[[nodiscard]] constexpr std::string_view canonical_coding(std::string_view c) noexcept {
    if (iequals(c, "x-gzip")) return "gzip";
    if (iequals(c, "x-compress")) return "compress";
    return c;
}

/// Scans `#( codings [ weight ] )`, calling `f(coding, q_thousandths)` per element. Besides
/// "q", parameters (`token "=" ( token / quoted-string )`) are tolerated and ignored; a
/// repeated "q" or a bad qvalue is malformed. Returns false if the value is malformed (`f`
/// may have been called for earlier elements).
template <class F>
constexpr bool for_each_coding(std::string_view v, F&& f) noexcept {
    const std::size_t n = v.size();
    std::size_t i = 0;
    const auto skip_ows = [&] {
        while (i < n && is_ows(v[i])) ++i;
    };
    const auto token = [&] {
        const std::size_t start = i;
        while (i < n && is_tchar(v[i])) ++i;
        return v.substr(start, i - start);
    };
    while (true) {
        while (i < n && (is_ows(v[i]) || v[i] == ',')) ++i;
        if (i == n) return true;
        const auto coding = token();
        if (coding.empty()) return false;
        int q = 1000;
        bool q_seen = false;
        while (true) {
            skip_ows();
            if (i == n || v[i] != ';') break;
            ++i;
            skip_ows();
            const auto name = token();
            if (name.empty() || i == n || v[i] != '=') return false;
            ++i;
            if (iequals(name, "q")) {
                q = parse_qvalue(token());
                if (q < 0 || q_seen) return false;
                q_seen = true;
            } else if (i < n && v[i] == '"') {
                // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (§5.6.4)
                for (++i; i < n && v[i] != '"'; ++i) {
                    if (v[i] == '\\') ++i;
                    if (i < n && !is(v[i], cc_field_vchar)) return false;
                }
                if (i >= n) return false;
                ++i;
            } else if (token().empty()) {
                return false;
            }
        }
        if (i < n && v[i] != ',') return false;
        f(coding, q);
    }
}

/// The weight in thousandths that `header` states for `coding`, by its own entry or else by
/// "*"; -1 if neither applies or the header is malformed.
[[nodiscard]] constexpr int stated_quality(std::string_view header,
                                           std::string_view coding) noexcept {
    coding = canonical_coding(coding);
    int exact = -1, star = -1;
    const bool ok = for_each_coding(header, [&](std::string_view c, int q) {
        // A coding listed twice takes its lowest weight: exclusion wins.
        if (iequals(canonical_coding(c), coding))
            exact = exact < 0 ? q : std::min(exact, q);
        else if (c == "*")
            star = star < 0 ? q : std::min(star, q);
    });
    if (!ok) return -1;
    return exact >= 0 ? exact : star;
}

/// The weight of `coding` in thousandths; see `accept_encoding_quality`.
[[nodiscard]] constexpr int coding_quality(std::string_view header,
                                           std::string_view coding) noexcept {
    const int q = stated_quality(header, coding);
    if (q >= 0) return q;
    return iequals(coding, "identity") ? 1000 : 0;
}

} // namespace detail

/// The weight (0–1) an Accept-Encoding `value` gives `coding` (RFC 9110 §12.5.3): its own
/// entry, else the "*" entry, else 0, except that "identity" defaults to 1 (it is acceptable
/// unless "identity;q=0" or "*;q=0" excludes it). Codings compare case-insensitively, with
/// "x-gzip" = "gzip". Pass "" when the field is absent: the RFC then lets the server pick any
/// coding, and identity is the safe pick. A malformed value (bad qvalue, stray characters)
/// is treated the same way: only identity is acceptable.
[[nodiscard]] constexpr double accept_encoding_quality(std::string_view value,
                                                       std::string_view coding) noexcept {
    return detail::coding_quality(value, coding) / 1000.0;
}

/// The coding to send, from `available` (content codings in server preference order, e.g.
/// {"br", "gzip"}): the acceptable one of highest weight, ties going to the earlier one; ""
/// for identity. Identity beats it only with a *stated* weight ("identity;q=…" or "*;q=…")
/// strictly higher; unlisted, identity is acceptable (§12.5.3) but only as the fallback, so
/// "gzip;q=0.5" selects gzip. The result views an element of `available`. "" also when
/// nothing is acceptable, or the header is empty, absent or malformed: send identity then
/// (if `accept_encoding_quality(v, "identity") == 0` as well, identity or 406, §12.5.3).
[[nodiscard]] constexpr std::string_view
select_coding(std::string_view accept_encoding,
              std::initializer_list<std::string_view> available) noexcept {
    std::string_view best;
    int best_q = 0;
    for (auto c : available) {
        const int q = detail::coding_quality(accept_encoding, c);
        if (q > best_q) {
            best = c;
            best_q = q;
        }
    }
    if (best_q == 0 || detail::stated_quality(accept_encoding, "identity") > best_q) return {};
    return best;
}

MINIHTTP_NAMESPACE_END
