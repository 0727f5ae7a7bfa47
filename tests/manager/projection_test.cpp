// The projection model against values computed by hand (each expectation spells out its arithmetic).
#include <kvtier/manager/projection.hpp>

#include <gtest/gtest.h>

#include <array>

namespace kvtier {
namespace {

// Llama-3.1-8B defaults: P = 8.03e9, 32 layers, attention_dim 4096, 131,072 B/token; H100 at 40%.
constexpr projection_params defaults{};
constexpr double effective_flops = 989.4e12 * 0.4;

static_assert(prefill_flops(model_spec{}, 1, 0) == 2 * 8.03e9 + 4.0 * 32 * 4096 * 1);
static_assert(prefill_flops(model_spec{}, 0, 5000) == 0);

TEST(Projection, PrefillFlopsCountsDenseAndCausalAttention) {
  // 1024 new after 1024 cached: dense 2 * 8.03e9 * 1024 = 16,445,440,000,000;
  // attention 4 * 32 * 4096 * (1024 * 1024 + 1024 * 1025 / 2) = 524,288 * 1,573,376 = 824,902,156,288.
  EXPECT_DOUBLE_EQ(prefill_flops(defaults.model, 1024, 1024), 16'445'440'000'000.0 + 824'902'156'288.0);
}

TEST(Projection, TtftOverlapsLoadsWithComputeLayerByLayer) {
  // 2048-token prompt, 1024 tokens hit in DRAM at 50 GB/s: load 1024 * 131072 / 50e9 = 2.68435456 ms;
  // compute 17,270,342,156,288 / 395.76e12 = 43.6384 ms; compute-bound, so
  // ttft = load / 32 + 31 * compute / 32 + compute / 32 = load / 32 + compute.
  const std::array hits{tier_load{1024, 50e9, 0}};
  const auto p = project_ttft(defaults, 2048, hits);
  const double compute = 17'270'342'156'288.0 / effective_flops;
  EXPECT_DOUBLE_EQ(p.load_s, 1024.0 * 131072.0 / 50e9);
  EXPECT_DOUBLE_EQ(p.compute_s, compute);
  EXPECT_NEAR(p.ttft_s, 0.00268435456 / 32 + compute, 1e-15);
  EXPECT_NEAR(p.ttft_s, 0.043722308751, 1e-12);

  projection_params serial = defaults;
  serial.layerwise_overlap = false;
  EXPECT_DOUBLE_EQ(project_ttft(serial, 2048, hits).ttft_s, p.load_s + p.compute_s);
}

TEST(Projection, LoadBoundRequestsPayTheLoadPlusOneLayerOfCompute) {
  // All 8192 tokens hit on a slow tier (1 GB/s, 1 ms latency): load = 8192 * 131072 / 1e9 + 0.001
  // = 1.074741824 s, compute 0, so ttft = load (every layer waits for its load).
  const std::array hits{tier_load{8192, 1e9, 0.001}};
  const auto p = project_ttft(defaults, 8192, hits);
  EXPECT_DOUBLE_EQ(p.compute_s, 0.0);
  EXPECT_NEAR(p.ttft_s, 1.074741824, 1e-12);
}

TEST(Projection, NoReuseIsPurePrefill) {
  const auto p = project_ttft(defaults, 4096, {});
  // dense 2 * 8.03e9 * 4096 = 65,781,760,000,000; attention 524,288 * 4096 * 4097 / 2 = 4,399,120,252,928.
  EXPECT_DOUBLE_EQ(p.compute_s, (65'781'760'000'000.0 + 4'399'120'252'928.0) / effective_flops);
  EXPECT_DOUBLE_EQ(p.ttft_s, p.compute_s);
}

TEST(Projection, ThroughputFromTheBatchThatFits) {
  // 3,000 input + 500 output = 3,500 tokens * 131,072 B = 458,752,000 B per request;
  // floor(40e9 / 458,752,000) = 87 requests.
  // step = (16.06e9 + 87 * 131072 * (3000 + 250)) / 3.35e12 = (16.06e9 + 37,060,608,000) / 3.35e12.
  const double ttft = 0.1;
  const auto t = project_throughput(defaults, 3000, 500, ttft);
  EXPECT_DOUBLE_EQ(t.batch, 87);
  const double step = (16.06e9 + 37'060'608'000.0) / 3.35e12;
  EXPECT_DOUBLE_EQ(t.decode_step_s, step);
  EXPECT_DOUBLE_EQ(t.requests_per_s, 87 / (87 * ttft + 500 * step));
  EXPECT_DOUBLE_EQ(t.tokens_per_s, t.requests_per_s * 3500);
  // A request too large for the budget still runs alone.
  EXPECT_DOUBLE_EQ(project_throughput(defaults, 400'000, 1, ttft).batch, 1);
}

TEST(Projection, CostPerMillionTokens) {
  // $5/h GPU + 1 TB DRAM at $0.0088/GB-h (= $8.8/h) at 10,000 tokens/s:
  // 13.8 / 36,000,000 * 1e6 = $0.38333 per million tokens.
  const std::array tiers{tier_cost{1e12, 0.0088}};
  EXPECT_NEAR(cost_per_million_tokens(defaults.gpu, tiers, 10'000), 13.8 / 36.0, 1e-12);
  EXPECT_NEAR(cost_per_million_tokens(defaults.gpu, {}, 10'000), 5.0 / 36.0, 1e-12);
}

TEST(Projection, ReuseNeverSlowsAComputeBoundRequest) {
  for (double hit = 0; hit <= 8192; hit += 512) {
    const std::array hits{tier_load{hit, 64e9, 0}};
    const std::array previous{tier_load{hit > 0 ? hit - 512 : 0, 64e9, 0}};
    EXPECT_LE(project_ttft(defaults, 8192, hits).ttft_s, project_ttft(defaults, 8192, previous).ttft_s + 1e-12)
        << "at " << hit << " hit tokens over PCIe Gen5";
  }
}

}  // namespace
}  // namespace kvtier
