// The `kvtier size` command-line contract: JSON fields, warnings on stderr, and bad input that
// fails with a one-line message naming the file and field and exit code 2.
#include "support/run_tool.hpp"

#include <kvtier/sizing/presets.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace kvtier::test {
namespace {

std::string fixture(std::string_view name) {
  return std::string(KVTIER_SOURCE_DIR) + "/tests/sizing/configs/" + std::string(name) + ".json";
}

nlohmann::json run_json(const std::string& arguments) {
  const auto result = run_tool("size --json " + arguments);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

TEST(SizeTool, DeepSeekV3Json) {
  const auto out = run_json("--model deepseek-v3 --dtype bf16 --seq 32768");
  EXPECT_EQ(out["kv_bytes_per_token"], 70'272);
  EXPECT_EQ(out["state_bytes_per_sequence"], 0);
  EXPECT_EQ(out["bytes_per_sequence"], 70'272ULL * 32768);
  EXPECT_EQ(out["naive_bytes_per_token"], 61 * 81'920);
  EXPECT_NEAR(out["mha128_ratio"].get<double>(), 56.9, 0.05);
  ASSERT_EQ(out["layers"].size(), 61U);
  EXPECT_EQ(out["layers"][0]["kind"], "latent_attention");
  EXPECT_EQ(out["layers"][0]["kv_bytes_per_token"], 1152);
}

TEST(SizeTool, FlashMlaFp8Layout) {
  const auto out = run_json("--model deepseek-v3 --dtype fp8_ds_mla --seq 1024");
  EXPECT_EQ(out["layers"][0]["kv_bytes_per_token"], 656);
  EXPECT_EQ(out["kv_bytes_per_token"], 61 * 656);
}

TEST(SizeTool, ConfigWithSsmStateAndCapacity) {
  const auto out =
      run_json("--config " + fixture("jamba-v0.1") + " --seq 1000 --hbm 80GB --weights-bytes 20GB --reserve 0");
  EXPECT_EQ(out["kv_bytes_per_token"], 4 * 4096);
  EXPECT_EQ(out["state_bytes_per_sequence"], 28 * 155'648 * 2);
  EXPECT_EQ(out["bytes_per_sequence"], 1000 * 4 * 4096 + 28 * 155'648 * 2);
  EXPECT_EQ(out["layers"][4]["kind"], "full_attention");
  EXPECT_EQ(out["layers"][0]["kind"], "state_space");
  EXPECT_EQ(out["layers"][0]["kv_bytes_per_token"], 0);
  EXPECT_EQ(out["capacity"]["kv_budget_bytes"], 60'000'000'000);
  // Paged: 1000 tokens -> 63 blocks of 16 on each of the 4 attention layers.
  const std::uint64_t per_sequence = 63ULL * 16 * 4 * 4096 + 28ULL * 155'648 * 2;
  EXPECT_EQ(out["capacity"]["exact"]["bytes_per_sequence"], per_sequence);
  EXPECT_EQ(out["capacity"]["exact"]["max_sequences"], 60'000'000'000 / per_sequence);
}

TEST(SizeTool, CapacityUsesThePresetsWeightsWhenNoneAreGiven) {
  const model_preset* preset = find_preset("deepseek-v3");
  ASSERT_NE(preset, nullptr);
  const std::uint64_t weights_bytes = preset->shape().weights_bytes;
  ASSERT_NE(weights_bytes, 0U) << "the test needs a preset with a known weight size";
  const auto out = run_json("--model deepseek-v3 --seq 32768 --hbm 80GB --tp 16");
  EXPECT_EQ(out["capacity"]["weights_bytes"], weights_bytes);
  EXPECT_EQ(out["capacity"]["weights_estimated"], false);
}

TEST(SizeTool, WarnsWhenTheWeightsLeaveNoRoomForKv) {
  const auto result = run_tool("size --model deepseek-v3 --seq 32768 --hbm 80GB --tp 1");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.err.find("leave no room for KV"), std::string::npos) << result.err;
}

TEST(SizeTool, TensorParallelBytesPerRank) {
  const auto out = run_json("--model llama-3.1-70b --seq 4096 --tp 16");
  EXPECT_EQ(out["kv_bytes_per_token"], 327'680);
  EXPECT_EQ(out["kv_bytes_per_token_per_rank"], 327'680 / 8);
}

TEST(SizeTool, SeqBeyondContextWarnsButAnswers) {
  const auto result = run_tool("size --model falcon-7b --seq 4096");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.err.find("warning: --seq 4096 exceeds the context length of falcon-7b (2048 tokens)"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.out.find("KV bytes per token"), std::string::npos);
}

TEST(SizeTool, UnknownModelTypeWarns) {
  const auto result = run_tool("size --config " + fixture("unknown-type") + " --seq 100");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.err.find("unknown model_type 'brand_new_arch'"), std::string::npos) << result.err;
}

TEST(SizeTool, ListAndAllModels) {
  const auto list = run_tool("size --list-models");
  EXPECT_EQ(list.exit_code, 0);
  const auto table = run_tool("size --all-models --markdown");
  EXPECT_EQ(table.exit_code, 0);
  for (const auto& preset : model_presets) {
    EXPECT_NE(list.out.find(preset.name), std::string::npos) << preset.name;
    EXPECT_NE(table.out.find("| " + std::string(preset.name) + " |"), std::string::npos) << preset.name;
  }
}

void expect_failure(const std::string& arguments, std::string_view message) {
  const auto result = run_tool("size " + arguments);
  EXPECT_EQ(result.exit_code, 2) << arguments;
  EXPECT_NE(result.err.find(message), std::string::npos) << arguments << "\n" << result.err;
  EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << "one line: " << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(SizeTool, BadInputFailsWithTheReason) {
  expect_failure("--config " + fixture("bad-malformed") + " --seq 10", "bad-malformed.json:5: malformed JSON");
  expect_failure("--config " + fixture("bad-missing-heads") + " --seq 10", "field 'num_attention_heads': is missing");
  expect_failure("--config " + fixture("bad-zero-layers") + " --seq 10",
                 "bad-zero-layers.json:4: field 'num_hidden_layers': must be positive, got 0");
  expect_failure("--config " + fixture("bad-negative-kv-heads") + " --seq 10",
                 "field 'num_key_value_heads': must be positive, got -8");
  expect_failure("--config " + fixture("bad-indivisible-heads") + " --seq 10",
                 "field 'num_key_value_heads': num_attention_heads (32) is not a multiple of it (5)");
  expect_failure("--config " + fixture("bad-kv-heads-nested-earlier") + " --seq 10",
                 "bad-kv-heads-nested-earlier.json:12: field 'num_key_value_heads': num_attention_heads (32)");
  expect_failure("--model llama-3.1-8b --dtype fp7", "field '--dtype': unknown KV dtype 'fp7'");
  expect_failure("--model llama-3.1-8b --dtype fp8_ds_mla", "fp8_ds_mla is a layout for MLA latents");
  expect_failure("--model llama-3.1-8b --seq 0", "field '--seq': must be positive, got 0");
  expect_failure("--model llama-3.1-8b --seq -5", "field '--seq': must be positive, got -5");
  expect_failure("--model llama-3.1-8b --block-tokens 0", "field '--block-tokens': must be positive");
  expect_failure("--model llama-3.1-8b --tp 3", "field '--tp': tensor-parallel degree must divide");
  expect_failure("--model llama-3.1-8b --hbm -80GB", "field '--hbm': must not be negative");
  expect_failure("--model llama-3.1-8b --hbm 0", "field '--hbm': must be positive, got 0");
  expect_failure("--model no-such-model", "unknown model 'no-such-model'");
  expect_failure("--config /nonexistent/config.json", "/nonexistent/config.json: cannot open");
  expect_failure("--seq 10", "give exactly one of --config");
}

}  // namespace
}  // namespace kvtier::test
