#pragma once
// The index every tier model shares: key -> where the block is and how long it is, kept in
// replacement order (least recently inserted or found first). Not thread-safe; tiers lock around it.
#include <kvtier/detail/assert.hpp>
#include <kvtier/tier/concepts.hpp>

#include <cstdint>
#include <list>
#include <mutex>
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

/// The state every in-memory model shares: the index, the counters and the mutex that guards both,
/// with the verbs that are the same for all of them. `on_removed(entry)` lets a model free what
/// the removed block held.
class locked_tier_index {
 public:
  [[nodiscard]] bool contains(const block_key& key) const {
    const std::scoped_lock lock(mutex_);
    return index_.contains(key);
  }

  template <class OnRemoved>
  bool erase(const block_key& key, OnRemoved on_removed) {
    const std::scoped_lock lock(mutex_);
    const auto removed = index_.remove(key);
    if (!removed) return false;
    on_removed(*removed);
    ++stats_.erases;
    return true;
  }

  [[nodiscard]] std::optional<block_key> to_evict() const {
    const std::scoped_lock lock(mutex_);
    return index_.oldest();
  }

  template <class OnRemoved>
  std::optional<block_key> evict(OnRemoved on_removed) {
    const std::scoped_lock lock(mutex_);
    const auto victim = index_.oldest();
    if (victim) {
      on_removed(*index_.remove(*victim));
      ++stats_.evictions;
    }
    return victim;
  }

  [[nodiscard]] std::uint64_t used_bytes() const {
    const std::scoped_lock lock(mutex_);
    return index_.used_bytes();
  }

  [[nodiscard]] tier_stats stats() const {
    const std::scoped_lock lock(mutex_);
    return stats_;
  }

 protected:
  mutable std::mutex mutex_;
  tier_index index_;
  tier_stats stats_;
};

}  // namespace kvtier::detail
