// The copy kernel: one grid-stride loop over the units of a transfer_plan, each thread running
// the shared per-thread body (include/kvtier/copy/detail/transfer_thread.hpp).
#include <kvtier/copy/detail/transfer_thread.hpp>
#include <kvtier/copy/launch_shape.hpp>
#include <kvtier/copy/layout.hpp>
#include <kvtier/cuda/transfer.cuh>

#include <cuda_runtime.h>

namespace kvtier::cuda {
namespace {

// The plan is a __grid_constant__ parameter (about 4.3 KB: two pools with their layer base
// pointers), read in place from constant parameter memory; CUDA 12.1+ allows up to 32 KB.
// Two instances: the plain copy, and the copy with re-rotation (double math, more registers).
template <bool Rope>
__global__ void __launch_bounds__(1024) transfer_kernel(const __grid_constant__ detail::transfer_plan plan) {
  const std::uint64_t thread = std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  const std::uint64_t threads = std::uint64_t{gridDim.x} * blockDim.x;
  detail::transfer_thread<Rope>(plan, thread, threads);
}

}  // namespace

cudaError_t transfer_async(const kv_pool_view& src, const kv_pool_view& dst, const transfer_desc& desc,
                           const copy_item* device_items, std::uint32_t item_count, const rope_fusion& rope,
                           const copy_launch& launch) noexcept {
  if (check_transfer_shape(src, dst, desc, rope) != copy_status::ok) return cudaErrorInvalidValue;
  if (item_count != 0 && device_items == nullptr) return cudaErrorInvalidValue;
  if (launch.wait_event != nullptr) {
    if (const cudaError_t e = cudaStreamWaitEvent(launch.stream, launch.wait_event, 0); e != cudaSuccess) return e;
  }
  const detail::transfer_plan plan = detail::make_transfer_plan(src, dst, desc, rope, device_items, item_count);
  int device = 0;
  if (const cudaError_t e = cudaGetDevice(&device); e != cudaSuccess) return e;
  int sm_count = 0;
  if (const cudaError_t e = cudaDeviceGetAttribute(&sm_count, cudaDevAttrMultiProcessorCount, device);
      e != cudaSuccess) {
    return e;
  }
  const launch_shape shape =
      choose_launch_shape(plan.wanted_threads, static_cast<std::uint32_t>(sm_count), launch.sm_cap);
  if (shape.grid_blocks != 0) {
    if (rope.enabled) {
      transfer_kernel<true><<<shape.grid_blocks, shape.block_threads, 0, launch.stream>>>(plan);
    } else {
      transfer_kernel<false><<<shape.grid_blocks, shape.block_threads, 0, launch.stream>>>(plan);
    }
    if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
  }
  return launch.done_event != nullptr ? cudaEventRecord(launch.done_event, launch.stream) : cudaSuccess;
}

cudaError_t gather_async(const kv_pool_view& paged, const kv_pool_view& staging, const transfer_desc& desc,
                         const copy_item* device_items, std::uint32_t item_count, const rope_fusion& rope,
                         const copy_launch& launch) noexcept {
  return transfer_async(paged, staging, desc, device_items, item_count, rope, launch);
}

cudaError_t scatter_async(const kv_pool_view& staging, const kv_pool_view& paged, const transfer_desc& desc,
                          const copy_item* device_items, std::uint32_t item_count, const rope_fusion& rope,
                          const copy_launch& launch) noexcept {
  return transfer_async(staging, paged, desc, device_items, item_count, rope, launch);
}

}  // namespace kvtier::cuda
