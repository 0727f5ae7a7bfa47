#pragma once
// position_priority: which cached blocks of a sequence attention needs most, by position alone.
// RoPE makes attention decay with relative distance, and trained models park mass on the first few
// tokens (attention sinks, StreamingLLM: 4 tokens suffice), so:
//   priority = 1 for a block holding a sink token or lying in the recent window,
//   priority = exp(−distance / decay_tokens) otherwise, distance measured from the window's start.
// Prefetch loads the highest priorities first; under pressure the lowest go to a lower tier first.
#include <kvtier/detail/assert.hpp>

#include <cmath>
#include <cstdint>

namespace kvtier {

struct position_priority_params {
  std::uint64_t sink_tokens = 4;              ///< StreamingLLM (Xiao et al., ICLR 2024): 4 initial tokens
  std::uint64_t recent_window_tokens = 1020;  ///< StreamingLLM's cache: 4 sinks + 1,020 recent tokens
  double decay_tokens = 8192.0;               ///< e-folding distance beyond the window (one 8k context)
  friend constexpr bool operator==(const position_priority_params&, const position_priority_params&) = default;
};

/// Priority in (0, 1] of the block covering tokens [first_token, first_token + tokens) of a sequence
/// of `sequence_tokens` tokens.
[[nodiscard]] inline double position_priority(std::uint64_t first_token, std::uint64_t tokens,
                                              std::uint64_t sequence_tokens,
                                              const position_priority_params& params = {}) noexcept {
  KVTIER_ASSERT(params.decay_tokens > 0.0, "decay length must be positive");
  if (first_token < params.sink_tokens) return 1.0;
  const std::uint64_t window_start =
      sequence_tokens > params.recent_window_tokens ? sequence_tokens - params.recent_window_tokens : 0;
  const std::uint64_t last_token = first_token + (tokens == 0 ? 0 : tokens - 1);
  if (last_token >= window_start) return 1.0;
  const double distance = static_cast<double>(window_start - last_token);
  return std::exp(-distance / params.decay_tokens);
}

}  // namespace kvtier
