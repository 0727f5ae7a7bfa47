#pragma once
// TinyLFU's approximate frequency histogram (Einziger, Friedman and Manes, "TinyLFU: A Highly
// Efficient Cache Admission Policy", ACM ToS 2017): a count-min sketch of 4 rows of saturating
// 4-bit counters (stored one a byte here), a doorkeeper Bloom filter that absorbs first sightings,
// and a reset that halves every counter and clears the doorkeeper after `sample` increments, so
// that old popularity fades.
#include <kvtier/trace/block_trace.hpp>

#include <algorithm>
#include <array>
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
      : width_(std::bit_ceil(std::max<std::size_t>(expected_items, 16))),
        counters_(4 * width_, 0),
        doorkeeper_((8 * width_ + 63) / 64, 0),
        sample_(std::max<std::size_t>(expected_items, 1) * std::max<std::size_t>(sample_factor, 1)) {}

  void record(block_id id) {
    const std::uint64_t h = mix(id);
    if (!test_and_set_doorkeeper(h)) {
      count_reference();
      return;
    }
    for (std::size_t row = 0; row < 4; ++row) {
      std::uint8_t& c = counters_[row * width_ + index(h, row)];
      if (c < 15) ++c;
    }
    count_reference();
  }

  /// Estimated references in the current sample (at most 16).
  [[nodiscard]] std::uint32_t estimate(block_id id) const {
    const std::uint64_t h = mix(id);
    std::uint32_t least = 15;
    for (std::size_t row = 0; row < 4; ++row)
      least = std::min<std::uint32_t>(least, counters_[row * width_ + index(h, row)]);
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
  [[nodiscard]] std::size_t index(std::uint64_t h, std::size_t row) const noexcept {
    const std::uint64_t g = h + row * ((h >> 32) | 1);  // double hashing: h1 + i * h2
    return static_cast<std::size_t>(g) & (width_ - 1);
  }
  [[nodiscard]] std::array<std::size_t, 2> door_bits(std::uint64_t h) const noexcept {
    const std::size_t bits = doorkeeper_.size() * 64;
    return {static_cast<std::size_t>(h >> 7) % bits, static_cast<std::size_t>(h >> 37) % bits};
  }
  [[nodiscard]] bool in_doorkeeper(std::uint64_t h) const noexcept {
    const auto b = door_bits(h);
    return ((doorkeeper_[b[0] / 64] >> (b[0] % 64)) & 1) != 0 && ((doorkeeper_[b[1] / 64] >> (b[1] % 64)) & 1) != 0;
  }
  /// Returns whether h was already in the doorkeeper; adds it either way.
  bool test_and_set_doorkeeper(std::uint64_t h) noexcept {
    const bool present = in_doorkeeper(h);
    for (const std::size_t b : door_bits(h)) doorkeeper_[b / 64] |= std::uint64_t{1} << (b % 64);
    return present;
  }
  void count_reference() {
    if (++references_ < sample_) return;
    for (std::uint8_t& c : counters_) c = static_cast<std::uint8_t>(c / 2);
    std::fill(doorkeeper_.begin(), doorkeeper_.end(), 0);
    references_ = 0;
  }

  std::size_t width_;
  std::vector<std::uint8_t> counters_;
  std::vector<std::uint64_t> doorkeeper_;
  std::size_t sample_;
  std::size_t references_ = 0;
};

}  // namespace kvtier::detail
