// `kvtier tiers`: presets, custom stacks and the list, as tables and as JSON; bad input names the
// field and exits 2.
#include "support/run_tool.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kvtier::test {
namespace {

TEST(TiersCommand, SixTierNodeJsonHasSixTiersAndMoreThan38Terabytes) {
  const auto result = run_tool("tiers --preset six-tier-node --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  ASSERT_EQ(json["tiers"].size(), 6u);
  for (const char* kind : {"hbm", "dram", "cxl", "nvme", "rdma", "pfs"}) {
    bool found = false;
    for (const auto& tier : json["tiers"]) found = found || tier["kind"] == kind;
    EXPECT_TRUE(found) << kind;
  }
  for (const auto& tier : json["tiers"]) {
    for (const char* field : {"kind", "capacity_bytes", "read_bytes_per_s", "write_bytes_per_s", "latency_s"}) {
      EXPECT_TRUE(tier.contains(field)) << field;
    }
  }
  EXPECT_EQ(json["tiers"][0]["capacity_bytes"], 640'000'000'000ull);
  EXPECT_DOUBLE_EQ(json["tiers"][0]["read_bytes_per_s"].get<double>(), 8 * 3.35e12);
  EXPECT_GT(json["total_capacity_bytes"].get<std::uint64_t>(), 38'000'000'000'000ull);
  EXPECT_GT(json["total_cost_per_hour"].get<double>(), 40.0);  // eight $5/h GPUs and the rest
}

TEST(TiersCommand, CustomStackUsesSiAndIecUnits) {
  const auto result = run_tool("tiers --json --stack \"hbm=40GB,dram=2TiB,cxl=512GiB,nvme=30TB,rdma=2TB,pfs=1PB\"");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  ASSERT_EQ(json["tiers"].size(), 6u);
  EXPECT_EQ(json["tiers"][1]["capacity_bytes"], 2ull << 40);
  EXPECT_EQ(json["tiers"][2]["capacity_bytes"], 512ull << 30);
  EXPECT_EQ(json["total_capacity_bytes"], 40'000'000'000ull + (2ull << 40) + (512ull << 30) + 30'000'000'000'000ull +
                                              2'000'000'000'000ull + 1'000'000'000'000'000ull);
}

TEST(TiersCommand, TableShowsTotalsAndSources) {
  const auto result = run_tool("tiers --preset gh200-node");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("total"), std::string::npos);
  EXPECT_NE(result.out.find("gh200-hbm3e"), std::string::npos);
  EXPECT_NE(result.out.find("NVLink-C2C"), std::string::npos);
  const auto single = run_tool("tiers --preset nvme-gen4");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  EXPECT_NE(single.out.find("7.00 GB/s"), std::string::npos) << single.out;
}

TEST(TiersCommand, ListNamesThePresets) {
  const auto result = run_tool("tiers --list");
  ASSERT_EQ(result.exit_code, 0);
  for (const char* name : {"six-tier-node", "gh200-node", "h100-sxm-hbm3", "cxl2-expander", "pfs-3fs", "pfs-weka"}) {
    EXPECT_NE(result.out.find(name), std::string::npos) << name;
  }
  const auto json = nlohmann::json::parse(run_tool("tiers --list --json").out);
  EXPECT_EQ(json["nodes"].size(), 2u);
  EXPECT_EQ(json["tiers"].size(), 17u);
}

TEST(TiersCommand, BadInputNamesTheFieldAndExits2) {
  const auto kind = run_tool("tiers --stack hbm=40GB,ssd=1TB");
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_EQ(kind.err,
            "kvtier: error: --stack: field 'ssd': unknown tier kind (kinds: hbm dram cxl nvme rdma pfs; "
            "or a preset such as nvme-gen4, see 'kvtier tiers --list')\n");
  EXPECT_TRUE(kind.out.empty());
  const auto unit = run_tool("tiers --stack hbm=40XB");
  EXPECT_EQ(unit.exit_code, 2);
  EXPECT_EQ(unit.err.rfind("kvtier: error: --stack: field 'hbm': '40XB' is not a byte size", 0), 0u) << unit.err;
  const auto preset = run_tool("tiers --preset nine-tier-node");
  EXPECT_EQ(preset.exit_code, 2);
  EXPECT_NE(preset.err.find("unknown preset 'nine-tier-node'"), std::string::npos) << preset.err;
  const auto none = run_tool("tiers");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("exactly one of"), std::string::npos) << none.err;
}

TEST(TiersCommand, HelpExplains) {
  const auto result = run_tool("tiers --help");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("--stack"), std::string::npos);
  EXPECT_NE(result.out.find("powers of 2"), std::string::npos);
}

}  // namespace
}  // namespace kvtier::test
