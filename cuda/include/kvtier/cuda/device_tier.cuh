#pragma once
// HBM tier: equal slots in device memory (cudaMalloc in chunks), spec presets::h100_sxm_hbm unless
// configured. See slot_tier.cuh for the verbs and their guarantees.
#include <kvtier/cuda/slot_tier.cuh>

namespace kvtier::cuda {

using device_tier = slot_tier<memory_kind::device>;

static_assert(kvtier::evicting_tier<kvtier::cuda::device_tier>);

}  // namespace kvtier::cuda
