// Laws of scorer (score/concepts.hpp), numbered as there, for ema_scorer.
#include <kvtier/score/ema_scorer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

TEST(EmaScorer, UpdateFollowsTheDefinition) {
  kvtier::ema_scorer s{kvtier::head_grid{2, 2}, 4};
  const std::vector<float> mass{1.0F, 0.5F, 0.0F, 0.25F};
  s.observe(1, mass, 10.0);
  EXPECT_FLOAT_EQ(s.ema(1, 0, 0), 0.2F);
  EXPECT_FLOAT_EQ(s.ema(1, 0, 1), 0.1F);
  EXPECT_FLOAT_EQ(s.ema(1, 1, 1), 0.05F);
  s.observe(1, mass, 10.0);
  EXPECT_FLOAT_EQ(s.ema(1, 0, 0), 0.2F + 0.8F * 0.2F);
  // priority = (1 - ema)·(1 - e^(-0.001·age)), age 100 s.
  EXPECT_NEAR(s.head_priority(1, 0, 0, 110.0), (1.0 - 0.36) * (1.0 - std::exp(-0.1)), 1e-6);
}

TEST(EmaScorer, Law2BlockPriorityIsTheMaxOverCells) {
  kvtier::ema_scorer s{kvtier::head_grid{3, 2}, 2};
  s.observe(0, std::vector<float>{0.9F, 0.1F, 0.5F, 0.7F, 0.3F, 0.2F}, 0.0);
  double most = 0.0;
  for (std::size_t l = 0; l < 3; ++l) {
    for (std::size_t h = 0; h < 2; ++h) most = std::max(most, s.head_priority(0, l, h, 50.0));
  }
  EXPECT_DOUBLE_EQ(s.block_priority(0, 50.0), most);
  EXPECT_DOUBLE_EQ(s.kv_head_priority(0, 1, 50.0), s.head_priority(0, 0, 1, 50.0));  // least mass: layer 0
}

TEST(EmaScorer, Law3PrioritiesAreBoundedAndGrowWithAge) {
  kvtier::ema_scorer s{kvtier::head_grid{1, 1}, 1};
  s.touch(0, 0.0);
  double last = 0.0;
  for (double t = 0.0; t < 10'000.0; t += 250.0) {
    const double p = s.block_priority(0, t);
    EXPECT_GE(p, last);
    EXPECT_LE(p, 1.0);
    last = p;
  }
}

TEST(EmaScorer, Law4MoreAttentionNeverRaisesPriority) {
  kvtier::ema_scorer s{kvtier::head_grid{1, 2}, 2};
  s.observe(0, std::vector<float>{0.2F, 0.2F}, 0.0);
  s.observe(1, std::vector<float>{0.8F, 0.8F}, 0.0);
  EXPECT_LE(s.block_priority(1, 100.0), s.block_priority(0, 100.0));
}

TEST(EmaScorer, AccessFallbackIsRecency) {
  kvtier::ema_scorer s{kvtier::head_grid{80, 8}, 2};
  s.touch(0, 0.0);
  s.touch(1, 50.0);
  EXPECT_GT(s.block_priority(0, 100.0), s.block_priority(1, 100.0));
  s.reset(0);
  EXPECT_EQ(s.ema(0, 3, 3), 0.0F);
}

}  // namespace
