#pragma once
/// @file
/// On-the-fly compression: the one part of minihttp that needs a library. Include this header
/// where you configure it and link zlib (`-lz`; Meson: `minihttp_compression_dep`); the rest of
/// minihttp neither includes it nor changes with it, so translation units that do and that
/// don't include it link together.
///
///     http::static_files({.root = "public", .compress = http::gzip()})
///
/// `gzip_stream` encodes any stream source; `gzip` makes the `file_encoder` static_files
/// applies to text files for clients that accept gzip.

#include <minihttp/detail/fd.hpp>
#include <minihttp/policies/static_files.hpp>
#include <minihttp/response.hpp>
#include <minihttp/version.hpp>

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN

/// Settings of the gzip coding.
struct gzip_options {
    /// zlib's compression level: 1 (fastest) to 9 (smallest); 6 is its usual balance.
    int level = 6;
};

namespace detail {
/// A zlib deflate stream with the gzip wrapper (RFC 1952), pulling its input from a source.
/// About 256 KiB of zlib state while it lives. Not thread-safe (one response's body).
class gzip_encoder {
  public:
    gzip_encoder(response::stream_source input, int level) : input_(std::move(input)) {
        // windowBits 15 + 16: a 32 KiB window with a gzip header and trailer; memLevel 8 is
        // zlib's default.
        if (deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::runtime_error("http::gzip: deflateInit2 failed");
    }
    gzip_encoder(const gzip_encoder&) = delete;
    gzip_encoder& operator=(const gzip_encoder&) = delete;
    ~gzip_encoder() { deflateEnd(&z_); }

    /// Writes up to `cap` encoded bytes to `out`: a `stream_source`'s contract (0 at the end,
    /// negative if the input failed or zlib did).
    std::ptrdiff_t pull(char* out, std::size_t cap) {
        if (finished_) return 0;
        z_.next_out = reinterpret_cast<Bytef*>(out);
        z_.avail_out = static_cast<uInt>(std::min<std::size_t>(cap, 1u << 30));
        const uInt avail = z_.avail_out;
        while (z_.avail_out > 0 && !finished_) {
            if (z_.avail_in == 0 && !input_done_) {
                const std::ptrdiff_t n = input_(in_, sizeof in_);
                if (n < 0) return -1;
                input_done_ = n == 0;
                z_.next_in = reinterpret_cast<Bytef*>(in_);
                z_.avail_in = static_cast<uInt>(n);
            }
            const int flush = input_done_ && z_.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH;
            const int rc = ::deflate(&z_, flush);
            if (rc == Z_STREAM_END)
                finished_ = true;
            else if (rc != Z_OK && rc != Z_BUF_ERROR)
                return -1;
        }
        return static_cast<std::ptrdiff_t>(avail - z_.avail_out);
    }

  private:
    z_stream z_{};
    response::stream_source input_;
    char in_[16384];
    bool input_done_ = false;
    bool finished_ = false;
};

inline void check_gzip_options(const gzip_options& o) {
    if (o.level < 1 || o.level > 9) throw std::invalid_argument("http::gzip: level must be 1 to 9");
}
} // namespace detail

/// The gzip coding of what `input` yields, made as it is pulled: neither the input nor the
/// output is ever whole in memory. An error of `input` (a negative return) is passed on.
/// Throws std::invalid_argument for a level out of range, std::runtime_error if zlib cannot
/// start (out of memory).
[[nodiscard]] inline response::stream_source gzip_stream(response::stream_source input,
                                                         gzip_options o = {}) {
    detail::check_gzip_options(o);
    // std::function needs a copyable callable; the encoder is not, so it is shared.
    auto encoder = std::make_shared<detail::gzip_encoder>(std::move(input), o.level);
    return [encoder](char* buf, std::size_t cap) { return encoder->pull(buf, cap); };
}

/// gzip for `static_files_options::compress`: a text file is compressed as it is sent, for
/// clients whose Accept-Encoding takes gzip; its ETag gets "-gz". Throws
/// std::invalid_argument for a level out of range.
[[nodiscard]] inline file_encoder gzip(gzip_options o = {}) {
    detail::check_gzip_options(o);
    file_encoder e;
    e.coding = "gzip";
    e.etag_suffix = "-gz";
    e.encode = [o](detail::unique_fd file, std::uint64_t size) {
        return gzip_stream(detail::file_source(std::move(file), 0, size, 16384), o);
    };
    return e;
}

MINIHTTP_NAMESPACE_END
