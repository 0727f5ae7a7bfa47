// Quickstart: size a preset and a hand-built hybrid stack, then plan an 80 GB GPU.
#include <kvtier/kvtier.hpp>

#include <cstdio>

int main() {
  using namespace kvtier;

  // A preset: DeepSeek-V3 caches one 576-element latent per token per layer.
  const model_shape deepseek = presets::deepseek_v3();
  std::printf("DeepSeek-V3: %llu B/token (bf16), %llu B/token naive, %.1fx MHA-128 ratio\n",
              static_cast<unsigned long long>(kv_bytes_per_token(deepseek, kv_format::bf16)),
              static_cast<unsigned long long>(naive_kv_bytes_per_token(deepseek, kv_format::bf16)),
              mha128_ratio(deepseek).value_or(0.0));

  // A hand-built hybrid: 24 blocks of 3 sliding-window GQA layers, 1 global GQA layer, 1 Mamba-2 layer.
  model_shape hybrid{{}, 131072, 8'000'000'000, 0};
  for (int block = 0; block < 24; ++block) {
    append_layers(hybrid.layers, 3, sliding_window<gqa_attention>{{32, 8, 128}, 4096});
    hybrid.layers.emplace_back(gqa_attention{32, 8, 128});
    hybrid.layers.emplace_back(mamba2_state{8192, 128, 4, 8, 64, 0});
  }
  const std::uint64_t tokens = 32768;
  std::printf("hybrid: %llu B/token, %llu B state, %llu B for one %llu-token sequence\n",
              static_cast<unsigned long long>(kv_bytes_per_token(hybrid, kv_format::fp8_e4m3)),
              static_cast<unsigned long long>(state_bytes_per_sequence(hybrid, kv_format::fp8_e4m3)),
              static_cast<unsigned long long>(bytes_per_sequence(hybrid, kv_format::fp8_e4m3, tokens)),
              static_cast<unsigned long long>(tokens));

  // Capacity on one 80 GB GPU: weights estimated at 2 B per parameter, 8 GB kept for activations.
  const capacity_plan plan = plan_capacity(
      hybrid, {80'000'000'000, estimate_weights_bytes(hybrid), 8'000'000'000, tokens, 16, 1, kv_format::fp8_e4m3});
  std::printf("80 GB GPU: %llu sequences of %llu tokens (naive sizing: %llu), longest single sequence %llu tokens\n",
              static_cast<unsigned long long>(plan.exact.max_sequences), static_cast<unsigned long long>(tokens),
              static_cast<unsigned long long>(plan.naive.max_sequences),
              static_cast<unsigned long long>(plan.exact.longest_sequence_tokens));
  return plan.exact.max_sequences > 0 ? 0 : 1;
}
