#pragma once
// S3-FIFO (Yang, Zhang, Qiu, Yue and Vinayak, "FIFO queues are all you need for cache eviction",
// SOSP 2023, Algorithm 1): a small FIFO S (10% of the capacity), a main FIFO M and a ghost FIFO G
// of ids recently evicted from S (as many as M holds). Each resident block has a 2-bit counter,
// incremented on a hit up to 3. A miss enters M if its id is in G, else S. Evicting from S: the
// oldest block moves to M if its counter exceeds 1 (with the counter cleared), else leaves for G.
// Evicting from M: the oldest block with a non-zero counter is reinserted with the counter
// decremented, the first with zero leaves. LMCache offers S3-FIFO for its CPU tier.
//
// `s3fifo_params::libcachesim_v0_admission` adds one rule of libCacheSim's S3FIFOv0, the
// implementation behind the reference tables of ../shared/traces: a miss that is not a ghost hit is
// declined when one block fills S (S holds at most one block, below 20 blocks of capacity at the
// default 10%). With it such a small cache never admits anything; off by default, as published.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/id_lists.hpp>
#include <kvtier/policy/concepts.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kvtier {

struct s3fifo_params {
  double small_fraction = 0.10;           ///< share of the capacity for S
  std::uint8_t move_to_main_count = 2;    ///< a block leaving S moves to M when its counter reaches this
  bool libcachesim_v0_admission = false;  ///< decline non-ghost misses when one block fills S
  friend constexpr bool operator==(const s3fifo_params&, const s3fifo_params&) = default;
};

class s3fifo_policy {
 public:
  static constexpr std::string_view name = "s3fifo";

  explicit s3fifo_policy(std::size_t capacity_blocks, const s3fifo_params& params = {})
      : capacity_(capacity_blocks),
        small_capacity_(std::max<std::size_t>(
            1, static_cast<std::size_t>(static_cast<double>(capacity_blocks) * params.small_fraction))),
        main_capacity_(capacity_blocks > small_capacity_ ? capacity_blocks - small_capacity_ : 1),
        move_count_(params.move_to_main_count),
        decline_to_small_(params.libcachesim_v0_admission && small_capacity_ <= 1) {
    KVTIER_ASSERT(capacity_blocks >= 1, "capacity must be at least one block");
    KVTIER_ASSERT(params.small_fraction >= 0 && params.small_fraction < 1, "small_fraction must be in [0, 1)");
  }

  bool access(const block_access& a, std::vector<block_id>& evicted) {
    evicted.clear();
    const block_id x = a.id;
    ensure(x);
    const auto where = lists_.list_of(x);
    if (where == small || where == main) {
      if (count_[x] < 3) ++count_[x];
      return true;
    }
    if (decline_to_small_ && where != ghost) return false;
    while (size() >= capacity_) evict(evicted);
    if (lists_.list_of(x) == ghost) {  // evicting may have pushed x out of G
      lists_.remove(x);
      lists_.push_front(main, x);
    } else {
      lists_.push_front(small, x);
    }
    count_[x] = 0;
    return false;
  }

  bool erase(block_id id) { return lists_.remove_from_either(id, small, main); }
  [[nodiscard]] bool contains(block_id id) const noexcept { return lists_.on_either(id, small, main); }
  [[nodiscard]] std::size_t size() const noexcept { return lists_.size(small) + lists_.size(main); }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  void reserve_ids(std::size_t ids) {
    if (ids > 0) ensure(static_cast<block_id>(ids - 1));
  }
  [[nodiscard]] std::size_t metadata_bytes_per_id() const noexcept {
    return lists_.bytes_per_id() + sizeof(std::uint8_t);
  }

 private:
  static constexpr detail::id_lists::list_index small = 0, main = 1, ghost = 2;

  void ensure(block_id id) {
    lists_.ensure(id);
    if (count_.size() < lists_.id_capacity()) count_.resize(lists_.id_capacity(), 0);
  }

  void evict(std::vector<block_id>& evicted) {
    if (lists_.size(small) >= small_capacity_) {
      evict_small(evicted);
    } else if (!lists_.empty(main)) {
      evict_main(evicted);
    } else {
      evict_small(evicted);
    }
  }

  void evict_small(std::vector<block_id>& evicted) {
    while (!lists_.empty(small)) {
      const block_id t = lists_.pop_back(small);
      if (count_[t] >= move_count_) {
        count_[t] = 0;
        lists_.push_front(main, t);
        if (lists_.size(main) > main_capacity_) evict_main(evicted);
      } else {
        lists_.push_front(ghost, t);
        if (lists_.size(ghost) > main_capacity_) lists_.pop_back(ghost);
        evicted.push_back(t);
        return;
      }
    }
  }

  void evict_main(std::vector<block_id>& evicted) {
    while (!lists_.empty(main)) {
      const block_id t = lists_.pop_back(main);
      if (count_[t] > 0) {
        --count_[t];
        lists_.push_front(main, t);
      } else {
        evicted.push_back(t);
        return;
      }
    }
  }

  std::size_t capacity_;
  std::size_t small_capacity_;
  std::size_t main_capacity_;
  std::uint8_t move_count_;
  bool decline_to_small_;
  detail::id_lists lists_{3};
  std::vector<std::uint8_t> count_;
};

static_assert(eviction_policy<s3fifo_policy>);

}  // namespace kvtier
