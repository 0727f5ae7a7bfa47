// A stack of real tiers: host memory over files. Demoted blocks keep their bytes on disk, and a
// promotion brings them back whole.
#include "tier/tier_test_support.hpp"

#include <kvtier/io.hpp>
#include <kvtier/tier/presets.hpp>
#include <kvtier/tier/tier_stack.hpp>

#include <gtest/gtest.h>

namespace kvtier::test {
namespace {

TEST(RealTierStack, HostOverFilesKeepsEveryByte) {
  constexpr std::uint64_t block = 16 * 1024;
  tier_spec dram = presets::dram_pcie5;
  dram.capacity_bytes = 4 * block;
  tier_spec nvme = presets::nvme_gen5;
  nvme.capacity_bytes = 64 * block;
  scratch_directory directory;
  host_memory_tier host(dram, host_memory_options{block, -1, 1 << 20});
  file_tier<> files(directory.path(), nvme, file_tier_options{block, 1 << 20, false});
  tier_stack<host_memory_tier&, file_tier<>&> stack(host, files);
  for (std::uint64_t i = 0; i < 20; ++i) ASSERT_TRUE(stack.insert(key_of(i), block_bytes(key_of(i), i, block)));
  EXPECT_EQ(host.used_bytes(), 4 * block);
  EXPECT_EQ(files.used_bytes(), 16 * block);
  std::vector<std::byte> out(block);
  for (std::uint64_t i = 0; i < 20; ++i) {
    const auto hit = stack.find(key_of(i), out, promotion::yes);
    ASSERT_TRUE(hit) << i;
    EXPECT_EQ(version_of(key_of(i), out), i);
    EXPECT_EQ(stack.level_of(key_of(i)), 0u);
  }
  EXPECT_EQ(stack.stats().promotions, 20u);  // 16 from the files, then 16..19, demoted by those
  EXPECT_EQ(host.used_bytes() + files.used_bytes(), 20 * block);
}

}  // namespace
}  // namespace kvtier::test
