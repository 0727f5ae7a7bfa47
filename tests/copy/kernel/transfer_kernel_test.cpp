// The copy kernel's per-thread body under the CPU launch emulator: every layout, K/V pairs and MLA
// latents, head subsets, every vector width, SM caps (grid-stride loops over small grids), threads
// in random order, fused re-rotation; the result must equal the naive reference and, byte for
// byte, the CPU gather/scatter.
#include "copy/transfer_cases.hpp"

#include <kvtier/copy/cpu_gather_scatter.hpp>
#include <kvtier/copy/detail/launch_emulator.hpp>
#include <kvtier/copy/detail/transfer_thread.hpp>
#include <kvtier/copy/launch_shape.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

namespace kvtier {
namespace {

void run_kernel(const test::transfer_case& c, const kv_pool_view& dst, std::mt19937_64& random,
                std::set<std::uint32_t>& widths) {
  const detail::transfer_plan plan = detail::make_transfer_plan(c.src->view, dst, c.desc, c.rope, c.items.data(),
                                                                static_cast<std::uint32_t>(c.items.size()));
  widths.insert(plan.vector_bytes);
  const std::uint32_t sm_count = test::pick(random, 1, 132);
  const std::uint32_t sm_cap = test::pick(random, 0, 3);
  launch_policy policy{};
  policy.block_threads = 32 * test::pick(random, 1, 4);
  policy.capped_block_threads = 32 * test::pick(random, 1, 2);
  policy.blocks_per_sm = 1;
  const launch_shape shape = choose_launch_shape(plan.wanted_threads, sm_count, sm_cap, policy);
  detail::emulate_transfer(plan, shape, random());
}

TEST(TransferKernel, EmulatedKernelMatchesTheNaiveCopyAndTheCpuCopy) {
  std::mt19937_64 random{99};
  std::set<std::uint32_t> widths;
  for (int trial = 0; trial < 300; ++trial) {
    test::transfer_case c = test::random_case(random, false);
    c.src->fill_random(trial);
    ASSERT_EQ(check_transfer_shape(c.src->view, c.dst->view, c.desc, c.rope), copy_status::ok);
    c.dst->poison(std::byte{0xA5});
    run_kernel(c, c.dst->view, random, widths);
    test::expect_matches_reference(c, *c.dst);
  }
  EXPECT_EQ(widths, (std::set<std::uint32_t>{1, 2, 4, 8, 16})) << "every vector width is exercised";
}

TEST(TransferKernel, EmulatedFusedRerotationMatchesReferenceAndCpuPath) {
  std::mt19937_64 random{5};
  std::set<std::uint32_t> widths;
  for (int trial = 0; trial < 200; ++trial) {
    test::transfer_case c = test::random_case(random, true);
    test::fill_finite(*c.src, c.rope.element, trial);
    ASSERT_EQ(check_transfer_shape(c.src->view, c.dst->view, c.desc, c.rope), copy_status::ok);
    c.dst->poison(std::byte{0xA5});
    run_kernel(c, c.dst->view, random, widths);
    test::expect_matches_reference(c, *c.dst);
    test::owned_pool cpu{c.dst->view.layout, c.dst->view.shape, c.dst->misalign};
    cpu.poison(std::byte{0xA5});
    ASSERT_EQ(cpu_transfer(c.src->view, cpu.view, c.desc, c.items, c.rope), copy_status::ok);
    ASSERT_TRUE(cpu.same_bytes(*c.dst)) << "kernel and CPU paths round identically";
  }
}

TEST(TransferKernel, MlaRopePartOfTheLatentIsReRotatedInPlaceOfTheRow) {
  // DeepSeek-V3: 512 latent + 64 rope elements in bf16; fp8_ds_mla: the 64 bf16 rope elements
  // start at byte 528 of a 656-byte row.
  for (const auto& [row_bytes, offset] : {std::pair{1152u, 1024u}, std::pair{656u, 528u}}) {
    test::transfer_case c;
    c.src = std::make_unique<test::owned_pool>(kv_layout::layer_nhd, kv_pool_shape{3, 8, 16, 1, 1, row_bytes});
    c.dst = std::make_unique<test::owned_pool>(kv_layout::block_first, kv_pool_shape{3, 2, 16, 1, 1, row_bytes});
    c.desc = {0, 0, 3, 1};
    c.items = {{7, 1, 0, 0, 4096, 100}, {2, 0, 0, 0, 0, 70000}};
    c.rope.enabled = true;
    c.rope.rope.rotary_dim = 64;
    c.rope.rope.pairing = rope_pairing::gptj;
    c.rope.rope.scaling = rope_scaling::yarn;
    c.rope.rope.factor = 40.0;
    c.rope.rope.original_max_position_embeddings = 4096;
    c.rope.rope.mscale = c.rope.rope.mscale_all_dim = 1.0;
    c.rope.element = rope_element::bf16;
    c.rope.offset_bytes = offset;
    test::fill_finite(*c.src, rope_element::bf16, row_bytes);
    c.dst->poison(std::byte{0xA5});
    std::mt19937_64 random{row_bytes};
    std::set<std::uint32_t> widths;
    run_kernel(c, c.dst->view, random, widths);
    test::expect_matches_reference(c, *c.dst);
    EXPECT_EQ(widths, std::set<std::uint32_t>{16});
  }
}

}  // namespace
}  // namespace kvtier
