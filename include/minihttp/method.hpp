#pragma once
/// @file
/// Request methods (RFC 9110 §9) as an enum, for cheap comparisons in handlers.

#include <minihttp/version.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

MINIHTTP_NAMESPACE_BEGIN

/// The methods the library knows: those of RFC 9110 §9.3 plus PATCH (RFC 5789). Any other
/// syntactically valid method is `other`; the engine answers it with 501 before a handler runs
/// (RFC 9110 §9.1), so handlers only ever see known methods.
enum class method : std::uint8_t {
    get,
    head,
    post,
    put,
    delete_,
    connect,
    options,
    trace,
    patch,
    other
};

/// Maps a method token to the enum. Methods are case-sensitive (RFC 9110 §9.1): "get" is `other`.
[[nodiscard]] constexpr method to_method(std::string_view m) noexcept {
    switch (m.size()) {
    case 3:
        if (m == "GET") return method::get;
        if (m == "PUT") return method::put;
        break;
    case 4:
        if (m == "HEAD") return method::head;
        if (m == "POST") return method::post;
        break;
    case 5:
        if (m == "TRACE") return method::trace;
        if (m == "PATCH") return method::patch;
        break;
    case 6:
        if (m == "DELETE") return method::delete_;
        break;
    case 7:
        if (m == "CONNECT") return method::connect;
        if (m == "OPTIONS") return method::options;
        break;
    default: break;
    }
    return method::other;
}

/// The canonical token of a known method; "" for `other`. Points to static storage.
[[nodiscard]] constexpr std::string_view to_string(method m) noexcept {
    switch (m) {
    case method::get: return "GET";
    case method::head: return "HEAD";
    case method::post: return "POST";
    case method::put: return "PUT";
    case method::delete_: return "DELETE";
    case method::connect: return "CONNECT";
    case method::options: return "OPTIONS";
    case method::trace: return "TRACE";
    case method::patch: return "PATCH";
    case method::other: break;
    }
    return {};
}

/// A set of known methods, e.g. for `Allow` (RFC 9110 §10.2.1). A small value type.
class method_set {
  public:
    constexpr method_set() noexcept = default;
    constexpr method_set(std::initializer_list<method> ms) noexcept {
        for (method m : ms) bits_ |= bit(m);
    }
    [[nodiscard]] constexpr bool contains(method m) const noexcept { return (bits_ & bit(m)) != 0; }
    [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
    constexpr method_set& operator|=(method_set o) noexcept {
        bits_ |= o.bits_;
        return *this;
    }
    [[nodiscard]] friend constexpr method_set operator|(method_set a, method_set b) noexcept {
        return a |= b;
    }
    constexpr method_set& insert(method m) noexcept {
        bits_ |= bit(m);
        return *this;
    }
    /// The `Allow` field value: "GET, HEAD, POST" in the enum's order.
    [[nodiscard]] std::string to_allow() const {
        std::string out;
        for (unsigned i = 0; i < static_cast<unsigned>(method::other); ++i) {
            if ((bits_ & (1u << i)) == 0) continue;
            if (!out.empty()) out.append(", ");
            out.append(to_string(static_cast<method>(i)));
        }
        return out;
    }
    [[nodiscard]] friend constexpr bool operator==(method_set, method_set) noexcept = default;

  private:
    static constexpr std::uint16_t bit(method m) noexcept {
        return m == method::other ? 0 : static_cast<std::uint16_t>(1u << static_cast<unsigned>(m));
    }
    std::uint16_t bits_ = 0;
};

MINIHTTP_NAMESPACE_END
