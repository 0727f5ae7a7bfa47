#pragma once
// A model as the KV cache sees it: a per-layer stack of layer specs (full, sliding, latent and SSM
// layers may mix freely), plus the context length and parameter count. Names live beside it (in a
// preset or a loaded config) so that a model_shape stays usable in constant expressions under both
// g++ and clang, whose libstdc++ std::string is not constexpr-constructible there.
#include <kvtier/sizing/attention.hpp>
#include <kvtier/sizing/concepts.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kvtier {

/// One layer of any supported kind. Every alternative models kv_sizer.
using layer_spec =
    std::variant<mha_attention, gqa_attention, mqa_attention, mla_attention, sliding_window<mha_attention>,
                 sliding_window<gqa_attention>, sliding_window<mqa_attention>, sliding_window<mla_attention>,
                 mamba1_state, mamba2_state>;

struct model_shape {
  std::vector<layer_spec> layers;
  std::uint64_t context_tokens{};  ///< max_position_embeddings (the longest supported sequence)
  std::uint64_t parameters{};      ///< total parameters, for weight estimates (0 when unknown)
  std::uint64_t weights_bytes{};   ///< size of the served weights when known (fp8, MXFP4), else 0
  friend constexpr bool operator==(const model_shape&, const model_shape&) = default;
};

/// `count` copies of `layer` appended to `layers`.
constexpr void append_layers(std::vector<layer_spec>& layers, std::size_t count, const layer_spec& layer) {
  layers.insert(layers.end(), count, layer);
}

/// `count` layers where layer i is `special` when i % period == offset, else `usual` (Gemma-2: period 2, Gemma-3:
/// period 6 offset 5, Jamba: period 8 offset 4).
[[nodiscard]] constexpr std::vector<layer_spec> periodic_layers(std::size_t count, std::size_t period,
                                                                std::size_t offset, const layer_spec& special,
                                                                const layer_spec& usual) {
  std::vector<layer_spec> layers;
  layers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) layers.push_back(i % period == offset ? special : usual);
  return layers;
}

[[nodiscard]] constexpr layer_kind kind_of(const layer_spec& layer) noexcept {
  return std::visit([](const auto& l) { return l.kind(); }, layer);
}

/// Empty when every layer's shape is possible, else the first problem found.
[[nodiscard]] constexpr std::string_view invalid_reason(const layer_spec& layer) noexcept {
  return std::visit([](const auto& l) { return l.invalid_reason(); }, layer);
}

namespace detail {

struct describer {
  std::string operator()(const mha_attention& l) const {
    return "mha " + std::to_string(l.heads) + "h x" + std::to_string(l.head_dim);
  }
  std::string operator()(const gqa_attention& l) const {
    return "gqa " + std::to_string(l.heads) + "q/" + std::to_string(l.kv_heads) + "kv x" + std::to_string(l.head_dim);
  }
  std::string operator()(const mqa_attention& l) const {
    return "mqa " + std::to_string(l.heads) + "q/1kv x" + std::to_string(l.head_dim);
  }
  std::string operator()(const mla_attention& l) const {
    std::string text = "mla " + std::to_string(l.kv_lora_rank) + "+" + std::to_string(l.qk_rope_head_dim);
    if (l.index_head_dim != 0) text += " +indexer " + std::to_string(l.index_head_dim);
    return text;
  }
  template <class Inner>
  std::string operator()(const sliding_window<Inner>& l) const {
    return "sliding(" + std::to_string(l.window) + ") " + (*this)(l.inner);
  }
  std::string operator()(const mamba1_state& l) const {
    return "mamba1 " + std::to_string(l.d_inner) + "x" + std::to_string(l.d_state) + " conv" + std::to_string(l.d_conv);
  }
  std::string operator()(const mamba2_state& l) const {
    return "mamba2 " + std::to_string(l.d_inner) + "x" + std::to_string(l.d_state) + " g" + std::to_string(l.n_groups) +
           " conv" + std::to_string(l.d_conv);
  }
};

}  // namespace detail

/// Short human description of a layer ("gqa 64q/8kv x128", "sliding(4096) gqa ...").
[[nodiscard]] inline std::string describe(const layer_spec& layer) { return std::visit(detail::describer{}, layer); }

}  // namespace kvtier
