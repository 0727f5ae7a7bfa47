#pragma once
// TinyLFU's approximate frequency histogram (Einziger, Friedman and Manes, "TinyLFU: A Highly
// Efficient Cache Admission Policy", ACM ToS 2017): a count-min sketch of 4 rows of saturating
// 4-bit counters (stored one a byte here), a doorkeeper Bloom filter that absorbs first sightings,
// and a reset that halves every counter and clears the doorkeeper after `sample` increments, so
// that old popularity fades. The four counters of an item share one 64-byte line and its two
// doorkeeper bits one word (blocked layouts, as Caffeine's), so a reference touches two cache lines.
#include <kvtier/trace/block_trace.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kvtier::detail {

class frequency_sketch {
 public:
  /// `expected_items`: distinct items to tell apart (the cache capacity); `sample_factor`: reset
  /// after that many times expected_items recorded references (TinyLFU's W / C ratio).
  explicit frequency_sketch(std::size_t expected_items, std::size_t sample_factor = 10)
      : lines_(std::bit_ceil(std::max<std::size_t>(expected_items, 64)) / 16),
        counters_(64 * lines_, 0),
        doorkeeper_(lines_ * 8, 0),
        sample_(std::max<std::size_t>(expected_items, 1) * std::max<std::size_t>(sample_factor, 1)) {}

  void record(block_id id) {
    const std::uint64_t h = mix(id);
    if (!test_and_set_doorkeeper(h)) {
      count_reference();
      return;
    }
    for (std::size_t row = 0; row < 4; ++row) {
      std::uint8_t& c = counters_[index(h, row)];
      if (c < 15) ++c;
    }
    count_reference();
  }

  /// Estimated references in the current sample (at most 16).
  [[nodiscard]] std::uint32_t estimate(block_id id) const {
    const std::uint64_t h = mix(id);
    std::uint32_t least = 15;
    for (std::size_t row = 0; row < 4; ++row) least = std::min<std::uint32_t>(least, counters_[index(h, row)]);
    return least + (in_doorkeeper(h) ? 1 : 0);
  }

  [[nodiscard]] std::size_t bytes() const noexcept { return counters_.size() + doorkeeper_.size() * 8; }

 private:
  static std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64 finaliser
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  /// Row r's counter: 16 counters a row in the item's 64-byte line, chosen by 4 bits of the hash each.
  [[nodiscard]] std::size_t index(std::uint64_t h, std::size_t row) const noexcept {
    const std::size_t line = static_cast<std::size_t>(h >> 32) & (lines_ - 1);
    return line * 64 + row * 16 + static_cast<std::size_t>((h >> (4 * row)) & 15);
  }
  [[nodiscard]] std::size_t door_word(std::uint64_t h) const noexcept {
    return static_cast<std::size_t>(h >> 40) % doorkeeper_.size();
  }
  [[nodiscard]] static std::uint64_t door_mask(std::uint64_t h) noexcept {
    return (std::uint64_t{1} << ((h >> 16) & 63)) | (std::uint64_t{1} << ((h >> 22) & 63));
  }
  [[nodiscard]] bool in_doorkeeper(std::uint64_t h) const noexcept {
    return (doorkeeper_[door_word(h)] & door_mask(h)) == door_mask(h);
  }
  /// Returns whether h was already in the doorkeeper; adds it either way.
  bool test_and_set_doorkeeper(std::uint64_t h) noexcept {
    const bool present = in_doorkeeper(h);
    doorkeeper_[door_word(h)] |= door_mask(h);
    return present;
  }
  void count_reference() {
    if (++references_ < sample_) return;
    for (std::uint8_t& c : counters_) c = static_cast<std::uint8_t>(c / 2);
    std::fill(doorkeeper_.begin(), doorkeeper_.end(), 0);
    references_ = 0;
  }

  std::size_t lines_;
  std::vector<std::uint8_t> counters_;
  std::vector<std::uint64_t> doorkeeper_;
  std::size_t sample_;
  std::size_t references_ = 0;
};

}  // namespace kvtier::detail
