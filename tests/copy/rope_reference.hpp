#pragma once
// Test support: transformers' RoPE in fp64 over Eigen arrays, the reference for kvtier's RoPE.
#include <kvtier/prefetch/rope.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace kvtier::test {

using Eigen::ArrayXd;

inline constexpr double pi = 3.14159265358979323846;

// transformers' formulas, written over whole arrays as the Python code is.
inline ArrayXd reference_inv_freq(const rope_config& c) {
  const Eigen::Index half = c.rotary_dim / 2;
  const double dim = c.rotary_dim;
  const ArrayXd exponents = ArrayXd::LinSpaced(half, 0.0, dim - 2.0) / dim;  // arange(0, dim, 2) / dim
  const ArrayXd pos_freqs = (exponents * std::log(c.theta)).exp();           // base ** exponents
  const ArrayXd inv_freq = pos_freqs.inverse();
  switch (c.scaling) {
    case rope_scaling::none:
      return inv_freq;
    case rope_scaling::linear:
      return inv_freq / c.factor;
    case rope_scaling::llama3: {
      const double old_context = c.original_max_position_embeddings;
      const double low_freq_wavelen = old_context / c.low_freq_factor;
      const double high_freq_wavelen = old_context / c.high_freq_factor;
      const ArrayXd wavelen = 2.0 * pi / inv_freq;
      const ArrayXd llama = (wavelen > low_freq_wavelen).select(inv_freq / c.factor, inv_freq);
      const ArrayXd smooth = (old_context / wavelen - c.low_freq_factor) / (c.high_freq_factor - c.low_freq_factor);
      const ArrayXd smoothed = (1.0 - smooth) * llama / c.factor + smooth * llama;
      const auto medium = (wavelen >= high_freq_wavelen) && (wavelen <= low_freq_wavelen);
      return medium.select(smoothed, llama);
    }
    case rope_scaling::yarn: {
      const auto correction_dim = [&](double rotations) {
        return dim * std::log(c.original_max_position_embeddings / (rotations * 2.0 * pi)) / (2.0 * std::log(c.theta));
      };
      double low = std::floor(correction_dim(c.beta_fast));
      double high = std::ceil(correction_dim(c.beta_slow));
      low = std::max(low, 0.0);
      high = std::min(high, dim - 1.0);
      if (low == high) high += 0.001;
      const ArrayXd ramp =
          ((ArrayXd::LinSpaced(half, 0.0, static_cast<double>(half - 1)) - low) / (high - low)).max(0.0).min(1.0);
      const ArrayXd extrapolation_factor = 1.0 - ramp;
      const ArrayXd interpolation = (c.factor * pos_freqs).inverse();
      return interpolation * (1.0 - extrapolation_factor) + inv_freq * extrapolation_factor;
    }
  }
  return inv_freq;
}

// Rotates the first rotary_dim elements of `key` to `position` as transformers' apply_rotary_pos_emb
// does (cos and sin scaled by the attention factor), in fp64.
inline ArrayXd reference_rotate(const ArrayXd& key, const rope_config& c, double position, double attention_scale) {
  const ArrayXd freqs = position * reference_inv_freq(c);
  const Eigen::Index half = c.rotary_dim / 2;
  ArrayXd cos_emb(c.rotary_dim);
  ArrayXd sin_emb(c.rotary_dim);
  ArrayXd rotated_half(c.rotary_dim);
  for (Eigen::Index i = 0; i < half; ++i) {
    const Eigen::Index a = c.pairing == rope_pairing::neox ? i : 2 * i;
    const Eigen::Index b = c.pairing == rope_pairing::neox ? i + half : 2 * i + 1;
    cos_emb(a) = cos_emb(b) = std::cos(freqs(i)) * attention_scale;
    sin_emb(a) = sin_emb(b) = std::sin(freqs(i)) * attention_scale;
    rotated_half(a) = -key(b);
    rotated_half(b) = key(a);
  }
  ArrayXd out = key;
  out.head(c.rotary_dim) = key.head(c.rotary_dim) * cos_emb + rotated_half * sin_emb;
  return out;
}

}  // namespace kvtier::test
