#pragma once
// Scoring: how much a block's KV still matters to attention, per (layer, KV head), from attention
// mass reported by an engine or, when it reports none, from accesses alone.
#include <concepts>
#include <cstddef>
#include <span>

namespace kvtier {

/// Shape of one block's head-granular scores.
struct head_grid {
  std::size_t layers = 1;
  std::size_t kv_heads = 1;
  [[nodiscard]] constexpr std::size_t cells() const noexcept { return layers * kv_heads; }
  friend constexpr bool operator==(const head_grid&, const head_grid&) = default;
};

/// A scorer of resident blocks. Priorities are eviction priorities: higher = evict sooner.
///
/// Semantic requirements (checked by tests/score law tests for every model):
/// 1. `observe(slot, mass, now)` with `mass.size() == grid().cells()` records attention mass in [0, 1]
///    per (layer, head) cell, layer-major; `touch(slot, now)` records an access with no mass.
/// 2. `block_priority(slot, now)` is the maximum over cells of `head_priority(slot, layer, head, now)`.
/// 3. Every priority is in [0, 1] and, for a fixed score, non-decreasing in `now`.
/// 4. A larger attention mass never raises a cell's priority at the same age.
template <class S>
concept scorer = requires(S& s, const S& cs, std::size_t slot, std::span<const float> mass, double now_s,
                          std::size_t layer, std::size_t head) {
  { cs.grid() } -> std::same_as<head_grid>;
  s.observe(slot, mass, now_s);
  s.touch(slot, now_s);
  { cs.head_priority(slot, layer, head, now_s) } -> std::same_as<double>;
  { cs.block_priority(slot, now_s) } -> std::same_as<double>;
};

}  // namespace kvtier
