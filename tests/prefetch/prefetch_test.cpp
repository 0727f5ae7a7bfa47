// Laws of prefetch_planner (prefetch/concepts.hpp) for layer_pipeline_planner, and position priorities.
#include <kvtier/prefetch/layer_pipeline.hpp>
#include <kvtier/prefetch/position_priority.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

namespace {

kvtier::layer_plan plan(double bandwidth, double latency, double bytes_per_layer, std::size_t layers = 4) {
  static std::vector<double> compute;
  static std::vector<double> bytes;
  static std::vector<kvtier::tier_link> links;
  compute.assign(layers, 1.0);
  bytes.assign(layers, bytes_per_layer);
  links = {kvtier::tier_link{bandwidth, latency}};
  return kvtier::layer_pipeline_planner{}.plan(kvtier::layer_workload{compute, links, bytes});
}

TEST(LayerPipeline, GoldenFastLinkHidesAllButTheFirstLayer) {
  // 1 s compute per layer, 0.5 s per layer load, 0.1 s latency: only the first load shows. Loads are
  // ready at 0.6, 1.1, 1.6, 2.1; when layer 1 starts (1.6) layers 1 and 2 are staged: depth 2.
  const auto p = plan(2.0, 0.1, 1.0);
  EXPECT_DOUBLE_EQ(p.stall_s, 0.6);
  EXPECT_DOUBLE_EQ(p.total_s, 4.6);
  EXPECT_EQ(p.layers_ahead, 2U);
}

TEST(LayerPipeline, GoldenSlowLinkStallsEveryLayer) {
  // 2 s per layer load, 1 s compute: loads finish at 2, 4, 6, 8; the last layer ends at 9.
  const auto p = plan(0.5, 0.0, 1.0);
  EXPECT_DOUBLE_EQ(p.total_s, 9.0);
  EXPECT_DOUBLE_EQ(p.stall_s, 5.0);
}

TEST(LayerPipeline, GoldenBurstNeedsDepth) {
  // Everything arrives quickly (0.1 s per layer): three layers wait while the first computes.
  const auto p = plan(10.0, 0.0, 1.0);
  EXPECT_EQ(p.layers_ahead, 3U);  // layers 1..3 are staged when layer 1 starts
  EXPECT_NEAR(p.stall_s, 0.1, 1e-12);
}

TEST(LayerPipeline, Laws) {
  for (const double bw : {0.1, 0.5, 1.0, 4.0, 100.0}) {
    const auto p = plan(bw, 0.05, 1.0, 8);
    std::vector<std::size_t> order = p.load_order;
    std::sort(order.begin(), order.end());
    std::vector<std::size_t> expected(8);
    std::iota(expected.begin(), expected.end(), std::size_t{0});
    EXPECT_EQ(order, expected);                                  // law 1
    EXPECT_LE(p.layers_ahead, 8U);                               // law 1
    EXPECT_GE(p.total_s, p.compute_s);                           // law 2
    EXPECT_NEAR(p.stall_s, p.total_s - p.compute_s, 1e-12);      // law 2
    EXPECT_LE(plan(bw * 2.0, 0.05, 1.0, 8).stall_s, p.stall_s);  // law 4
  }
  EXPECT_EQ(plan(1.0, 0.5, 0.0).stall_s, 0.0);  // law 3
}

TEST(PositionPriority, SinksAndRecentWindowAreHotAndDistanceDecays) {
  const kvtier::position_priority_params params{};
  EXPECT_EQ(kvtier::position_priority(0, 512, 100'000, params), 1.0);
  EXPECT_EQ(kvtier::position_priority(99'488, 512, 100'000, params), 1.0);
  const double near = kvtier::position_priority(90'000, 512, 100'000, params);
  const double far = kvtier::position_priority(40'000, 512, 100'000, params);
  EXPECT_GT(near, far);
  EXPECT_GT(far, 0.0);
  EXPECT_NEAR(kvtier::position_priority(98'980 - 8'192 - 511, 512, 100'000, params), std::exp(-1.0), 1e-12);
}

TEST(PositionShift, RerotationOnlyWhenThePositionMoves) {
  EXPECT_FALSE((kvtier::position_shift{512, 512}.needs_rerotation()));
  EXPECT_TRUE((kvtier::position_shift{512, 1024}.needs_rerotation()));
}

}  // namespace
