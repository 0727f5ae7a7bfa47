// Sizing costs: a 128-layer hybrid stack sized per call, and a config.json parsed into a shape.
// Baselines beside each: summing a precomputed per-layer byte array (the least any sizer does),
// and nlohmann-json parsing the same text without building a shape.
#include <kvtier/sizing/hf_config.hpp>
#include <kvtier/sizing/kv_footprint.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace {

using namespace kvtier;

/// 128 layers: per block of 8, 5 sliding GQA, 1 full GQA, 1 MLA with indexer, 1 Mamba-2.
model_shape hybrid_128() {
  model_shape model{{}, 131072, 0, 0};
  for (int i = 0; i < 128; ++i) {
    switch (i % 8) {
      case 5:
        model.layers.emplace_back(gqa_attention{64, 8, 128});
        break;
      case 6:
        model.layers.emplace_back(mla_attention{128, 512, 64, 128, 128, 128});
        break;
      case 7:
        model.layers.emplace_back(mamba2_state{8192, 128, 4, 8, 64, 0});
        break;
      default:
        model.layers.emplace_back(sliding_window<gqa_attention>{{64, 8, 128}, 4096});
        break;
    }
  }
  return model;
}

void BM_sizing_hybrid_sequence_bytes(benchmark::State& state) {
  const auto model = hybrid_128();
  std::uint64_t tokens = 32768;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tokens);
    benchmark::DoNotOptimize(bytes_per_sequence(model, kv_format::bf16, tokens, 8));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(model.layers.size()));
  state.SetLabel("items = layers");
}
BENCHMARK(BM_sizing_hybrid_sequence_bytes);

void BM_sizing_hybrid_paged_bytes(benchmark::State& state) {
  const auto model = hybrid_128();
  std::uint64_t tokens = 32768;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tokens);
    benchmark::DoNotOptimize(paged_bytes_per_sequence(model, kv_format::fp8_e4m3, tokens, 16, 8));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(model.layers.size()));
  state.SetLabel("items = layers");
}
BENCHMARK(BM_sizing_hybrid_paged_bytes);

// Baseline: per-layer bytes already known, one multiply-add per layer.
void BM_sizing_baseline_precomputed_sum(benchmark::State& state) {
  const auto model = hybrid_128();
  std::vector<std::uint64_t> per_layer;
  for (const auto& layer : model.layers) {
    per_layer.push_back(std::visit([](const auto& l) { return l.kv_bytes_per_token(kv_format::bf16); }, layer));
  }
  std::uint64_t tokens = 32768;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tokens);
    benchmark::DoNotOptimize(std::accumulate(per_layer.begin(), per_layer.end(), std::uint64_t{0}) * tokens);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(per_layer.size()));
  state.SetLabel("items = layers");
}
BENCHMARK(BM_sizing_baseline_precomputed_sum);

// A Gemma-3-27B-like multimodal config (text_config nesting, 62 layers, 5:1 sliding pattern).
const std::string gemma3_config = R"({
  "architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "torch_dtype": "bfloat16",
  "text_config": {"model_type": "gemma3_text", "hidden_size": 5376, "head_dim": 128, "intermediate_size": 21504,
    "num_hidden_layers": 62, "num_attention_heads": 32, "num_key_value_heads": 16,
    "max_position_embeddings": 131072, "sliding_window": 1024, "sliding_window_pattern": 6, "vocab_size": 262208,
    "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "query_pre_attn_scalar": 168},
  "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 1152, "num_attention_heads": 16,
    "num_hidden_layers": 27, "image_size": 896, "patch_size": 14}
})";

void BM_sizing_load_config(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(parse_hf_config(gemma3_config, "gemma3.json"));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(gemma3_config.size()));
}
BENCHMARK(BM_sizing_load_config);

// Baseline: parsing the JSON alone.
void BM_sizing_baseline_json_parse(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::parse(gemma3_config));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(gemma3_config.size()));
}
BENCHMARK(BM_sizing_baseline_json_parse);

}  // namespace
