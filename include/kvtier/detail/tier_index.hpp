#pragma once
// The index every tier model shares: key -> where the block is and how long it is, kept in
// replacement order (least recently inserted or found first). Not thread-safe; tiers lock around it.
#include <kvtier/detail/assert.hpp>
#include <kvtier/tier/concepts.hpp>

#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>

namespace kvtier::detail {

struct tier_entry {
  std::uint64_t slot = 0;      ///< where the block lives (arena slot, file slot); unused when simulated
  std::uint64_t length = 0;    ///< bytes of the block
  std::uint64_t sequence = 0;  ///< write sequence number (file tiers order copies by it)
};

class tier_index {
 public:
  [[nodiscard]] bool contains(const block_key& key) const { return map_.contains(key); }
  [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }
  [[nodiscard]] bool empty() const noexcept { return map_.empty(); }
  [[nodiscard]] std::uint64_t used_bytes() const noexcept { return used_bytes_; }

  /// The entry, moved to the most recent end of the order.
  [[nodiscard]] std::optional<tier_entry> touch(const block_key& key) {
    const auto found = map_.find(key);
    if (found == map_.end()) return std::nullopt;
    order_.splice(order_.end(), order_, found->second.position);
    return found->second.entry;
  }

  [[nodiscard]] std::optional<tier_entry> get(const block_key& key) const {
    const auto found = map_.find(key);
    if (found == map_.end()) return std::nullopt;
    return found->second.entry;
  }

  /// Inserts or replaces; returns the replaced entry.
  std::optional<tier_entry> put(const block_key& key, const tier_entry& entry) {
    std::optional<tier_entry> replaced = remove(key);
    order_.push_back(key);
    map_.emplace(key, node{entry, std::prev(order_.end())});
    used_bytes_ += entry.length;
    return replaced;
  }

  std::optional<tier_entry> remove(const block_key& key) {
    const auto found = map_.find(key);
    if (found == map_.end()) return std::nullopt;
    const tier_entry entry = found->second.entry;
    KVTIER_ASSERT(used_bytes_ >= entry.length, "tier index accounting went negative");
    used_bytes_ -= entry.length;
    order_.erase(found->second.position);
    map_.erase(found);
    return entry;
  }

  /// The least recently inserted or found key.
  [[nodiscard]] std::optional<block_key> oldest() const {
    if (order_.empty()) return std::nullopt;
    return order_.front();
  }

 private:
  struct node {
    tier_entry entry;
    std::list<block_key>::iterator position;
  };
  std::unordered_map<block_key, node, block_key_hash> map_;
  std::list<block_key> order_;
  std::uint64_t used_bytes_ = 0;
};

}  // namespace kvtier::detail
