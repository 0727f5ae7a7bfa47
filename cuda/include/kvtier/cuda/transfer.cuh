#pragma once
// Gather and scatter of paged KV on a GPU, batched over many blocks and layers in one launch.
// Every entry point is asynchronous on the given stream, returns a cudaError_t and never throws.
//
// Ordering against compute: a copy may only read blocks that compute has finished writing and may
// only overwrite blocks nobody reads any more. Pass `wait_event` (recorded by compute after its
// last write or read of the blocks) and `done_event` (compute waits on it before touching the
// destination). Without them the caller orders the streams itself.
//
// Kernel or DMA: transfer_async always runs the copy kernel, dma_transfer_async always uses copy
// engines, copy_async picks one with choose_copy_engine (see docs/cuda.md).
#include <kvtier/copy/concepts.hpp>
#include <kvtier/copy/engine_choice.hpp>

#include <cuda_runtime_api.h>

#include <cstdint>
#include <span>

namespace kvtier::cuda {

struct copy_launch {
  cudaStream_t stream = nullptr;     ///< stream the copy runs on
  std::uint32_t sm_cap = 0;          ///< at most this many SMs run copy work; 0: no cap
  bool allow_kernel = true;          ///< false: copy_async may only use copy engines
  cudaEvent_t wait_event = nullptr;  ///< the stream waits for it before copying
  cudaEvent_t done_event = nullptr;  ///< recorded on the stream after the copy
};

/// Copy kernel from `src` to `dst`. `device_items` (item_count of them) must be readable by the
/// device and stay valid until the copy ends; check them with check_items on the host first (the
/// kernel does not). Base pointers must be device or mapped host memory. Returns
/// cudaErrorInvalidValue, before launching anything, when check_transfer_shape refuses.
[[nodiscard]] cudaError_t transfer_async(const kv_pool_view& src, const kv_pool_view& dst, const transfer_desc& desc,
                                         const copy_item* device_items, std::uint32_t item_count,
                                         const rope_fusion& rope, const copy_launch& launch) noexcept;

/// transfer_async from a paged pool into a contiguous staging pool (see staging_view).
[[nodiscard]] cudaError_t gather_async(const kv_pool_view& paged, const kv_pool_view& staging,
                                       const transfer_desc& desc, const copy_item* device_items,
                                       std::uint32_t item_count, const rope_fusion& rope,
                                       const copy_launch& launch) noexcept;

/// transfer_async from a contiguous staging pool back into a paged pool.
[[nodiscard]] cudaError_t scatter_async(const kv_pool_view& staging, const kv_pool_view& paged,
                                        const transfer_desc& desc, const copy_item* device_items,
                                        std::uint32_t item_count, const rope_fusion& rope,
                                        const copy_launch& launch) noexcept;

/// Copy engines: one copy per merged contiguous run (for_each_run), submitted with
/// cudaMemcpyBatchAsync on a non-default stream where the runtime has it, else cudaMemcpyAsync per
/// run. Items are on the host. Cannot re-rotate keys.
[[nodiscard]] cudaError_t dma_transfer_async(const kv_pool_view& src, const kv_pool_view& dst,
                                             const transfer_desc& desc, std::span<const copy_item> host_items,
                                             const copy_launch& launch) noexcept;

/// Picks kernel or DMA with choose_copy_engine(measure_runs(...), route, policy) and runs it.
/// The kernel needs `device_items`, a device copy of `host_items`; `chosen` receives the choice.
[[nodiscard]] cudaError_t copy_async(const kv_pool_view& src, const kv_pool_view& dst, const transfer_desc& desc,
                                     std::span<const copy_item> host_items, const copy_item* device_items,
                                     const rope_fusion& rope, const copy_launch& launch,
                                     const copy_engine_policy& policy = {}, copy_engine* chosen = nullptr) noexcept;

}  // namespace kvtier::cuda
