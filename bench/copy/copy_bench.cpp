// CPU gather and scatter of paged KV against memcpy of the same bytes, in one binary.
// The pool (256 MiB) is far larger than the caches; each iteration moves 32 MiB of blocks picked
// at random. Argument: bytes of one block (per layer for the per-layer pool).
//   BM_copy_memcpy_contiguous      one memcpy of the whole 32 MiB (upper bound)
//   BM_copy_memcpy_blocks          one memcpy per block, same scattered sources (the baseline)
//   BM_copy_cpu_gather             cross-layer pool (block_first) → staging
//   BM_copy_cpu_gather_per_layer   4 per-layer NHD pools → staging (one run per layer)
//   BM_copy_cpu_scatter            staging → cross-layer pool
#include <kvtier/copy/cpu_gather_scatter.hpp>
#include <kvtier/copy/layout.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace kvtier {
namespace {

constexpr std::uint64_t pool_bytes = std::uint64_t{256} << 20;
constexpr std::uint64_t moved_bytes = std::uint64_t{32} << 20;
constexpr std::uint32_t row_bytes = 256;  // 128 bf16
constexpr std::uint32_t heads = 8;
constexpr std::uint32_t per_token_bytes = 2 * heads * row_bytes;  // K and V of all heads

struct setup {
  std::vector<std::byte> pool_memory;
  std::vector<std::byte> staging_memory;
  kv_pool_view pool{};
  kv_pool_view staging{};
  std::vector<copy_item> items;
  std::vector<copy_item> back_items;
  std::uint64_t block_bytes = 0;

  setup(std::uint64_t block_bytes_, std::uint32_t layers) : block_bytes{block_bytes_} {
    const auto tokens = static_cast<std::uint32_t>(block_bytes / per_token_bytes);
    const auto blocks = static_cast<std::uint32_t>(pool_bytes / (block_bytes * layers));
    const auto moved = static_cast<std::uint32_t>(moved_bytes / (block_bytes * layers));
    const kv_pool_shape shape{layers, blocks, tokens, heads, 2, row_bytes};
    pool_memory.assign(pool_bytes, std::byte{1});
    staging_memory.assign(moved_bytes, std::byte{2});
    pool.layout = layers == 1 ? kv_layout::block_first : kv_layout::layer_nhd;
    pool.shape = shape;
    for (std::uint32_t l = 0; l < layers; ++l) {
      pool.bases[l] = pool_memory.data() + (layers == 1 ? 0 : l * allocation_bytes(pool.layout, shape));
    }
    staging = staging_view(staging_memory.data(), shape, moved, layers, heads);
    std::vector<std::uint32_t> order(blocks);
    std::iota(order.begin(), order.end(), 0u);
    std::shuffle(order.begin(), order.end(), std::mt19937_64{42});
    for (std::uint32_t i = 0; i < moved; ++i) {
      items.push_back({order[i], i});
      back_items.push_back({i, order[i]});
    }
  }
  transfer_desc desc() const { return {0, 0, pool.shape.num_layers, heads}; }
};

void report(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * moved_bytes));
}

void BM_copy_memcpy_contiguous(benchmark::State& state) {
  setup s{static_cast<std::uint64_t>(state.range(0)), 1};
  for (auto _ : state) {
    std::memcpy(s.staging_memory.data(), s.pool_memory.data() + moved_bytes, moved_bytes);
    benchmark::ClobberMemory();
  }
  report(state);
}

void BM_copy_memcpy_blocks(benchmark::State& state) {
  setup s{static_cast<std::uint64_t>(state.range(0)), 1};
  for (auto _ : state) {
    for (const copy_item& item : s.items) {
      std::memcpy(s.staging_memory.data() + item.dst_block * s.block_bytes,
                  s.pool_memory.data() + item.src_block * s.block_bytes, s.block_bytes);
    }
    benchmark::ClobberMemory();
  }
  report(state);
}

void BM_copy_cpu_gather(benchmark::State& state) {
  setup s{static_cast<std::uint64_t>(state.range(0)), 1};
  for (auto _ : state) {
    benchmark::DoNotOptimize(cpu_gather(s.pool, s.staging, s.desc(), s.items));
    benchmark::ClobberMemory();
  }
  report(state);
}

void BM_copy_cpu_gather_per_layer(benchmark::State& state) {
  setup s{static_cast<std::uint64_t>(state.range(0)), 4};
  for (auto _ : state) {
    benchmark::DoNotOptimize(cpu_gather(s.pool, s.staging, s.desc(), s.items));
    benchmark::ClobberMemory();
  }
  report(state);
}

void BM_copy_cpu_scatter(benchmark::State& state) {
  setup s{static_cast<std::uint64_t>(state.range(0)), 1};
  for (auto _ : state) {
    benchmark::DoNotOptimize(cpu_scatter(s.staging, s.pool, s.desc(), s.back_items));
    benchmark::ClobberMemory();
  }
  report(state);
}

void block_sizes(benchmark::internal::Benchmark* b) { b->RangeMultiplier(4)->Range(16 << 10, 1 << 20); }

BENCHMARK(BM_copy_memcpy_contiguous)->Arg(64 << 10);
BENCHMARK(BM_copy_memcpy_blocks)->Apply(block_sizes);
BENCHMARK(BM_copy_cpu_gather)->Apply(block_sizes);
BENCHMARK(BM_copy_cpu_gather_per_layer)->Apply(block_sizes);
BENCHMARK(BM_copy_cpu_scatter)->Apply(block_sizes);

}  // namespace
}  // namespace kvtier
