#pragma once
// KV bytes of a whole model: per token, per paged block of each layer group, per sequence (window
// caps and SSM state included), per batch, per tensor-parallel rank, and the naive sizing that treats
// MLA as MHA. Everything is constexpr and works on runtime shapes alike.
#include <kvtier/sizing/concepts.hpp>
#include <kvtier/sizing/kv_dtype.hpp>
#include <kvtier/sizing/model_shape.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace kvtier {

/// Exact sizing, or the naive sizing of a framework that treats MLA as MHA.
enum class sizing_rule : std::uint8_t { exact, naive };

/// Bytes one more token adds over all layers (sliding layers counted before any cap; SSM adds 0).
[[nodiscard]] constexpr std::uint64_t kv_bytes_per_token(const model_shape& model, kv_format format,
                                                         std::uint32_t tp = 1) noexcept {
  std::uint64_t total = 0;
  for (const auto& layer : model.layers) {
    total += std::visit([&](const auto& l) { return l.kv_bytes_per_token_per_rank(format, tp); }, layer);
  }
  return total;
}

/// Fixed bytes per sequence (SSM state), on one rank of `tp`.
[[nodiscard]] constexpr std::uint64_t state_bytes_per_sequence(const model_shape& model, kv_format format,
                                                               std::uint32_t tp = 1) noexcept {
  std::uint64_t total = 0;
  for (const auto& layer : model.layers) {
    total += std::visit([&](const auto& l) { return kvtier::state_bytes_per_sequence_per_rank(l, format, tp); }, layer);
  }
  return total;
}

/// Bytes to hold one sequence of `tokens` tokens, exactly: each layer holds min(tokens, window)
/// tokens, plus the SSM state. Per rank of `tp`.
[[nodiscard]] constexpr std::uint64_t bytes_per_sequence(const model_shape& model, kv_format format,
                                                         std::uint64_t tokens, std::uint32_t tp = 1) noexcept {
  std::uint64_t total = 0;
  for (const auto& layer : model.layers) {
    total += std::visit(
        [&](const auto& l) {
          return l.kv_bytes_per_token_per_rank(format, tp) * cached_tokens(l, tokens) +
                 kvtier::state_bytes_per_sequence_per_rank(l, format, tp);
        },
        layer);
  }
  return total;
}

/// What a general-purpose framework allocates per token: MLA as MHA, everything else exact.
[[nodiscard]] constexpr std::uint64_t naive_kv_bytes_per_token(const model_shape& model, kv_format format) noexcept {
  std::uint64_t total = 0;
  for (const auto& layer : model.layers) {
    total += std::visit([&](const auto& l) { return kvtier::naive_kv_bytes_per_token(l, format); }, layer);
  }
  return total;
}

/// Naive bytes for one sequence of `tokens` tokens (windows and SSM state exact).
[[nodiscard]] constexpr std::uint64_t naive_bytes_per_sequence(const model_shape& model, kv_format format,
                                                               std::uint64_t tokens) noexcept {
  std::uint64_t total = 0;
  for (const auto& layer : model.layers) {
    total += std::visit(
        [&](const auto& l) {
          return kvtier::naive_kv_bytes_per_token(l, format) * cached_tokens(l, tokens) +
                 kvtier::state_bytes_per_sequence(l, format);
        },
        layer);
  }
  return total;
}

/// Bytes for a batch of sequences of the given lengths.
[[nodiscard]] constexpr std::uint64_t bytes_per_batch(const model_shape& model, kv_format format,
                                                      std::span<const std::uint64_t> sequence_tokens,
                                                      std::uint32_t tp = 1) noexcept {
  std::uint64_t total = 0;
  for (const auto tokens : sequence_tokens) total += bytes_per_sequence(model, format, tokens, tp);
  return total;
}

/// Bytes for `sequences` sequences of `tokens` tokens each.
[[nodiscard]] constexpr std::uint64_t bytes_per_batch(const model_shape& model, kv_format format, std::uint64_t tokens,
                                                      std::uint64_t sequences, std::uint32_t tp = 1) noexcept {
  return sequences * bytes_per_sequence(model, format, tokens, tp);
}

/// The DeepSeek-V2 paper's baseline ratio over the MLA layers: sum of 2*H*128 over sum of
/// (kv_lora_rank + qk_rope_head_dim) elements (56.9 for DeepSeek-V3). Empty without MLA layers.
[[nodiscard]] constexpr std::optional<double> mha128_ratio(const model_shape& model) noexcept {
  std::uint64_t baseline = 0;
  std::uint64_t latent = 0;
  for (const auto& layer : model.layers) {
    const mla_attention* mla = std::get_if<mla_attention>(&layer);
    if (const auto* sliding = std::get_if<sliding_window<mla_attention>>(&layer)) mla = &sliding->inner;
    if (mla == nullptr) continue;
    baseline += mla->mha128_baseline_elements();
    latent += mla->latent_elements();
  }
  if (latent == 0) return std::nullopt;
  return static_cast<double>(baseline) / static_cast<double>(latent);
}

