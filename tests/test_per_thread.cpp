#include <minihttp/detail/per_thread.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

using http::detail::per_thread;

namespace {

// Counts its live instances, to see when values go.
struct counted {
    static inline std::atomic<int> alive{0};
    int value = 0;
    explicit counted(int v) : value(v) { ++alive; }
    counted(counted&& o) noexcept : value(o.value) { ++alive; }
    counted(const counted&) = delete;
    ~counted() { --alive; }
};

} // namespace

TEST_SUITE_BEGIN("per thread");

TEST_CASE("per thread: a value per thread, made once, distinct per owner") {
    per_thread<counted> a, b;
    int made = 0;
    counted& a1 = a.local([&] { return counted(++made); });
    CHECK(&a.local([&] { return counted(++made); }) == &a1); // found, not made again
    counted& b1 = b.local([&] { return counted(++made); });
    CHECK(&b1 != &a1);
    CHECK(made == 2);
    int other = 0;
    std::thread([&] { other = a.local([&] { return counted(100); }).value; }).join();
    CHECK(other == 100);
    CHECK(a1.value == 1);
    CHECK(b1.value == 2);
}

TEST_CASE("per thread: values go with their owner, and with their thread") {
    const int before = counted::alive;
    std::optional<per_thread<counted>> owner(std::in_place);
    owner->local([] { return counted(1); });
    std::thread([&] { owner->local([] { return counted(2); }); }).join();
    // The thread ended: its value went, this thread's stayed.
    CHECK(owner->size() == 1);
    CHECK(counted::alive == before + 1);
    std::thread([&] { owner->local([] { return counted(3); }); }).join();
    CHECK(owner->size() == 1);
    owner.reset(); // the owner went: so did this thread's value
    CHECK(counted::alive == before);

    // This thread still lists the dead owner (its id only); a new owner's first use drops it,
    // and a thread outliving an owner does not keep its value either.
    per_thread<counted> next;
    CHECK(next.local([] { return counted(4); }).value == 4);
    CHECK(counted::alive == before + 1);
}

TEST_CASE("per thread: a moved owner keeps its values, found through the new object") {
    per_thread<counted> a;
    counted& v = a.local([] { return counted(7); });
    per_thread<counted> b(std::move(a));
    CHECK(&b.local([] { return counted(8); }) == &v);
    CHECK(b.size() == 1);
    CHECK(a.size() == 0); // NOLINT(bugprone-use-after-move): a moved-from owner is empty
}

TEST_CASE("per thread: many threads at once each get their own value") {
    per_thread<counted> owner;
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 1000; ++i)
                if (owner.local([&] { return counted(t); }).value != t) ++wrong;
        });
    for (auto& t : threads) t.join();
    CHECK(wrong == 0);
    CHECK(owner.size() == 0); // every thread ended
}

TEST_SUITE_END();
