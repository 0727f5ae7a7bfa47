// Copy-engine path: merged contiguous runs submitted as one batch, or one cudaMemcpyAsync each.
#include <kvtier/copy/cpu_gather_scatter.hpp>
#include <kvtier/copy/layout.hpp>
#include <kvtier/cuda/transfer.cuh>

#include <cuda_runtime.h>

#include <cstddef>
#include <new>
#include <vector>

namespace kvtier::cuda {
namespace {

struct run_batch {
  std::vector<void*> dsts;
  std::vector<const void*> srcs;
  std::vector<std::size_t> sizes;
};

cudaError_t submit(run_batch& batch, cudaStream_t stream) noexcept {
#if CUDART_VERSION >= 12080
  // The batch API refuses the legacy default stream; it is also refused by older drivers.
  if (stream != nullptr && stream != cudaStreamLegacy && !batch.sizes.empty()) {
    cudaMemcpyAttributes attributes{};
    attributes.srcAccessOrder = cudaMemcpySrcAccessOrderStream;
    attributes.flags = cudaMemcpyFlagPreferOverlapWithCompute;
    std::size_t attribute_index = 0;
    const cudaError_t e = cudaMemcpyBatchAsync(batch.dsts.data(), batch.srcs.data(), batch.sizes.data(),
                                               batch.sizes.size(), &attributes, &attribute_index, 1, stream);
    if (e != cudaErrorNotSupported && e != cudaErrorCallRequiresNewerDriver) return e;
    static_cast<void>(cudaGetLastError());  // clear the refusal before falling back
  }
#endif
  for (std::size_t i = 0; i < batch.sizes.size(); ++i) {
    const cudaError_t e = cudaMemcpyAsync(batch.dsts[i], batch.srcs[i], batch.sizes[i], cudaMemcpyDefault, stream);
    if (e != cudaSuccess) return e;
  }
  return cudaSuccess;
}

cudaError_t pointer_is_host(const void* pointer, bool& is_host) noexcept {
  cudaPointerAttributes attributes{};
  const cudaError_t e = cudaPointerGetAttributes(&attributes, pointer);
  if (e != cudaSuccess) return e;
  is_host = attributes.type != cudaMemoryTypeDevice && attributes.type != cudaMemoryTypeManaged;
  return cudaSuccess;
}

}  // namespace

cudaError_t dma_transfer_async(const kv_pool_view& src, const kv_pool_view& dst, const transfer_desc& desc,
                               std::span<const copy_item> host_items, const copy_launch& launch) noexcept {
  if (check_transfer_shape(src, dst, desc, {}) != copy_status::ok) return cudaErrorInvalidValue;
  if (check_items(src, dst, desc, host_items) != copy_status::ok) return cudaErrorInvalidValue;
  run_batch batch;
  try {
    for_each_run(src, dst, desc, host_items, [&](std::byte* to, const std::byte* from, std::uint64_t bytes) {
      batch.dsts.push_back(to);
      batch.srcs.push_back(from);
      batch.sizes.push_back(bytes);
    });
  } catch (const std::bad_alloc&) {
    return cudaErrorMemoryAllocation;
  }
  if (launch.wait_event != nullptr) {
    if (const cudaError_t e = cudaStreamWaitEvent(launch.stream, launch.wait_event, 0); e != cudaSuccess) return e;
  }
  if (const cudaError_t e = submit(batch, launch.stream); e != cudaSuccess) return e;
  return launch.done_event != nullptr ? cudaEventRecord(launch.done_event, launch.stream) : cudaSuccess;
}

cudaError_t copy_async(const kv_pool_view& src, const kv_pool_view& dst, const transfer_desc& desc,
                       std::span<const copy_item> host_items, const copy_item* device_items, const rope_fusion& rope,
                       const copy_launch& launch, const copy_engine_policy& policy, copy_engine* chosen) noexcept {
  if (check_transfer_shape(src, dst, desc, rope) != copy_status::ok) return cudaErrorInvalidValue;
  if (check_items(src, dst, desc, host_items) != copy_status::ok) return cudaErrorInvalidValue;
  bool src_host = false;
  bool dst_host = false;
  if (const cudaError_t e = pointer_is_host(src.bases[0], src_host); e != cudaSuccess) return e;
  if (const cudaError_t e = pointer_is_host(dst.bases[0], dst_host); e != cudaSuccess) return e;
  const copy_route route{src_host != dst_host, rope.enabled, launch.allow_kernel};
  const copy_engine engine = choose_copy_engine(measure_runs(src, dst, desc, host_items), route, policy);
  if (chosen != nullptr) *chosen = engine;
  if (engine == copy_engine::dma) {
    if (rope.enabled) return cudaErrorInvalidValue;
    return dma_transfer_async(src, dst, desc, host_items, launch);
  }
  if (!launch.allow_kernel) return cudaErrorInvalidValue;
  return transfer_async(src, dst, desc, device_items, static_cast<std::uint32_t>(host_items.size()), rope, launch);
}

}  // namespace kvtier::cuda
