#pragma once
// Sizing vocabulary: the KV storage formats, the kinds of layer, and the `kv_sizer` concept that
// every layer model (MHA, GQA, MQA, MLA, sliding windows, SSM state) satisfies.
#include <concepts>
#include <cstdint>
#include <limits>
#include <string_view>

namespace kvtier {

/// How one KV element is stored. Formats with scales count their scale storage
/// (see kv_dtype.hpp for every layout, and docs/sizing.md for the derivations).
enum class kv_format : std::uint8_t {
  fp32,                 ///< 4 B per element
  fp16,                 ///< 2 B per element
  bf16,                 ///< 2 B per element
  fp8_e4m3,             ///< 1 B per element, one scale per tensor (per layer, not per token)
  fp8_e5m2,             ///< 1 B per element, one scale per tensor
  int8_per_token_head,  ///< 1 B per element + one fp32 scale per (token, head) for K and for V
  fp8_per_token_head,   ///< 1 B per element + one fp32 scale per (token, head) for K and for V
  int4_group,           ///< 4 bits per element + one fp16 scale per group of 32 elements of a head
  nvfp4,                ///< 4 bits (e2m1) per element + one fp8 (e4m3) scale per group of 16 elements
  fp8_ds_mla,           ///< FlashMLA latent layout: rank fp8 + rank/128 fp32 scales + rope bf16
};

/// What a layer is, for reports and per-kind grouping.
enum class layer_kind : std::uint8_t {
  full_attention,     ///< MHA / GQA / MQA over the whole context
  latent_attention,   ///< MLA (one latent vector per token, optionally an indexer cache)
  sliding_attention,  ///< any attention restricted to the last `window_tokens` tokens
  state_space,        ///< Mamba: fixed state per sequence, nothing per token
};

[[nodiscard]] constexpr std::string_view to_string(layer_kind kind) noexcept {
  switch (kind) {
    case layer_kind::full_attention:
      return "full_attention";
    case layer_kind::latent_attention:
      return "latent_attention";
    case layer_kind::sliding_attention:
      return "sliding_attention";
    case layer_kind::state_space:
      return "state_space";
  }
  return "unknown";
}

/// Tokens a layer holds when it has no window: every token of the sequence.
inline constexpr std::uint64_t unbounded_tokens = std::numeric_limits<std::uint64_t>::max();

/// The cache needs of one layer, for one KV format. Required members: `kind()`,
/// `kv_bytes_per_token(f)`, `kv_bytes_per_token_per_rank(f, tp)` and `invalid_reason()`. Optional
/// members, read through the free functions below, which supply the defaults of a full-attention
/// layer: `state_bytes_per_sequence(f)` and `state_bytes_per_sequence_per_rank(f, tp)` (default 0),
/// `window_tokens()` (default unbounded_tokens), `naive_kv_bytes_per_token(f)` (default exact).
///
/// Semantic requirements (checked for every model by tests/sizing/law_test.cpp):
/// 1. `kv_bytes_per_token(f)` is the bytes one more token adds to this layer's cache (0 for SSM),
///    scales and auxiliary caches (indexer) included.
/// 2. `state_bytes_per_sequence(l, f)` is the bytes held once per sequence whatever its length.
/// 3. `window_tokens(l)` is the most tokens of one sequence the layer holds: `unbounded_tokens` for
///    full attention, the window for sliding attention, 0 for SSM layers; `cached_tokens(l, n)` is
///    min(n, window_tokens(l)).
/// 4. `naive_kv_bytes_per_token(l, f) >= kv_bytes_per_token(f)`; equal for everything but MLA.
/// 5. For every tp >= 1: `kv_bytes_per_token_per_rank(f, tp) <= kv_bytes_per_token(f)` and
///    `tp * kv_bytes_per_token_per_rank(f, tp) >= kv_bytes_per_token(f)` (nothing is lost, some
///    parts may be replicated); tp = 1 gives exactly `kv_bytes_per_token(f)`. The same holds for
///    `state_bytes_per_sequence_per_rank`.
/// 6. All of these are usable in constant expressions.
/// 7. `invalid_reason()` is empty exactly when the shape is possible (positive sizes, divisible heads).
template <class L>
concept kv_sizer = std::equality_comparable<L> && requires(const L& layer, kv_format format, std::uint32_t tp) {
  { layer.kind() } -> std::same_as<layer_kind>;
  { layer.kv_bytes_per_token(format) } -> std::same_as<std::uint64_t>;
  { layer.kv_bytes_per_token_per_rank(format, tp) } -> std::same_as<std::uint64_t>;
  { layer.invalid_reason() } -> std::same_as<std::string_view>;
};

template <kv_sizer L>
[[nodiscard]] constexpr std::uint64_t state_bytes_per_sequence(const L& layer, kv_format format) noexcept {
  if constexpr (requires { layer.state_bytes_per_sequence(format); }) {
    return layer.state_bytes_per_sequence(format);
  } else {
    return 0;
  }
}

template <kv_sizer L>
[[nodiscard]] constexpr std::uint64_t state_bytes_per_sequence_per_rank(const L& layer, kv_format format,
                                                                        std::uint32_t tp) noexcept {
  if constexpr (requires { layer.state_bytes_per_sequence_per_rank(format, tp); }) {
    return layer.state_bytes_per_sequence_per_rank(format, tp);
  } else {
    return 0;
  }
}

template <kv_sizer L>
[[nodiscard]] constexpr std::uint64_t window_tokens(const L& layer) noexcept {
  if constexpr (requires { layer.window_tokens(); }) {
    return layer.window_tokens();
  } else {
    return unbounded_tokens;
  }
}

template <kv_sizer L>
[[nodiscard]] constexpr std::uint64_t naive_kv_bytes_per_token(const L& layer, kv_format format) noexcept {
  if constexpr (requires { layer.naive_kv_bytes_per_token(format); }) {
    return layer.naive_kv_bytes_per_token(format);
  } else {
    return layer.kv_bytes_per_token(format);
  }
}

/// Tokens of a sequence of `tokens` tokens that a layer holds: min(tokens, window).
template <kv_sizer L>
[[nodiscard]] constexpr std::uint64_t cached_tokens(const L& layer, std::uint64_t tokens) noexcept {
  const std::uint64_t window = window_tokens(layer);
  return tokens < window ? tokens : window;
}

}  // namespace kvtier
