#pragma once
// HBM tier: equal slots in device memory (cudaMalloc in chunks). See slot_tier.cuh for the verbs
// and their guarantees.
#include <kvtier/cuda/slot_tier.cuh>

namespace kvtier::cuda {

using device_tier = slot_tier<memory_kind::device>;

}  // namespace kvtier::cuda
