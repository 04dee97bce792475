// Links <minihttp/compression.hpp> through minihttp::compression (zlib): gzips a string and
// checks the gzip magic number (RFC 1952 §2.3.1). Exit 0 on success.
#include <minihttp.hpp>
#include <minihttp/compression.hpp>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>

int main() {
    bool given = false;
    auto gz = http::gzip_stream([&given](char* buf, std::size_t cap) -> std::ptrdiff_t {
        if (given || cap < 5) return 0;
        given = true;
        std::memcpy(buf, "hello", 5);
        return 5;
    });
    std::string out;
    char buf[256];
    for (std::ptrdiff_t n; (n = gz(buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<std::size_t>(n));
    const bool ok = out.size() > 10 && static_cast<unsigned char>(out[0]) == 0x1f &&
                    static_cast<unsigned char>(out[1]) == 0x8b;
    std::printf("compression consumer: %s\n", ok ? "ok" : "bad output");
    return ok ? 0 : 1;
}
