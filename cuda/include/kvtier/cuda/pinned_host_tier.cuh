#pragma once
// DRAM tier the GPU reads at PCIe speed: equal slots in pinned, mapped host memory
// (cudaHostAlloc(Portable | Mapped) in chunks), so copy engines and copy kernels both reach it;
// spec presets::dram_pcie5 unless configured. See slot_tier.cuh for the verbs and their guarantees.
#include <kvtier/cuda/slot_tier.cuh>

namespace kvtier::cuda {

using pinned_host_tier = slot_tier<memory_kind::pinned_host>;

static_assert(kvtier::evicting_tier<kvtier::cuda::pinned_host_tier>);

}  // namespace kvtier::cuda
