#pragma once
// Helpers shared by the libFuzzer targets in fuzz/: a deterministic PRNG seeded from the input
// (so every choice a target makes, such as split points and limits, is a function of the input
// and a crash artifact reproduces exactly), a failure macro that aborts with context, and a
// byte-exact heap copy so that AddressSanitizer catches any read past the end of a piece.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace fuzz {

/// FNV-1a over the input: the seed of everything a target chooses.
[[nodiscard]] inline std::uint64_t hash(std::string_view s) noexcept {
    std::uint64_t h = 0xcbf29ce484222325;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3;
    }
    return h;
}

/// splitmix64: small, and the same sequence on every platform.
class rng {
  public:
    explicit rng(std::uint64_t seed) noexcept : state_(seed) {}
    std::uint64_t next() noexcept {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
    /// In [0, n); 0 when n is 0.
    std::size_t below(std::size_t n) noexcept {
        return n == 0 ? 0 : static_cast<std::size_t>(next() % n);
    }
    /// True with probability 1/n.
    bool one_in(std::size_t n) noexcept { return below(n) == 0; }

  private:
    std::uint64_t state_;
};

/// `s` with bytes outside printable ASCII shown as \xNN, for failure messages.
[[nodiscard]] inline std::string printable(std::string_view s, std::size_t max = 400) {
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < max; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        }
    }
    if (s.size() > max) out += "...";
    return out;
}

/// A heap copy of exactly `s.size()` bytes: a read past its end is a heap-buffer-overflow.
class exact_copy {
  public:
    explicit exact_copy(std::string_view s)
        : data_(std::make_unique<char[]>(s.size() == 0 ? 1 : s.size())), size_(s.size()) {
        if (!s.empty()) std::copy(s.begin(), s.end(), data_.get());
    }
    [[nodiscard]] char* data() noexcept { return data_.get(); }
    [[nodiscard]] std::string_view view() const noexcept { return {data_.get(), size_}; }
    /// True if `v` lies entirely inside this buffer. An empty view points at no byte: true.
    [[nodiscard]] bool holds(std::string_view v) const noexcept {
        if (v.empty()) return true;
        const auto b = reinterpret_cast<std::uintptr_t>(data_.get());
        const auto p = reinterpret_cast<std::uintptr_t>(v.data());
        return p >= b && p + v.size() <= b + size_;
    }
    /// Offset of `v` in this buffer; the caller has checked `holds(v)`.
    [[nodiscard]] std::size_t offset_of(std::string_view v) const noexcept {
        return static_cast<std::size_t>(v.data() - data_.get());
    }

  private:
    std::unique_ptr<char[]> data_;
    std::size_t size_;
};

} // namespace fuzz

/// Aborts (a crash libFuzzer records) with a message, when `cond` is false.
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "\nFUZZ_CHECK failed: %s\n  at %s:%d\n  ", #cond, __FILE__,       \
                         __LINE__);                                                                \
            std::fprintf(stderr, __VA_ARGS__);                                                     \
            std::fprintf(stderr, "\n");                                                            \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)
