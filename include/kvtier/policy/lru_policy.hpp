#pragma once
// Least recently used: a hit moves the block to the front, a miss inserts it at the front and,
// when full, evicts the block at the back. The prefix cache of vLLM and SGLang's radix tree are LRU
// over blocks; on prefix-chained ids its block and prefix hit rates coincide.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/id_lists.hpp>
#include <kvtier/policy/concepts.hpp>

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace kvtier {

class lru_policy {
 public:
  static constexpr std::string_view name = "lru";

  explicit lru_policy(std::size_t capacity_blocks) : capacity_(capacity_blocks) {
    KVTIER_ASSERT(capacity_blocks >= 1, "capacity must be at least one block");
  }

  bool access(const block_access& a, std::vector<block_id>& evicted) {
    evicted.clear();
    lists_.ensure(a.id);
    if (lists_.list_of(a.id) == 0) {
      lists_.move_to_front(0, a.id);
      return true;
    }
    if (lists_.size(0) >= capacity_) evicted.push_back(lists_.pop_back(0));
    lists_.push_front(0, a.id);
    return false;
  }

  bool erase(block_id id) {
    if (!contains(id)) return false;
    lists_.remove(id);
    return true;
  }

  [[nodiscard]] bool contains(block_id id) const noexcept { return lists_.list_of(id) == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return lists_.size(0); }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  /// The block the next miss would evict when full (the least recently used).
  [[nodiscard]] std::optional<block_id> victim() const noexcept {
    return size() == 0 ? std::nullopt : std::optional<block_id>(lists_.back(0));
  }
  /// Starts loading the words a reference to `id` will read (prefetching_policy: a hint).
  void prefetch(block_id id) const noexcept { lists_.prefetch(id); }
  /// Sizes the per-id arrays up front (ids 0..ids-1) so that no access allocates.
  void reserve_ids(std::size_t ids) { lists_.reserve_ids(ids); }
  [[nodiscard]] std::size_t metadata_bytes_per_id() const noexcept { return lists_.bytes_per_id(); }

 private:
  std::size_t capacity_;
  detail::id_lists lists_{1};
};

static_assert(prefetching_policy<lru_policy>);

}  // namespace kvtier
