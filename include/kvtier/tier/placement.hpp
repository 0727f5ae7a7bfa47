#pragma once
// The placement model of Fang et al., "Accelerating LLM Inference via Dynamic KV Cache Placement
// in Heterogeneous Memory System" (arXiv 2508.13231), for decode over HBM and one external tier.
//
// Per decode step the GPU reads D_R bytes of KV, writes D_W, and moves D_M bytes that only HBM
// serves (weights, activations). A fraction α of the reads and β of the writes is served by HBM,
// the rest by the external tier through the link; both proceed in parallel, so
//   T_HBM = (α·D_R + β·D_W + D_M) / B_HBM,   T_ext = ((1−α)·D_R + (1−β)·D_W) / B_ext,
//   T     = max(T_HBM, T_ext),   B_ext = min(link, external memory).
// With D_W = D_M = 0 the time is least when both sides finish together: α* = B_HBM / (B_HBM + B_ext),
// and the aggregate bandwidth D_R / T is then B_HBM + B_ext.
//
// For a distribution of accesses over blocks, a placement chooses which blocks live in HBM (within
// its capacity); place_static() finds the best static placement for that distribution.
#include <kvtier/detail/assert.hpp>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

namespace kvtier {

struct placement_system {
  double hbm_bytes_per_s = 0;
  double ext_memory_bytes_per_s = 0;  ///< the external memory itself
  double link_bytes_per_s = 0;        ///< the link to it, one direction
  std::uint64_t hbm_capacity_bytes = 0;
  /// B_ext: the external tier is as fast as the slower of its memory and its link.
  [[nodiscard]] constexpr double ext_bytes_per_s() const noexcept {
    return std::min(ext_memory_bytes_per_s, link_bytes_per_s);
  }
  friend constexpr bool operator==(const placement_system&, const placement_system&) = default;
};

/// Fang et al.'s GH200-like system: 4.9 TB/s HBM of 24 GB, a 900 GB/s NVLink-C2C link, 500 GB/s DRAM.
inline constexpr placement_system fang_gh200{4.9e12, 500e9, 900e9, 24'000'000'000};

struct step_traffic {
  double read_bytes = 0;      ///< D_R: KV read in the step
  double write_bytes = 0;     ///< D_W: KV written
  double hbm_only_bytes = 0;  ///< D_M: traffic only HBM serves
  friend constexpr bool operator==(const step_traffic&, const step_traffic&) = default;
};

/// α* = B_HBM / (B_HBM + B_ext): the bandwidth-optimal share of reads served from HBM.
[[nodiscard]] constexpr double optimal_read_split(const placement_system& system) noexcept {
  return system.hbm_bytes_per_s / (system.hbm_bytes_per_s + system.ext_bytes_per_s());
}

/// Seconds of one step with `alpha` of the reads and `beta` of the writes served by HBM.
[[nodiscard]] constexpr double step_time_s(const placement_system& system, const step_traffic& traffic, double alpha,
                                           double beta) noexcept {
  const double hbm_s =
      (alpha * traffic.read_bytes + beta * traffic.write_bytes + traffic.hbm_only_bytes) / system.hbm_bytes_per_s;
  const double ext_s = ((1 - alpha) * traffic.read_bytes + (1 - beta) * traffic.write_bytes) / system.ext_bytes_per_s();
  return std::max(hbm_s, ext_s);
}

/// Bytes moved per second of step time: (D_R + D_W + D_M) / T.
[[nodiscard]] constexpr double aggregate_bytes_per_s(const placement_system& system, const step_traffic& traffic,
                                                     double alpha, double beta) noexcept {
  return (traffic.read_bytes + traffic.write_bytes + traffic.hbm_only_bytes) /
         step_time_s(system, traffic, alpha, beta);
}

/// One block and how often a step reads it (expected reads per step; a probability for one-off use).
struct block_demand {
  std::uint64_t bytes = 0;
  double reads_per_step = 0;
  [[nodiscard]] constexpr double traffic_bytes() const noexcept { return static_cast<double>(bytes) * reads_per_step; }
  friend constexpr bool operator==(const block_demand&, const block_demand&) = default;
};

struct placement_result {
  std::vector<bool> in_hbm;  ///< one flag per block
  std::uint64_t hbm_used_bytes = 0;
  double hbm_read_bytes = 0;  ///< per step
  double ext_read_bytes = 0;  ///< per step
  double time_s = 0;          ///< per step, from the model
  double aggregate_bytes_per_s = 0;
  [[nodiscard]] double hbm_read_share() const noexcept {
    const double total = hbm_read_bytes + ext_read_bytes;
    return total > 0 ? hbm_read_bytes / total : 0.0;
  }
  [[nodiscard]] bool fits(const placement_system& system) const noexcept {
    return hbm_used_bytes <= system.hbm_capacity_bytes;
  }
};

/// Time and aggregate bandwidth of a given placement for reads distributed as `demands` say.
[[nodiscard]] inline placement_result evaluate_placement(const placement_system& system,
                                                         std::span<const block_demand> demands,
                                                         const std::vector<bool>& in_hbm) {
  KVTIER_ASSERT(demands.size() == in_hbm.size(), "one placement flag per block");
  placement_result result;
  result.in_hbm = in_hbm;
  for (std::size_t i = 0; i < demands.size(); ++i) {
    if (in_hbm[i]) {
      result.hbm_used_bytes += demands[i].bytes;
      result.hbm_read_bytes += demands[i].traffic_bytes();
    } else {
      result.ext_read_bytes += demands[i].traffic_bytes();
    }
  }
  const double total = result.hbm_read_bytes + result.ext_read_bytes;
  result.time_s =
      std::max(result.hbm_read_bytes / system.hbm_bytes_per_s, result.ext_read_bytes / system.ext_bytes_per_s());
  result.aggregate_bytes_per_s = result.time_s > 0 ? total / result.time_s : 0.0;
  return result;
}

/// The least step time any placement can reach if blocks could be split: HBM serves the hottest
/// bytes, up to α* of the traffic or its capacity, whichever comes first.
[[nodiscard]] inline double static_time_bound_s(const placement_system& system, std::span<const block_demand> demands) {
  std::vector<block_demand> sorted(demands.begin(), demands.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const block_demand& a, const block_demand& b) { return a.reads_per_step > b.reads_per_step; });
  double total = 0;
  for (const block_demand& d : sorted) total += d.traffic_bytes();
  double room = static_cast<double>(system.hbm_capacity_bytes);
  double reachable = 0;  // the most traffic HBM can hold, the hottest bytes first
  for (const block_demand& d : sorted) {
    const double take = std::min(room, static_cast<double>(d.bytes));
    reachable += take * d.reads_per_step;
    room -= take;
    if (room <= 0) break;
  }
  const double hbm = std::min(reachable, optimal_read_split(system) * total);
  return std::max(hbm / system.hbm_bytes_per_s, (total - hbm) / system.ext_bytes_per_s());
}

/// The best static placement for `demands`: blocks go to HBM hottest (most reads per byte) first
/// while capacity remains and the HBM side is not the slower one; then each remaining block,
/// hottest first, joins HBM if it fits and shortens the step. It is within one block's traffic of
/// static_time_bound_s(), and exact when blocks are of one size and HBM capacity binds.
[[nodiscard]] inline placement_result place_static(const placement_system& system,
                                                   std::span<const block_demand> demands) {
  std::vector<std::size_t> order(demands.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return demands[a].reads_per_step > demands[b].reads_per_step; });
  double total = 0;
  for (const block_demand& d : demands) total += d.traffic_bytes();
  const auto time_with = [&](double hbm) {
    return std::max(hbm / system.hbm_bytes_per_s, (total - hbm) / system.ext_bytes_per_s());
  };
  std::vector<bool> in_hbm(demands.size(), false);
  std::uint64_t used = 0;
  double hbm = 0;
  for (const std::size_t i : order) {
    const block_demand& d = demands[i];
    if (d.bytes > system.hbm_capacity_bytes - used) continue;
    if (time_with(hbm + d.traffic_bytes()) < time_with(hbm)) {
      in_hbm[i] = true;
      used += d.bytes;
      hbm += d.traffic_bytes();
    }
  }
  return evaluate_placement(system, demands, in_hbm);
}

}  // namespace kvtier
