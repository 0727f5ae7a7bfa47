// host_memory_tier beyond the laws: the arena grows by chunks and never past its slots, and NUMA
// binding says what it did.
#include "tier/tier_test_support.hpp"

#include <kvtier/tier/host_memory_tier.hpp>
#include <kvtier/tier/numa_topology.hpp>
#include <kvtier/tier/presets.hpp>

#include <gtest/gtest.h>

namespace kvtier::test {
namespace {

tier_spec dram(std::uint64_t capacity) {
  tier_spec spec = presets::dram_pcie5;
  spec.capacity_bytes = capacity;
  return spec;
}

TEST(HostMemoryTier, BlocksAcrossChunksKeepTheirBytes) {
  host_memory_tier tier(dram(64 * 4096), host_memory_options{4096, -1, 3 * 4096});  // 3 slots per chunk
  for (std::uint64_t i = 0; i < 64; ++i) ASSERT_TRUE(tier.try_insert(key_of(i), block_bytes(key_of(i), i, 4096)));
  EXPECT_FALSE(tier.can_admit(1));
  std::vector<std::byte> out(4096);
  for (std::uint64_t i = 0; i < 64; ++i) {
    ASSERT_EQ(tier.find(key_of(i), out), 4096u);
    EXPECT_EQ(version_of(key_of(i), out), i);
  }
}

TEST(HostMemoryTier, LargerThanASlotIsNeverAdmitted) {
  host_memory_tier tier(dram(1 << 20), host_memory_options{4096, -1, 1 << 20});
  EXPECT_FALSE(tier.can_admit(4097));
  EXPECT_FALSE(tier.try_insert(key_of(1), std::vector<std::byte>(4097)));
  EXPECT_EQ(tier.stats().rejected_inserts, 1u);
}

TEST(HostMemoryTier, UnboundByDefault) {
  host_memory_tier tier(dram(1 << 20), host_memory_options{});
  EXPECT_FALSE(tier.binding().bound);
  EXPECT_TRUE(tier.binding().note.empty());
}

TEST(HostMemoryTier, BindsToAnExistingNodeAndSaysSoWhenTheNodeIsMissing) {
  const std::vector<numa_node_info> nodes = numa_nodes();
  if (nodes.empty()) GTEST_SKIP() << "libnuma reports no NUMA support here";
  host_memory_tier bound(dram(1 << 20), host_memory_options{4096, nodes.front().node, 1 << 20});
  EXPECT_TRUE(bound.binding().bound);
  ASSERT_TRUE(bound.try_insert(key_of(1), block_bytes(key_of(1), 1, 4096)));
  std::vector<std::byte> out(4096);
  ASSERT_EQ(bound.find(key_of(1), out), 4096u);
  EXPECT_EQ(version_of(key_of(1), out), 1u);

  host_memory_tier missing(dram(1 << 20), host_memory_options{4096, 4095, 1 << 20});
  EXPECT_FALSE(missing.binding().bound);
  EXPECT_NE(missing.binding().note.find("NUMA node 4095 does not exist"), std::string::npos) << missing.binding().note;
  EXPECT_TRUE(missing.try_insert(key_of(1), block_bytes(key_of(1), 1, 4096)));  // ordinary memory still works
}

TEST(NumaTopology, NodesHaveMemoryAndMemoryOnlyNodesHaveNoCpus) {
  for (const numa_node_info& node : numa_nodes()) {
    EXPECT_GT(node.memory_bytes, 0u);
    EXPECT_LE(node.free_bytes, node.memory_bytes);
  }
  for (const numa_node_info& node : memory_only_numa_nodes()) EXPECT_EQ(node.cpus, 0);
}

}  // namespace
}  // namespace kvtier::test
