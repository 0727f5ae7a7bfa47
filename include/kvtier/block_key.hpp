#pragma once
// The identity of a KV block, shared by every area: traces hash token streams into it
// (trace/block_hasher.hpp), tiers store blocks under it (tier/concepts.hpp), the cache manager
// matches prefixes with it (manager/cache_manager.hpp).
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace kvtier {

/// A 128-bit salted chained hash of a block's tokens and of every block before it in its request
/// (block_hasher.hpp). Two blocks with the same key hold the same KV. Ordered by (hi, lo).
struct block_key {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  friend constexpr auto operator<=>(const block_key&, const block_key&) = default;
  friend constexpr bool operator==(const block_key&, const block_key&) = default;
};

/// Hash functor for unordered containers. The key is already a good hash; folding the halves with
/// an odd multiplier keeps it good when only one half varies.
struct block_key_hash {
  [[nodiscard]] constexpr std::size_t operator()(const block_key& key) const noexcept {
    return static_cast<std::size_t>(key.lo ^ (key.hi * 0x9E3779B97F4A7C15ull) ^ (key.hi >> 29));
  }
};

}  // namespace kvtier

template <>
struct std::hash<kvtier::block_key> : kvtier::block_key_hash {};
