#pragma once
// Least frequently used (in-cache LFU): each resident block counts its references since it was
// admitted; a miss when full evicts the block with the smallest count, the least recently used
// among equals. O(1) per operation (Shah, Mitra and Matani, "An O(1) algorithm for implementing
// the LFU cache eviction scheme", 2010): one list a count, threaded through flat per-id arrays.
// Counts are forgotten on eviction, as in libCacheSim's LFU.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/id_lists.hpp>
#include <kvtier/policy/concepts.hpp>

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace kvtier {

class lfu_policy {
 public:
  static constexpr std::string_view name = "lfu";

  explicit lfu_policy(std::size_t capacity_blocks) : capacity_(capacity_blocks) {
    KVTIER_ASSERT(capacity_blocks >= 1, "capacity must be at least one block");
  }

  bool access(const block_access& a, std::vector<block_id>& evicted) {
    evicted.clear();
    lists_.ensure(a.id);
    const auto count = lists_.list_of(a.id);  // list index = reference count (>= 1 when resident)
    if (count != detail::id_lists::no_list) {
      lists_.remove(a.id);
      lists_.ensure_lists(count + 2);
      lists_.push_front(count + 1, a.id);
      if (count == min_count_ && lists_.empty(count)) min_count_ = count + 1;
      return true;
    }
    if (size_ >= capacity_) evict_one(evicted);
    lists_.push_front(1, a.id);
    min_count_ = 1;
    ++size_;
    return false;
  }

  bool erase(block_id id) {
    if (!contains(id)) return false;
    const auto count = lists_.list_of(id);
    lists_.remove(id);
    --size_;
    if (count == min_count_) advance_min();
    return true;
  }

  [[nodiscard]] bool contains(block_id id) const noexcept { return lists_.list_of(id) != detail::id_lists::no_list; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::optional<block_id> victim() const noexcept {
    return size_ == 0 ? std::nullopt : std::optional<block_id>(lists_.back(min_count_));
  }
  void reserve_ids(std::size_t ids) { lists_.reserve_ids(ids); }
  [[nodiscard]] std::size_t metadata_bytes_per_id() const noexcept { return lists_.bytes_per_id(); }

 private:
  void evict_one(std::vector<block_id>& evicted) {
    evicted.push_back(lists_.pop_back(min_count_));
    --size_;
    if (lists_.empty(min_count_)) advance_min();
  }
  void advance_min() {
    if (size_ == 0) {
      min_count_ = 1;
      return;
    }
    // Only after erase or eviction: scanning up is bounded by the largest count.
    while (lists_.empty(min_count_)) ++min_count_;
  }

  std::size_t capacity_;
  std::size_t size_ = 0;
  detail::id_lists::list_index min_count_ = 1;
  detail::id_lists lists_{2};
};

static_assert(eviction_policy<lfu_policy>);

}  // namespace kvtier
