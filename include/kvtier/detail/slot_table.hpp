#pragma once
// Bookkeeping of a tier made of equal slots (the CUDA device and pinned-host tiers): which block key
// holds which slot and how many bytes, which slots are free, the bytes of the resident blocks, and
// their recency (least recently inserted or found first). Host code, no CUDA: tested on the CPU.
#include <kvtier/block_key.hpp>

#include <cstdint>
#include <iterator>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

namespace kvtier::detail {

class slot_table {
 public:
  struct entry {
    std::uint64_t slot = 0;
    std::uint64_t bytes = 0;
    friend constexpr bool operator==(const entry&, const entry&) = default;
  };

  slot_table() = default;
  explicit slot_table(std::uint64_t slot_count) : slot_count_{slot_count} {
    free_.reserve(slot_count);
    for (std::uint64_t s = slot_count; s > 0; --s) free_.push_back(s - 1);  // lowest slot first
  }

  [[nodiscard]] std::uint64_t slot_count() const noexcept { return slot_count_; }
  [[nodiscard]] std::uint64_t occupied() const noexcept { return slot_count_ - free_.size(); }
  [[nodiscard]] bool has_free_slot() const noexcept { return !free_.empty(); }
  /// Sum of the bytes of the resident blocks.
  [[nodiscard]] std::uint64_t used_bytes() const noexcept { return used_bytes_; }
  [[nodiscard]] bool contains(const block_key& key) const { return index_.contains(key); }

  [[nodiscard]] std::optional<entry> find(const block_key& key) const {
    const auto found = index_.find(key);
    if (found == index_.end()) return std::nullopt;
    return found->second.at;
  }

  /// find, and makes `key` the most recently used block.
  [[nodiscard]] std::optional<entry> touch(const block_key& key) {
    const auto found = index_.find(key);
    if (found == index_.end()) return std::nullopt;
    order_.splice(order_.end(), order_, found->second.position);
    return found->second.at;
  }

  /// The least recently inserted or found key; nullopt when the table is empty.
  [[nodiscard]] std::optional<block_key> oldest() const {
    if (order_.empty()) return std::nullopt;
    return order_.front();
  }

  /// Takes a free slot for `key` (then the most recently used block); nullopt when the key is
  /// present or no slot is free.
  [[nodiscard]] std::optional<entry> acquire(const block_key& key, std::uint64_t bytes) {
    if (free_.empty() || index_.contains(key)) return std::nullopt;
    const entry e{free_.back(), bytes};
    order_.push_back(key);
    try {
      index_.emplace(key, record{e, std::prev(order_.end())});
    } catch (...) {
      order_.pop_back();
      throw;
    }
    free_.pop_back();
    used_bytes_ += bytes;
    return e;
  }

  /// Frees the slot of `key`; the entry it had, nullopt when absent.
  std::optional<entry> release(const block_key& key) {
    const auto found = index_.find(key);
    if (found == index_.end()) return std::nullopt;
    const entry e = found->second.at;
    order_.erase(found->second.position);
    index_.erase(found);
    free_.push_back(e.slot);  // capacity reserved for every slot: never allocates
    used_bytes_ -= e.bytes;
    return e;
  }

 private:
  struct record {
    entry at;
    std::list<block_key>::iterator position;
  };

  std::uint64_t slot_count_ = 0;
  std::uint64_t used_bytes_ = 0;
  std::unordered_map<block_key, record, block_key_hash> index_;
  std::list<block_key> order_;
  std::vector<std::uint64_t> free_;
};

}  // namespace kvtier::detail
