// The CPU gather/scatter against the naive reference: random layouts, shapes, head subsets,
// layer ranges and block permutations, outputs poisoned first; there and back again; MLA rows;
// fused re-rotation against the fp64 reference; refused transfers write nothing.
#include "copy/transfer_cases.hpp"

#include <kvtier/copy/cpu_gather_scatter.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace kvtier {
namespace {

TEST(CpuGatherScatter, RandomTransfersMatchTheNaiveCopyThereAndBack) {
  std::mt19937_64 random{2024};
  for (int trial = 0; trial < 400; ++trial) {
    test::transfer_case c = test::random_case(random, false);
    c.src->fill_random(trial);
    c.dst->poison(std::byte{0xA5});
    ASSERT_EQ(cpu_transfer(c.src->view, c.dst->view, c.desc, c.items), copy_status::ok);
    test::expect_matches_reference(c, *c.dst);
    test::owned_pool back{c.src->view.layout, c.src->view.shape, c.src->misalign};
    back.poison(std::byte{0x5A});
    ASSERT_EQ(cpu_transfer(c.dst->view, back.view, test::reversed(c.desc), test::reversed(c.items)), copy_status::ok);
    test::owned_pool expected_back{c.src->view.layout, c.src->view.shape, c.src->misalign};
    expected_back.poison(std::byte{0x5A});
    for (const copy_item& item : c.items) {  // the way back restores exactly the moved rows
      test::naive_transfer(*c.src, expected_back,
                           {c.desc.src_layer_begin, c.desc.src_layer_begin, c.desc.layer_count, c.desc.head_count},
                           {{item.src_block, item.src_block, item.src_head_begin, item.src_head_begin, 0, 0}});
    }
    ASSERT_TRUE(back.same_bytes(expected_back)) << "trial " << trial;
  }
}

TEST(CpuGatherScatter, MlaLatentRowsGatherIntoStaging) {
  for (const std::uint32_t row_bytes : {576u * 2u, 656u}) {  // bf16 latent, fp8_ds_mla row
    test::owned_pool pool{kv_layout::layer_nhd, {4, 32, 64, 1, 1, row_bytes}};
    pool.fill_random(row_bytes);
    std::vector<std::byte> staging_memory(3 * 4 * 64 * row_bytes, std::byte{0xA5});
    const kv_pool_view staging = staging_view(staging_memory.data(), pool.view.shape, 3, 4, 1);
    const std::vector<copy_item> items{{31, 0}, {2, 1}, {17, 2}};
    ASSERT_EQ(cpu_gather(pool.view, staging, {0, 0, 4, 1}, items), copy_status::ok);
    EXPECT_EQ(measure_runs(pool.view, staging, {0, 0, 4, 1}, items), (run_stats{12, 12ull * 64 * row_bytes}));
    for (std::uint32_t slot = 0; slot < 3; ++slot) {
      for (std::uint32_t layer = 0; layer < 4; ++layer) {
        const std::byte* want = pool.row(items[slot].src_block, layer, 0, 0, 0);
        const std::byte* have = staging_memory.data() + (slot * 4 + layer) * 64ull * row_bytes;
        ASSERT_EQ(std::memcmp(want, have, 64ull * row_bytes), 0);
      }
    }
  }
}

TEST(CpuGatherScatter, AdjacentBlocksMergeIntoOneRun) {
  test::owned_pool pool{kv_layout::block_first, {2, 8, 16, 4, 2, 256}};
  std::vector<std::byte> staging_memory(4 * 2 * 2 * 16 * 4 * 256);
  const kv_pool_view staging = staging_view(staging_memory.data(), pool.view.shape, 4, 2, 4);
  const std::vector<copy_item> consecutive{{3, 0}, {4, 1}, {5, 2}, {7, 3}};
  EXPECT_EQ(measure_runs(pool.view, staging, {0, 0, 2, 4}, consecutive), (run_stats{2, 4ull * 65536}));
}

TEST(CpuGatherScatter, FusedRerotationMatchesTheFp64Reference) {
  std::mt19937_64 random{77};
  for (int trial = 0; trial < 200; ++trial) {
    test::transfer_case c = test::random_case(random, true);
    test::fill_finite(*c.src, c.rope.element, trial);
    c.dst->poison(std::byte{0xA5});
    ASSERT_EQ(cpu_transfer(c.src->view, c.dst->view, c.desc, c.items, c.rope), copy_status::ok);
    test::expect_matches_reference(c, *c.dst);
  }
}

TEST(CpuGatherScatter, RefusedTransfersWriteNothing) {
  test::owned_pool src{kv_layout::layer_hnd, {2, 4, 16, 4, 2, 128}};
  test::owned_pool dst{kv_layout::block_first, {2, 4, 16, 4, 2, 128}};
  src.fill_random(1);
  dst.poison(std::byte{0xA5});
  test::owned_pool untouched{kv_layout::block_first, dst.view.shape};
  untouched.poison(std::byte{0xA5});
  const std::vector<copy_item> out_of_pool{{0, 0}, {4, 1}};
  EXPECT_EQ(cpu_transfer(src.view, dst.view, {0, 0, 2, 4}, out_of_pool), copy_status::block_range);
  EXPECT_EQ(cpu_transfer(src.view, dst.view, {1, 0, 2, 4}, {}), copy_status::layer_range);
  EXPECT_TRUE(dst.same_bytes(untouched));
}

}  // namespace
}  // namespace kvtier
