#pragma once
// Intrusive doubly linked lists of dense block ids, threaded through flat arrays indexed by id.
// Many lists share one pair of link arrays because every id is on at most one list at a time
// (LRU: one list; ARC: T1, T2, B1, B2; S3-FIFO: small, main, ghost; LFU: one list a frequency).
// Per id: 12 bytes (prev, next, which list). No allocation per operation once the arrays have
// grown to the id range.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/prefetch.hpp>
#include <kvtier/trace/block_trace.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kvtier::detail {

class id_lists {
 public:
  using list_index = std::uint32_t;
  static constexpr list_index no_list = UINT32_MAX;

  explicit id_lists(std::size_t lists = 1) : heads_(lists) {}

  /// Makes ids 0..id valid (amortised growth).
  void ensure(block_id id) {
    if (id < list_of_.size()) return;
    std::size_t size = list_of_.size() < 1024 ? 1024 : list_of_.size() * 2;
    while (size <= id) size *= 2;
    prev_.resize(size, no_block);
    next_.resize(size, no_block);
    list_of_.resize(size, no_list);
  }
  void reserve_ids(std::size_t ids) {
    if (ids > 0) ensure(static_cast<block_id>(ids - 1));
  }
  void ensure_lists(std::size_t lists) {
    if (heads_.size() < lists) heads_.resize(lists);
  }

  [[nodiscard]] list_index list_of(block_id id) const noexcept { return id < list_of_.size() ? list_of_[id] : no_list; }
  [[nodiscard]] std::size_t size(list_index list) const noexcept { return heads_[list].size; }
  /// Whether `id` is on list `a` or on list `b` (a policy's resident lists, say ARC's T1 and T2).
  [[nodiscard]] bool on_either(block_id id, list_index a, list_index b) const noexcept {
    const list_index where = list_of(id);
    return where == a || where == b;
  }
  /// Takes `id` off list `a` or `b` if it is on one of them; whether it was.
  bool remove_from_either(block_id id, list_index a, list_index b) noexcept {
    if (!on_either(id, a, b)) return false;
    remove(id);
    return true;
  }
  [[nodiscard]] bool empty(list_index list) const noexcept { return heads_[list].size == 0; }
  /// Most recently pushed to the front / the oldest at the back; no_block when empty.
  [[nodiscard]] block_id front(list_index list) const noexcept { return heads_[list].front; }
  [[nodiscard]] block_id back(list_index list) const noexcept { return heads_[list].back; }
  [[nodiscard]] block_id next_toward_back(block_id id) const noexcept { return next_[id]; }
  [[nodiscard]] std::size_t id_capacity() const noexcept { return list_of_.size(); }
  [[nodiscard]] std::size_t bytes_per_id() const noexcept { return sizeof(block_id) * 2 + sizeof(list_index); }

  /// Starts loading the words of `id` that a lookup and a move read (a hint: changes nothing; an id
  /// beyond the arrays is ignored).
  void prefetch(block_id id) const noexcept {
    if (id >= list_of_.size()) return;
    detail::prefetch_line(&list_of_[id]);
    detail::prefetch_line(&prev_[id]);
    detail::prefetch_line(&next_[id]);
  }

  /// `id` must be on no list (call ensure(id) first).
  void push_front(list_index list, block_id id) noexcept {
    KVTIER_ASSERT(id < list_of_.size() && list_of_[id] == no_list, "id already on a list");
    head& h = heads_[list];
    prev_[id] = no_block;
    next_[id] = h.front;
    if (h.front != no_block) prev_[h.front] = id;
    h.front = id;
    if (h.back == no_block) h.back = id;
    ++h.size;
    list_of_[id] = list;
  }

  void remove(block_id id) noexcept {
    KVTIER_ASSERT(id < list_of_.size() && list_of_[id] != no_list, "id on no list");
    head& h = heads_[list_of_[id]];
    const block_id p = prev_[id], n = next_[id];
    if (p != no_block)
      next_[p] = n;
    else
      h.front = n;
    if (n != no_block)
      prev_[n] = p;
    else
      h.back = p;
    --h.size;
    list_of_[id] = no_list;
  }

  block_id pop_back(list_index list) noexcept {
    const block_id id = heads_[list].back;
    KVTIER_ASSERT(id != no_block, "pop_back on an empty list");
    remove(id);
    return id;
  }

  void move_to_front(list_index list, block_id id) noexcept {
    if (list_of_[id] == list && heads_[list].front == id) return;
    remove(id);
    push_front(list, id);
  }

 private:
  struct head {
    block_id front = no_block;
    block_id back = no_block;
    std::size_t size = 0;
  };
  std::vector<block_id> prev_, next_;
  std::vector<list_index> list_of_;
  std::vector<head> heads_;
};

}  // namespace kvtier::detail
