#pragma once
// Rotary position embedding (RoPE) math for re-rotating cached keys when a block is reused at a
// different position. A key cached at position p holds R(p)·k; the same key at position q is
// R(q)·k = R(q − p)·R(p)·k, so moving a block from offset `old_offset` to `new_offset` rotates
// each pair of dimensions by (new_offset − old_offset)·inv_freq[i]. The inverse frequencies
// follow Hugging Face transformers' rope utils (`_compute_default_rope_parameters`, `linear`,
// `llama3`, `yarn`). YaRN's attention factor multiplies cos and sin, so it is part of the cached
// magnitude and a re-rotation (a pure rotation) keeps it.
//
// Everything here is host/device code: the copy kernels fuse the re-rotation into a copy, and the
// CPU routine `rerotate_keys` does it in place for fp32, fp16 and bf16 storage.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/host_device.hpp>
#include <kvtier/float16.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kvtier {

/// How inverse frequencies are scaled for long context (`rope_scaling.rope_type` in config.json).
enum class rope_scaling : std::uint8_t { none, linear, llama3, yarn };

/// Which dimensions form a rotated pair. NeoX (Llama, Qwen, most HF models; `rotate_half`):
/// (i, i + rotary_dim/2). GPT-J (GPT-J, GLM, DeepSeek MLA's rope part in vLLM): (2i, 2i + 1).
enum class rope_pairing : std::uint8_t { neox, gptj };

/// Storage type of the keys being re-rotated.
enum class rope_element : std::uint8_t { f32, f16, bf16 };

KVTIER_HOST_DEVICE constexpr std::uint32_t element_bytes(rope_element element) noexcept {
  return element == rope_element::f32 ? 4u : 2u;
}

/// The model's RoPE parameters. Fields not used by `scaling` are ignored.
struct rope_config {
  double theta = 10000.0;                                 ///< `rope_theta`
  std::uint32_t rotary_dim = 128;                         ///< rotated dimensions (head_dim × partial_rotary_factor)
  rope_pairing pairing = rope_pairing::neox;              ///<
  rope_scaling scaling = rope_scaling::none;              ///<
  double factor = 1.0;                                    ///< linear, llama3, yarn
  double low_freq_factor = 1.0;                           ///< llama3
  double high_freq_factor = 4.0;                          ///< llama3
  std::uint32_t original_max_position_embeddings = 8192;  ///< llama3, yarn
  double beta_fast = 32.0;                                ///< yarn
  double beta_slow = 1.0;                                 ///< yarn
  double mscale = 0.0;                                    ///< yarn (DeepSeek); 0 = absent
  double mscale_all_dim = 0.0;                            ///< yarn (DeepSeek); 0 = absent
  double attention_factor = 0.0;                          ///< yarn; 0 = derived as transformers does
  bool truncate = true;                                   ///< yarn: round the correction range outwards
  friend constexpr bool operator==(const rope_config&, const rope_config&) = default;
};

/// Re-rotation descriptor: every token of a block moves from `old_offset + t` to `new_offset + t`.
struct rope_rerotation {
  rope_config rope;
  std::int64_t old_offset = 0;
  std::int64_t new_offset = 0;
  KVTIER_HOST_DEVICE constexpr std::int64_t delta_positions() const noexcept { return new_offset - old_offset; }
  friend constexpr bool operator==(const rope_rerotation&, const rope_rerotation&) = default;
};

/// Largest rotary_dim the CPU routine accepts (its cos/sin table lives on the stack).
inline constexpr std::uint32_t max_rotary_dim = 1024;

struct rope_pair {
  std::uint32_t first;
  std::uint32_t second;
  friend constexpr bool operator==(const rope_pair&, const rope_pair&) = default;
};

/// Dimensions (within the rotated part) of pair `i`, i < rotary_dim / 2; frequency index is `i`.
KVTIER_HOST_DEVICE constexpr rope_pair rope_pair_dims(rope_pairing pairing, std::uint32_t rotary_dim,
                                                      std::uint32_t i) noexcept {
  return pairing == rope_pairing::neox ? rope_pair{i, i + rotary_dim / 2} : rope_pair{2 * i, 2 * i + 1};
}

namespace detail {

inline constexpr double rope_pi = 3.14159265358979323846;

KVTIER_HOST_DEVICE inline double yarn_correction_dim(double rotations, double dim, double base,
                                                     double max_positions) noexcept {
  return dim * log(max_positions / (rotations * 2.0 * rope_pi)) / (2.0 * log(base));
}

KVTIER_HOST_DEVICE inline double yarn_get_mscale(double scale, double mscale) noexcept {
  return scale <= 1.0 ? 1.0 : 0.1 * mscale * log(scale) + 1.0;
}

}  // namespace detail

