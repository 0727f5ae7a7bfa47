#pragma once
// A map from external 64-bit ids (hashes, a trace's own integers) to dense block ids, for the hot
// path of trace readers. Small keys (below a bound that grows with the number of entries) live in
// a direct table indexed by the key, which makes traces whose ids are already small integers in
// first-seen order (Mooncake's) a sequential walk; other keys go to an open-addressing table
// (linear probing, load at most one half). No allocation per insert.
#include <kvtier/detail/assert.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace kvtier::detail {

class dense_id_map {
 public:
  using value_type = std::uint32_t;
  static constexpr value_type empty = std::numeric_limits<value_type>::max();

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// Prepares for about `count` small keys (the direct table); the hashed part grows on demand.
  void reserve(std::size_t count) { direct_.reserve(count); }

  /// The value stored for `key`, inserting `value` first if the key is new; and whether it was new.
  std::pair<value_type, bool> try_emplace(std::uint64_t key, value_type value) {
    KVTIER_ASSERT(value != empty, "the largest value marks empty slots");
    if (key >= direct_.size() && key < direct_limit()) grow_direct(key);
    if (key < direct_.size()) {
      value_type& v = direct_[key];
      if (v != empty) return {v, false};
      v = value;
      ++size_;
      return {value, true};
    }
    if (2 * (hashed_ + 1) > slots_.size()) rehash(std::max<std::size_t>(16, 2 * slots_.size()));
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = mix(key) & mask;; i = (i + 1) & mask) {
      slot& s = slots_[i];
      if (s.value == empty) {
        s = {key, value};
        ++size_;
        ++hashed_;
        return {value, true};
      }
      if (s.key == key) return {s.value, false};
    }
  }

 private:
  struct slot {
    std::uint64_t key = 0;
    value_type value = empty;
  };

  /// Keys below this bound are worth a direct slot: at most a few empty slots per entry.
  [[nodiscard]] std::uint64_t direct_limit() const noexcept { return 4 * std::uint64_t{size_} + 65536; }

  static std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64 finaliser
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }

  /// Extends the direct table past `key` and moves the hashed entries it now covers.
  void grow_direct(std::uint64_t key) {
    const std::size_t old_size = direct_.size();
    direct_.resize(std::max<std::size_t>(static_cast<std::size_t>(key) + 1, 2 * old_size), empty);
    bool moved = false;
    for (slot& s : slots_) {
      if (s.value != empty && s.key < direct_.size()) {
        direct_[s.key] = s.value;
        s.value = empty;
        --hashed_;
        moved = true;
      }
    }
    if (moved) rehash(slots_.size());
  }

  void rehash(std::size_t slot_count) {
    std::vector<slot> old = std::exchange(slots_, std::vector<slot>(slot_count));
    const std::size_t mask = slot_count - 1;
    for (const slot& s : old) {
      if (s.value == empty) continue;
      std::size_t i = mix(s.key) & mask;
      while (slots_[i].value != empty) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<value_type> direct_;
  std::vector<slot> slots_;
  std::size_t size_ = 0;
  std::size_t hashed_ = 0;
};

}  // namespace kvtier::detail
