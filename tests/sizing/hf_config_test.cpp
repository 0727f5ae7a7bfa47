// The config.json loader on fixtures written from public model cards (tests/sizing/configs/):
// every preset is reproduced from its config, and every trap of docs/sizing.md is exercised.
#include <kvtier/sizing/hf_config.hpp>
#include <kvtier/sizing/kv_footprint.hpp>
#include <kvtier/sizing/presets.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <string_view>

namespace kvtier {
namespace {

std::string fixture(std::string_view name) {
  return std::string(KVTIER_SOURCE_DIR) + "/tests/sizing/configs/" + std::string(name) + ".json";
}

// Every preset has a fixture of the same name; loading it gives the preset's layers and context.
TEST(HfConfig, EveryPresetMatchesItsConfig) {
  for (const auto& preset : model_presets) {
    const auto loaded = load_hf_config(fixture(preset.name));
    const auto expected = preset.shape();
    EXPECT_EQ(loaded.model.layers, expected.layers) << preset.name;
    EXPECT_EQ(loaded.model.context_tokens, expected.context_tokens) << preset.name;
    EXPECT_EQ(loaded.name, preset.source) << preset.name;
    EXPECT_TRUE(loaded.warnings.empty()) << preset.name;
  }
}

// The parameter estimate is within 15% of the published count for dense and MoE models.
TEST(HfConfig, ParameterEstimateIsClose) {
  for (const auto* name : {"llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "qwen2.5-72b", "mixtral-8x7b",
                           "deepseek-v3", "kimi-k2", "mistral-7b-v0.1", "falcon-40b"}) {
    const auto loaded = load_hf_config(fixture(name));
    const auto published = static_cast<double>(find_preset(name)->shape().parameters);
    EXPECT_NEAR(static_cast<double>(loaded.model.parameters) / published, 1.0, 0.15) << name;
  }
}

TEST(HfConfig, PublishedFiguresFromConfigs) {
  EXPECT_EQ(kv_bytes_per_token(load_hf_config(fixture("deepseek-v3")).model, kv_format::bf16), 70'272U);
  EXPECT_EQ(kv_bytes_per_token(load_hf_config(fixture("llama-3.1-70b")).model, kv_format::bf16), 327'680U);
  EXPECT_EQ(kv_bytes_per_token(load_hf_config(fixture("llama-3.1-405b")).model, kv_format::bf16), 516'096U);
  EXPECT_EQ(kv_bytes_per_token(load_hf_config(fixture("qwen2.5-72b")).model, kv_format::bf16), 327'680U);
}

// Trap: Qwen2.5 says use_sliding_window false beside sliding_window 131072: no layer slides.
TEST(HfConfig, QwenUseSlidingWindowFalseIgnoresTheWindow) {
  const auto loaded = load_hf_config(fixture("qwen2.5-7b"));
  for (const auto& layer : loaded.model.layers) EXPECT_EQ(kind_of(layer), layer_kind::full_attention);
}

// When Qwen2 does slide, layers from max_window_layers on slide.
TEST(HfConfig, QwenSlidingFromMaxWindowLayers) {
  const auto loaded = load_hf_config(fixture("qwen2-use-sliding"));
  ASSERT_EQ(loaded.model.layers.size(), 28U);
  for (std::size_t i = 0; i < 28; ++i) {
    EXPECT_EQ(kind_of(loaded.model.layers[i]), i >= 21 ? layer_kind::sliding_attention : layer_kind::full_attention);
  }
  EXPECT_EQ(window_tokens(std::get<sliding_window<gqa_attention>>(loaded.model.layers[27])), 4096U);
}

// Trap: Falcon-40B says multi_query true, but new_decoder_architecture gives it 8 KV heads.
TEST(HfConfig, FalconNewDecoderArchitectureOverridesMultiQuery) {
  const auto falcon_40b = load_hf_config(fixture("falcon-40b"));
  EXPECT_EQ(falcon_40b.model.layers.front(), layer_spec(gqa_attention{128, 8, 64}));
  const auto falcon_7b = load_hf_config(fixture("falcon-7b"));
  EXPECT_EQ(falcon_7b.model.layers.front(), layer_spec(mqa_attention{71, 64}));
  EXPECT_EQ(falcon_7b.model.context_tokens, 2048U);  // FalconConfig's default
}

// Trap: old Llama configs omit num_key_value_heads (= heads, MHA) and say torch_dtype float32.
TEST(HfConfig, OldLlamaIsMultiHeadAndServedIn16Bits) {
  const auto loaded = load_hf_config(fixture("llama-2-7b-old"));
  EXPECT_EQ(loaded.model.layers.front(), layer_spec(mha_attention{32, 128}));
  EXPECT_EQ(loaded.native_format, kv_format::bf16);
  EXPECT_EQ(kv_bytes_per_token(loaded.model, loaded.native_format), 32U * 2 * 32 * 128 * 2);
  EXPECT_EQ(load_hf_config(fixture("unknown-type")).native_format, kv_format::fp16);
}

// Trap: head_dim differs from hidden_size / heads (Qwen3: 128, not 80).
TEST(HfConfig, HeadDimWinsOverHiddenSize) {
  const auto loaded = load_hf_config(fixture("qwen3-32b"));
  EXPECT_EQ(loaded.model.layers.front(), layer_spec(gqa_attention{64, 8, 128}));
}

// Trap: Gemma-3 nests the language model under text_config and slides 5 layers of 6.
TEST(HfConfig, Gemma3TextConfigAndPattern) {
  const auto loaded = load_hf_config(fixture("gemma-3-27b"));
  EXPECT_EQ(loaded.model_type, "gemma3_text");
  ASSERT_EQ(loaded.model.layers.size(), 62U);
  std::size_t global = 0;
  for (std::size_t i = 0; i < 62; ++i) {
    const bool is_global = kind_of(loaded.model.layers[i]) == layer_kind::full_attention;
    EXPECT_EQ(is_global, (i + 1) % 6 == 0) << i;
    global += is_global ? 1 : 0;
  }
  EXPECT_EQ(global, 10U);
}

TEST(HfConfig, Gemma2SlidesOnEvenLayers) {
  const auto loaded = load_hf_config(fixture("gemma-2-9b"));
  EXPECT_EQ(kind_of(loaded.model.layers[0]), layer_kind::sliding_attention);
  EXPECT_EQ(kind_of(loaded.model.layers[1]), layer_kind::full_attention);
  EXPECT_EQ(loaded.native_format, kv_format::bf16);  // torch_dtype float32 in the file
}

TEST(HfConfig, JambaPeriodAndOffset) {
  const auto loaded = load_hf_config(fixture("jamba-v0.1"));
  for (std::size_t i = 0; i < loaded.model.layers.size(); ++i) {
    EXPECT_EQ(kind_of(loaded.model.layers[i]), i % 8 == 4 ? layer_kind::full_attention : layer_kind::state_space);
  }
}

TEST(HfConfig, DeepSeekV32Indexer) {
  const auto loaded = load_hf_config(fixture("deepseek-v3.2-exp"));
  EXPECT_EQ(kv_bytes_per_token(loaded.model, kv_format::fp8_ds_mla), 61U * (656 + 132));
}

TEST(HfConfig, Mamba2State) {
  const auto loaded = load_hf_config(fixture("mamba2-2.7b"));
  EXPECT_EQ(kv_bytes_per_token(loaded.model, kv_format::fp16), 0U);
  EXPECT_EQ(state_bytes_per_sequence(loaded.model, kv_format::fp16), 64U * ((5120 + 2 * 128) * 3 + 5120 * 128) * 2);
}

TEST(HfConfig, UnknownModelTypeIsFullAttentionWithAWarning) {
  const auto loaded = load_hf_config(fixture("unknown-type"));
  ASSERT_EQ(loaded.warnings.size(), 1U);
  EXPECT_NE(loaded.warnings.front().find("brand_new_arch"), std::string::npos);
  EXPECT_EQ(loaded.model.layers.size(), 24U);
  EXPECT_EQ(loaded.model.layers.front(), layer_spec(gqa_attention{32, 4, 128}));
}

void expect_error(std::string_view name, std::string_view message, std::uint64_t line, std::string_view field) {
  try {
    static_cast<void>(load_hf_config(fixture(name)));
    ADD_FAILURE() << name << " loaded";
  } catch (const input_error& error) {
    EXPECT_EQ(error.where().file, fixture(name));
    EXPECT_EQ(error.where().line, line) << error.what();
    EXPECT_EQ(error.where().field, field) << error.what();
    EXPECT_NE(error.reason().find(message), std::string::npos) << error.what();
  }
}

TEST(HfConfig, BadInputsNameFileLineAndField) {
  expect_error("bad-malformed", "malformed JSON", 5, "");
  expect_error("bad-missing-heads", "is missing", 0, "num_attention_heads");
  expect_error("bad-zero-layers", "must be positive, got 0", 4, "num_hidden_layers");
  expect_error("bad-negative-kv-heads", "must be positive, got -8", 6, "num_key_value_heads");
  expect_error("bad-indivisible-heads", "not a multiple", 6, "num_key_value_heads");
  expect_error("bad-layer-types-length", "has 2 entries but num_hidden_layers is 4", 9, "layer_types");
  expect_error("bad-sliding-without-window", "is missing but some layers are sliding", 0, "sliding_window");
  expect_error("no-such-file", "cannot open", 0, "");
  // The key also appears, earlier, in a nested object: the line is the top-level value's.
  expect_error("bad-kv-heads-nested-earlier", "not a multiple", 12, "num_key_value_heads");
}

void expect_inline_error(const std::string& text, std::uint64_t line, std::string_view field,
                         std::string_view message) {
  try {
    static_cast<void>(parse_hf_config(text, "inline.json"));
    ADD_FAILURE() << text;
  } catch (const input_error& error) {
    EXPECT_EQ(error.where().line, line) << error.what();
    EXPECT_EQ(error.where().field, field) << error.what();
    EXPECT_NE(error.reason().find(message), std::string::npos) << error.what();
  }
}

TEST(HfConfig, ErrorLineIsThatOfTheValueRead) {
  // Nested earlier inside text_config itself.
  expect_inline_error(R"({"model_type": "gemma3", "text_config": {"model_type": "gemma3_text",
    "rope_scaling": {"num_attention_heads": 8},
    "num_hidden_layers": 2,
    "num_attention_heads": 0, "head_dim": 128}})",
                      4, "text_config.num_attention_heads", "must be positive");
  // Inside a string earlier.
  expect_inline_error(R"({"model_type": "llama", "ignored_keys": ["num_hidden_layers"],
    "num_attention_heads": 8,
    "num_hidden_layers": 0})",
                      3, "num_hidden_layers", "must be positive");
  // The value on the line after its key.
  expect_inline_error(R"({"model_type": "llama", "num_attention_heads": 8, "num_hidden_layers":
    -1})",
                      2, "num_hidden_layers", "must be positive");
  // A repeated key: nlohmann::json keeps the last value, and so does the line.
  expect_inline_error(R"({"model_type": "llama", "num_attention_heads": 8, "num_hidden_layers": 4,
    "num_hidden_layers": 0})",
                      2, "num_hidden_layers", "must be positive");
  // An escaped key is the same key.
  expect_inline_error(R"({"model_type": "llama", "num_attention_heads": 8,
    "num_hidden_\u006cayers": 0})",
                      2, "num_hidden_layers", "must be positive");
  // An unsupported entry of a multi-line layer_types is reported on its own line.
  expect_inline_error(R"({"model_type": "llama", "num_attention_heads": 8, "head_dim": 64, "num_hidden_layers": 3,
    "layer_types": [
      "full_attention",
      "sliding_attention",
      "linear_attention"
    ], "sliding_window": 128})",
                      5, "layer_types[2]", "unsupported layer type");
}

TEST(HfConfig, TextConfigFieldsArePrefixed) {
  const std::string text = R"({"model_type": "gemma3", "text_config": {"model_type": "gemma3_text",
    "num_hidden_layers": 2, "num_attention_heads": 0, "head_dim": 128}})";
  try {
    static_cast<void>(parse_hf_config(text, "inline.json"));
    ADD_FAILURE();
  } catch (const input_error& error) {
    EXPECT_EQ(error.where().field, "text_config.num_attention_heads");
    EXPECT_EQ(error.where().line, 2U);
  }
}

}  // namespace
}  // namespace kvtier
