// fp16_t and bf16_t conversions: exhaustive round trips, and binary16 rounding against the
// compiler's own _Float16 conversion.
#include <kvtier/float16.hpp>

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>

namespace kvtier {
namespace {

bool is_half_nan(std::uint16_t bits) { return (bits & 0x7C00u) == 0x7C00u && (bits & 0x03FFu) != 0; }
bool is_bf16_nan(std::uint16_t bits) { return (bits & 0x7F80u) == 0x7F80u && (bits & 0x007Fu) != 0; }

TEST(Float16, EveryHalfValueRoundTripsAndMatchesTheCompiler) {
  for (std::uint32_t bits = 0; bits <= 0xFFFFu; ++bits) {
    const fp16_t h{static_cast<std::uint16_t>(bits)};
    const float f = to_float(h);
    if (is_half_nan(h.bits)) {
      ASSERT_TRUE(std::isnan(f));
      ASSERT_TRUE(is_half_nan(to_fp16(f).bits));
      continue;
    }
    ASSERT_EQ(f, static_cast<float>(std::bit_cast<_Float16>(h.bits))) << bits;
    ASSERT_EQ(to_fp16(f), h) << bits;
  }
}

TEST(Float16, RoundsToNearestEvenLikeTheCompiler) {
  std::mt19937 random{7};
  for (int i = 0; i < 2'000'000; ++i) {
    // Uniform bit patterns below 2^17 in magnitude cover subnormals, normals, overflow and ties.
    const std::uint32_t bits = random() & 0x87FFFFFFu;
    const float f = std::bit_cast<float>(bits + (i % 2 == 0 ? 0x38000000u : 0u));
    const auto expected = std::bit_cast<std::uint16_t>(static_cast<_Float16>(f));
    ASSERT_EQ(to_fp16(f).bits, expected) << f;
  }
  EXPECT_EQ(to_fp16(65520.0f).bits, 0x7C00u);  // rounds up to infinity
  EXPECT_EQ(to_fp16(65519.0f).bits, 0x7BFFu);
}

TEST(Bfloat16, EveryValueRoundTripsAndTiesGoToEven) {
  for (std::uint32_t bits = 0; bits <= 0xFFFFu; ++bits) {
    const bf16_t b{static_cast<std::uint16_t>(bits)};
    const float f = to_float(b);
    if (is_bf16_nan(b.bits)) {
      ASSERT_TRUE(is_bf16_nan(to_bf16(f).bits));
      continue;
    }
    ASSERT_EQ(std::bit_cast<std::uint32_t>(f), bits << 16);
    ASSERT_EQ(to_bf16(f), b);
  }
  EXPECT_EQ(to_bf16(std::bit_cast<float>(0x3F808000u)).bits, 0x3F80u);  // tie, even below
  EXPECT_EQ(to_bf16(std::bit_cast<float>(0x3F818000u)).bits, 0x3F82u);  // tie, even above
  EXPECT_EQ(to_bf16(std::bit_cast<float>(0x3F808001u)).bits, 0x3F81u);  // above the tie
  EXPECT_EQ(to_bf16(std::bit_cast<float>(0x7F7FFFFFu)).bits, 0x7F80u);  // overflow to infinity
  EXPECT_TRUE(is_bf16_nan(to_bf16(std::nanf("")).bits));
}

}  // namespace
}  // namespace kvtier
