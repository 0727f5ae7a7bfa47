#pragma once
// Bookkeeping of a tier made of equal slots (the CUDA device and pinned-host tiers): which key
// holds which slot and how many bytes, and which slots are free. Keys are std::uint64_t block ids.
// Host code, no CUDA: tested on the CPU.
#include <cstdint>
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
  [[nodiscard]] bool contains(std::uint64_t key) const { return index_.contains(key); }

  [[nodiscard]] std::optional<entry> find(std::uint64_t key) const {
    const auto found = index_.find(key);
    if (found == index_.end()) return std::nullopt;
    return found->second;
  }

  /// Takes a free slot for `key`; nullopt when the key is present or no slot is free.
  [[nodiscard]] std::optional<entry> acquire(std::uint64_t key, std::uint64_t bytes) {
    if (free_.empty() || index_.contains(key)) return std::nullopt;
    const entry e{free_.back(), bytes};
    index_.emplace(key, e);
    free_.pop_back();
    return e;
  }

  /// Frees the slot of `key`; the entry it had, nullopt when absent.
  std::optional<entry> release(std::uint64_t key) {
    const auto found = index_.find(key);
    if (found == index_.end()) return std::nullopt;
    const entry e = found->second;
    index_.erase(found);
    free_.push_back(e.slot);
    return e;
  }

 private:
  std::uint64_t slot_count_ = 0;
  std::unordered_map<std::uint64_t, entry> index_;
  std::vector<std::uint64_t> free_;
};

}  // namespace kvtier::detail
