// The `kvtier convert` and `kvtier synth` contract: files written, summaries, determinism, bad input.
#include "support/run_tool.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace kvtier::test {
namespace {

const std::string traces = std::string(KVTIER_SHARED_DIR) + "/traces/";

std::string temp_path(const std::string& name) { return std::string(::testing::TempDir()) + name; }

TEST(ConvertCommand, AgentMessagesToMooncakeJsonl) {
  const std::string input = traces + "agent_swebench_train_messages.jsonl.gz";
  if (!std::filesystem::exists(input)) GTEST_SKIP() << "shared traces absent: " << input;
  const std::string output = temp_path("kvtier_convert_agent.jsonl");
  const auto result = run_tool("convert --input " + input + " --format agent --output " + output + " --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto summary = nlohmann::json::parse(result.out);
  EXPECT_EQ(summary.at("requests"), 4040);
  EXPECT_EQ(summary.at("block_refs"), 123202);
  EXPECT_EQ(summary.at("unique_blocks"), 6305);
  std::ifstream in(output);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const auto first = nlohmann::json::parse(line);
  EXPECT_EQ(first.at("timestamp"), 0);
  EXPECT_EQ(first.at("input_length"), 1467);
  EXPECT_EQ(first.at("output_length"), 39);
  EXPECT_EQ(first.at("hash_ids"), nlohmann::json::parse("[0, 1, 2]"));
  EXPECT_EQ(first.at("session_id"), "astropy__astropy-12907");
  EXPECT_EQ(first.at("turn"), 1);
  std::filesystem::remove(output);
}

TEST(ConvertCommand, BadInputNamesFileAndLineAndWritesNothing) {
  const std::string input = temp_path("kvtier_convert_bad.jsonl");
  const std::string output = temp_path("kvtier_convert_bad_out.jsonl");
  std::ofstream(input) << R"({"messages": [{"role": "user", "content": "x"}]})"
                       << "\n{\"messages\": [}\n";
  const auto result = run_tool("convert --input " + input + " --output " + output);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("kvtier: error: " + input + ":2:"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(output));
  const auto format = run_tool("convert --input " + input + " --output " + output + " --format csv");
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_NE(format.err.find("--format"), std::string::npos) << format.err;
  std::filesystem::remove(input);
}

TEST(ConvertCommand, PrettyPrintedArrayErrorNamesTheLineOfTheField) {
  const std::string input = temp_path("kvtier_convert_pretty.json");
  const std::string output = temp_path("kvtier_convert_pretty_out.jsonl");
  std::ofstream(input) << "[\n  {\n    \"id\": \"a\",\n    \"messages\": [\n      {\n        \"role\": \"user\",\n"
                       << "        \"content\": 42\n      }\n    ]\n  }\n]\n";
  const auto result = run_tool("convert --input " + input + " --output " + output);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("kvtier: error: " + input + ":7: field 'messages[0].content': must be a string"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << "one line: " << result.err;
  EXPECT_FALSE(std::filesystem::exists(output));
  std::filesystem::remove(input);
}

TEST(SynthCommand, SameSeedSameFile) {
  const std::string a = temp_path("kvtier_synth_a.jsonl");
  const std::string b = temp_path("kvtier_synth_b.jsonl");
  const auto first = run_tool("synth --out " + a + " --sessions 40 --seed 7 --json");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(run_tool("synth --out " + b + " --sessions 40 --seed 7").exit_code, 0);
  EXPECT_EQ(read_whole_file(a), read_whole_file(b));
  EXPECT_EQ(nlohmann::json::parse(first.out).at("sessions"), 40);
  const auto bad = run_tool("synth --out " + a + " --chat-share 0.8 --document-share 0.5");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--chat-share"), std::string::npos) << bad.err;
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

}  // namespace
}  // namespace kvtier::test
