// kvtier::cuda on a machine without a GPU (this one): every entry point returns a cudaError_t,
// refuses bad shapes before any CUDA call, and leaves tiers empty (refusing every verb, counting
// each refusal) when memory cannot be had.
#include <kvtier/copy/layout.hpp>
#include <kvtier/cuda/device_tier.cuh>
#include <kvtier/cuda/pinned_host_tier.cuh>
#include <kvtier/cuda/transfer.cuh>

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <vector>

namespace kvtier {
namespace {

bool has_device() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

TEST(CudaEntryPoints, RefuseBadShapesBeforeAnyCudaCall) {
  std::vector<std::byte> memory(1 << 16);
  const kv_pool_shape shape{2, 4, 16, 2, 2, 64};
  const kv_pool_view a = staging_view(memory.data(), shape, 4, 2, 2);
  kv_pool_view b = a;
  b.shape.row_bytes = 32;
  const std::vector<copy_item> items{{0, 0}};
  EXPECT_EQ(cuda::transfer_async(a, b, {0, 0, 2, 2}, items.data(), 1, {}, {}), cudaErrorInvalidValue);
  EXPECT_EQ(cuda::transfer_async(a, a, {0, 0, 2, 2}, nullptr, 1, {}, {}), cudaErrorInvalidValue);
  EXPECT_EQ(cuda::dma_transfer_async(a, b, {0, 0, 2, 2}, items, {}), cudaErrorInvalidValue);
  const std::vector<copy_item> outside{{4, 0}};
  EXPECT_EQ(cuda::dma_transfer_async(a, a, {0, 0, 2, 2}, outside, {}), cudaErrorInvalidValue);
  EXPECT_EQ(cuda::copy_async(a, a, {0, 0, 2, 2}, outside, nullptr, {}, {}), cudaErrorInvalidValue);
}

TEST(CudaEntryPoints, ReportAMissingDeviceAsAnError) {
  if (has_device()) GTEST_SKIP() << "a GPU is present: kvtier_cuda_gpu_tests covers it";
  std::vector<std::byte> memory(1 << 16);
  const kv_pool_view pool = staging_view(memory.data(), {2, 4, 16, 2, 2, 64}, 4, 2, 2);
  const std::vector<copy_item> items{{0, 1}, {1, 0}};
  EXPECT_NE(cuda::transfer_async(pool, pool, {0, 0, 2, 2}, items.data(), 2, {}, {}), cudaSuccess);
  EXPECT_NE(cuda::dma_transfer_async(pool, pool, {0, 0, 2, 2}, items, {}), cudaSuccess);
  EXPECT_NE(cuda::copy_async(pool, pool, {0, 0, 2, 2}, items, nullptr, {}, {}), cudaSuccess);
}

template <class Tier>
void expect_empty_tier_without_device(const tier_spec& preset) {
  Tier tier;
  EXPECT_EQ(Tier::create({1 << 20, 1 << 16, 1 << 18, 0, std::nullopt}, tier) == cudaSuccess, has_device());
  if (has_device()) return;
  EXPECT_EQ(tier.capacity_bytes(), 0u);
  EXPECT_EQ(tier.spec().capacity_bytes, 0u);
  EXPECT_EQ(tier.spec().name, preset.name);
  EXPECT_EQ(tier.spec().read_bytes_per_s, preset.read_bytes_per_s);
  EXPECT_EQ(tier.used_bytes(), 0u);
  const block_key key{7, 1};
  const std::byte data[16]{};
  EXPECT_FALSE(tier.try_insert(key, data, sizeof data, nullptr));
  EXPECT_FALSE(tier.try_insert(key, data));
  EXPECT_FALSE(tier.can_admit(1));
  EXPECT_FALSE(tier.contains(key));
  EXPECT_FALSE(tier.find(key).has_value());
  std::byte out[16]{};
  EXPECT_FALSE(tier.find(key, out).has_value());
  EXPECT_FALSE(tier.to_evict().has_value());
  EXPECT_FALSE(tier.evict().has_value());
  std::vector<block_key> evicted;
  EXPECT_FALSE(tier.insert(key, data, evicted));
  EXPECT_TRUE(evicted.empty());
  EXPECT_FALSE(tier.erase(key));
  const tier_stats stats = tier.stats();
  EXPECT_EQ(stats.rejected_inserts, 3u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.inserts + stats.hits + stats.erases + stats.evictions + stats.bytes_written, 0u);
  EXPECT_EQ(Tier::create({1 << 20, 0, 1 << 18, 0, std::nullopt}, tier), cudaErrorInvalidValue);
}

TEST(CudaTiers, CreationFailsCleanlyWithoutADevice) {
  expect_empty_tier_without_device<cuda::device_tier>(presets::h100_sxm_hbm);
  expect_empty_tier_without_device<cuda::pinned_host_tier>(presets::dram_pcie5);
}

}  // namespace
}  // namespace kvtier
