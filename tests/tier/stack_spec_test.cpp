// Stack descriptions: kinds and presets with SI and IEC capacities; every mistake named.
#include <kvtier/error.hpp>
#include <kvtier/tier/stack_spec.hpp>

#include <gtest/gtest.h>

#include <string>

namespace kvtier {
namespace {

TEST(StackSpec, KindsTakeTheNodePresetsFiguresAndTheGivenCapacity) {
  const auto stack = parse_stack_spec("hbm=40GB,dram=2TiB,cxl=512GiB,nvme=30TB,rdma=2TB,pfs=1PB");
  ASSERT_EQ(stack.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(stack[i].kind, tier_kinds[i]);
  EXPECT_EQ(stack[0].capacity_bytes, 40'000'000'000u);
  EXPECT_EQ(stack[1].capacity_bytes, 2ull << 40);
  EXPECT_EQ(stack[2].capacity_bytes, 512ull << 30);
  EXPECT_EQ(stack[3].capacity_bytes, 30'000'000'000'000u);
  EXPECT_EQ(stack[5].capacity_bytes, 1'000'000'000'000'000u);
  EXPECT_EQ(stack[0].read_bytes_per_s, presets::h100_sxm_hbm.read_bytes_per_s);
  EXPECT_EQ(stack[3].name, presets::nvme_gen5.name);
}

TEST(StackSpec, PresetNamesAndSpacesAreAccepted) {
  const auto stack = parse_stack_spec(" h200-hbm3e = 100GB , nvme-gen4-gds=1.5TB ");
  ASSERT_EQ(stack.size(), 2u);
  EXPECT_EQ(stack[0].name, "h200-hbm3e");
  EXPECT_EQ(stack[0].capacity_bytes, 100'000'000'000u);
  EXPECT_EQ(stack[1].name, "nvme-gen4-gds");
  EXPECT_EQ(stack[1].capacity_bytes, 1'500'000'000'000u);
}

std::string error_of(std::string_view text) {
  try {
    (void)parse_stack_spec(text, "--stack");
  } catch (const input_error& error) {
    return error.what();
  }
  return "no error";
}

TEST(StackSpec, MistakesNameTheField) {
  EXPECT_EQ(error_of("hbm=40GB,ssd=1TB").rfind("--stack: field 'ssd': unknown tier kind", 0), 0u)
      << error_of("hbm=40GB,ssd=1TB");
  EXPECT_EQ(error_of("hbm=40XB").rfind("--stack: field 'hbm': '40XB' is not a byte size", 0), 0u)
      << error_of("hbm=40XB");
  EXPECT_EQ(error_of("hbm=40GB,dram").rfind("--stack: field 'item 2': 'dram' is not <kind>=<capacity>", 0), 0u)
      << error_of("hbm=40GB,dram");
  EXPECT_EQ(error_of("").rfind("--stack: field 'item 1'", 0), 0u) << error_of("");
  EXPECT_EQ(error_of("dram=0").rfind("--stack: field 'dram': a tier needs a capacity above zero", 0), 0u);
  EXPECT_EQ(error_of("hbm=40gb").rfind("--stack: field 'hbm'", 0), 0u);
}

}  // namespace
}  // namespace kvtier
