#pragma once
/// @file
/// Open connections per client address, shared by the workers; used only when
/// `server_options::max_connections_per_client` is set.

#include <minihttp/request.hpp>
#include <minihttp/version.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <unordered_map>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// Sharded so that accepts on different workers rarely meet on one lock; a lock is taken only
/// at accept and close. IPv4 and IPv4-mapped IPv6 spellings of one client count together.
/// Thread-safe.
class client_table {
  public:
    /// Counts a new connection from `peer` unless it already has `cap`; false: refused.
    bool try_add(const endpoint& peer, std::size_t cap) {
        const key k = key_of(peer);
        shard& s = shards_[k.hash % shards];
        std::lock_guard lock(s.m);
        std::size_t& n = s.counts[k];
        if (n >= cap) {
            if (n == 0) s.counts.erase(k);
            return false;
        }
        ++n;
        return true;
    }
    void remove(const endpoint& peer) {
        const key k = key_of(peer);
        shard& s = shards_[k.hash % shards];
        std::lock_guard lock(s.m);
        const auto it = s.counts.find(k);
        if (it != s.counts.end() && --it->second == 0) s.counts.erase(it);
    }

  private:
    struct key {
        std::array<unsigned char, 16> addr{};
        std::size_t hash = 0;
        bool operator==(const key& o) const noexcept { return addr == o.addr; }
    };
    struct key_hash {
        std::size_t operator()(const key& k) const noexcept { return k.hash; }
    };
    struct shard {
        std::mutex m;
        std::unordered_map<key, std::size_t, key_hash> counts;
    };
    static constexpr std::size_t shards = 16;

    // IPv4 is stored as IPv4-mapped IPv6, so both spellings of one client count together.
    static key key_of(const endpoint& e) noexcept {
        key k;
        const auto b = e.bytes();
        if (b.size() == 4) {
            k.addr[10] = k.addr[11] = 0xff;
            std::memcpy(k.addr.data() + 12, b.data(), 4);
        } else if (b.size() == 16) {
            std::memcpy(k.addr.data(), b.data(), 16);
        }
        std::uint64_t h = 1469598103934665603ull; // FNV-1a
        for (unsigned char c : k.addr) h = (h ^ c) * 1099511628211ull;
        k.hash = static_cast<std::size_t>(h);
        return k;
    }

    std::array<shard, shards> shards_;
};

} // namespace detail
MINIHTTP_NAMESPACE_END
