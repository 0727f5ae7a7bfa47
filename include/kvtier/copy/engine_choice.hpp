#pragma once
// The rule that picks a copy kernel (SMs) or DMA (copy engines) for a transfer, from the merged
// contiguous runs the transfer consists of (see for_each_run in <kvtier/copy/cpu_gather_scatter.hpp>).
//
//   1. Fused RoPE re-rotation            → kernel (a copy engine cannot transform data).
//   2. No SM may be used (sm_cap = none) → DMA.
//   3. Crossing PCIe (host ↔ device), mean run ≥ pcie_min_mean_run_bytes and at most
//      max_dma_runs runs → DMA: copy engines reach the link's bandwidth from about 64 KiB per copy
//      and leave every SM to compute; smaller runs are gathered by a kernel into one buffer.
//   4. Device-local, mean run ≥ local_min_mean_run_bytes and at most max_dma_runs runs → DMA:
//      only very large runs, because a copy kernel beats copy engines on device-to-device copies.
//   5. Otherwise → kernel.
// The thresholds are starting points; bench/cuda measures both paths so they can be set per GPU.
#include <cstdint>

namespace kvtier {

enum class copy_engine : std::uint8_t { kernel, dma };

struct run_stats {
  std::uint64_t runs = 0;
  std::uint64_t bytes = 0;
  friend constexpr bool operator==(const run_stats&, const run_stats&) = default;
};

struct copy_engine_policy {
  std::uint64_t pcie_min_mean_run_bytes = std::uint64_t{64} << 10;
  std::uint64_t local_min_mean_run_bytes = std::uint64_t{4} << 20;
  std::uint64_t max_dma_runs = 4096;
  friend constexpr bool operator==(const copy_engine_policy&, const copy_engine_policy&) = default;
};

struct copy_route {
  bool crosses_pcie = false;  ///< one side is host memory
  bool fused_rope = false;    ///< keys are re-rotated on the way
  bool sms_allowed = true;    ///< false: the caller forbids SM use (sm_cap of none)
  friend constexpr bool operator==(const copy_route&, const copy_route&) = default;
};

[[nodiscard]] constexpr copy_engine choose_copy_engine(const run_stats& stats, const copy_route& route,
                                                       const copy_engine_policy& policy = {}) noexcept {
  if (route.fused_rope) return copy_engine::kernel;
  if (!route.sms_allowed) return copy_engine::dma;
  if (stats.runs == 0 || stats.runs > policy.max_dma_runs) return copy_engine::kernel;
  const std::uint64_t mean_run_bytes = stats.bytes / stats.runs;
  const std::uint64_t threshold = route.crosses_pcie ? policy.pcie_min_mean_run_bytes : policy.local_min_mean_run_bytes;
  return mean_run_bytes >= threshold ? copy_engine::dma : copy_engine::kernel;
}

}  // namespace kvtier
