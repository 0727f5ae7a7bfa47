// Index math of every layout over whole small domains: strides_of against the nested-array
// statement of each layout, bijection onto the allocation, run merging, vector widths, launch
// shapes and the kernel-or-DMA rule.
#include "copy/naive_pool.hpp"

#include <kvtier/copy/engine_choice.hpp>
#include <kvtier/copy/launch_shape.hpp>
#include <kvtier/copy/layout.hpp>
#include <kvtier/copy/transfer_geometry.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace kvtier {
namespace {

// Compile-time checks: vLLM FlashAttention layout of Llama-3-8B (8 KV heads of 128 bf16).
constexpr kv_pool_shape llama_shape{32, 1000, 16, 8, 2, 256};
static_assert(strides_of(kv_layout::layer_kv_nhd, llama_shape) == kv_strides{32768, 0, 32768000, 2048, 256});
static_assert(allocation_bytes(kv_layout::layer_kv_nhd, llama_shape) == 65'536'000);
static_assert(allocation_bytes(kv_layout::block_first, llama_shape) == 65'536'000ull * 32);
// DeepSeek-V3 MLA latent: 576 bf16 elements, one plane, one head; fp8_ds_mla: 656-byte rows.
static_assert(strides_of(kv_layout::layer_nhd, {61, 10, 64, 1, 1, 1152}).block == 64 * 1152);
static_assert(allocation_bytes(kv_layout::layer_nhd, {61, 10, 64, 1, 1, 656}) == 10 * 64 * 656);

std::vector<kv_pool_shape> small_shapes() {
  std::vector<kv_pool_shape> shapes;
  for (std::uint32_t layers : {1u, 3u}) {
    for (std::uint32_t blocks : {1u, 4u}) {
      for (std::uint32_t tokens : {1u, 5u}) {
        for (std::uint32_t heads : {1u, 3u}) {
          for (std::uint32_t planes : {1u, 2u}) {
            for (std::uint32_t row : {2u, 24u}) shapes.push_back({layers, blocks, tokens, heads, planes, row});
          }
        }
      }
    }
  }
  return shapes;
}

TEST(CopyLayout, StridesMatchTheNestedArrayOfEveryLayoutAndCoverTheAllocationOnce) {
  for (const kv_layout layout : all_kv_layouts) {
    for (const kv_pool_shape& shape : small_shapes()) {
      const kv_strides strides = strides_of(layout, shape);
      const std::uint64_t bytes = allocation_bytes(layout, shape);
      std::vector<int> covered(bytes, 0);
      const std::uint32_t layers_per_allocation = is_per_layer(layout) ? 1 : shape.num_layers;
      for (std::uint32_t b = 0; b < shape.num_blocks; ++b) {
        for (std::uint32_t l = 0; l < layers_per_allocation; ++l) {
          for (std::uint32_t p = 0; p < shape.planes; ++p) {
            for (std::uint32_t t = 0; t < shape.block_tokens; ++t) {
              for (std::uint32_t h = 0; h < shape.num_heads; ++h) {
                const std::uint64_t offset = row_offset(strides, b, l, p, t, h);
                ASSERT_EQ(offset, test::naive_row_offset(layout, shape, b, l, p, t, h));
                ASSERT_LE(offset + shape.row_bytes, bytes);
                for (std::uint32_t i = 0; i < shape.row_bytes; ++i) ++covered[offset + i];
              }
            }
          }
        }
      }
      for (const int count : covered) ASSERT_EQ(count, 1) << "layout " << static_cast<int>(layout);
      EXPECT_EQ(allocation_count(layout, shape), is_per_layer(layout) ? shape.num_layers : 1u);
    }
  }
}

kv_pool_view view_of(kv_layout layout, const kv_pool_shape& shape) {
  kv_pool_view view{};
  view.layout = layout;
  view.shape = shape;
  return view;
}

transfer_geometry geometry(const kv_pool_view& src, const kv_pool_view& dst, const transfer_desc& desc,
                           bool rows_only = false) {
  return make_transfer_geometry(src, strides_of(src.layout, src.shape), dst, strides_of(dst.layout, dst.shape), desc,
                                rows_only);
}

TEST(CopyGeometry, WholeCrossLayerBlocksAreOneRun) {
  const kv_pool_shape shape{4, 8, 16, 8, 2, 256};
  const kv_pool_view pool = view_of(kv_layout::block_first, shape);
  const kv_pool_view staging = view_of(kv_layout::block_first, {4, 2, 16, 8, 2, 256});
  const transfer_geometry g = geometry(pool, staging, {0, 0, 4, 8});
  EXPECT_EQ(g.run_bytes, 4u * 2 * 16 * 8 * 256);
  EXPECT_EQ(g.segments_per_item, 1u);
}

TEST(CopyGeometry, PerLayerPoolsGiveOneRunPerLayerAndPlane) {
  const kv_pool_view pool = view_of(kv_layout::layer_nhd, {4, 8, 16, 8, 2, 256});
  const kv_pool_view staging = view_of(kv_layout::block_first, {4, 2, 16, 8, 2, 256});
  const transfer_geometry g = geometry(pool, staging, {0, 0, 4, 8});
  EXPECT_EQ(g.run_bytes, 2u * 16 * 8 * 256);  // K and V of a block are adjacent in NHD and in staging
  EXPECT_EQ(g.segments_per_item, 4u);
  const transfer_geometry kv_planes = geometry(view_of(kv_layout::layer_kv_nhd, pool.shape), staging, {0, 0, 4, 8});
  EXPECT_EQ(kv_planes.run_bytes, 16u * 8 * 256);
  EXPECT_EQ(kv_planes.segments_per_item, 8u);
}

TEST(CopyGeometry, HeadSubsetsAndTransposedLayoutsCutRuns) {
  const kv_pool_view pool = view_of(kv_layout::layer_nhd, {2, 8, 16, 8, 2, 256});
  const kv_pool_view staging = view_of(kv_layout::block_first, {2, 2, 16, 2, 2, 256});
  const transfer_geometry subset = geometry(pool, staging, {0, 0, 2, 2});
  EXPECT_EQ(subset.run_bytes, 2u * 256);
  EXPECT_EQ(subset.segments_per_item, 2u * 2 * 16);
  const transfer_geometry transposed = geometry(view_of(kv_layout::layer_hnd, pool.shape),
                                                view_of(kv_layout::block_first, {2, 2, 16, 8, 2, 256}), {0, 0, 2, 8});
  EXPECT_EQ(transposed.run_bytes, 256u);
  EXPECT_EQ(transposed.segments_per_item, 2u * 2 * 16 * 8);
  const transfer_geometry heads = geometry(view_of(kv_layout::head_major, {2, 8, 16, 8, 2, 256}),
                                           view_of(kv_layout::head_major, {2, 2, 16, 3, 2, 256}), {0, 0, 2, 3});
  EXPECT_EQ(heads.run_bytes, 3u * 2 * 2 * 16 * 256);  // head-major: a run of heads, all layers, at once
  EXPECT_EQ(heads.segments_per_item, 1u);
  const transfer_geometry some_layers = geometry(view_of(kv_layout::head_major, {4, 8, 16, 8, 2, 256}),
                                                 view_of(kv_layout::head_major, {2, 2, 16, 3, 2, 256}), {1, 0, 2, 3});
  EXPECT_EQ(some_layers.run_bytes, 2u * 2 * 16 * 256);  // two of four layers: one run per head
  EXPECT_EQ(some_layers.segments_per_item, 3u);
  const transfer_geometry rows =
      geometry(pool, view_of(kv_layout::block_first, {2, 2, 16, 8, 2, 256}), {0, 0, 2, 8}, true);
  EXPECT_EQ(rows.run_bytes, 256u);
  EXPECT_EQ(rows.segments_per_item, 2u * 2 * 16 * 8);
}

TEST(CopyGeometry, SegmentsDecodeToEveryRowExactlyOnce) {
  const kv_pool_view pool = view_of(kv_layout::layer_hnd, {3, 4, 5, 4, 2, 8});
  const kv_pool_view staging = view_of(kv_layout::head_major, {3, 2, 5, 3, 2, 8});
  const transfer_desc desc{0, 0, 3, 3};
  const transfer_geometry g = geometry(pool, staging, desc, true);
  std::vector<int> seen(3 * 2 * 5 * 3, 0);
  for (std::uint64_t s = 0; s < g.segments_per_item; ++s) {
    const segment_coords c = decode_segment(g, s);
    ++seen[((c.index[0] * 2 + c.index[1]) * 5 + c.index[2]) * 3 + c.index[3]];
  }
  for (const int count : seen) EXPECT_EQ(count, 1);
}

TEST(CopyVectorWidth, IsTheWidestPowerOfTwoDividingEverything) {
  for (std::uint64_t bits = 0; bits < 4096; ++bits) {
    const std::uint32_t width = vector_bytes_for(bits);
    ASSERT_EQ(bits % width, 0u);
    ASSERT_TRUE(width == 16 || bits % (2 * width) != 0);
  }
  static_assert(vector_bytes_for(656) == 16 && vector_bytes_for(528) == 16 && vector_bytes_for(1152) == 16);
  static_assert(vector_bytes_for(24) == 8 && vector_bytes_for(6) == 2 && vector_bytes_for(7) == 1);
}

TEST(CopyLaunchShape, CoversEveryUnitAndKeepsTheSmCap) {
  for (std::uint64_t units = 0; units < 5000; units += 7) {
    for (std::uint32_t sms = 1; sms <= 132; sms += 13) {
      for (std::uint32_t cap = 0; cap <= sms + 1; cap += 3) {
        const launch_shape shape = choose_launch_shape(units, sms, cap);
        ASSERT_EQ(shape.grid_blocks == 0, units == 0);
        if (cap != 0 && cap < sms) {
          ASSERT_LE(shape.grid_blocks, cap);
        }
        ASSERT_LE(shape.grid_blocks, sms * launch_policy{}.blocks_per_sm);
        const std::uint64_t threads = std::uint64_t{shape.grid_blocks} * shape.block_threads;
        ASSERT_TRUE(threads >= units || shape.grid_blocks == (cap != 0 && cap < sms ? cap : sms * 8));
      }
    }
  }
  static_assert(choose_launch_shape(1, 132, 0) == launch_shape{1, 256});
  static_assert(choose_launch_shape(1 << 30, 132, 16) == launch_shape{16, 1024});
}

TEST(CopyEngineChoice, FollowsTheDocumentedRule) {
  const copy_engine_policy policy{};
  const copy_route pcie{true, false, true};
  const copy_route local{false, false, true};
  EXPECT_EQ(choose_copy_engine({10, 10 * (64u << 10)}, pcie), copy_engine::dma);
  EXPECT_EQ(choose_copy_engine({10, 10 * (64u << 10) - 1}, pcie), copy_engine::kernel);
  EXPECT_EQ(choose_copy_engine({10, 10 * (64u << 10)}, local), copy_engine::kernel);
  EXPECT_EQ(choose_copy_engine({2, 2 * (4u << 20)}, local), copy_engine::dma);
  EXPECT_EQ(choose_copy_engine({2, 2 * (4u << 20)}, {false, true, true}), copy_engine::kernel);
  EXPECT_EQ(choose_copy_engine({100000, 1}, {false, false, false}), copy_engine::dma);
  EXPECT_EQ(choose_copy_engine({policy.max_dma_runs + 1, (policy.max_dma_runs + 1) << 20}, pcie), copy_engine::kernel);
  EXPECT_EQ(choose_copy_engine({0, 0}, pcie), copy_engine::kernel);
}

TEST(CopyChecks, RefuseTransfersThatLeaveAPool) {
  std::byte memory[64];
  kv_pool_view src = view_of(kv_layout::layer_nhd, {2, 4, 16, 8, 2, 256});
  kv_pool_view dst = view_of(kv_layout::block_first, {2, 2, 16, 4, 2, 256});
  for (kv_pool_view* view : {&src, &dst}) view->bases[0] = view->bases[1] = memory;
  EXPECT_EQ(check_transfer_shape(src, dst, {0, 0, 2, 4}, {}), copy_status::ok);
  EXPECT_EQ(check_transfer_shape(src, dst, {1, 0, 2, 4}, {}), copy_status::layer_range);
  EXPECT_EQ(check_transfer_shape(src, dst, {0, 0, 2, 5}, {}), copy_status::head_range);
  kv_pool_view other_rows = dst;
  other_rows.shape.row_bytes = 128;
  EXPECT_EQ(check_transfer_shape(src, other_rows, {0, 0, 2, 4}, {}), copy_status::row_mismatch);
  kv_pool_view missing = src;
  missing.bases[1] = nullptr;
  EXPECT_EQ(check_transfer_shape(missing, dst, {0, 0, 2, 4}, {}), copy_status::missing_base);
  rope_fusion rope{true, {}, rope_element::bf16, 0};
  EXPECT_EQ(check_transfer_shape(src, dst, {0, 0, 2, 4}, rope), copy_status::ok);
  rope.offset_bytes = 2;
  EXPECT_EQ(check_transfer_shape(src, dst, {0, 0, 2, 4}, rope), copy_status::rope_range);
  rope.offset_bytes = 0;
  rope.rope.rotary_dim = 127;
  EXPECT_EQ(check_transfer_shape(src, dst, {0, 0, 2, 4}, rope), copy_status::rope_range);
  const std::vector<copy_item> good{{3, 1, 4, 0, 0, 0}};
  const std::vector<copy_item> bad_block{{4, 1, 0, 0, 0, 0}};
  const std::vector<copy_item> bad_head{{0, 1, 5, 0, 0, 0}};
  EXPECT_EQ(check_items(src, dst, {0, 0, 2, 4}, good), copy_status::ok);
  EXPECT_EQ(check_items(src, dst, {0, 0, 2, 4}, bad_block), copy_status::block_range);
  EXPECT_EQ(check_items(src, dst, {0, 0, 2, 4}, bad_head), copy_status::head_range);
}

}  // namespace
}  // namespace kvtier
