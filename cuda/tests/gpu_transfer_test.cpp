// kvtier::cuda on a GPU: the kernel, the DMA path and copy_async against the CPU gather/scatter
// (itself checked against the naive reference in tests/copy), over random layouts, shapes, head
// subsets, block permutations, fused re-rotation and SM caps; and the two CUDA tiers.
// Skips when no GPU is present. Run: ./build/cuda/cuda/tests/kvtier_cuda_gpu_tests
#include "copy/transfer_cases.hpp"

#include <kvtier/copy/cpu_gather_scatter.hpp>
#include <kvtier/cuda/device_tier.cuh>
#include <kvtier/cuda/pinned_host_tier.cuh>
#include <kvtier/cuda/transfer.cuh>

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <random>
#include <span>
#include <vector>

namespace kvtier {
namespace {

enum class memory { device, pinned };

// A copy of a host pool in device or pinned host memory, same layout and misalignment.
class mirror {
 public:
  mirror(const test::owned_pool& host, memory kind) : kind_{kind}, view_{host.view} {
    for (std::size_t a = 0; a < host.storage.size(); ++a) {
      void* pointer = nullptr;
      const std::size_t bytes = host.allocation_size() + 16;
      status_ = kind == memory::device ? cudaMalloc(&pointer, bytes)
                                       : cudaHostAlloc(&pointer, bytes, cudaHostAllocPortable | cudaHostAllocMapped);
      if (status_ != cudaSuccess) return;
      allocations_.push_back(pointer);
      view_.bases[a] = static_cast<std::byte*>(pointer) + host.misalign;
      status_ = cudaMemcpy(view_.bases[a], host.view.bases[a], host.allocation_size(), cudaMemcpyDefault);
    }
  }
  mirror(const mirror&) = delete;
  mirror& operator=(const mirror&) = delete;
  ~mirror() {
    for (void* pointer : allocations_)
      static_cast<void>(kind_ == memory::device ? cudaFree(pointer) : cudaFreeHost(pointer));
  }
  cudaError_t status() const { return status_; }
  const kv_pool_view& view() const { return view_; }
  cudaError_t download(test::owned_pool& host) const {
    for (std::size_t a = 0; a < allocations_.size(); ++a) {
      if (const cudaError_t e =
              cudaMemcpy(host.view.bases[a], view_.bases[a], host.allocation_size(), cudaMemcpyDefault);
          e != cudaSuccess) {
        return e;
      }
    }
    return cudaSuccess;
  }

 private:
  memory kind_;
  kv_pool_view view_;
  std::vector<void*> allocations_;
  cudaError_t status_ = cudaSuccess;
};

class Gpu : public ::testing::Test {
 protected:
  void SetUp() override {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) GTEST_SKIP() << "no GPU";
    ASSERT_EQ(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), cudaSuccess);
  }
  void TearDown() override {
    if (stream_ != nullptr) static_cast<void>(cudaStreamDestroy(stream_));
  }
  cudaStream_t stream_ = nullptr;
};

enum class path { kernel, dma, automatic };

void run_case(test::transfer_case& c, path how, memory dst_memory, std::uint32_t sm_cap, cudaStream_t stream) {
  c.dst->poison(std::byte{0xA5});
  test::owned_pool want{c.dst->view.layout, c.dst->view.shape, c.dst->misalign};
  want.poison(std::byte{0xA5});
  ASSERT_EQ(cpu_transfer(c.src->view, want.view, c.desc, c.items, c.rope), copy_status::ok);
  const mirror src{*c.src, memory::device};
  const mirror dst{*c.dst, dst_memory};
  ASSERT_EQ(src.status(), cudaSuccess);
  ASSERT_EQ(dst.status(), cudaSuccess);
  copy_item* device_items = nullptr;
  ASSERT_EQ(cudaMalloc(&device_items, c.items.size() * sizeof(copy_item)), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(device_items, c.items.data(), c.items.size() * sizeof(copy_item), cudaMemcpyHostToDevice),
            cudaSuccess);
  cudaEvent_t done = nullptr;
  ASSERT_EQ(cudaEventCreate(&done), cudaSuccess);
  const cuda::copy_launch launch{stream, sm_cap, true, nullptr, done};
  const auto count = static_cast<std::uint32_t>(c.items.size());
  cudaError_t e = cudaSuccess;
  switch (how) {
    case path::kernel:
      e = cuda::transfer_async(src.view(), dst.view(), c.desc, device_items, count, c.rope, launch);
      break;
    case path::dma:
      e = cuda::dma_transfer_async(src.view(), dst.view(), c.desc, c.items, launch);
      break;
    case path::automatic:
      e = cuda::copy_async(src.view(), dst.view(), c.desc, c.items, device_items, c.rope, launch);
      break;
  }
  ASSERT_EQ(e, cudaSuccess) << cudaGetErrorString(e);
  ASSERT_EQ(cudaEventSynchronize(done), cudaSuccess);
  ASSERT_EQ(dst.download(*c.dst), cudaSuccess);
  EXPECT_TRUE(c.dst->same_bytes(want));
  static_cast<void>(cudaEventDestroy(done));
  static_cast<void>(cudaFree(device_items));
}

TEST_F(Gpu, KernelMatchesTheCpuCopy) {
  std::mt19937_64 random{1};
  for (int trial = 0; trial < 200; ++trial) {
    test::transfer_case c = test::random_case(random, trial % 2 == 1);
    if (c.rope.enabled) {
      test::fill_finite(*c.src, c.rope.element, trial);
    } else {
      c.src->fill_random(trial);
    }
    run_case(c, path::kernel, memory::device, trial % 3 == 0 ? 1 : 0, stream_);
  }
}

