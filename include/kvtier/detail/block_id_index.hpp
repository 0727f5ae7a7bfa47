#pragma once
// An index of dense 32-bit ids by block key, for the cache manager's key → id lookup. The keys live
// with the caller, who names them by id (`key_of(id)`); the index holds only the ids, 4 bytes a
// slot: open addressing at load at most one half, Robin Hood linear probing (an id never sits
// farther from its home slot than the id it passed), deletion by backward shift (no tombstones).
// Block keys are hashes already (uniform low bits) or a trace's dense ids {0, i} in first-seen
// order: the home slot is the low bits of block_key_hash, so that trace keys touched close in time
// sit close in the index (a sequential walk, as in dense_id_map). Such keys sit at their home slots
// in one long run; Robin Hood order lets a miss and an erasure stop at the first id that is at its
// home instead of walking the run to its end.
#include <kvtier/block_key.hpp>
#include <kvtier/detail/assert.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace kvtier::detail {

class block_id_index {
 public:
  using id_type = std::uint32_t;
  /// Marks empty slots and absent keys: never stored.
  static constexpr id_type none = std::numeric_limits<id_type>::max();

  block_id_index() : slots_(min_slots, none) {}

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// The id of `key`, or `none`.
  template <class KeyOf>
  requires std::invocable<const KeyOf&, id_type>
  [[nodiscard]] id_type find(const block_key& key, const KeyOf& key_of) const {
    const std::size_t start = home(key);
    for (std::size_t i = start, distance = 0;; i = next(i), ++distance) {
      const id_type id = slots_[i];
      if (id == none) return none;
      const block_key& held = key_of(id);
      if (held == key) return id;
      if (distance_of(held, i) < distance) return none;  // `key` would have displaced this id
    }
  }

  /// Indexes `id` under `key`, which must be absent (find first).
  template <class KeyOf>
  requires std::invocable<const KeyOf&, id_type>
  void insert(const block_key& key, id_type id, const KeyOf& key_of) {
    KVTIER_ASSERT(id != none, "the largest id marks empty slots");
    if (2 * (size_ + 1) > slots_.size()) rehash(2 * slots_.size(), key_of);
    place(id, home(key), key_of);
    ++size_;
  }

  /// Removes `key`; whether it was present.
  template <class KeyOf>
  requires std::invocable<const KeyOf&, id_type>
  bool erase(const block_key& key, const KeyOf& key_of) {
    std::size_t hole = home(key);
    for (std::size_t distance = 0;; hole = next(hole), ++distance) {
      const id_type id = slots_[hole];
      if (id == none) return false;
      const block_key& held = key_of(id);
      if (held == key) break;
      if (distance_of(held, hole) < distance) return false;
    }
    // Backward shift: pull each following id one slot back until an empty slot or an id at its home.
    for (std::size_t i = next(hole); slots_[i] != none && distance_of(key_of(slots_[i]), i) != 0; i = next(i)) {
      slots_[hole] = slots_[i];
      hole = i;
    }
    slots_[hole] = none;
    --size_;
    return true;
  }

 private:
  static constexpr std::size_t min_slots = 16;

  [[nodiscard]] std::size_t home(const block_key& key) const noexcept {
    return block_key_hash{}(key) & (slots_.size() - 1);
  }
  [[nodiscard]] std::size_t next(std::size_t i) const noexcept { return (i + 1) & (slots_.size() - 1); }
  /// How far slot `i`, holding `key`, is past the key's home.
  [[nodiscard]] std::size_t distance_of(const block_key& key, std::size_t i) const noexcept {
    return (i - home(key)) & (slots_.size() - 1);
  }

  /// Robin Hood insertion of `id` from slot `start`: it takes the place of the first id nearer its
  /// own home, which carries on.
  template <class KeyOf>
  void place(id_type id, std::size_t start, const KeyOf& key_of) {
    std::size_t distance = 0;
    for (std::size_t i = start;; i = next(i), ++distance) {
      if (slots_[i] == none) {
        slots_[i] = id;
        return;
      }
      const std::size_t held = distance_of(key_of(slots_[i]), i);
      if (held < distance) {
        std::swap(id, slots_[i]);
        distance = held;
      }
    }
  }

  template <class KeyOf>
  void rehash(std::size_t count, const KeyOf& key_of) {
    std::vector<id_type> old(count, none);
    old.swap(slots_);
    for (const id_type id : old) {
      if (id != none) place(id, home(key_of(id)), key_of);
    }
  }

  std::vector<id_type> slots_;
  std::size_t size_ = 0;
};

}  // namespace kvtier::detail
