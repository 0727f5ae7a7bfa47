#pragma once
// Storage types for 16-bit KV elements: IEEE binary16 (fp16_t) and bfloat16 (bf16_t). They only
// store bits and convert to and from float with round-to-nearest-even; arithmetic happens in float
// or double. Usable on host and device without <cuda_fp16.h>, so the copy kernels, the CPU copy
// paths and the tests share one conversion.
#include <kvtier/detail/host_device.hpp>

#include <bit>
#include <cstdint>
#include <type_traits>

namespace kvtier {

struct fp16_t {
  std::uint16_t bits = 0;
  friend constexpr bool operator==(const fp16_t&, const fp16_t&) = default;
};

struct bf16_t {
  std::uint16_t bits = 0;
  friend constexpr bool operator==(const bf16_t&, const bf16_t&) = default;
};

namespace detail {

KVTIER_HOST_DEVICE inline std::uint32_t float_to_bits(float value) noexcept {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(value);
#else
  return std::bit_cast<std::uint32_t>(value);
#endif
}

KVTIER_HOST_DEVICE inline float bits_to_float(std::uint32_t bits) noexcept {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  return std::bit_cast<float>(bits);
#endif
}

}  // namespace detail

/// binary16 → float, exact (every half value is a float). Subnormals handled without FTZ.
KVTIER_HOST_DEVICE inline float to_float(fp16_t value) noexcept {
  const std::uint32_t w = std::uint32_t{value.bits} << 16;
  const std::uint32_t sign = w & 0x80000000u;
  const std::uint32_t two_w = w + w;
  const float normalized = detail::bits_to_float((two_w >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
  const float denormalized = detail::bits_to_float((two_w >> 17) | (126u << 23)) - 0.5f;
  const std::uint32_t magnitude =
      two_w < (1u << 27) ? detail::float_to_bits(denormalized) : detail::float_to_bits(normalized);
  return detail::bits_to_float(sign | magnitude);
}

/// float → binary16, round to nearest even; overflow gives infinity, NaN stays NaN.
KVTIER_HOST_DEVICE inline fp16_t to_fp16(float value) noexcept {
  const float abs_value = value < 0.0f ? -value : value;
  float base = (abs_value * 0x1.0p+112f) * 0x1.0p-110f;
  const std::uint32_t w = detail::float_to_bits(value);
  const std::uint32_t shl1_w = w + w;
  const std::uint32_t sign = w & 0x80000000u;
  std::uint32_t bias = shl1_w & 0xFF000000u;
  if (bias < 0x71000000u) bias = 0x71000000u;
  base = detail::bits_to_float((bias >> 1) + 0x07800000u) + base;
  const std::uint32_t bits = detail::float_to_bits(base);
  const std::uint32_t nonsign = ((bits >> 13) & 0x00007C00u) + (bits & 0x00000FFFu);
  return fp16_t{static_cast<std::uint16_t>((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign))};
}

/// bfloat16 → float, exact.
KVTIER_HOST_DEVICE inline float to_float(bf16_t value) noexcept {
  return detail::bits_to_float(std::uint32_t{value.bits} << 16);
}

/// float → bfloat16, round to nearest even; NaN stays NaN (quiet).
KVTIER_HOST_DEVICE inline bf16_t to_bf16(float value) noexcept {
  const std::uint32_t w = detail::float_to_bits(value);
  if ((w & 0x7FFFFFFFu) > 0x7F800000u) return bf16_t{static_cast<std::uint16_t>((w >> 16) | 0x0040u)};
  const std::uint32_t rounded = w + 0x7FFFu + ((w >> 16) & 1u);
  return bf16_t{static_cast<std::uint16_t>(rounded >> 16)};
}

KVTIER_HOST_DEVICE inline float to_float(float value) noexcept { return value; }

/// Conversion from float to a storage type chosen by template argument (float, fp16_t, bf16_t).
template <class Storage>
KVTIER_HOST_DEVICE inline Storage from_float(float value) noexcept {
  if constexpr (std::is_same_v<Storage, fp16_t>) {
    return to_fp16(value);
  } else if constexpr (std::is_same_v<Storage, bf16_t>) {
    return to_bf16(value);
  } else {
    static_assert(std::is_same_v<Storage, float>, "KV storage types are float, kvtier::fp16_t and kvtier::bf16_t");
    return value;
  }
}

}  // namespace kvtier
