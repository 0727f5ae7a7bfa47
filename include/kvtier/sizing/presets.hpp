#pragma once
// Shapes of well-known models, each from its published config.json / model card (cited beside it).
// tests/sizing/configs/ holds config fixtures written from the same values; the loader test checks
// that loading each gives exactly its preset.
#include <kvtier/sizing/attention.hpp>
#include <kvtier/sizing/model_shape.hpp>

#include <array>
#include <cstddef>
#include <string_view>

namespace kvtier {
namespace presets {

/// `count` identical layers.
[[nodiscard]] constexpr model_shape uniform(std::size_t count, const layer_spec& layer, std::uint64_t context_tokens,
                                            std::uint64_t parameters, std::uint64_t weights_bytes = 0) {
  model_shape model{{}, context_tokens, parameters, weights_bytes};
  append_layers(model.layers, count, layer);
  return model;
}

// meta-llama/Llama-3.1-8B config.json: num_hidden_layers 32, num_attention_heads 32,
// num_key_value_heads 8, hidden_size 4096 (head_dim 128), max_position_embeddings 131072; 8.03B.
[[nodiscard]] constexpr model_shape llama_3_1_8b() {
  return uniform(32, gqa_attention{32, 8, 128}, 131072, 8'030'000'000);
}
// meta-llama/Llama-3.1-70B: 80 layers, 64 heads, 8 KV heads, hidden 8192, 131072 positions; 70.6B.
[[nodiscard]] constexpr model_shape llama_3_1_70b() {
  return uniform(80, gqa_attention{64, 8, 128}, 131072, 70'600'000'000);
}
// meta-llama/Llama-3.1-405B: 126 layers, 128 heads, 8 KV heads, hidden 16384, 131072 positions; 405B.
[[nodiscard]] constexpr model_shape llama_3_1_405b() {
  return uniform(126, gqa_attention{128, 8, 128}, 131072, 405'000'000'000);
}
// mistralai/Mistral-7B-v0.1: 32 layers, 32 heads, 8 KV heads, hidden 4096, sliding_window 4096
// on every layer, max_position_embeddings 32768; 7.24B.
[[nodiscard]] constexpr model_shape mistral_7b_v0_1() {
  return uniform(32, sliding_window<gqa_attention>{{32, 8, 128}, 4096}, 32768, 7'240'000'000);
}
// mistralai/Mixtral-8x7B-v0.1: 32 layers, 32 heads, 8 KV heads, hidden 4096, sliding_window null,
// max_position_embeddings 32768; 46.7B.
[[nodiscard]] constexpr model_shape mixtral_8x7b() {
  return uniform(32, gqa_attention{32, 8, 128}, 32768, 46'700'000'000);
}
// Qwen/Qwen2.5-7B-Instruct: 28 layers, 28 heads, 4 KV heads, hidden 3584 (head_dim 128),
// use_sliding_window false (sliding_window 131072 is ignored), max_position_embeddings 32768; 7.61B.
[[nodiscard]] constexpr model_shape qwen2_5_7b() {
  return uniform(28, gqa_attention{28, 4, 128}, 32768, 7'610'000'000);
}
// Qwen/Qwen2.5-72B-Instruct: 80 layers, 64 heads, 8 KV heads, hidden 8192, use_sliding_window
// false, max_position_embeddings 32768; 72.7B.
[[nodiscard]] constexpr model_shape qwen2_5_72b() {
  return uniform(80, gqa_attention{64, 8, 128}, 32768, 72'700'000'000);
}
// Qwen/Qwen3-32B: 64 layers, 64 heads, 8 KV heads, head_dim 128 (hidden 5120 / 64 would be 80),
// max_position_embeddings 40960; 32.8B.
[[nodiscard]] constexpr model_shape qwen3_32b() {
  return uniform(64, gqa_attention{64, 8, 128}, 40960, 32'800'000'000);
}
// google/gemma-2-9b: 42 layers, 16 heads, 8 KV heads, head_dim 256, sliding_window 4096 on the
// even layers (0, 2, ...) and global attention on the odd ones, max_position_embeddings 8192; 9.24B.
[[nodiscard]] constexpr model_shape gemma_2_9b() {
  model_shape model{
      periodic_layers(42, 2, 0, sliding_window<gqa_attention>{{16, 8, 256}, 4096}, gqa_attention{16, 8, 256}), 8192,
      9'240'000'000, 0};
  return model;
}
// google/gemma-3-27b-it text_config: 62 layers, 32 heads, 16 KV heads, head_dim 128,
// sliding_window 1024, sliding_window_pattern 6 (layers 5, 11, ... are global: 5 local : 1 global),
// max_position_embeddings 131072; 27.4B with the vision tower.
[[nodiscard]] constexpr model_shape gemma_3_27b() {
  model_shape model{
      periodic_layers(62, 6, 5, gqa_attention{32, 16, 128}, sliding_window<gqa_attention>{{32, 16, 128}, 1024}), 131072,
      27'400'000'000, 0};
  return model;
}
// deepseek-ai/DeepSeek-V2-Lite: 27 layers, 16 heads, kv_lora_rank 512, qk_rope_head_dim 64,
// qk_nope_head_dim 128, v_head_dim 128, max_position_embeddings 163840; 15.7B.
[[nodiscard]] constexpr model_shape deepseek_v2_lite() {
  return uniform(27, mla_attention{16, 512, 64, 128, 128, 0}, 163840, 15'700'000'000);
}
// deepseek-ai/DeepSeek-V3: 61 layers, 128 heads, kv_lora_rank 512, qk_rope_head_dim 64,
// qk_nope_head_dim 128, v_head_dim 128, max_position_embeddings 163840; 671B parameters served in
// fp8 (1 B each). The DeepSeek-V3 hardware paper (ISCA '25) quotes 70.272 KB per token in bf16.
[[nodiscard]] constexpr model_shape deepseek_v3() {
  return uniform(61, mla_attention{128, 512, 64, 128, 128, 0}, 163840, 671'000'000'000, 671'000'000'000);
}
// deepseek-ai/DeepSeek-V3.2-Exp: DeepSeek-V3's shape plus the lightning indexer (index_head_dim 128,
// fp8 keys with one fp32 scale: 132 B per token per layer); fp8 weights.
[[nodiscard]] constexpr model_shape deepseek_v3_2_exp() {
  return uniform(61, mla_attention{128, 512, 64, 128, 128, 128}, 163840, 671'000'000'000, 671'000'000'000);
}
// moonshotai/Kimi-K2-Instruct: 61 layers, 64 heads, kv_lora_rank 512, qk_rope_head_dim 64,
// qk_nope_head_dim 128, v_head_dim 128, max_position_embeddings 131072; 1.04T parameters, fp8.
[[nodiscard]] constexpr model_shape kimi_k2() {
  return uniform(61, mla_attention{64, 512, 64, 128, 128, 0}, 131072, 1'040'000'000'000, 1'040'000'000'000);
}
// openai/gpt-oss-120b: 36 layers, 64 heads, 8 KV heads, head_dim 64, layer_types alternating
// sliding_attention (window 128) and full_attention starting with sliding, max_position_embeddings
// 131072; 116.8B parameters, MoE weights in MXFP4: the checkpoint is about 65 GB (model card: runs
// on a single 80 GB GPU).
[[nodiscard]] constexpr model_shape gpt_oss_120b() {
  model_shape model{
      periodic_layers(36, 2, 0, sliding_window<gqa_attention>{{64, 8, 64}, 128}, gqa_attention{64, 8, 64}), 131072,
      116'800'000'000, 65'000'000'000};
  return model;
}
// ai21labs/Jamba-v0.1: 32 layers, attention where i % attn_layer_period(8) == attn_layer_offset(4),
// Mamba-1 elsewhere (hidden 4096, mamba_expand 2, mamba_d_state 16, mamba_d_conv 4), 32 heads,
// 8 KV heads, max_position_embeddings 262144; 51.6B.
[[nodiscard]] constexpr model_shape jamba_v0_1() {
  model_shape model{periodic_layers(32, 8, 4, gqa_attention{32, 8, 128}, mamba1_state{8192, 16, 4, 0}), 262144,
                    51'600'000'000, 0};
  return model;
}
// tiiuae/falcon-7b: 32 layers, 71 heads, hidden 4544 (head_dim 64), multi_query true, no
// new_decoder_architecture: one KV head; max_position_embeddings 2048; 7.22B.
[[nodiscard]] constexpr model_shape falcon_7b() { return uniform(32, mqa_attention{71, 64}, 2048, 7'220'000'000); }
// tiiuae/falcon-40b: 60 layers, 128 heads, hidden 8192, new_decoder_architecture true with
// num_kv_heads 8 (its multi_query true does not mean one KV head); 2048 positions; 41.8B.
[[nodiscard]] constexpr model_shape falcon_40b() {
  return uniform(60, gqa_attention{128, 8, 64}, 2048, 41'800'000'000);
}

}  // namespace presets

struct model_preset {
  std::string_view name;
  std::string_view source;  ///< Hugging Face repository whose config.json the shape follows
  model_shape (*shape)();
  friend constexpr bool operator==(const model_preset&, const model_preset&) = default;
};

inline constexpr std::array<model_preset, 18> model_presets{{
    {"llama-3.1-8b", "meta-llama/Llama-3.1-8B", &presets::llama_3_1_8b},
    {"llama-3.1-70b", "meta-llama/Llama-3.1-70B", &presets::llama_3_1_70b},
    {"llama-3.1-405b", "meta-llama/Llama-3.1-405B", &presets::llama_3_1_405b},
    {"mistral-7b-v0.1", "mistralai/Mistral-7B-v0.1", &presets::mistral_7b_v0_1},
    {"mixtral-8x7b", "mistralai/Mixtral-8x7B-v0.1", &presets::mixtral_8x7b},
    {"qwen2.5-7b", "Qwen/Qwen2.5-7B-Instruct", &presets::qwen2_5_7b},
    {"qwen2.5-72b", "Qwen/Qwen2.5-72B-Instruct", &presets::qwen2_5_72b},
    {"qwen3-32b", "Qwen/Qwen3-32B", &presets::qwen3_32b},
    {"gemma-2-9b", "google/gemma-2-9b", &presets::gemma_2_9b},
    {"gemma-3-27b", "google/gemma-3-27b-it", &presets::gemma_3_27b},
    {"deepseek-v2-lite", "deepseek-ai/DeepSeek-V2-Lite", &presets::deepseek_v2_lite},
    {"deepseek-v3", "deepseek-ai/DeepSeek-V3", &presets::deepseek_v3},
    {"deepseek-v3.2-exp", "deepseek-ai/DeepSeek-V3.2-Exp", &presets::deepseek_v3_2_exp},
    {"kimi-k2", "moonshotai/Kimi-K2-Instruct", &presets::kimi_k2},
    {"gpt-oss-120b", "openai/gpt-oss-120b", &presets::gpt_oss_120b},
    {"jamba-v0.1", "ai21labs/Jamba-v0.1", &presets::jamba_v0_1},
    {"falcon-7b", "tiiuae/falcon-7b", &presets::falcon_7b},
    {"falcon-40b", "tiiuae/falcon-40b", &presets::falcon_40b},
}};

/// The preset named `name` (case-insensitive), or nullptr.
[[nodiscard]] constexpr const model_preset* find_preset(std::string_view name) noexcept {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (const auto& preset : model_presets) {
    if (preset.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) same = lower(name[i]) == lower(preset.name[i]);
    if (same) return &preset;
  }
  return nullptr;
}

}  // namespace kvtier
