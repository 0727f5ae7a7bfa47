#pragma once
// Layer models of the kv_sizer concept: MHA, GQA, MQA, MLA (with an optional indexer cache),
// sliding_window<Inner> over any of them, and Mamba-1 / Mamba-2 state. All constexpr aggregates.
//
// Per token per layer, with v(e) the bytes of an e-element head vector (kv_dtype.hpp):
//   MHA  2*H*v(d)          GQA  2*H_kv*v(d)          MQA  2*v(d)
//   MLA  latent(r, rope) + indexer          (one latent "head", no separate V; vLLM/SGLang/FlashMLA)
//   Mamba-1 state per sequence: d_inner*(d_conv-1) + d_inner*d_state elements
//   Mamba-2 state per sequence: (d_inner + 2*G*d_state)*(d_conv-1) + d_inner*d_state elements
// docs/sizing.md derives each one.
#include <kvtier/sizing/concepts.hpp>
#include <kvtier/sizing/kv_dtype.hpp>

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace kvtier {
namespace detail {

/// KV heads each tensor-parallel rank holds: split while tp <= heads, then one replicated head.
[[nodiscard]] constexpr std::uint64_t kv_heads_per_rank(std::uint64_t kv_heads, std::uint32_t tp) noexcept {
  return tp <= 1 ? kv_heads : std::max<std::uint64_t>(1, ceil_div(kv_heads, tp));
}

[[nodiscard]] constexpr std::uint64_t key_value_bytes(kv_format format, std::uint64_t kv_heads,
                                                      std::uint64_t head_dim) noexcept {
  return 2 * kv_heads * head_vector_bytes(format, head_dim);
}

}  // namespace detail

/// Multi-head attention: every query head has its own K and V head.
struct mha_attention {
  std::uint32_t heads{};
  std::uint32_t head_dim{};

  [[nodiscard]] constexpr layer_kind kind() const noexcept { return layer_kind::full_attention; }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token(kv_format format) const noexcept {
    return detail::key_value_bytes(format, heads, head_dim);
  }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token_per_rank(kv_format format, std::uint32_t tp) const noexcept {
    return detail::key_value_bytes(format, detail::kv_heads_per_rank(heads, tp), head_dim);
  }
  /// Empty when the shape is possible, else what is wrong with it.
  [[nodiscard]] constexpr std::string_view invalid_reason() const noexcept {
    if (heads == 0) return "attention heads must be positive";
    if (head_dim == 0) return "head dimension must be positive";
    return {};
  }
  friend constexpr bool operator==(const mha_attention&, const mha_attention&) = default;
};

/// Grouped-query attention: `heads` query heads share `kv_heads` K/V heads.
struct gqa_attention {
  std::uint32_t heads{};
  std::uint32_t kv_heads{};
  std::uint32_t head_dim{};

  [[nodiscard]] constexpr layer_kind kind() const noexcept { return layer_kind::full_attention; }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token(kv_format format) const noexcept {
    return detail::key_value_bytes(format, kv_heads, head_dim);
  }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token_per_rank(kv_format format, std::uint32_t tp) const noexcept {
    return detail::key_value_bytes(format, detail::kv_heads_per_rank(kv_heads, tp), head_dim);
  }
  [[nodiscard]] constexpr std::string_view invalid_reason() const noexcept {
    if (heads == 0) return "attention heads must be positive";
    if (kv_heads == 0) return "key/value heads must be positive";
    if (head_dim == 0) return "head dimension must be positive";
    if (kv_heads > heads) return "more key/value heads than attention heads";
    if (heads % kv_heads != 0) return "attention heads are not a multiple of key/value heads";
    return {};
  }
  friend constexpr bool operator==(const gqa_attention&, const gqa_attention&) = default;
};

/// Multi-query attention: one K/V head shared by all query heads, replicated on every TP rank.
struct mqa_attention {
  std::uint32_t heads{};
  std::uint32_t head_dim{};

  [[nodiscard]] constexpr layer_kind kind() const noexcept { return layer_kind::full_attention; }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token(kv_format format) const noexcept {
    return detail::key_value_bytes(format, 1, head_dim);
  }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token_per_rank(kv_format format, std::uint32_t) const noexcept {
    return kv_bytes_per_token(format);
  }
  [[nodiscard]] constexpr std::string_view invalid_reason() const noexcept {
    if (heads == 0) return "attention heads must be positive";
    if (head_dim == 0) return "head dimension must be positive";
    return {};
  }
  friend constexpr bool operator==(const mqa_attention&, const mqa_attention&) = default;
};

/// Multi-head latent attention (DeepSeek-V2/V3, Kimi-K2) as vLLM, SGLang and FlashMLA cache it:
/// one latent of kv_lora_rank + qk_rope_head_dim elements per token, replicated on every TP rank.
/// `index_head_dim` > 0 adds DeepSeek-V3.2's lightning-indexer key cache, always fp8 with one fp32
/// scale per 128 elements (128 -> 132 B), whatever the KV format.
struct mla_attention {
  std::uint32_t heads{};
  std::uint32_t kv_lora_rank{};
  std::uint32_t qk_rope_head_dim{};
  std::uint32_t qk_nope_head_dim{};
  std::uint32_t v_head_dim{};
  std::uint32_t index_head_dim{};

  [[nodiscard]] constexpr layer_kind kind() const noexcept { return layer_kind::latent_attention; }
  [[nodiscard]] constexpr std::uint64_t latent_elements() const noexcept {
    return std::uint64_t{kv_lora_rank} + qk_rope_head_dim;
  }
  [[nodiscard]] constexpr std::uint64_t indexer_bytes_per_token() const noexcept {
    return index_head_dim == 0 ? 0 : index_head_dim + 4 * ceil_div(index_head_dim, ds_mla_tile_elements);
  }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token(kv_format format) const noexcept {
    return latent_vector_bytes(format, kv_lora_rank, qk_rope_head_dim) + indexer_bytes_per_token();
  }
  /// What a framework that sizes MLA as MHA allocates: K = H*(nope+rope), V = H*v_head_dim per
  /// token (fp8_ds_mla, a latent-only layout, becomes plain fp8); the indexer is counted exactly.
  [[nodiscard]] constexpr std::uint64_t naive_kv_bytes_per_token(kv_format format) const noexcept {
    const kv_format as_mha = format == kv_format::fp8_ds_mla ? kv_format::fp8_e4m3 : format;
    return std::uint64_t{heads} * (head_vector_bytes(as_mha, std::uint64_t{qk_nope_head_dim} + qk_rope_head_dim) +
                                   head_vector_bytes(as_mha, v_head_dim)) +
           indexer_bytes_per_token();
  }
  /// Elements per token of the DeepSeek-V2 paper's MHA baseline: 2 * H * 128.
  [[nodiscard]] constexpr std::uint64_t mha128_baseline_elements() const noexcept {
    return 2 * std::uint64_t{heads} * 128;
  }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token_per_rank(kv_format format, std::uint32_t) const noexcept {
    return kv_bytes_per_token(format);
  }
  [[nodiscard]] constexpr std::string_view invalid_reason() const noexcept {
    if (heads == 0) return "attention heads must be positive";
    if (kv_lora_rank == 0) return "kv_lora_rank must be positive";
    if (qk_rope_head_dim == 0) return "qk_rope_head_dim must be positive";
    if (qk_nope_head_dim == 0) return "qk_nope_head_dim must be positive";
    if (v_head_dim == 0) return "v_head_dim must be positive";
    return {};
  }
  friend constexpr bool operator==(const mla_attention&, const mla_attention&) = default;
};

/// Any attention restricted to the last `window_tokens` tokens (Mistral-7B-v0.1, Gemma local layers,
/// gpt-oss): it holds min(L, window) tokens of a sequence of L.
template <kv_sizer Inner>
struct sliding_window {
  Inner inner{};
  std::uint64_t window{};

  [[nodiscard]] constexpr layer_kind kind() const noexcept { return layer_kind::sliding_attention; }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token(kv_format format) const noexcept {
    return inner.kv_bytes_per_token(format);
  }
  [[nodiscard]] constexpr std::uint64_t state_bytes_per_sequence(kv_format format) const noexcept {
    return kvtier::state_bytes_per_sequence(inner, format);
  }
  [[nodiscard]] constexpr std::uint64_t state_bytes_per_sequence_per_rank(kv_format format,
                                                                          std::uint32_t tp) const noexcept {
    return kvtier::state_bytes_per_sequence_per_rank(inner, format, tp);
  }
  [[nodiscard]] constexpr std::uint64_t window_tokens() const noexcept {
    return std::min(window, kvtier::window_tokens(inner));
  }
  [[nodiscard]] constexpr std::uint64_t naive_kv_bytes_per_token(kv_format format) const noexcept {
    return kvtier::naive_kv_bytes_per_token(inner, format);
  }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token_per_rank(kv_format format, std::uint32_t tp) const noexcept {
    return inner.kv_bytes_per_token_per_rank(format, tp);
  }
  [[nodiscard]] constexpr std::string_view invalid_reason() const noexcept {
    if (window == 0) return "sliding window must be positive";
    return inner.invalid_reason();
  }
  friend constexpr bool operator==(const sliding_window&, const sliding_window&) = default;
};

/// Mamba-1 (Jamba's SSM layers): per sequence a conv state of d_inner x (d_conv - 1) and an SSM
/// state of d_inner x d_state, where d_inner = expand * hidden_size. TP splits d_inner.
/// `element_bytes` 0 follows the KV format (state_element_bytes); set it to 4 for an fp32 state.
struct mamba1_state {
  std::uint32_t d_inner{};
  std::uint32_t d_state{};
  std::uint32_t d_conv{};
  std::uint32_t element_bytes{};

  [[nodiscard]] constexpr layer_kind kind() const noexcept { return layer_kind::state_space; }
  [[nodiscard]] constexpr std::uint64_t bytes_per_element(kv_format format) const noexcept {
    return element_bytes != 0 ? element_bytes : state_element_bytes(format);
  }
  [[nodiscard]] constexpr std::uint64_t state_elements(std::uint64_t inner) const noexcept {
    return inner * (std::uint64_t{d_conv} - 1) + inner * d_state;
  }
  [[nodiscard]] constexpr std::uint64_t state_bytes_per_sequence(kv_format format) const noexcept {
    return state_elements(d_inner) * bytes_per_element(format);
  }
  [[nodiscard]] constexpr std::uint64_t state_bytes_per_sequence_per_rank(kv_format format,
                                                                          std::uint32_t tp) const noexcept {
    return state_elements(ceil_div(d_inner, std::max<std::uint32_t>(tp, 1))) * bytes_per_element(format);
  }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token(kv_format) const noexcept { return 0; }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token_per_rank(kv_format, std::uint32_t) const noexcept {
    return 0;
  }
  [[nodiscard]] constexpr std::uint64_t window_tokens() const noexcept { return 0; }
  [[nodiscard]] constexpr std::string_view invalid_reason() const noexcept {
    if (d_inner == 0) return "Mamba inner size (expand * hidden_size) must be positive";
    if (d_state == 0) return "Mamba state size must be positive";
    if (d_conv == 0) return "Mamba convolution kernel size must be positive";
    return {};
  }
  friend constexpr bool operator==(const mamba1_state&, const mamba1_state&) = default;
};

/// Mamba-2: per sequence a conv state of (d_inner + 2 * n_groups * d_state) x (d_conv - 1) and an
/// SSM state of (d_inner / head_dim) heads x head_dim x d_state. TP splits heads and d_inner; groups
/// are split while n_groups >= tp, else each rank keeps one (vLLM replicates them).
struct mamba2_state {
  std::uint32_t d_inner{};
  std::uint32_t d_state{};
  std::uint32_t d_conv{};
  std::uint32_t n_groups{};
  std::uint32_t head_dim{};
  std::uint32_t element_bytes{};

  [[nodiscard]] constexpr layer_kind kind() const noexcept { return layer_kind::state_space; }
  [[nodiscard]] constexpr std::uint64_t bytes_per_element(kv_format format) const noexcept {
    return element_bytes != 0 ? element_bytes : state_element_bytes(format);
  }
  [[nodiscard]] constexpr std::uint64_t state_elements(std::uint32_t tp) const noexcept {
    const std::uint32_t ranks = std::max<std::uint32_t>(tp, 1);
    const std::uint64_t ssm_heads = ceil_div(d_inner / head_dim, ranks);
    const std::uint64_t inner = ssm_heads * head_dim;
    const std::uint64_t groups = std::max<std::uint64_t>(1, ceil_div(n_groups, ranks));
    return (inner + 2 * groups * d_state) * (std::uint64_t{d_conv} - 1) + inner * d_state;
  }
  [[nodiscard]] constexpr std::uint64_t state_bytes_per_sequence(kv_format format) const noexcept {
    return state_elements(1) * bytes_per_element(format);
  }
  [[nodiscard]] constexpr std::uint64_t state_bytes_per_sequence_per_rank(kv_format format,
                                                                          std::uint32_t tp) const noexcept {
    return state_elements(tp) * bytes_per_element(format);
  }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token(kv_format) const noexcept { return 0; }
  [[nodiscard]] constexpr std::uint64_t kv_bytes_per_token_per_rank(kv_format, std::uint32_t) const noexcept {
    return 0;
  }
  [[nodiscard]] constexpr std::uint64_t window_tokens() const noexcept { return 0; }
  [[nodiscard]] constexpr std::string_view invalid_reason() const noexcept {
    if (d_inner == 0) return "Mamba inner size must be positive";
    if (d_state == 0) return "Mamba state size must be positive";
    if (d_conv == 0) return "Mamba convolution kernel size must be positive";
    if (n_groups == 0) return "Mamba-2 n_groups must be positive";
    if (head_dim == 0) return "Mamba-2 head_dim must be positive";
    if (d_inner % head_dim != 0) return "Mamba-2 inner size is not a multiple of head_dim";
    return {};
  }
  friend constexpr bool operator==(const mamba2_state&, const mamba2_state&) = default;
};

static_assert(kv_sizer<mha_attention>);
static_assert(kv_sizer<gqa_attention>);
static_assert(kv_sizer<mqa_attention>);
static_assert(kv_sizer<mla_attention>);
static_assert(kv_sizer<sliding_window<gqa_attention>>);
static_assert(kv_sizer<mamba1_state>);
static_assert(kv_sizer<mamba2_state>);

}  // namespace kvtier
