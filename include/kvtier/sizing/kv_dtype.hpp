#pragma once
// Byte layouts of the KV storage formats, scales included. One "head vector" is the keys (or the
// values) of one head for one token; an MLA latent is the compressed KV of one token.
//
//   format               head vector of e elements                         notes
//   fp32 / fp16 / bf16   4e / 2e / 2e
//   fp8_e4m3 / fp8_e5m2  e                                                 one scale per tensor, held
//                                                                           by the layer, not per token
//   int8/fp8_per_token_head  e + 4                                         one fp32 scale per (token,
//                                                                           head, K or V), as vLLM
//   int4_group           ceil(e/2) + 2*ceil(e/32)                          fp16 scale per 32 elements
//   nvfp4                ceil(e/2) + ceil(e/16)                            fp8 e4m3 scale per 16 elements
//                                                                           (the tensor's fp32 global
//                                                                           scale is per layer)
//   fp8_ds_mla (latent)  r + 4*ceil(r/128) + 2*rope                        FlashMLA: 512+64 -> 656 B
#include <kvtier/sizing/concepts.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kvtier {

struct kv_format_name {
  std::string_view name;
  kv_format format;
  friend constexpr bool operator==(const kv_format_name&, const kv_format_name&) = default;
};

/// Accepted spellings, canonical name first for each format.
inline constexpr std::array<kv_format_name, 20> kv_format_names{{
    {"fp32", kv_format::fp32},
    {"float32", kv_format::fp32},
    {"fp16", kv_format::fp16},
    {"float16", kv_format::fp16},
    {"half", kv_format::fp16},
    {"bf16", kv_format::bf16},
    {"bfloat16", kv_format::bf16},
    {"fp8_e4m3", kv_format::fp8_e4m3},
    {"fp8", kv_format::fp8_e4m3},
    {"fp8_e5m2", kv_format::fp8_e5m2},
    {"int8_per_token_head", kv_format::int8_per_token_head},
    {"int8", kv_format::int8_per_token_head},
    {"fp8_per_token_head", kv_format::fp8_per_token_head},
    {"int4_group", kv_format::int4_group},
    {"int4", kv_format::int4_group},
    {"nvfp4", kv_format::nvfp4},
    {"fp4", kv_format::nvfp4},
    {"fp8_ds_mla", kv_format::fp8_ds_mla},
    {"fp8_e4m3fn", kv_format::fp8_e4m3},
    {"e4m3", kv_format::fp8_e4m3},
}};

[[nodiscard]] constexpr std::optional<kv_format> parse_kv_format(std::string_view text) noexcept {
  for (const auto& entry : kv_format_names) {
    if (entry.name == text) return entry.format;
  }
  return std::nullopt;
}

/// The canonical name of a format (the first spelling in kv_format_names).
[[nodiscard]] constexpr std::string_view to_string(kv_format format) noexcept {
  for (const auto& entry : kv_format_names) {
    if (entry.format == format) return entry.name;
  }
  return "unknown";
}

/// Elements per scale for the group-scaled formats.
inline constexpr std::uint64_t int4_group_elements = 32;
inline constexpr std::uint64_t nvfp4_group_elements = 16;
/// FlashMLA quantises the latent in tiles of 128 elements, one fp32 scale each.
inline constexpr std::uint64_t ds_mla_tile_elements = 128;

[[nodiscard]] constexpr std::uint64_t ceil_div(std::uint64_t numerator, std::uint64_t denominator) noexcept {
  return numerator / denominator + (numerator % denominator != 0 ? 1 : 0);
}

/// Bytes of one head vector of `elements` elements for one token, scales included. fp8_ds_mla is a
/// latent layout; a plain head vector under it is stored as fp8 with a per-tensor scale.
[[nodiscard]] constexpr std::uint64_t head_vector_bytes(kv_format format, std::uint64_t elements) noexcept {
  switch (format) {
    case kv_format::fp32:
      return 4 * elements;
    case kv_format::fp16:
    case kv_format::bf16:
      return 2 * elements;
    case kv_format::fp8_e4m3:
    case kv_format::fp8_e5m2:
    case kv_format::fp8_ds_mla:
      return elements;
    case kv_format::int8_per_token_head:
    case kv_format::fp8_per_token_head:
      return elements + 4;
    case kv_format::int4_group:
      return ceil_div(elements, 2) + 2 * ceil_div(elements, int4_group_elements);
    case kv_format::nvfp4:
      return ceil_div(elements, 2) + ceil_div(elements, nvfp4_group_elements);
  }
  return 0;
}

/// Bytes of one MLA latent (kv_lora_rank compressed elements + qk_rope_head_dim rotary elements).
/// fp8_ds_mla keeps the rotary part in bf16 and quantises the rank part in 128-element tiles.
[[nodiscard]] constexpr std::uint64_t latent_vector_bytes(kv_format format, std::uint64_t rank_elements,
                                                          std::uint64_t rope_elements) noexcept {
  if (format == kv_format::fp8_ds_mla) {
    return rank_elements + 4 * ceil_div(rank_elements, ds_mla_tile_elements) + 2 * rope_elements;
  }
  return head_vector_bytes(format, rank_elements + rope_elements);
}

/// Bytes per element of SSM (Mamba) state under a KV format: the 16/32-bit floats are used as they
/// are; quantised KV formats do not apply to SSM state, which then stays in bf16 (as in vLLM, whose
/// Mamba state dtype follows the model dtype, not the KV-cache dtype).
[[nodiscard]] constexpr std::uint64_t state_element_bytes(kv_format format) noexcept {
  return format == kv_format::fp32 ? 4 : 2;
}

/// True for the formats that store one element in fewer than 16 bits.
[[nodiscard]] constexpr bool is_quantised(kv_format format) noexcept {
  return format != kv_format::fp32 && format != kv_format::fp16 && format != kv_format::bf16;
}

}  // namespace kvtier
