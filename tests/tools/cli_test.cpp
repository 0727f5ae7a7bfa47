#include "support/run_tool.hpp"

#include <kvtier/version.hpp>

#include <gtest/gtest.h>

namespace kvtier::test {
namespace {

TEST(Cli, VersionAndHelp) {
  const auto version = run_tool("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find(kvtier::version_string), std::string::npos);
  const auto help = run_tool("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("kvtier"), std::string::npos);
}

TEST(Cli, UnknownCommandFails) {
  const auto result = run_tool("no-such-command");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_FALSE(result.err.empty());
}

}  // namespace
}  // namespace kvtier::test
