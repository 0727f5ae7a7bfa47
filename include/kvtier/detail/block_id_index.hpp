#pragma once
// An index of dense 32-bit ids by block key, for the cache manager's key → id lookup. The keys live
// with the caller, who names them by id (`key_of(id)`); the index holds only the ids, 4 bytes a
// slot: open addressing with linear probing at load at most one half, deletion by backward shift (no
// tombstones). A lookup reads one or two adjacent slots and the caller's record of the id it finds,
// which the caller reads next anyway; an insert allocates only when the index doubles.
// Block keys are hashes already (uniform low bits) or a trace's dense ids {0, i} in first-seen order:
// the home slot is the low bits of block_key_hash, so that trace keys touched close in time sit
// close in the index (a sequential walk, as in dense_id_map) and hashed keys spread uniformly.
#include <kvtier/block_key.hpp>
#include <kvtier/detail/assert.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
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
    for (std::size_t i = home(key);; i = next(i)) {
      const id_type id = slots_[i];
      if (id == none || key_of(id) == key) return id;
    }
  }

  /// Indexes `id` under `key`, which must be absent (find first).
  template <class KeyOf>
  requires std::invocable<const KeyOf&, id_type>
  void insert(const block_key& key, id_type id, const KeyOf& key_of) {
    KVTIER_ASSERT(id != none, "the largest id marks empty slots");
    if (2 * (size_ + 1) > slots_.size()) rehash(2 * slots_.size(), key_of);
    std::size_t i = home(key);
    while (slots_[i] != none) {
      KVTIER_ASSERT(key_of(slots_[i]) != key, "a key is indexed once");
      i = next(i);
    }
    slots_[i] = id;
    ++size_;
  }

  /// Removes `key`; whether it was present.
  template <class KeyOf>
  requires std::invocable<const KeyOf&, id_type>
  bool erase(const block_key& key, const KeyOf& key_of) {
    std::size_t hole = home(key);
    for (;; hole = next(hole)) {
      if (slots_[hole] == none) return false;
      if (key_of(slots_[hole]) == key) break;
    }
    // Backward shift: move later ids of the run into the hole unless that would put one before its
    // home slot.
    for (std::size_t i = next(hole); slots_[i] != none; i = next(i)) {
      const std::size_t h = home(key_of(slots_[i]));
      const bool movable = hole <= i ? (h <= hole || h > i) : (h <= hole && h > i);
      if (movable) {
        slots_[hole] = slots_[i];
        hole = i;
      }
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

  template <class KeyOf>
  void rehash(std::size_t count, const KeyOf& key_of) {
    std::vector<id_type> old(count, none);
    old.swap(slots_);
    for (const id_type id : old) {
      if (id == none) continue;
      std::size_t i = home(key_of(id));
      while (slots_[i] != none) i = next(i);
      slots_[i] = id;
    }
  }

  std::vector<id_type> slots_;
  std::size_t size_ = 0;
};

}  // namespace kvtier::detail
