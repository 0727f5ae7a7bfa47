#pragma once
// Adaptive Replacement Cache (Megiddo and Modha, "ARC: A Self-Tuning, Low Overhead Replacement
// Cache", FAST 2003, Fig. 4). Resident lists T1 (seen once recently) and T2 (seen at least twice),
// ghost lists B1 and B2 of ids recently evicted from each, |T1|+|B1| <= c and the four together
// <= 2c. A ghost hit in B1 grows the target size p of T1 by max(|B2|/|B1|, 1); one in B2 shrinks
// it by max(|B1|/|B2|, 1). REPLACE evicts T1's LRU block into B1 when |T1| > p (or = p on a B2
// hit), else T2's into B2. The CPU offload tier of vLLM uses ARC.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/id_lists.hpp>
#include <kvtier/policy/concepts.hpp>

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

namespace kvtier {

class arc_policy {
 public:
  static constexpr std::string_view name = "arc";

  explicit arc_policy(std::size_t capacity_blocks) : capacity_(capacity_blocks) {
    KVTIER_ASSERT(capacity_blocks >= 1, "capacity must be at least one block");
  }

  bool access(const block_access& a, std::vector<block_id>& evicted) {
    evicted.clear();
    const block_id x = a.id;
    lists_.ensure(x);
    const auto where = lists_.list_of(x);
    if (where == t1 || where == t2) {  // Case I
      lists_.move_to_front(t2, x);
      return true;
    }
    const double c = static_cast<double>(capacity_);
    if (where == b1) {  // Case II
      const double delta = std::max(size_of(b2) / size_of(b1), 1.0);
      p_ = std::min(p_ + delta, c);
      replace(false, evicted);
      lists_.remove(x);
      lists_.push_front(t2, x);
      return false;
    }
    if (where == b2) {  // Case III
      const double delta = std::max(size_of(b1) / size_of(b2), 1.0);
      p_ = std::max(p_ - delta, 0.0);
      replace(true, evicted);
      lists_.remove(x);
      lists_.push_front(t2, x);
      return false;
    }
    // Case IV: a complete miss.
    const std::size_t l1 = lists_.size(t1) + lists_.size(b1);
    const std::size_t all = l1 + lists_.size(t2) + lists_.size(b2);
    if (l1 >= capacity_) {
      if (lists_.size(t1) < capacity_) {
        lists_.pop_back(b1);
        replace(false, evicted);
      } else {
        evicted.push_back(lists_.pop_back(t1));
      }
    } else if (all >= capacity_) {
      if (all >= 2 * capacity_) lists_.pop_back(b2);
      replace(false, evicted);
    }
    lists_.push_front(t1, x);
    return false;
  }

  bool erase(block_id id) { return lists_.remove_from_either(id, t1, t2); }
  [[nodiscard]] bool contains(block_id id) const noexcept { return lists_.on_either(id, t1, t2); }
  [[nodiscard]] std::size_t size() const noexcept { return lists_.size(t1) + lists_.size(t2); }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  /// The adaptive target size of T1, in blocks.
  [[nodiscard]] double target_recent_blocks() const noexcept { return p_; }
  void reserve_ids(std::size_t ids) { lists_.reserve_ids(ids); }
  [[nodiscard]] std::size_t metadata_bytes_per_id() const noexcept { return lists_.bytes_per_id(); }

 private:
  static constexpr detail::id_lists::list_index t1 = 0, t2 = 1, b1 = 2, b2 = 3;

  [[nodiscard]] double size_of(detail::id_lists::list_index list) const noexcept {
    return static_cast<double>(lists_.size(list));
  }

  /// REPLACE(x, p). Only when the cache is full: erase() may have left room, and then the paper's
  /// invariant (ghosts are non-empty only when T1 and T2 fill the cache) no longer holds.
  void replace(bool hit_in_b2, std::vector<block_id>& evicted) {
    if (size() < capacity_) return;
    const double t1_size = size_of(t1);
    if (lists_.size(t1) >= 1 && (lists_.empty(t2) || (hit_in_b2 && t1_size == p_) || t1_size > p_)) {
      const block_id old = lists_.pop_back(t1);
      lists_.push_front(b1, old);
      evicted.push_back(old);
    } else {
      const block_id old = lists_.pop_back(t2);
      lists_.push_front(b2, old);
      evicted.push_back(old);
    }
  }

  std::size_t capacity_;
  double p_ = 0.0;
  detail::id_lists lists_{4};
};

static_assert(eviction_policy<arc_policy>);

}  // namespace kvtier
