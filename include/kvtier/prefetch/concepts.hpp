#pragma once
// Prefetch planning: when to start loading a request's cached KV from lower tiers so that the loads
// hide behind compute (layer-wise pipelining), which blocks matter most (position-aware priorities),
// and which reused blocks need their keys re-rotated because they sit at a new position.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kvtier {

/// One lower tier's link as a planner sees it.
struct tier_link {
  double bandwidth_bytes_per_s = 1.0;
  double latency_s = 0.0;
  friend constexpr bool operator==(const tier_link&, const tier_link&) = default;
};

/// A request's load and compute, per layer: bytes to fetch from each tier (tier-major:
/// `load_bytes[t * layers + l]`) and compute time per layer.
struct layer_workload {
  std::span<const double> compute_s;   ///< per layer
  std::span<const tier_link> tiers;    ///< one per source tier
  std::span<const double> load_bytes;  ///< tiers × layers, tier-major
};

struct layer_plan {
  std::vector<std::size_t> load_order;  ///< layers in the order their loads are issued
  std::size_t layers_ahead = 0;         ///< layers loaded before compute starts
  double stall_s = 0.0;                 ///< compute-idle time that remains (waiting for loads)
  double total_s = 0.0;                 ///< from the first load to the end of the last layer
  double compute_s = 0.0;               ///< sum of per-layer compute
  friend bool operator==(const layer_plan&, const layer_plan&) = default;
};

/// A reused block whose keys were rotated for `old_position_tokens` and are read at
/// `new_position_tokens`: the copy path re-rotates by the difference (prefetch/rope.hpp).
struct position_shift {
  std::uint64_t old_position_tokens = 0;
  std::uint64_t new_position_tokens = 0;
  [[nodiscard]] constexpr bool needs_rerotation() const noexcept { return old_position_tokens != new_position_tokens; }
  friend constexpr bool operator==(const position_shift&, const position_shift&) = default;
};

/// A planner of layer-wise loads.
///
/// Semantic requirements (checked by tests/prefetch law tests for every model):
/// 1. `load_order` is a permutation of 0..layers-1 and `layers_ahead <= layers`.
/// 2. `total_s >= compute_s` and `stall_s == total_s - compute_s` (within rounding).
/// 3. With no bytes to load, `stall_s == 0`.
/// 4. More bandwidth on any tier never increases `stall_s`.
template <class P>
concept prefetch_planner = requires(const P& planner, const layer_workload& workload) {
  { planner.plan(workload) } -> std::same_as<layer_plan>;
};

}  // namespace kvtier
