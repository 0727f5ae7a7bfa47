// Copy bandwidth on a GPU: the gather kernel and the DMA path against cudaMemcpy of the same
// number of bytes (device-to-device, and pinned host-to-device / device-to-host), in one run.
// Times come from CUDA events (manual time). Pool: 8 layers of a Llama-3-8B-like per-layer NHD
// pool (8 KV heads × 128 bf16, 16-token blocks, 2048 blocks); 256 random blocks are moved.
// Run: ./build/cuda/cuda/bench/bench_cuda --benchmark_counters_tabular=true
#include <kvtier/copy/layout.hpp>
#include <kvtier/cuda/transfer.cuh>

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <random>
#include <vector>

namespace kvtier {
namespace {

constexpr kv_pool_shape pool_shape{8, 2048, 16, 8, 2, 256};
constexpr std::uint32_t moved_blocks = 256;

struct fixture {
  bool ok = false;
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr;
  cudaEvent_t stop = nullptr;
  kv_pool_view pool{};
  std::byte* device_staging = nullptr;
  std::byte* pinned_staging = nullptr;
  std::byte* device_contiguous = nullptr;
  std::vector<copy_item> items;       ///< pool block → staging slot
  std::vector<copy_item> back_items;  ///< staging slot → pool block
  copy_item* device_items = nullptr;
  copy_item* device_back_items = nullptr;
  std::uint64_t bytes = 0;

  fixture() {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) return;
    bool good = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) == cudaSuccess &&
                cudaEventCreate(&start) == cudaSuccess && cudaEventCreate(&stop) == cudaSuccess;
    pool.layout = kv_layout::layer_nhd;
    pool.shape = pool_shape;
    for (std::uint32_t l = 0; good && l < pool_shape.num_layers; ++l) {
      good = cudaMalloc(&pool.bases[l], allocation_bytes(pool.layout, pool_shape)) == cudaSuccess;
    }
    bytes = std::uint64_t{moved_blocks} * pool_shape.num_layers * pool_shape.planes * pool_shape.block_tokens *
            pool_shape.num_heads * pool_shape.row_bytes;
    good = good && cudaMalloc(&device_staging, bytes) == cudaSuccess &&
           cudaMalloc(&device_contiguous, bytes) == cudaSuccess &&
           cudaHostAlloc(&pinned_staging, bytes, cudaHostAllocPortable | cudaHostAllocMapped) == cudaSuccess;
    std::vector<std::uint32_t> blocks(pool_shape.num_blocks);
    std::iota(blocks.begin(), blocks.end(), 0u);
    std::shuffle(blocks.begin(), blocks.end(), std::mt19937_64{1});
    for (std::uint32_t i = 0; i < moved_blocks; ++i) {
      items.push_back({blocks[i], i});
      back_items.push_back({i, blocks[i]});
    }
    good = good && upload(items, device_items) && upload(back_items, device_back_items);
    ok = good;
  }

  static bool upload(const std::vector<copy_item>& host, copy_item*& device) {
    const std::size_t size = host.size() * sizeof(copy_item);
    return cudaMalloc(&device, size) == cudaSuccess &&
           cudaMemcpy(device, host.data(), size, cudaMemcpyHostToDevice) == cudaSuccess;
  }

  kv_pool_view staging(std::byte* base) const {
    return staging_view(base, pool_shape, moved_blocks, pool_shape.num_layers, pool_shape.num_heads);
  }
  transfer_desc desc() const { return {0, 0, pool_shape.num_layers, pool_shape.num_heads}; }
};

fixture& shared() {
  static fixture f;
  return f;
}

template <class Copy>
void timed(benchmark::State& state, Copy&& copy) {
  fixture& f = shared();
  if (!f.ok) {
    state.SkipWithError("no GPU or not enough memory");
    return;
  }
  for (auto _ : state) {
    float ms = 0.0f;
    if (cudaEventRecord(f.start, f.stream) != cudaSuccess || copy(f) != cudaSuccess ||
        cudaEventRecord(f.stop, f.stream) != cudaSuccess || cudaEventSynchronize(f.stop) != cudaSuccess ||
        cudaEventElapsedTime(&ms, f.start, f.stop) != cudaSuccess) {
      state.SkipWithError("a CUDA call failed");
      return;
    }
    state.SetIterationTime(ms / 1000.0);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.bytes));
}

void BM_cuda_gather_kernel_d2d(benchmark::State& state) {
  const auto sm_cap = static_cast<std::uint32_t>(state.range(0));
  timed(state, [&](fixture& f) {
    return cuda::gather_async(f.pool, f.staging(f.device_staging), f.desc(), f.device_items, moved_blocks, {},
                              {f.stream, sm_cap});
  });
}
BENCHMARK(BM_cuda_gather_kernel_d2d)->Arg(0)->Arg(8)->Arg(16)->UseManualTime();

void BM_cuda_memcpy_d2d(benchmark::State& state) {
  timed(state, [](fixture& f) {
    return cudaMemcpyAsync(f.device_contiguous, f.device_staging, f.bytes, cudaMemcpyDeviceToDevice, f.stream);
  });
}
BENCHMARK(BM_cuda_memcpy_d2d)->UseManualTime();

void BM_cuda_gather_kernel_d2h(benchmark::State& state) {
  timed(state, [](fixture& f) {
    return cuda::gather_async(f.pool, f.staging(f.pinned_staging), f.desc(), f.device_items, moved_blocks, {},
                              {f.stream});
  });
}
BENCHMARK(BM_cuda_gather_kernel_d2h)->UseManualTime();

void BM_cuda_gather_dma_d2h(benchmark::State& state) {
  timed(state, [](fixture& f) {
    return cuda::dma_transfer_async(f.pool, f.staging(f.pinned_staging), f.desc(), f.items, {f.stream});
  });
}
BENCHMARK(BM_cuda_gather_dma_d2h)->UseManualTime();

void BM_cuda_scatter_dma_h2d(benchmark::State& state) {
  timed(state, [](fixture& f) {
    return cuda::dma_transfer_async(f.staging(f.pinned_staging), f.pool, f.desc(), f.back_items, {f.stream});
  });
}
BENCHMARK(BM_cuda_scatter_dma_h2d)->UseManualTime();

void BM_cuda_scatter_kernel_h2d(benchmark::State& state) {
  timed(state, [](fixture& f) {
    return cuda::scatter_async(f.staging(f.pinned_staging), f.pool, f.desc(), f.device_back_items, moved_blocks, {},
                               {f.stream});
  });
}
BENCHMARK(BM_cuda_scatter_kernel_h2d)->UseManualTime();

void BM_cuda_memcpy_h2d_pinned(benchmark::State& state) {
  timed(state, [](fixture& f) {
    return cudaMemcpyAsync(f.device_contiguous, f.pinned_staging, f.bytes, cudaMemcpyHostToDevice, f.stream);
  });
}
BENCHMARK(BM_cuda_memcpy_h2d_pinned)->UseManualTime();

void BM_cuda_memcpy_d2h_pinned(benchmark::State& state) {
  timed(state, [](fixture& f) {
    return cudaMemcpyAsync(f.pinned_staging, f.device_contiguous, f.bytes, cudaMemcpyDeviceToHost, f.stream);
  });
}
BENCHMARK(BM_cuda_memcpy_d2h_pinned)->UseManualTime();

}  // namespace
}  // namespace kvtier