TEST_F(Gpu, KernelWritesIntoPinnedHostMemory) {
  std::mt19937_64 random{2};
  for (int trial = 0; trial < 50; ++trial) {
    test::transfer_case c = test::random_case(random, false);
    c.src->fill_random(trial);
    run_case(c, path::kernel, memory::pinned, 0, stream_);
  }
}

TEST_F(Gpu, DmaAndAutomaticPathsMatchTheCpuCopy) {
  std::mt19937_64 random{3};
  for (int trial = 0; trial < 100; ++trial) {
    test::transfer_case c = test::random_case(random, false);
    c.src->fill_random(trial);
    run_case(c, trial % 2 == 0 ? path::dma : path::automatic, trial % 4 < 2 ? memory::device : memory::pinned, 0,
             stream_);
  }
}

template <class Tier>
void tier_round_trip(cudaStream_t stream) {
  Tier tier;
  ASSERT_EQ(Tier::create({4 << 20, 1 << 20, 2 << 20, 0, std::nullopt}, tier), cudaSuccess);
  EXPECT_EQ(tier.capacity_bytes(), 4u << 20);
  EXPECT_EQ(tier.spec().capacity_bytes, 4u << 20);
  std::vector<std::byte> data(1 << 20);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 7);
  for (std::uint64_t id = 0; id < 4; ++id) ASSERT_TRUE(tier.try_insert({0, id}, data.data(), data.size(), stream));
  EXPECT_FALSE(tier.try_insert({0, 9}, data.data(), data.size(), stream)) << "full";
  EXPECT_FALSE(tier.try_insert({0, 1}, data.data(), 16, stream)) << "present";
  EXPECT_EQ(tier.used_bytes(), 4u << 20);
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  std::vector<std::byte> back(data.size());
  const auto extent = tier.find({0, 2});
  ASSERT_TRUE(extent.has_value());
  ASSERT_EQ(cudaMemcpyAsync(back.data(), extent->data, extent->bytes, cudaMemcpyDefault, stream), cudaSuccess);
  EXPECT_TRUE(tier.erase({0, 2}, stream));
  EXPECT_FALSE(tier.contains({0, 2}));
  std::vector<std::byte> other(1 << 20, std::byte{1});
  ASSERT_TRUE(tier.try_insert({0, 5}, other.data(), other.size(), stream));  // reuses slot 2 after the read
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  EXPECT_EQ(back, data);
  EXPECT_EQ(tier.stats().inserts, 5u);
  EXPECT_EQ(tier.stats().rejected_inserts, 2u);
  EXPECT_EQ(tier.stats().hits, 1u);
  EXPECT_EQ(tier.stats().erases, 1u);
}

TEST_F(Gpu, DeviceTierRoundTrip) { tier_round_trip<cuda::device_tier>(stream_); }
TEST_F(Gpu, PinnedHostTierRoundTrip) { tier_round_trip<cuda::pinned_host_tier>(stream_); }

template <class Tier>
void synchronous_verbs() {
  Tier tier;
  ASSERT_EQ(Tier::create({3 * 4096, 4096, 8192, 0, presets::dram_pcie5_measured}, tier), cudaSuccess);
  EXPECT_EQ(tier.spec().name, presets::dram_pcie5_measured.name);
  std::vector<std::byte> block(3000);
  for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<std::byte>(i * 13);
  EXPECT_FALSE(tier.can_admit(4097));
  EXPECT_FALSE(tier.try_insert({1, 0}, std::vector<std::byte>(4097)));
  for (std::uint64_t id = 0; id < 3; ++id) ASSERT_TRUE(tier.try_insert({1, id}, block));
  EXPECT_EQ(tier.used_bytes(), 9000u);
  EXPECT_FALSE(tier.can_admit(1));
  ASSERT_TRUE(tier.try_insert({1, 0}, std::span(block).first(100))) << "a replacement needs no free slot";
  EXPECT_EQ(tier.used_bytes(), 6100u);
  std::vector<std::byte> out(4096);
  EXPECT_FALSE(tier.find({1, 1}, std::span(out).first(2999)).has_value()) << "too small";
  ASSERT_EQ(tier.find({1, 1}, out), std::optional<std::size_t>{3000});
  EXPECT_TRUE(std::equal(block.begin(), block.end(), out.begin()));
  ASSERT_EQ(tier.find({1, 0}, out), std::optional<std::size_t>{100});
  EXPECT_TRUE(std::equal(block.begin(), block.begin() + 100, out.begin()));
  EXPECT_EQ(tier.to_evict(), (block_key{1, 2})) << "least recently inserted or found";
  std::vector<block_key> evicted;
  ASSERT_TRUE(tier.insert({2, 0}, block, evicted));
  EXPECT_EQ(evicted, (std::vector<block_key>{{1, 2}}));
  EXPECT_EQ(tier.evict(), (block_key{1, 1}));
  EXPECT_TRUE(tier.erase({1, 0}));
  EXPECT_EQ(tier.used_bytes(), 3000u);
  const tier_stats stats = tier.stats();
  EXPECT_EQ(stats.inserts, 5u);
  EXPECT_EQ(stats.rejected_inserts, 1u);
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.evictions, 2u);
  EXPECT_EQ(stats.erases, 1u);
  EXPECT_EQ(stats.bytes_read, 3100u);
  EXPECT_EQ(tier.last_error(), cudaSuccess);
}

TEST_F(Gpu, DeviceTierSynchronousVerbs) { synchronous_verbs<cuda::device_tier>(); }
TEST_F(Gpu, PinnedHostTierSynchronousVerbs) { synchronous_verbs<cuda::pinned_host_tier>(); }

}  // namespace
}  // namespace kvtier
