// Tier stacks: demotion down the chain, promotion on request, lookup across tiers, accounting of
// every move; and the runtime stack behaves exactly as the compile-time one.
#include "tier/tier_test_support.hpp"

#include <kvtier/tier/presets.hpp>
#include <kvtier/tier/simulated_tier.hpp>
#include <kvtier/tier/stack_spec.hpp>
#include <kvtier/tier/tier_stack.hpp>

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace kvtier::test {
namespace {

constexpr std::uint64_t block = 1000;

tier_spec sized(tier_spec spec, std::uint64_t blocks) {
  spec.capacity_bytes = blocks * block;
  return spec;
}

using three_tiers = tier_stack<simulated_tier, simulated_tier, simulated_tier>;

three_tiers make_static() {
  return three_tiers(sized(presets::h100_sxm_hbm, 2), sized(presets::dram_pcie5, 3), sized(presets::nvme_gen5, 4));
}

runtime_tier_stack make_runtime() {
  runtime_tier_stack stack;
  stack.push_back(any_tier::make<simulated_tier>(sized(presets::h100_sxm_hbm, 2)));
  stack.push_back(any_tier::make<simulated_tier>(sized(presets::dram_pcie5, 3)));
  stack.push_back(any_tier::make<simulated_tier>(sized(presets::nvme_gen5, 4)));
  return stack;
}

TEST(TierStack, InsertDemotesDownTheChainAndDropsFromTheBottom) {
  three_tiers stack = make_static();
  const std::vector<std::byte> bytes(block);
  for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(stack.insert(key_of(i), bytes));
  // Newest two at the top, next three in DRAM, next four on NVMe; the oldest fell off.
  EXPECT_EQ(stack.level_of(key_of(9)), 0u);
  EXPECT_EQ(stack.level_of(key_of(8)), 0u);
  for (std::uint64_t i = 5; i <= 7; ++i) EXPECT_EQ(stack.level_of(key_of(i)), 1u) << i;
  for (std::uint64_t i = 1; i <= 4; ++i) EXPECT_EQ(stack.level_of(key_of(i)), 2u) << i;
  EXPECT_EQ(stack.level_of(key_of(0)), std::nullopt);
  EXPECT_EQ(stack.used_bytes(), 9 * block);
  EXPECT_EQ(stack.capacity_bytes(), 9 * block);
  const stack_stats& stats = stack.stats();
  EXPECT_EQ(stats.demotions, 8u + 5u);  // 8 blocks left HBM, 5 left DRAM
  EXPECT_EQ(stats.drops, 1u);
  EXPECT_EQ(stats.bytes_demoted, 13 * block);
  const double hbm_to_dram = transfer_time_s(stack.tier<0>().spec(), block, transfer_direction::read) +
                             transfer_time_s(stack.tier<1>().spec(), block, transfer_direction::write);
  const double dram_to_nvme = transfer_time_s(stack.tier<1>().spec(), block, transfer_direction::read) +
                              transfer_time_s(stack.tier<2>().spec(), block, transfer_direction::write);
  EXPECT_NEAR(stats.modelled_move_s, 8 * hbm_to_dram + 5 * dram_to_nvme, 1e-15);
}

TEST(TierStack, FindLooksEverywhereAndPromotesOnlyWhenAsked) {
  three_tiers stack = make_static();
  const std::vector<std::byte> bytes(block);
  std::vector<std::byte> out(block);
  for (std::uint64_t i = 0; i < 6; ++i) ASSERT_TRUE(stack.insert(key_of(i), bytes));
  EXPECT_EQ(stack.find(key_of(0), out), (stack_hit{block, 2}));
  EXPECT_EQ(stack.level_of(key_of(0)), 2u);
  EXPECT_EQ(stack.find(key_of(0), out, promotion::yes), (stack_hit{block, 2}));
  EXPECT_EQ(stack.level_of(key_of(0)), 0u);
  EXPECT_EQ(stack.tier<2>().contains(key_of(0)), false);  // promotion moves, it does not copy
  EXPECT_EQ(stack.stats().promotions, 1u);
  EXPECT_EQ(stack.find(key_of(99), out, promotion::yes), std::nullopt);
  EXPECT_TRUE(stack.erase(key_of(1)));
  EXPECT_FALSE(stack.contains(key_of(1)));
  EXPECT_FALSE(stack.erase(key_of(1)));
}

TEST(TierStack, TooLargeForTheTopIsRefused) {
  three_tiers stack = make_static();
  EXPECT_FALSE(stack.insert(key_of(1), std::vector<std::byte>(3 * block)));
  EXPECT_EQ(stack.used_bytes(), 0u);
}

TEST(TierStack, AVictimNoLowerTierTakesIsADrop) {
  tier_stack<simulated_tier, simulated_tier> stack(sized(presets::h100_sxm_hbm, 2), sized(presets::dram_pcie5, 1));
  ASSERT_TRUE(stack.insert(key_of(1), std::vector<std::byte>(2 * block)));  // fits the top only
  ASSERT_TRUE(stack.insert(key_of(2), std::vector<std::byte>(block)));      // pushes block 1 out
  EXPECT_FALSE(stack.contains(key_of(1)));
  EXPECT_EQ(stack.stats().drops, 1u);
  EXPECT_EQ(stack.stats().demotions, 0u);
}

TEST(TierStack, RuntimeStackBehavesAsTheCompileTimeOne) {
  three_tiers fixed = make_static();
  runtime_tier_stack dynamic = make_runtime();
  std::mt19937_64 random(42);
  std::vector<std::byte> out(block);
  for (int op = 0; op < 2000; ++op) {
    const block_key key = key_of(random() % 20);
    const std::vector<std::byte> bytes(block - random() % 300);
    switch (random() % 4) {
      case 0:
        ASSERT_EQ(fixed.insert(key, bytes), dynamic.insert(key, bytes));
        break;
      case 1:
        ASSERT_EQ(fixed.erase(key), dynamic.erase(key));
        break;
      default: {
        const auto promote = random() % 2 == 0 ? promotion::yes : promotion::no;
        ASSERT_EQ(fixed.find(key, out, promote), dynamic.find(key, out, promote));
      }
    }
  }
  EXPECT_EQ(fixed.stats(), dynamic.stats());
  EXPECT_EQ(fixed.used_bytes(), dynamic.used_bytes());
  EXPECT_GT(fixed.stats().promotions, 0u);
  EXPECT_GT(fixed.stats().demotions, 0u);
  for (std::uint64_t i = 0; i < 20; ++i) EXPECT_EQ(fixed.level_of(key_of(i)), dynamic.level_of(key_of(i)));
}

TEST(TierStack, RuntimeStackFromADescription) {
  runtime_tier_stack stack;
  for (const tier_spec& spec : parse_stack_spec("hbm=40GB,dram=2TiB,cxl=512GiB,nvme=30TB,rdma=2TB,pfs=1PB")) {
    stack.push_back(any_tier::make<simulated_tier>(spec));
  }
  EXPECT_EQ(stack.levels(), 6u);
  EXPECT_EQ(stack.capacity_bytes(), 40'000'000'000ull + (2ull << 40) + (512ull << 30) + 30'000'000'000'000ull +
                                        2'000'000'000'000ull + 1'000'000'000'000'000ull);
}

}  // namespace
}  // namespace kvtier::test