/// Naive bytes per token on one rank of `tp`: a framework that treats MLA as MHA also splits its
/// H heads across ranks; every other layer is split as it is exactly.
template <kv_sizer L>
[[nodiscard]] constexpr std::uint64_t naive_kv_bytes_per_token_per_rank(const L& layer, kv_format format,
                                                                        std::uint32_t tp) noexcept {
  if constexpr (std::is_same_v<L, mla_attention>) {
    mla_attention per_rank = layer;
    per_rank.heads = static_cast<std::uint32_t>(detail::kv_heads_per_rank(layer.heads, tp));
    return per_rank.naive_kv_bytes_per_token(format);
  } else if constexpr (std::is_same_v<L, sliding_window<mla_attention>>) {
    return naive_kv_bytes_per_token_per_rank(layer.inner, format, tp);
  } else {
    return layer.kv_bytes_per_token_per_rank(format, tp);
  }
}

/// Blocks of `block_tokens` tokens a layer holds for a sequence of `tokens` tokens in a paged cache.
/// A window of W tokens may straddle block boundaries, so it spans up to ceil((W-1)/N)+1 blocks.
template <kv_sizer L>
[[nodiscard]] constexpr std::uint64_t blocks_held(const L& layer, std::uint64_t tokens,
                                                  std::uint64_t block_tokens) noexcept {
  const std::uint64_t all = ceil_div(tokens, block_tokens);
  const std::uint64_t window = window_tokens(layer);
  if (window == unbounded_tokens) return all;
  if (window == 0) return 0;
  const std::uint64_t straddling = ceil_div(window - 1, block_tokens) + 1;
  return all < straddling ? all : straddling;
}

/// Bytes one sequence of `tokens` tokens occupies in a paged cache of `block_tokens`-token blocks
/// (whole blocks per layer, window blocks that straddle, SSM state), on one rank of `tp`.
/// `rule` chooses exact sizing or the naive sizing of naive_kv_bytes_per_token.
[[nodiscard]] constexpr std::uint64_t paged_bytes_per_sequence(const model_shape& model, kv_format format,
                                                               std::uint64_t tokens, std::uint64_t block_tokens,
                                                               std::uint32_t tp = 1,
                                                               sizing_rule rule = sizing_rule::exact) noexcept {
  std::uint64_t total = 0;
  for (const auto& layer : model.layers) {
    total += std::visit(
        [&](const auto& l) {
          const std::uint64_t per_token = rule == sizing_rule::naive ? naive_kv_bytes_per_token_per_rank(l, format, tp)
                                                                     : l.kv_bytes_per_token_per_rank(format, tp);
          return blocks_held(l, tokens, block_tokens) * block_tokens * per_token +
                 kvtier::state_bytes_per_sequence_per_rank(l, format, tp);
        },
        layer);
  }
  return total;
}

/// Empty when `tp` ranks can share this layer's KV heads evenly (tp divides the KV heads, or the
/// KV heads divide tp and are replicated), else why not. Latent, MQA and SSM layers always can.
[[nodiscard]] constexpr std::string_view tensor_parallel_issue(const layer_spec& layer, std::uint32_t tp) noexcept {
  const auto heads = std::visit(
      [](const auto& l) -> std::uint64_t {
        using L = std::decay_t<decltype(l)>;
        if constexpr (std::is_same_v<L, gqa_attention>) return l.kv_heads;
        if constexpr (std::is_same_v<L, sliding_window<gqa_attention>>) return l.inner.kv_heads;
        if constexpr (std::is_same_v<L, mha_attention>) return l.heads;
        if constexpr (std::is_same_v<L, sliding_window<mha_attention>>) return l.inner.heads;
        return 1;
      },
      layer);
  if (tp == 0) return "tensor-parallel degree must be positive";
  if (tp <= heads ? heads % tp != 0 : tp % heads != 0) {
    return "tensor-parallel degree must divide the key/value heads or be a multiple of them";
  }
  return {};
}

/// Layers with the same spec, in order of first appearance: vLLM's KV-cache groups. A paged block
/// of N tokens of a group holds N * bytes_per_token_per_layer * layers bytes.
struct layer_group {
  layer_spec layer;
  std::uint32_t layers{};
  std::uint32_t first_layer{};
  friend constexpr bool operator==(const layer_group&, const layer_group&) = default;
};

[[nodiscard]] constexpr std::vector<layer_group> layer_groups(const model_shape& model) {
  std::vector<layer_group> groups;
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    bool found = false;
    for (auto& group : groups) {
      if (group.layer == model.layers[i]) {
        ++group.layers;
        found = true;
        break;
      }
    }
    if (!found) groups.push_back({model.layers[i], 1, static_cast<std::uint32_t>(i)});
  }
  return groups;
}

/// Bytes of one block of `block_tokens` tokens across all layers of a group, on one rank of `tp`.
[[nodiscard]] constexpr std::uint64_t bytes_per_block(const layer_group& group, kv_format format,
                                                      std::uint64_t block_tokens, std::uint32_t tp = 1) noexcept {
  return block_tokens * group.layers *
         std::visit([&](const auto& l) { return l.kv_bytes_per_token_per_rank(format, tp); }, group.layer);
}

}  // namespace kvtier
