#pragma once
/// @file
/// IMF-fixdate formatting (RFC 9110 §5.6.7) for the Date field.

#include <minihttp/version.hpp>

#include <ctime>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Length of an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t http_date_size = 29;

/// Writes the IMF-fixdate of `t` to `out` (exactly `http_date_size` bytes, no terminator).
/// Formats by hand: strftime depends on the locale, and RFC 9110 requires English names.
inline void format_http_date(std::time_t t, char* out) noexcept {
    static constexpr char days[] = "SunMonTueWedThuFriSat";
    static constexpr char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    std::tm tm{};
    gmtime_r(&t, &tm);
    auto put2 = [](char* p, int v) {
        p[0] = static_cast<char>('0' + v / 10);
        p[1] = static_cast<char>('0' + v % 10);
    };
    const int year = tm.tm_year + 1900;
    char* p = out;
    p[0] = days[tm.tm_wday * 3];
    p[1] = days[tm.tm_wday * 3 + 1];
    p[2] = days[tm.tm_wday * 3 + 2];
    p[3] = ',';
    p[4] = ' ';
    put2(p + 5, tm.tm_mday);
    p[7] = ' ';
    p[8] = months[tm.tm_mon * 3];
    p[9] = months[tm.tm_mon * 3 + 1];
    p[10] = months[tm.tm_mon * 3 + 2];
    p[11] = ' ';
    put2(p + 12, year / 100 % 100);
    put2(p + 14, year % 100);
    p[16] = ' ';
    put2(p + 17, tm.tm_hour);
    p[19] = ':';
    put2(p + 20, tm.tm_min);
    p[22] = ':';
    put2(p + 23, tm.tm_sec);
    p[25] = ' ';
    p[26] = 'G';
    p[27] = 'M';
    p[28] = 'T';
}

/// A Date value cached per second: formatting once a second instead of once a response is one
/// of the per-request costs DESIGN.md's performance model removes. One per worker; not shared.
class date_cache {
  public:
    /// The IMF-fixdate for `now`; reformatted only when the second changes.
    std::string_view get(std::time_t now) noexcept {
        if (now != last_) {
            format_http_date(now, buf_);
            last_ = now;
        }
        return {buf_, http_date_size};
    }

  private:
    std::time_t last_ = -1;
    char buf_[http_date_size] = {};
};

} // namespace detail
MINIHTTP_NAMESPACE_END
