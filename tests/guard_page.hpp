#pragma once
// Memory whose last usable byte sits right before a PROT_NONE page (picohttpparser's test.c):
// an input placed at the end makes any read past it fault, so over-reads crash the test.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string_view>

namespace test {

class guard_page {
  public:
    explicit guard_page(std::size_t capacity) {
        const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        usable_ = (capacity / page + 1) * page;
        size_ = usable_ + page;
        void* const m =
            ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return;
        base_ = static_cast<char*>(m);
        if (::mprotect(base_ + usable_, page, PROT_NONE) != 0) {
            ::munmap(base_, size_);
            base_ = nullptr;
        }
    }
    ~guard_page() {
        if (base_ != nullptr) ::munmap(base_, size_);
    }
    guard_page(const guard_page&) = delete;
    guard_page& operator=(const guard_page&) = delete;

    [[nodiscard]] bool ok() const noexcept { return base_ != nullptr; }
    [[nodiscard]] std::size_t capacity() const noexcept { return usable_; }
    /// Copies `s` so that its last byte is the last readable one; returns the copy.
    std::string_view place(std::string_view s) noexcept {
        char* const dst = base_ + usable_ - s.size();
        if (!s.empty()) std::memcpy(dst, s.data(), s.size());
        return {dst, s.size()};
    }

  private:
    char* base_ = nullptr;
    std::size_t usable_ = 0;
    std::size_t size_ = 0;
};

} // namespace test
