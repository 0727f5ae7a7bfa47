#pragma once
// The projection model: from a request's hits per tier to time-to-first-token, from the batch that
// fits to throughput, and from hourly prices to cost per million tokens. Inputs are plain numbers
// (bytes per token, parameters, tokens hit per tier and each tier's bandwidth), so any sizer, tier
// stack or replay can feed it. Every constant is a named field with its source; docs/traces.md
// ("Projection model") derives each formula.
//
//   prefill FLOPs  = 2 * parameters * new_tokens                                (dense matmuls)
//                  + 4 * layers * attention_dim * sum over new positions p of (p + 1)
//                  = ... * (new * cached + new * (new + 1) / 2)                  (QK^T and AV, causal)
//   compute_s      = prefill FLOPs / (peak_flops_per_s * prefill_utilisation)
//   load_s         = sum over tiers of (tokens * kv_bytes_per_token / bytes_per_s + latency_s)
//   ttft_s         = with layer-wise overlap (layer i+1 loads while layer i computes):
//                    l + (layers - 1) * max(l, c) + c,  l = load_s / layers, c = compute_s / layers
//                    without: load_s + compute_s
//   batch          = floor(kv_budget_bytes / (kv_bytes_per_token * (input + output tokens))), >= 1
//   decode step_s  = (weight_bytes + batch * kv_bytes_per_token * (input + output / 2)) / hbm_bytes_per_s
//   requests/s     = batch / (batch * ttft_s + output_tokens * step_s)
//   $ per 1M tokens = (gpu $/h + sum of tier GB * $/GB-h) / (3600 * (input + output) tokens/s) * 1e6
#include <kvtier/detail/assert.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>

