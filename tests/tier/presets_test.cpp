// The presets carry the published figures of docs/tiers.md, each with its source, and the node
// preset has all six tiers and more than 38 TB.
#include <kvtier/tier/presets.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kvtier {
namespace {

using namespace presets;

static_assert(h100_sxm_hbm.capacity_bytes == 80'000'000'000 && h100_sxm_hbm.read_bytes_per_s == 3.35e12);
static_assert(h200_hbm.capacity_bytes == 141'000'000'000 && h200_hbm.read_bytes_per_s == 4.8e12);
static_assert(gh200_hbm3.capacity_bytes == 96'000'000'000 && gh200_hbm3e.capacity_bytes == 144'000'000'000);
static_assert(dram_pcie5.read_bytes_per_s == 64e9 && dram_pcie5.write_bytes_per_s == 64e9);
static_assert(gh200_lpddr5x.read_bytes_per_s + gh200_lpddr5x.write_bytes_per_s == 900e9);
static_assert(cxl2_expander.read_bytes_per_s == 36e9 && cxl2_expander.latency_s - dram_pcie5.latency_s > 99e-9);
static_assert(nvme_gen4.read_bytes_per_s == 7e9 && nvme_gen5.read_bytes_per_s == 14.5e9);
static_assert(nvme_gen5_gds.read_bytes_per_s == 24.0 * 1073741824.0);
static_assert(rdma_connectx7.read_bytes_per_s * 8 == 400e9 && rdma_connectx8.read_bytes_per_s * 8 == 800e9);
static_assert(pfs_3fs.read_bytes_per_s == 40.0 * 1073741824.0);
static_assert(dram_pcie5.cost_per_gb_hour == 0.0088 && nvme_gen4.cost_per_gb_hour == 0.000082);
static_assert(find_tier("nvme-gen4") == nvme_gen4 && !find_tier("nvme-gen9"));
static_assert(find_node("six-tier-node")->name == "six-tier-node");

TEST(Presets, EveryTierHasANameASourceAndSaneFigures) {
  std::set<std::string> names;
  for (const tier_spec& spec : tiers) {
    EXPECT_TRUE(names.insert(std::string(spec.name)).second) << spec.name;
    EXPECT_FALSE(spec.source.empty()) << spec.name;
    EXPECT_GT(spec.capacity_bytes, 0u) << spec.name;
    EXPECT_GT(spec.read_bytes_per_s, 0) << spec.name;
    EXPECT_GT(spec.write_bytes_per_s, 0) << spec.name;
    EXPECT_GT(spec.latency_s, 0) << spec.name;
    EXPECT_GT(spec.cost_per_gb_hour, 0) << spec.name;
    EXPECT_GE(spec.granularity_bytes, 1u) << spec.name;
  }
}

TEST(Presets, NodesHaveAllSixKindsInTierKindOrder) {
  for (const node_preset& node : nodes) {
    for (std::size_t i = 0; i < tier_kinds.size(); ++i) EXPECT_EQ(node.tiers[i].unit.kind, tier_kinds[i]) << node.name;
    // Memory is nearer than storage: latency grows from HBM through CXL, and the filesystem is the
    // farthest. (RDMA is nearer than NVMe; a stack may order them either way.)
    EXPECT_LT(node.tiers[0].unit.latency_s, node.tiers[1].unit.latency_s) << node.name;
    EXPECT_LT(node.tiers[1].unit.latency_s, node.tiers[2].unit.latency_s) << node.name;
    for (std::size_t i = 0; i + 1 < node.tiers.size(); ++i) {
      EXPECT_LT(node.tiers[i].unit.latency_s, node.tiers[5].unit.latency_s) << node.name << " tier " << i;
    }
  }
}

TEST(Presets, SixTierNodeHoldsMoreThan38Terabytes) {
  std::uint64_t total = 0;
  std::uint64_t without_pfs = 0;
  for (const node_tier& tier : six_tier_node.tiers) {
    total += tier.combined().capacity_bytes;
    if (tier.unit.kind != tier_kind::pfs) without_pfs += tier.combined().capacity_bytes;
  }
  EXPECT_GT(without_pfs, 38'000'000'000'000u);
  EXPECT_EQ(without_pfs,
            640'000'000'000u + 2'000'000'000'000u + 2'048'000'000'000u + 30'720'000'000'000u + 16'000'000'000'000u);
  EXPECT_EQ(total, without_pfs + 100'000'000'000'000u);
  EXPECT_DOUBLE_EQ(six_tier_node.tiers[0].combined().read_bytes_per_s, 8 * 3.35e12);
}

TEST(TransferTime, LatencyPlusBytesOverBandwidthInWholeGranules) {
  EXPECT_DOUBLE_EQ(transfer_time_s(nvme_gen4, 4096, transfer_direction::read), 80e-6 + 4096 / 7e9);
  EXPECT_DOUBLE_EQ(transfer_time_s(nvme_gen4, 1, transfer_direction::read), 80e-6 + 4096 / 7e9);
  EXPECT_DOUBLE_EQ(transfer_time_s(nvme_gen5, 4096, transfer_direction::write), 80e-6 + 4096 / 13e9);
}

}  // namespace
}  // namespace kvtier
