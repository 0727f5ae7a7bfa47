#pragma once
// The way searches of an eight-way ghost set (predictive_policy): which ways hold a tag, which ghosts
// have expired, which way a new ghost replaces. With SSE2 (every x86-64 CPU) the eight ways are
// tested at once; elsewhere one at a time. Both paths give the same ways; the scalar ones are the
// definitions, and tests compare the two.
//
// A way's state is 0 when the way is free. Otherwise its low bits hold the ghost's last touch in
// ticks (within `time_mask`, a run of low bits below bit 31, so ages compare as signed 32-bit
// numbers) and bit 31 says the ghost still waits for its outcome.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace kvtier::detail {

inline constexpr std::size_t ghost_way_count = 8;
using ghost_tags = std::array<std::uint16_t, ghost_way_count>;
using ghost_states = std::array<std::uint32_t, ghost_way_count>;
inline constexpr std::uint32_t ghost_pending_bit = 1U << 31;

/// Bit w set: way w is in use and holds `tag`.
[[nodiscard]] inline unsigned ghost_matches_scalar(const ghost_tags& tags, const ghost_states& states,
                                                   std::uint16_t tag) noexcept {
  unsigned mask = 0;
  for (std::size_t w = 0; w < ghost_way_count; ++w) {
    if (states[w] != 0 && tags[w] == tag) mask |= 1U << w;
  }
  return mask;
}

/// Bit w set: way w's ghost waits for its outcome and was last touched more than `horizon` ticks
/// before `tick` (ages wrap within `time_mask`).
[[nodiscard]] inline unsigned ghost_expired_scalar(const ghost_states& states, std::uint32_t tick,
                                                   std::uint32_t time_mask, std::uint32_t horizon) noexcept {
  unsigned mask = 0;
  for (std::size_t w = 0; w < ghost_way_count; ++w) {
    if ((states[w] & ghost_pending_bit) && ((tick - (states[w] & time_mask)) & time_mask) > horizon) mask |= 1U << w;
  }
  return mask;
}

/// The way a new ghost takes: the first free way, else the ghost touched longest ago (of equally old
/// ones, the last).
[[nodiscard]] inline std::size_t ghost_victim_scalar(const ghost_states& states, std::uint32_t tick,
                                                     std::uint32_t time_mask) noexcept {
  std::size_t way = 0;
  std::uint32_t oldest = 0;
  for (std::size_t w = 0; w < ghost_way_count; ++w) {
    if (states[w] == 0) return w;
    const std::uint32_t age = (tick - (states[w] & time_mask)) & time_mask;
    if (age >= oldest) {
      oldest = age;
      way = w;
    }
  }
  return way;
}

#if defined(__SSE2__)
namespace sse2 {
/// One bit per 32-bit lane of two vectors of all-ones or all-zeros lanes, lane w of `low` at bit w.
[[nodiscard]] inline unsigned lane_bits(__m128i low, __m128i high) noexcept {
  const __m128i halves = _mm_packs_epi32(low, high);
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_packs_epi16(halves, _mm_setzero_si128())));
}
[[nodiscard]] inline __m128i load(const std::uint32_t* p) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
[[nodiscard]] inline __m128i ages(__m128i states, __m128i tick, __m128i time_mask) noexcept {
  return _mm_and_si128(_mm_sub_epi32(tick, states), time_mask);
}
[[nodiscard]] inline __m128i max_epi32(__m128i a, __m128i b) noexcept {
  const __m128i greater = _mm_cmpgt_epi32(a, b);
  return _mm_or_si128(_mm_and_si128(greater, a), _mm_andnot_si128(greater, b));
}
}  // namespace sse2
#endif

[[nodiscard]] inline unsigned ghost_matches(const ghost_tags& tags, const ghost_states& states,
                                            std::uint16_t tag) noexcept {
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  const __m128i same = _mm_cmpeq_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(tags.data())),
                                       _mm_set1_epi16(static_cast<short>(tag)));
  const __m128i free = _mm_packs_epi32(_mm_cmpeq_epi32(sse2::load(states.data()), zero),
                                       _mm_cmpeq_epi32(sse2::load(states.data() + 4), zero));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_packs_epi16(_mm_andnot_si128(free, same), zero)));
#else
  return ghost_matches_scalar(tags, states, tag);
#endif
}

[[nodiscard]] inline unsigned ghost_expired(const ghost_states& states, std::uint32_t tick, std::uint32_t time_mask,
                                            std::uint32_t horizon) noexcept {
#if defined(__SSE2__)
  const __m128i low = sse2::load(states.data());
  const __m128i high = sse2::load(states.data() + 4);
  // Most sets have no ghost waiting: one test of the eight pending bits.
  if (_mm_movemask_ps(_mm_castsi128_ps(_mm_or_si128(low, high))) == 0) return 0;
  const __m128i tick_v = _mm_set1_epi32(static_cast<int>(tick));
  const __m128i mask_v = _mm_set1_epi32(static_cast<int>(time_mask));
  // An age never exceeds time_mask: a longer horizon is never passed, as time_mask itself.
  const __m128i horizon_v = _mm_set1_epi32(static_cast<int>(horizon < time_mask ? horizon : time_mask));
  const __m128i low_expired =
      _mm_and_si128(_mm_srai_epi32(low, 31), _mm_cmpgt_epi32(sse2::ages(low, tick_v, mask_v), horizon_v));
  const __m128i high_expired =
      _mm_and_si128(_mm_srai_epi32(high, 31), _mm_cmpgt_epi32(sse2::ages(high, tick_v, mask_v), horizon_v));
  return sse2::lane_bits(low_expired, high_expired);
#else
  return ghost_expired_scalar(states, tick, time_mask, horizon);
#endif
}

[[nodiscard]] inline std::size_t ghost_victim(const ghost_states& states, std::uint32_t tick,
                                              std::uint32_t time_mask) noexcept {
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  const __m128i low = sse2::load(states.data());
  const __m128i high = sse2::load(states.data() + 4);
  const unsigned free = sse2::lane_bits(_mm_cmpeq_epi32(low, zero), _mm_cmpeq_epi32(high, zero));
  if (free != 0) return static_cast<std::size_t>(std::countr_zero(free));
  const __m128i tick_v = _mm_set1_epi32(static_cast<int>(tick));
  const __m128i mask_v = _mm_set1_epi32(static_cast<int>(time_mask));
  const __m128i low_age = sse2::ages(low, tick_v, mask_v);
  const __m128i high_age = sse2::ages(high, tick_v, mask_v);
  __m128i oldest = sse2::max_epi32(low_age, high_age);
  oldest = sse2::max_epi32(oldest, _mm_shuffle_epi32(oldest, _MM_SHUFFLE(1, 0, 3, 2)));
  oldest = sse2::max_epi32(oldest, _mm_shuffle_epi32(oldest, _MM_SHUFFLE(2, 3, 0, 1)));
  const unsigned at_oldest = sse2::lane_bits(_mm_cmpeq_epi32(low_age, oldest), _mm_cmpeq_epi32(high_age, oldest));
  return static_cast<std::size_t>(std::bit_width(at_oldest) - 1);
#else
  return ghost_victim_scalar(states, tick, time_mask);
#endif
}

}  // namespace kvtier::detail