namespace kvtier {

/// The accelerator. Defaults: NVIDIA H100 SXM5.
struct gpu_spec {
  double peak_flops_per_s = 989.4e12;  ///< dense BF16 tensor-core peak (NVIDIA H100 datasheet; 1,979 with sparsity)
  double prefill_utilisation = 0.4;    ///< sustained share of peak in large matmuls (MFU 38-43% for Llama 3
                                       ///< 405B, Dubey et al. 2024; 46% for PaLM, Chowdhery et al. 2022)
  double hbm_bytes_per_s = 3.35e12;    ///< HBM3 bandwidth (docs/tiers.md)
  double kv_budget_bytes = 40e9;       ///< HBM left for KV after weights on an 80 GB H100 (docs/tiers.md)
  double cost_per_hour = 5.0;          ///< $ per GPU-hour, AWS-based, as used by CachedAttention (docs/tiers.md)
  friend constexpr bool operator==(const gpu_spec&, const gpu_spec&) = default;
};

/// The model. Defaults: Llama-3.1-8B in BF16 (32 layers, 32 query heads of 128, 8 KV heads).
struct model_spec {
  double parameters = 8.03e9;
  double weight_bytes = 16.06e9;  ///< parameters * 2 B (BF16)
  std::uint32_t layers = 32;
  double attention_dim = 4096;          ///< query heads * head dim
  double kv_bytes_per_token = 131'072;  ///< 2 * 8 KV heads * 128 * 2 B * 32 layers (exact sizing)
  friend constexpr bool operator==(const model_spec&, const model_spec&) = default;
};

struct projection_params {
  gpu_spec gpu;
  model_spec model;
  bool layerwise_overlap = true;  ///< loads of layer i+1 overlap compute of layer i
  friend constexpr bool operator==(const projection_params&, const projection_params&) = default;
};

/// Tokens of a request's prefix found in one tier, and how fast that tier delivers to the GPU.
struct tier_load {
  double tokens = 0;
  double bytes_per_s = 0;  ///< e.g. 3.35e12 HBM, 64e9 DRAM over PCIe Gen5 x16, 24 GiB/s GDS
  double latency_s = 0;    ///< per request from this tier
  friend constexpr bool operator==(const tier_load&, const tier_load&) = default;
};

/// Capacity held in a tier and its price, for the cost of serving.
struct tier_cost {
  double capacity_bytes = 0;
  double cost_per_gb_hour = 0;  ///< DRAM 0.0088, SSD 0.000082 $/GB-h (docs/tiers.md)
  friend constexpr bool operator==(const tier_cost&, const tier_cost&) = default;
};

struct ttft_projection {
  double load_s = 0;
  double compute_s = 0;
  double ttft_s = 0;
  friend constexpr bool operator==(const ttft_projection&, const ttft_projection&) = default;
};

struct throughput_projection {
  double batch = 0;
  double decode_step_s = 0;
  double requests_per_s = 0;
  double tokens_per_s = 0;  ///< input + output tokens served per second
  friend constexpr bool operator==(const throughput_projection&, const throughput_projection&) = default;
};

/// FLOPs to prefill `new_tokens` after `cached_tokens` already in the KV cache.
[[nodiscard]] constexpr double prefill_flops(const model_spec& model, double new_tokens,
                                             double cached_tokens) noexcept {
  const double dense = 2.0 * model.parameters * new_tokens;
  const double attention =
      4.0 * model.layers * model.attention_dim * (new_tokens * cached_tokens + new_tokens * (new_tokens + 1.0) / 2.0);
  return dense + attention;
}

/// Seconds to bring the hit tokens from their tiers to the GPU.
[[nodiscard]] constexpr double load_seconds(const model_spec& model, std::span<const tier_load> hits) noexcept {
  double seconds = 0;
  for (const auto& hit : hits) {
    if (hit.tokens <= 0) continue;
    seconds += hit.tokens * model.kv_bytes_per_token / hit.bytes_per_s + hit.latency_s;
  }
  return seconds;
}

/// Time to first token of a request of `input_tokens` whose prefix hits are `hits` (the rest is
/// prefilled, attending to the hit prefix).
[[nodiscard]] inline ttft_projection project_ttft(const projection_params& params, double input_tokens,
                                                  std::span<const tier_load> hits) {
  double hit_tokens = 0;
  for (const auto& hit : hits) {
    KVTIER_ASSERT(hit.tokens <= 0 || hit.bytes_per_s > 0, "a tier with hits needs a bandwidth");
    hit_tokens += std::max(hit.tokens, 0.0);
  }
  KVTIER_ASSERT(hit_tokens <= input_tokens, "more hit tokens than the request has");
  const double miss_tokens = input_tokens - hit_tokens;
  ttft_projection out;
  out.load_s = load_seconds(params.model, hits);
  out.compute_s = prefill_flops(params.model, miss_tokens, hit_tokens) /
                  (params.gpu.peak_flops_per_s * params.gpu.prefill_utilisation);
  if (params.layerwise_overlap && params.model.layers > 0) {
    const double layers = params.model.layers;
    const double l = out.load_s / layers;
    const double c = out.compute_s / layers;
    out.ttft_s = l + (layers - 1.0) * std::max(l, c) + c;
  } else {
    out.ttft_s = out.load_s + out.compute_s;
  }
  return out;
}

/// Steady-state throughput of requests of one shape: as many as fit in the KV budget decode
/// together; prefills (of `ttft_s` each) run between decode steps.
[[nodiscard]] inline throughput_projection project_throughput(const projection_params& params, double input_tokens,
                                                              double output_tokens, double ttft_s) {
  const double context = input_tokens + output_tokens;
  KVTIER_ASSERT(context > 0, "a request needs tokens");
  throughput_projection out;
  out.batch = std::max(1.0, std::floor(params.gpu.kv_budget_bytes / (params.model.kv_bytes_per_token * context)));
  out.decode_step_s =
      (params.model.weight_bytes + out.batch * params.model.kv_bytes_per_token * (input_tokens + output_tokens / 2.0)) /
      params.gpu.hbm_bytes_per_s;
  out.requests_per_s = out.batch / (out.batch * ttft_s + output_tokens * out.decode_step_s);
  out.tokens_per_s = out.requests_per_s * context;
  return out;
}

/// Dollars per million tokens served at `tokens_per_s`, paying for the GPU and the tiers' capacity.
[[nodiscard]] constexpr double cost_per_million_tokens(const gpu_spec& gpu, std::span<const tier_cost> tiers,
                                                       double tokens_per_s) noexcept {
  double per_hour = gpu.cost_per_hour;
  for (const auto& tier : tiers) per_hour += tier.capacity_bytes / 1e9 * tier.cost_per_gb_hour;
  return per_hour / (3600.0 * tokens_per_s) * 1e6;
}

}  // namespace kvtier