/// Inverse frequency of pair `i` (radians per position), as transformers computes it.
KVTIER_HOST_DEVICE inline double rope_inv_freq(const rope_config& config, std::uint32_t i) noexcept {
  const double dim = config.rotary_dim;
  const double unscaled = 1.0 / pow(config.theta, (2.0 * i) / dim);
  switch (config.scaling) {
    case rope_scaling::none:
      return unscaled;
    case rope_scaling::linear:
      return unscaled / config.factor;
    case rope_scaling::llama3: {
      const double old_context = config.original_max_position_embeddings;
      const double wavelen = 2.0 * detail::rope_pi / unscaled;
      if (wavelen < old_context / config.high_freq_factor) return unscaled;
      if (wavelen > old_context / config.low_freq_factor) return unscaled / config.factor;
      const double smooth =
          (old_context / wavelen - config.low_freq_factor) / (config.high_freq_factor - config.low_freq_factor);
      return (1.0 - smooth) * unscaled / config.factor + smooth * unscaled;
    }
    case rope_scaling::yarn: {
      const double max_positions = config.original_max_position_embeddings;
      double low = detail::yarn_correction_dim(config.beta_fast, dim, config.theta, max_positions);
      double high = detail::yarn_correction_dim(config.beta_slow, dim, config.theta, max_positions);
      if (config.truncate) {
        low = floor(low);
        high = ceil(high);
      }
      low = low < 0.0 ? 0.0 : low;
      high = high > dim - 1.0 ? dim - 1.0 : high;
      if (low == high) high += 0.001;
      double ramp = (static_cast<double>(i) - low) / (high - low);
      ramp = ramp < 0.0 ? 0.0 : (ramp > 1.0 ? 1.0 : ramp);
      const double extrapolation_weight = 1.0 - ramp;
      return unscaled / config.factor * (1.0 - extrapolation_weight) + unscaled * extrapolation_weight;
    }
  }
  return unscaled;
}

/// The factor transformers multiplies cos and sin by (YaRN's attention factor; 1 otherwise).
KVTIER_HOST_DEVICE inline double rope_attention_scale(const rope_config& config) noexcept {
  if (config.scaling != rope_scaling::yarn) return 1.0;
  if (config.attention_factor > 0.0) return config.attention_factor;
  if (config.mscale != 0.0 && config.mscale_all_dim != 0.0) {
    return detail::yarn_get_mscale(config.factor, config.mscale) /
           detail::yarn_get_mscale(config.factor, config.mscale_all_dim);
  }
  return detail::yarn_get_mscale(config.factor, 1.0);
}

/// Rotates (x, y) by `angle`: x' = x·cos − y·sin, y' = x·sin + y·cos (RoPE's convention).
KVTIER_HOST_DEVICE inline void rotate_pair(double& x, double& y, double cos_angle, double sin_angle) noexcept {
  const double rotated_x = x * cos_angle - y * sin_angle;
  y = x * sin_angle + y * cos_angle;
  x = rotated_x;
}

/// Re-rotates pair `i` of one key by `delta_positions` (new − old offset), in double precision.
KVTIER_HOST_DEVICE inline void rerotate_pair(double& x, double& y, const rope_config& config, std::uint32_t i,
                                             std::int64_t delta_positions) noexcept {
  const double angle = static_cast<double>(delta_positions) * rope_inv_freq(config, i);
  rotate_pair(x, y, cos(angle), sin(angle));
}

/// cos and sin of every pair's re-rotation angle for one position delta, computed once and
/// applied to many key rows (host code: the table lives on the stack).
class rope_angle_table {
 public:
  rope_angle_table(const rope_config& config, std::int64_t delta_positions) noexcept
      : pairing_{config.pairing}, rotary_dim_{config.rotary_dim} {
    KVTIER_ASSERT(config.rotary_dim % 2 == 0 && config.rotary_dim <= max_rotary_dim,
                  "rotary_dim must be even and at most max_rotary_dim");
    for (std::uint32_t i = 0; i < rotary_dim_ / 2; ++i) {
      const double angle = static_cast<double>(delta_positions) * rope_inv_freq(config, i);
      cos_[i] = std::cos(angle);
      sin_[i] = std::sin(angle);
    }
  }

  /// Re-rotates the `rotary_dim` elements starting at `key`, in double, one rounding per element.
  template <class Storage>
  void rotate(Storage* key) const noexcept {
    for (std::uint32_t i = 0; i < rotary_dim_ / 2; ++i) {
      const rope_pair dims = rope_pair_dims(pairing_, rotary_dim_, i);
      double x = to_float(key[dims.first]);
      double y = to_float(key[dims.second]);
      rotate_pair(x, y, cos_[i], sin_[i]);
      key[dims.first] = from_float<Storage>(static_cast<float>(x));
      key[dims.second] = from_float<Storage>(static_cast<float>(y));
    }
  }

 private:
  rope_pairing pairing_;
  std::uint32_t rotary_dim_;
  std::array<double, max_rotary_dim / 2> cos_;
  std::array<double, max_rotary_dim / 2> sin_;
};

/// Re-rotates, in place, the first `rotary_dim` elements of `row_count` key rows spaced
/// `row_stride_elems` apart, all by `delta_positions` (one block: its tokens and heads).
template <class Storage>
void rerotate_rows(Storage* first_row, std::size_t row_count, std::size_t row_stride_elems, const rope_config& config,
                   std::int64_t delta_positions) noexcept {
  KVTIER_ASSERT(row_count <= 1 || row_stride_elems >= config.rotary_dim, "rows must not overlap");
  const rope_angle_table table{config, delta_positions};
  for (std::size_t row = 0; row < row_count; ++row) table.rotate(first_row + row * row_stride_elems);
}

/// Re-rotates contiguous key rows of `row_elems` elements each (rows.size() a multiple of it), the
/// rotated part starting at element `rope_offset_elems` of each row (e.g. 512 for MLA's latent).
template <class Storage>
void rerotate_keys(std::span<Storage> rows, std::size_t row_elems, std::size_t rope_offset_elems,
                   const rope_rerotation& rerotation) noexcept {
  KVTIER_ASSERT(row_elems > 0 && rows.size() % row_elems == 0, "rows must hold whole rows");
  KVTIER_ASSERT(rope_offset_elems + rerotation.rope.rotary_dim <= row_elems, "the rotated part must fit in a row");
  if (rows.empty()) return;
  rerotate_rows(rows.data() + rope_offset_elems, rows.size() / row_elems, row_elems, rerotation.rope,
                rerotation.delta_positions());
}

}  // namespace kvtier
