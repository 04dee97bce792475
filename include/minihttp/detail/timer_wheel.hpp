#pragma once
/// @file
/// A hashed timing wheel for connection deadlines: O(1) to arm, move or cancel a deadline, and
/// each tick visits only the connections due in that slot, never all of them (DESIGN.md).

#include <minihttp/version.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Intrusive list node embedded in the object that owns a deadline.
struct timer_node {
    timer_node* prev = nullptr;
    timer_node* next = nullptr;
    std::uint64_t deadline = 0; ///< ms, monotonic; the earliest instant the owner wants a call
    std::uint64_t tick = 0;     ///< the tick of the slot the node is linked in
    [[nodiscard]] bool linked() const noexcept { return next != nullptr; }
};

/// The wheel. One per worker thread; not thread-safe.
///
/// Deadlines have `tick_ms` resolution (they fire up to one tick late, never early). Moving a
/// deadline later (the common case: every request pushes the idle deadline forward) only stores
/// the new value; the node is moved when its old slot comes round. A node whose deadline lies
/// more than one revolution ahead is simply re-slotted when visited.
class timer_wheel {
  public:
    static constexpr std::uint64_t tick_ms = 100;
    static constexpr std::size_t slots = 512;

    explicit timer_wheel(std::uint64_t now_ms) noexcept : current_(now_ms / tick_ms) {
        for (auto& h : heads_) h.prev = h.next = &h;
    }
    timer_wheel(const timer_wheel&) = delete;
    timer_wheel& operator=(const timer_wheel&) = delete;

    /// Arms or moves `n` to fire at `deadline_ms`.
    void schedule(timer_node& n, std::uint64_t deadline_ms) noexcept {
        const std::uint64_t t = tick_of(deadline_ms);
        n.deadline = deadline_ms;
        if (n.linked()) {
            if (t >= n.tick) return; // later: found in its old slot, then moved
            unlink(n);
        }
        link(n, t);
    }
    /// Disarms `n` (no-op if not armed).
    void cancel(timer_node& n) noexcept {
        if (n.linked()) unlink(n);
    }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }

    /// Calls `on_expire(node&)` for every node whose deadline is <= `now_ms`. The node is
    /// unlinked before the call, which may re-arm or cancel any node.
    template <class F>
    void expire(std::uint64_t now_ms, F&& on_expire) {
        std::size_t unlimited = SIZE_MAX;
        (void)expire(now_ms, unlimited, on_expire);
    }

    /// As above, but stops after `budget` calls (decremented per call). Returns true if nodes
    /// that are due were left for a later call: the caller handles other work in between, so
    /// that a burst of deadlines never stalls it for long.
    template <class F>
    [[nodiscard]] bool expire(std::uint64_t now_ms, std::size_t& budget, F&& on_expire) {
        const std::uint64_t target = now_ms / tick_ms;
        // After a long stall one revolution visits every slot, hence every node: skip ahead.
        if (target > current_ + slots) current_ = target - slots;
        while (current_ < target) {
            ++current_;
            // Detach the slot, so that nodes re-linked into it are not seen twice this tick.
            timer_node local;
            timer_node& head = heads_[current_ % slots];
            if (head.next != &head) {
                local.next = head.next;
                local.prev = head.prev;
                local.next->prev = &local;
                local.prev->next = &local;
                head.prev = head.next = &head;
            } else {
                local.prev = local.next = &local;
            }
            while (local.next != &local) {
                if (budget == 0) {
                    // Out of budget: what is left goes back in front of the slot, which the
                    // next call visits again.
                    local.prev->next = head.next;
                    head.next->prev = local.prev;
                    head.next = local.next;
                    local.next->prev = &head;
                    --current_;
                    return true;
                }
                timer_node& n = *local.next;
                n.prev->next = n.next;
                n.next->prev = n.prev;
                n.prev = n.next = nullptr;
                --count_;
                if (n.deadline <= now_ms) {
                    --budget;
                    on_expire(n);
                } else {
                    link(n, tick_of(n.deadline));
                }
            }
        }
        return false;
    }

    /// Milliseconds epoll_wait may sleep: until the next tick if anything is armed, else -1.
    [[nodiscard]] int timeout_ms(std::uint64_t now_ms) const noexcept {
        if (count_ == 0) return -1;
        const std::uint64_t next = (current_ + 1) * tick_ms;
        return next > now_ms ? static_cast<int>(next - now_ms) : 0;
    }

  private:
    [[nodiscard]] std::uint64_t tick_of(std::uint64_t ms) const noexcept {
        // Round up, so a node never fires before its deadline; past deadlines go to the next tick.
        const std::uint64_t t = (ms + tick_ms - 1) / tick_ms;
        return t > current_ ? t : current_ + 1;
    }
    void link(timer_node& n, std::uint64_t t) noexcept {
        timer_node& head = heads_[t % slots];
        n.tick = t;
        n.prev = head.prev;
        n.next = &head;
        head.prev->next = &n;
        head.prev = &n;
        ++count_;
    }
    void unlink(timer_node& n) noexcept {
        n.prev->next = n.next;
        n.next->prev = n.prev;
        n.prev = n.next = nullptr;
        --count_;
    }

    std::array<timer_node, slots> heads_{};
    std::uint64_t current_;
    std::size_t count_ = 0;
};

} // namespace detail
MINIHTTP_NAMESPACE_END
