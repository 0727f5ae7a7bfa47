// The numbered requirements of kv_sizer (sizing/concepts.hpp), checked for every layer model over
// every KV format, several shapes, lengths and tensor-parallel degrees.
#include <kvtier/sizing/attention.hpp>
#include <kvtier/sizing/kv_dtype.hpp>
#include <kvtier/sizing/model_shape.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace kvtier {
namespace {

constexpr std::array<kv_format, 10> all_formats{kv_format::fp32,
                                                kv_format::fp16,
                                                kv_format::bf16,
                                                kv_format::fp8_e4m3,
                                                kv_format::fp8_e5m2,
                                                kv_format::int8_per_token_head,
                                                kv_format::fp8_per_token_head,
                                                kv_format::int4_group,
                                                kv_format::nvfp4,
                                                kv_format::fp8_ds_mla};
constexpr std::array<std::uint32_t, 7> tp_degrees{1, 2, 3, 4, 8, 16, 64};
constexpr std::array<std::uint64_t, 8> lengths{0, 1, 15, 16, 127, 128, 4097, 131072};

template <class L>
std::vector<L> samples();
template <>
std::vector<mha_attention> samples() {
  return {{32, 128}, {71, 64}, {1, 16}};
}
template <>
std::vector<gqa_attention> samples() {
  return {{64, 8, 128}, {28, 4, 128}, {16, 16, 256}, {12, 3, 80}};
}
template <>
std::vector<mqa_attention> samples() {
  return {{71, 64}, {8, 256}};
}
template <>
std::vector<mla_attention> samples() {
  return {{128, 512, 64, 128, 128, 0}, {16, 512, 64, 128, 128, 128}, {4, 96, 32, 64, 48, 64}};
}
template <>
std::vector<sliding_window<gqa_attention>> samples() {
  return {{{32, 8, 128}, 4096}, {{64, 8, 64}, 128}, {{2, 1, 8}, 1}};
}
template <>
std::vector<sliding_window<mla_attention>> samples() {
  return {{{16, 512, 64, 128, 128, 0}, 1024}};
}
template <>
std::vector<mamba1_state> samples() {
  return {{8192, 16, 4, 0}, {1536, 16, 4, 4}, {7, 3, 1, 0}};
}
template <>
std::vector<mamba2_state> samples() {
  return {{5120, 128, 4, 1, 64, 0}, {8192, 128, 4, 8, 64, 4}, {192, 16, 2, 3, 64, 0}};
}

template <class L>
class KvSizerLaws : public ::testing::Test {};

using sizer_models =
    ::testing::Types<mha_attention, gqa_attention, mqa_attention, mla_attention, sliding_window<gqa_attention>,
                     sliding_window<mla_attention>, mamba1_state, mamba2_state>;
TYPED_TEST_SUITE(KvSizerLaws, sizer_models);

TYPED_TEST(KvSizerLaws, SamplesAreValidShapes) {
  for (const auto& layer : samples<TypeParam>()) EXPECT_TRUE(layer.invalid_reason().empty()) << describe(layer);
}

// 1. Per-token bytes: zero exactly for SSM layers; scales counted, so fewer bits never cost more and
//    per-token-head scales cost more than a per-tensor scale (for vectors of 16 elements or more).
TYPED_TEST(KvSizerLaws, Law1PerTokenBytes) {
  for (const auto& layer : samples<TypeParam>()) {
    for (const auto format : all_formats) {
      EXPECT_EQ(layer.kv_bytes_per_token(format) == 0, layer.kind() == layer_kind::state_space) << describe(layer);
    }
    const auto bytes = [&](kv_format format) { return layer.kv_bytes_per_token(format); };
    EXPECT_GE(bytes(kv_format::fp32), bytes(kv_format::bf16)) << describe(layer);
    EXPECT_EQ(bytes(kv_format::bf16), bytes(kv_format::fp16)) << describe(layer);
    EXPECT_GE(bytes(kv_format::bf16), bytes(kv_format::fp8_e4m3)) << describe(layer);
    EXPECT_EQ(bytes(kv_format::fp8_e5m2), bytes(kv_format::fp8_e4m3)) << describe(layer);
    EXPECT_GE(bytes(kv_format::fp8_e4m3), bytes(kv_format::nvfp4)) << describe(layer);
    EXPECT_GE(bytes(kv_format::fp8_e4m3), bytes(kv_format::int4_group)) << describe(layer);
    if (layer.kind() != layer_kind::state_space) {
      EXPECT_GT(bytes(kv_format::int8_per_token_head), bytes(kv_format::fp8_e4m3)) << describe(layer);
      EXPECT_GT(bytes(kv_format::fp32), bytes(kv_format::bf16)) << describe(layer);
    }
  }
}

// 2. State bytes: positive exactly for SSM layers, independent of the length.
TYPED_TEST(KvSizerLaws, Law2StateBytes) {
  for (const auto& layer : samples<TypeParam>()) {
    for (const auto format : all_formats) {
      EXPECT_EQ(state_bytes_per_sequence(layer, format) > 0, layer.kind() == layer_kind::state_space);
    }
  }
}

// 3. cached_tokens(n) <= n, non-decreasing, == n up to the window.
TYPED_TEST(KvSizerLaws, Law3CachedTokens) {
  for (const auto& layer : samples<TypeParam>()) {
    std::uint64_t previous = 0;
    for (const auto n : lengths) {
      const auto cached = cached_tokens(layer, n);
      EXPECT_LE(cached, n);
      EXPECT_GE(cached, previous);
      if (n <= window_tokens(layer)) {
        EXPECT_EQ(cached, n);
      }
      previous = cached;
    }
    EXPECT_EQ(window_tokens(layer) == unbounded_tokens,
              layer.kind() == layer_kind::full_attention || layer.kind() == layer_kind::latent_attention);
  }
}

// 4. Naive >= exact, equal for everything but MLA.
TYPED_TEST(KvSizerLaws, Law4NaiveIsNoSmaller) {
  for (const auto& layer : samples<TypeParam>()) {
    for (const auto format : all_formats) {
      const bool latent =
          layer.kind() == layer_kind::latent_attention || std::is_same_v<TypeParam, sliding_window<mla_attention>>;
      if (latent) {
        EXPECT_GT(naive_kv_bytes_per_token(layer, format), layer.kv_bytes_per_token(format)) << describe(layer);
      } else {
        EXPECT_EQ(naive_kv_bytes_per_token(layer, format), layer.kv_bytes_per_token(format)) << describe(layer);
      }
    }
  }
}

// 5. Per-rank bytes lose nothing and never exceed the whole; tp = 1 is the whole.
TYPED_TEST(KvSizerLaws, Law5TensorParallelRanks) {
  for (const auto& layer : samples<TypeParam>()) {
    for (const auto format : all_formats) {
      const auto whole = layer.kv_bytes_per_token(format);
      const auto state = state_bytes_per_sequence(layer, format);
      EXPECT_EQ(layer.kv_bytes_per_token_per_rank(format, 1), whole);
      EXPECT_EQ(state_bytes_per_sequence_per_rank(layer, format, 1), state);
      for (const auto tp : tp_degrees) {
        const auto rank = layer.kv_bytes_per_token_per_rank(format, tp);
        EXPECT_LE(rank, whole) << describe(layer) << " tp " << tp;
        EXPECT_GE(tp * rank, whole) << describe(layer) << " tp " << tp;
        const auto rank_state = state_bytes_per_sequence_per_rank(layer, format, tp);
        EXPECT_LE(rank_state, state) << describe(layer) << " tp " << tp;
        EXPECT_GE(tp * rank_state, state) << describe(layer) << " tp " << tp;
      }
    }
  }
}

// 6. (constant expressions) is checked by formulas_static_test.cpp, which only compiles if it holds.

}  // namespace
}  // namespace kvtier
