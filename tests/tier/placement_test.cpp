// Fang et al.'s placement model: the closed forms (checked at compile time), the paper's split for
// a GH200-like system, and the static placement against exhaustive search.
#include <kvtier/tier/placement.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace kvtier {
namespace {

constexpr placement_system paper{4.9e12, 0.5e12, 0.9e12, 24'000'000'000};

// α* = B_HBM / (B_HBM + B_ext) with B_ext = min(DRAM 500 GB/s, link 900 GB/s).
static_assert(paper.ext_bytes_per_s() == 0.5e12);
static_assert(fang_gh200 == paper);
static_assert(optimal_read_split(paper) > 0.9074 && optimal_read_split(paper) < 0.9075);
// At α*, with reads only, both sides finish together and the aggregate is B_HBM + B_ext.
static_assert(std::abs(aggregate_bytes_per_s(paper, {1e9, 0, 0}, optimal_read_split(paper), 0) - 5.4e12) < 1e3);
// All reads from HBM: the aggregate is HBM's bandwidth; all from DRAM: DRAM's.
static_assert(aggregate_bytes_per_s(paper, {1e9, 0, 0}, 1.0, 0) == 4.9e12);
static_assert(aggregate_bytes_per_s(paper, {1e9, 0, 0}, 0.0, 0) == 0.5e12);
// HBM-only traffic lengthens the HBM side: 1 GB of D_M at 4.9 TB/s.
static_assert(step_time_s(paper, {0, 0, 4.9e9}, 1.0, 1.0) == 1e-3);

TEST(Placement, PaperSplitForGh200) {
  EXPECT_NEAR(optimal_read_split(fang_gh200), 0.907, 5e-4);
  EXPECT_NEAR(optimal_read_split(placement_system{3.35e12, 64e9, 64e9, 80'000'000'000}), 0.98126, 1e-5);
}

TEST(Placement, StepTimeIsLeastAtTheOptimalSplit) {
  const step_traffic traffic{10e9, 0, 0};
  const double best = step_time_s(paper, traffic, optimal_read_split(paper), 0);
  for (double alpha = 0; alpha <= 1.0; alpha += 0.01) {
    EXPECT_GE(step_time_s(paper, traffic, alpha, 0), best * (1 - 1e-12)) << alpha;
  }
  EXPECT_NEAR(best, 10e9 / 5.4e12, 1e-15);
}

TEST(Placement, WritesCountOnTheSideThatTakesThem) {
  const step_traffic traffic{0, 1e9, 0};
  EXPECT_DOUBLE_EQ(step_time_s(paper, traffic, 0, 1.0), 1e9 / 4.9e12);
  EXPECT_DOUBLE_EQ(step_time_s(paper, traffic, 0, 0.0), 1e9 / 0.5e12);
}

TEST(Placement, EvaluateSumsTrafficPerSide) {
  const std::vector<block_demand> demands{{100, 2.0}, {100, 1.0}, {50, 4.0}};
  const placement_result result = evaluate_placement(paper, demands, std::vector<bool>{true, false, true});
  EXPECT_EQ(result.hbm_used_bytes, 150u);
  EXPECT_DOUBLE_EQ(result.hbm_read_bytes, 400.0);
  EXPECT_DOUBLE_EQ(result.ext_read_bytes, 100.0);
  EXPECT_DOUBLE_EQ(result.time_s, std::max(400.0 / 4.9e12, 100.0 / 0.5e12));
  EXPECT_DOUBLE_EQ(result.aggregate_bytes_per_s, 500.0 / result.time_s);
  EXPECT_DOUBLE_EQ(result.hbm_read_share(), 0.8);
}

std::vector<block_demand> zipf_blocks(std::size_t count, std::uint64_t bytes, double skew, std::uint64_t seed) {
  std::vector<block_demand> demands;
  std::mt19937_64 random(seed);
  for (std::size_t i = 0; i < count; ++i) {
    demands.push_back(
        {bytes + (random() % 3) * bytes / 2 * (seed % 2), 1.0 / std::pow(static_cast<double>(i + 1), skew)});
  }
  std::shuffle(demands.begin(), demands.end(), random);
  return demands;
}

placement_result exhaustive_best(const placement_system& system, const std::vector<block_demand>& demands) {
  placement_result best;
  best.time_s = INFINITY;
  for (std::uint32_t mask = 0; mask < (1u << demands.size()); ++mask) {
    std::vector<bool> in_hbm(demands.size());
    for (std::size_t i = 0; i < demands.size(); ++i) in_hbm[i] = (mask >> i & 1u) != 0;
    const placement_result result = evaluate_placement(system, demands, in_hbm);
    if (result.fits(system) && result.time_s < best.time_s) best = result;
  }
  return best;
}

TEST(Placement, StaticPlacementReachesTheOptimumWhenCapacityBinds) {
  // Equal blocks, HBM for 4 of 14: the best is the 4 hottest, whatever the bandwidths.
  for (std::uint64_t seed = 0; seed < 6; seed += 2) {
    const std::vector<block_demand> demands = zipf_blocks(14, 1000, 0.8 + 0.1 * static_cast<double>(seed), seed);
    const placement_system system{4.9e12, 0.5e12, 0.9e12, 4000};
    const placement_result placed = place_static(system, demands);
    const placement_result best = exhaustive_best(system, demands);
    EXPECT_TRUE(placed.fits(system));
    EXPECT_DOUBLE_EQ(placed.time_s, best.time_s) << seed;
  }
}

TEST(Placement, StaticPlacementIsWithinOneBlockOfTheBound) {
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    const std::vector<block_demand> demands = zipf_blocks(14, 1000, 1.1, seed);
    for (const std::uint64_t capacity : {3000ull, 9000ull, 30000ull}) {
      const placement_system system{4.9e12, 0.5e12, 0.9e12, capacity};
      const placement_result placed = place_static(system, demands);
      const placement_result best = exhaustive_best(system, demands);
      const double bound = static_time_bound_s(system, demands);
      double largest = 0;
      for (const block_demand& d : demands) largest = std::max(largest, d.traffic_bytes());
      EXPECT_TRUE(placed.fits(system));
      EXPECT_LE(bound, best.time_s * (1 + 1e-12));
      EXPECT_LE(best.time_s, placed.time_s * (1 + 1e-12));
      EXPECT_LE(placed.time_s, bound + largest / system.ext_bytes_per_s()) << seed << " " << capacity;
    }
  }
}

TEST(Placement, ManySmallBlocksApproachTheOptimalSplit) {
  // 20,000 blocks with skewed demand and room for all of them: the placement serves ~α* from HBM.
  const std::vector<block_demand> demands = zipf_blocks(20000, 4096, 0.9, 1);
  placement_system system = paper;
  const placement_result placed = place_static(system, demands);
  EXPECT_NEAR(placed.hbm_read_share(), optimal_read_split(system), 1e-3);
  EXPECT_NEAR(placed.aggregate_bytes_per_s, 5.4e12, 5.4e12 * 1e-3);
  // A small HBM caps the share: it holds the hottest blocks only.
  system.hbm_capacity_bytes = 1000 * 4096;
  const placement_result capped = place_static(system, demands);
  EXPECT_LT(capped.hbm_read_share(), optimal_read_split(system));
  EXPECT_NEAR(capped.time_s, static_time_bound_s(system, demands), capped.time_s * 1e-3);
}

}  // namespace
}  // namespace kvtier
