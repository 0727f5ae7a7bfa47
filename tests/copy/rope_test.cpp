// RoPE inverse frequencies against an fp64 Eigen statement of transformers' rope utils, and
// re-rotation: keys rotated to p then re-rotated to q equal keys rotated to q directly, for every
// scaling type, both pairings and fp32 / fp16 / bf16 storage.
#include "copy/rope_reference.hpp"

#include <kvtier/prefetch/rope.hpp>

#include <Eigen/Core>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace kvtier {
namespace {

using Eigen::ArrayXd;
using test::reference_inv_freq;
using test::reference_rotate;

struct named_config {
  std::string name;
  rope_config config;
};

std::vector<named_config> configs() {
  rope_config none{};
  rope_config linear{};
  linear.scaling = rope_scaling::linear;
  linear.factor = 4.0;
  rope_config llama3{};  // Llama-3.1
  llama3.theta = 500000.0;
  llama3.scaling = rope_scaling::llama3;
  llama3.factor = 8.0;
  llama3.low_freq_factor = 1.0;
  llama3.high_freq_factor = 4.0;
  llama3.original_max_position_embeddings = 8192;
  rope_config qwen_yarn{};  // Qwen2.5 with YaRN factor 4
  qwen_yarn.theta = 1000000.0;
  qwen_yarn.scaling = rope_scaling::yarn;
  qwen_yarn.factor = 4.0;
  qwen_yarn.original_max_position_embeddings = 32768;
  rope_config deepseek_yarn{};  // DeepSeek-V3's rope part: 64 dimensions
  deepseek_yarn.rotary_dim = 64;
  deepseek_yarn.scaling = rope_scaling::yarn;
  deepseek_yarn.factor = 40.0;
  deepseek_yarn.original_max_position_embeddings = 4096;
  deepseek_yarn.mscale = 1.0;
  deepseek_yarn.mscale_all_dim = 1.0;
  rope_config partial{};  // partial rotary factor 0.25 of a 128 head
  partial.rotary_dim = 32;
  return {{"none", none},
          {"linear", linear},
          {"llama3", llama3},
          {"yarn_qwen", qwen_yarn},
          {"yarn_deepseek", deepseek_yarn},
          {"partial", partial}};
}

TEST(Rope, InverseFrequenciesMatchTransformers) {
  for (const named_config& named : configs()) {
    const ArrayXd expected = reference_inv_freq(named.config);
    for (std::uint32_t i = 0; i < named.config.rotary_dim / 2; ++i) {
      EXPECT_NEAR(rope_inv_freq(named.config, i), expected(i), 1e-12 * expected(i)) << named.name << " " << i;
    }
  }
}

TEST(Rope, KnownValues) {
  const std::vector<named_config> all = configs();
  const rope_config& llama3 = all[2].config;
  EXPECT_EQ(rope_inv_freq(llama3, 0), 1.0);  // high frequencies are kept
  EXPECT_DOUBLE_EQ(rope_inv_freq(llama3, 63), std::pow(500000.0, -126.0 / 128.0) / 8.0);
  EXPECT_DOUBLE_EQ(rope_inv_freq(all[1].config, 5) * 4.0, rope_inv_freq(all[0].config, 5));
  EXPECT_NEAR(rope_attention_scale(all[3].config), 0.1 * std::log(4.0) + 1.0, 1e-15);
  EXPECT_EQ(rope_attention_scale(all[4].config), 1.0);
  EXPECT_EQ(rope_attention_scale(llama3), 1.0);
  static_assert(rope_pair_dims(rope_pairing::neox, 128, 3) == rope_pair{3, 67});
  static_assert(rope_pair_dims(rope_pairing::gptj, 128, 3) == rope_pair{6, 7});
}

template <class Storage>
double tolerance() {
  if constexpr (std::is_same_v<Storage, float>) return 1e-6;
  if constexpr (std::is_same_v<Storage, fp16_t>) return 2e-3;
  return 1e-2;
}

template <class Storage>
void check_rerotation(std::uint64_t seed) {
  std::mt19937_64 random{seed};
  std::uniform_real_distribution<double> value(-2.0, 2.0);
  std::uniform_int_distribution<std::int64_t> position(0, 131072);
  constexpr std::size_t row_elems = 160;  // rotated part at offset 16, rest untouched
  constexpr std::size_t offset = 16;
  constexpr std::size_t rows = 3;
  for (const rope_pairing pairing : {rope_pairing::neox, rope_pairing::gptj}) {
    for (named_config named : configs()) {
      named.config.pairing = pairing;
      const double scale = rope_attention_scale(named.config);
      for (int trial = 0; trial < 20; ++trial) {
        const std::int64_t p = position(random);
        const std::int64_t q = trial == 0 ? p : position(random);
        std::vector<Storage> keys(rows * row_elems);  // rotated to p, then stored
        std::vector<ArrayXd> expected;
        for (std::size_t r = 0; r < rows; ++r) {
          ArrayXd key = ArrayXd::NullaryExpr(row_elems, [&] { return value(random); });
          const ArrayXd at_p = reference_rotate(key.segment(offset, named.config.rotary_dim), named.config,
                                                static_cast<double>(p), scale);
          for (std::size_t e = 0; e < row_elems; ++e) {
            const double v = e >= offset && e < offset + named.config.rotary_dim ? at_p(e - offset) : key(e);
            keys[r * row_elems + e] = from_float<Storage>(static_cast<float>(v));
          }
          ArrayXd at_q = key;
          at_q.segment(offset, named.config.rotary_dim) = reference_rotate(key.segment(offset, named.config.rotary_dim),
                                                                           named.config, static_cast<double>(q), scale);
          expected.push_back(at_q);
        }
        const std::vector<Storage> before = keys;
        rerotate_keys(std::span<Storage>{keys}, row_elems, offset, rope_rerotation{named.config, p, q});
        for (std::size_t r = 0; r < rows; ++r) {
          for (std::uint32_t i = 0; i < named.config.rotary_dim / 2; ++i) {
            const rope_pair d = rope_pair_dims(pairing, named.config.rotary_dim, i);
            const std::size_t a = r * row_elems + offset + d.first;
            const std::size_t b = r * row_elems + offset + d.second;
            const double ex = expected[r](offset + d.first);
            const double ey = expected[r](offset + d.second);
            const double norm = std::hypot(ex, ey) + 1e-30;
            ASSERT_LE(std::abs(to_float(keys[a]) - ex), tolerance<Storage>() * norm) << named.name << " " << i;
            ASSERT_LE(std::abs(to_float(keys[b]) - ey), tolerance<Storage>() * norm) << named.name << " " << i;
          }
          for (std::size_t e = 0; e < row_elems; ++e) {
            if (e >= offset && e < offset + named.config.rotary_dim) continue;
            ASSERT_EQ(keys[r * row_elems + e], before[r * row_elems + e]) << "outside the rotated part";
          }
        }
        if (p == q) {
          ASSERT_EQ(keys, before) << "re-rotation by 0 is the identity";
        }
      }
    }
  }
}

TEST(Rope, RerotationEqualsDirectRotationFp32) { check_rerotation<float>(1); }
TEST(Rope, RerotationEqualsDirectRotationFp16) { check_rerotation<fp16_t>(2); }
TEST(Rope, RerotationEqualsDirectRotationBf16) { check_rerotation<bf16_t>(3); }

}  // namespace
}  // namespace kvtier
