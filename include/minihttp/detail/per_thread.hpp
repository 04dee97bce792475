#pragma once
/// @file
/// `detail::per_thread<T>`: one value per thread for one owner object, found without a lock or
/// an atomic, and freed when either the owner or the thread ends.

#include <minihttp/version.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Numbers the owners: a thread tells them apart by a value that is never reused, where an
/// address could be once an owner is gone.
inline std::atomic<std::uint64_t> per_thread_ids{1};

/// One `T` for each thread that calls `local`, e.g. a worker's cache for one policy instance.
///
/// Lookup: a scan of the calling thread's own short list (one entry per owner it has used),
/// with no lock and no atomic. A thread's first call makes its value and registers it with the
/// owner, under the owner's mutex.
/// Lifetime: the owner holds every value. Destroying the owner destroys them all at once; a
/// thread that ends destroys its own values of the owners still alive. What a thread keeps of
/// an owner that is gone (an id, a pointer never followed again, a weak_ptr) is dropped at its
/// next first call on another owner, or when it ends.
/// Thread-safety: `local` and `size` from any number of threads; the owner must not be
/// destroyed or moved while another thread is in `local`. A moved-from `per_thread` may only
/// be destroyed or assigned to.
template <class T>
class per_thread {
  public:
    per_thread() = default;
    per_thread(per_thread&&) noexcept = default;
    per_thread& operator=(per_thread&&) noexcept = default;
    ~per_thread() = default;

    /// The calling thread's value; its first call makes it from `make()`, which returns a `T`.
    /// The reference is valid while the owner and the thread both live.
    template <class Make>
    T& local(Make&& make) const {
        for (const entry& e : thread_entries().list)
            if (e.id == id_) return *e.value;
        return add(std::forward<Make>(make)());
    }

    /// How many threads hold a value now.
    [[nodiscard]] std::size_t size() const {
        if (!registry_) return 0;
        std::lock_guard lock(registry_->m);
        return registry_->values.size();
    }

  private:
    struct registry {
        std::mutex m;
        std::vector<std::unique_ptr<T>> values;
    };
    // What a thread knows of one owner.
    struct entry {
        std::uint64_t id;
        T* value;
        std::weak_ptr<registry> owner;
    };
    // A thread's entries; at its end, its values go from the owners still alive.
    struct entries {
        std::vector<entry> list;
        entries() = default;
        entries(const entries&) = delete;
        entries& operator=(const entries&) = delete;
        ~entries() {
            for (const entry& e : list) {
                if (const auto r = e.owner.lock()) {
                    std::lock_guard lock(r->m);
                    std::erase_if(r->values, [&](const auto& v) { return v.get() == e.value; });
                }
            }
        }
    };
    static entries& thread_entries() {
        thread_local entries mine;
        return mine;
    }

    T& add(T value) const {
        auto& list = thread_entries().list;
        std::erase_if(list, [](const entry& e) { return e.owner.expired(); }); // owners gone
        list.reserve(list.size() + 1); // the push below cannot fail once the value is registered
        auto made = std::make_unique<T>(std::move(value));
        T* const v = made.get();
        {
            std::lock_guard lock(registry_->m);
            registry_->values.push_back(std::move(made));
        }
        list.push_back(entry{id_, v, registry_});
        return *v;
    }

    std::shared_ptr<registry> registry_ = std::make_shared<registry>();
    std::uint64_t id_ = per_thread_ids.fetch_add(1, std::memory_order_relaxed);
};

} // namespace detail
MINIHTTP_NAMESPACE_END
