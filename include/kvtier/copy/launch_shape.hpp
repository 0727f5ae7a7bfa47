#pragma once
// Launch shape of the copy kernels: a grid-stride loop over `total_units` work units (threads that find work), with at
// most `sm_cap` thread blocks when a cap is set, so that at most that many SMs run copy work at once and the rest stay
// free for attention and GEMMs running concurrently.
#include <kvtier/detail/host_device.hpp>

#include <cstdint>

namespace kvtier {

struct launch_shape {
  std::uint32_t grid_blocks = 0;
  std::uint32_t block_threads = 0;
  friend constexpr bool operator==(const launch_shape&, const launch_shape&) = default;
};

/// Thread counts must be multiples of 32 (the copy kernel works in groups of up to a warp).
struct launch_policy {
  std::uint32_t block_threads = 256;          ///< threads per block without a cap
  std::uint32_t capped_block_threads = 1024;  ///< with a cap: one large block per allowed SM
  std::uint32_t blocks_per_sm = 8;            ///< grid limit without a cap, per SM
  friend constexpr bool operator==(const launch_policy&, const launch_policy&) = default;
};

/// Grid for `total_units` units on a device with `sm_count` SMs; `sm_cap` = 0 means no cap.
/// 1. grid_blocks · block_threads ≥ min(total_units, the limit's threads) (every unit is reached
///    by the grid-stride loop); 2. grid_blocks ≤ sm_cap when 0 < sm_cap < sm_count;
/// 3. grid_blocks = 0 exactly when total_units = 0.
KVTIER_HOST_DEVICE constexpr launch_shape choose_launch_shape(std::uint64_t total_units, std::uint32_t sm_count,
                                                              std::uint32_t sm_cap,
                                                              const launch_policy& policy = {}) noexcept {
  const bool capped = sm_cap != 0 && sm_cap < sm_count;
  const std::uint32_t threads = capped ? policy.capped_block_threads : policy.block_threads;
  if (total_units == 0) return {0, threads};
  const std::uint64_t limit =
      capped ? std::uint64_t{sm_cap} : std::uint64_t{sm_count == 0 ? 1u : sm_count} * policy.blocks_per_sm;
  const std::uint64_t needed = (total_units + threads - 1) / threads;
  return {static_cast<std::uint32_t>(needed < limit ? needed : limit), threads};
}

}  // namespace kvtier
