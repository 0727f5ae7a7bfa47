#pragma once
// Belady's MIN (1966), the offline optimum for a cache that must admit every miss: when full,
// evict the resident block whose next reference lies farthest in the future (never-again first).
// Like libCacheSim's Belady, the missing block is always admitted and is not a candidate for its
// own eviction; blocks never referenced again tie and any of them may go. Needs
// block_access::next_ref, which the simulator fills for offline policies.
//
// A max-heap of (next reference, id) with lazy deletion: a hit pushes a fresh entry and the stale
// one is skipped when it surfaces; the heap is rebuilt when stale entries outnumber live ones.
#include <kvtier/detail/assert.hpp>
#include <kvtier/policy/concepts.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace kvtier {

class belady_policy {
 public:
  static constexpr std::string_view name = "belady";
  static constexpr bool needs_future = true;

  explicit belady_policy(std::size_t capacity_blocks) : capacity_(capacity_blocks) {
    KVTIER_ASSERT(capacity_blocks >= 1, "capacity must be at least one block");
  }

  bool access(const block_access& a, std::vector<block_id>& evicted) {
    evicted.clear();
    ensure(a.id);
    const bool hit = resident_[a.id] != 0;
    if (!hit) {
      if (size_ >= capacity_) evict_one(evicted);
      resident_[a.id] = 1;
      ++size_;
    }
    next_[a.id] = a.next_ref;
    push(a.next_ref, a.id);
    return hit;
  }

  bool erase(block_id id) {
    if (!contains(id)) return false;
    resident_[id] = 0;
    --size_;
    return true;
  }

  [[nodiscard]] bool contains(block_id id) const noexcept { return id < resident_.size() && resident_[id] != 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  void reserve_ids(std::size_t ids) {
    if (ids > 0) ensure(static_cast<block_id>(ids - 1));
  }

 private:
  using entry = std::pair<std::uint64_t, block_id>;  // (next reference, id): max-heap on the first

  void ensure(block_id id) {
    if (id < resident_.size()) return;
    std::size_t size = resident_.size() < 1024 ? 1024 : resident_.size() * 2;
    while (size <= id) size *= 2;
    resident_.resize(size, 0);
    next_.resize(size, never);
  }
  [[nodiscard]] bool live(const entry& e) const noexcept {
    return resident_[e.second] != 0 && next_[e.second] == e.first;
  }

  void push(std::uint64_t next_ref, block_id id) {
    heap_.emplace_back(next_ref, id);
    std::push_heap(heap_.begin(), heap_.end());
    if (heap_.size() > 2 * size_ + 1024) compact();
  }

  void evict_one(std::vector<block_id>& evicted) {
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end());
      const entry top = heap_.back();
      heap_.pop_back();
      if (!live(top)) continue;
      resident_[top.second] = 0;
      --size_;
      evicted.push_back(top.second);
      return;
    }
    KVTIER_ASSERT(false, "full cache with an empty heap");
  }

  void compact() {
    std::erase_if(heap_, [this](const entry& e) { return !live(e); });
    std::sort(heap_.begin(), heap_.end());
    heap_.erase(std::unique(heap_.begin(), heap_.end()), heap_.end());
    std::make_heap(heap_.begin(), heap_.end());
  }

  std::size_t capacity_;
  std::size_t size_ = 0;
  std::vector<std::uint8_t> resident_;
  std::vector<std::uint64_t> next_;
  std::vector<entry> heap_;
};

static_assert(offline_policy<belady_policy>);

}  // namespace kvtier
