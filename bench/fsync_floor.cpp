// fsync-floor: the raw rate of durable small-file stores on one disk, for bench/run's upload
// scenario (what minihttp's JSON uploads are compared with).
//
//   fsync-floor --dir DIR [--duration S] [--threads N] [--size BYTES] [--dir-fsync]
//
// Each thread repeats: create a temporary file (O_CREAT|O_EXCL), write SIZE bytes, fsync it,
// rename it to its final name; with --dir-fsync also fsync the directory (what makes the name
// itself durable, and what http::json_upload does). Nothing else: no parsing, no sockets. The
// files are removed after the timed part. Prints one JSON object: stores, seconds, per_second.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    std::string dir;
    double duration = 10;
    unsigned threads = 1;
    std::size_t size = 1024;
    bool dir_fsync = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--dir-fsync")
            dir_fsync = true;
        else if (a == "--dir" && i + 1 < argc)
            dir = argv[++i];
        else if (a == "--duration" && i + 1 < argc)
            duration = std::strtod(argv[++i], nullptr);
        else if (a == "--threads" && i + 1 < argc)
            threads = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
        else if (a == "--size" && i + 1 < argc)
            size = std::strtoul(argv[++i], nullptr, 10);
        else {
            std::fprintf(stderr, "usage: fsync-floor --dir DIR [--duration S] [--threads N] "
                                 "[--size BYTES] [--dir-fsync]\n");
            return 2;
        }
    }
    if (dir.empty() || threads == 0) return 2;
    ::mkdir(dir.c_str(), 0755);
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        std::fprintf(stderr, "fsync-floor: cannot open %s: %s\n", dir.c_str(),
                     std::strerror(errno));
        return 1;
    }
    std::string body = "{\"id\":1,\"pad\":\"";
    body.append(size > body.size() + 2 ? size - body.size() - 2 : 0, 'x');
    body += "\"}";

    std::atomic<bool> stop{false}, failed{false};
    std::vector<unsigned long> done(threads, 0);
    std::vector<std::thread> pool;
    const auto start = std::chrono::steady_clock::now();
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            while (!stop.load(std::memory_order_relaxed)) {
                const std::string n = std::to_string(t) + "_" + std::to_string(done[t]);
                const std::string tmp = "." + n + ".tmp", final_name = n + ".json";
                const int fd =
                    ::openat(dir_fd, tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
                bool ok =
                    fd >= 0 &&
                    ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) &&
                    ::fsync(fd) == 0;
                if (fd >= 0) ::close(fd);
                ok = ok && ::renameat(dir_fd, tmp.c_str(), dir_fd, final_name.c_str()) == 0;
                if (ok && dir_fsync) ok = ::fsync(dir_fd) == 0;
                if (!ok) {
                    std::fprintf(stderr, "fsync-floor: %s\n", std::strerror(errno));
                    failed = true;
                    stop = true;
                    return;
                }
                ++done[t];
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(duration));
    stop = true;
    for (auto& th : pool) th.join();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    unsigned long total = 0;
    for (unsigned t = 0; t < threads; ++t) {
        total += done[t];
        for (unsigned long k = 0; k < done[t]; ++k)
            ::unlinkat(dir_fd, (std::to_string(t) + "_" + std::to_string(k) + ".json").c_str(), 0);
    }
    std::printf("{\"stores\":%lu,\"seconds\":%.3f,\"per_second\":%.1f,\"threads\":%u,"
                "\"dir_fsync\":%s}\n",
                total, elapsed, static_cast<double>(total) / elapsed, threads,
                dir_fsync ? "true" : "false");
    ::close(dir_fd);
    return failed ? 1 : 0;
}
