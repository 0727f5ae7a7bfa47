#pragma once
// Test support: random transfers (layouts, shapes, row sizes, head subsets, layer ranges, block
// permutations, misaligned bases) run by a copy under test and by the naive reference, both into
// poisoned destinations, and a check of fused re-rotation against the fp64 reference.
#include "copy/naive_pool.hpp"
#include "copy/rope_reference.hpp"

#include <kvtier/copy/concepts.hpp>
#include <kvtier/float16.hpp>
#include <kvtier/prefetch/rope.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

namespace kvtier::test {

struct transfer_case {
  std::unique_ptr<owned_pool> src;
  std::unique_ptr<owned_pool> dst;
  transfer_desc desc{};
  std::vector<copy_item> items;
  rope_fusion rope{};
};

inline std::uint32_t pick(std::mt19937_64& random, std::uint32_t low, std::uint32_t high) {
  return std::uniform_int_distribution<std::uint32_t>{low, high}(random);
}

/// A random transfer; with `with_rope`, keys are re-rotated (element types, pairings and scalings
/// drawn at random, MLA-style offsets included).
inline transfer_case random_case(std::mt19937_64& random, bool with_rope) {
  static constexpr std::uint32_t row_choices[] = {2, 7, 8, 24, 64, 256, 1152, 656};
  transfer_case c;
  const kv_layout src_layout = all_kv_layouts[pick(random, 0, 4)];
  const kv_layout dst_layout = all_kv_layouts[pick(random, 0, 4)];
  const std::uint32_t row_bytes = with_rope ? 16u * pick(random, 2, 20) : row_choices[pick(random, 0, 7)];
  const std::uint32_t planes = pick(random, 1, 2);
  const std::uint32_t tokens = std::array<std::uint32_t, 3>{1, 3, 16}[pick(random, 0, 2)];
  c.desc.layer_count = pick(random, 1, 3);
  c.desc.head_count = pick(random, 1, 4);
  const kv_pool_shape src_shape{c.desc.layer_count + pick(random, 0, 2),
                                pick(random, 1, 7),
                                tokens,
                                c.desc.head_count + pick(random, 0, 2),
                                planes,
                                row_bytes};
  const kv_pool_shape dst_shape{c.desc.layer_count + pick(random, 0, 1),
                                pick(random, 1, 7),
                                tokens,
                                c.desc.head_count + pick(random, 0, 1),
                                planes,
                                row_bytes};
  c.desc.src_layer_begin = pick(random, 0, src_shape.num_layers - c.desc.layer_count);
  c.desc.dst_layer_begin = pick(random, 0, dst_shape.num_layers - c.desc.layer_count);
  const std::size_t misalign_choices[] = {0, 1, 2, 4, 8};
  const std::size_t src_misalign = with_rope ? 4 * pick(random, 0, 1) : misalign_choices[pick(random, 0, 4)];
  const std::size_t dst_misalign = with_rope ? 4 * pick(random, 0, 1) : misalign_choices[pick(random, 0, 4)];
  c.src = std::make_unique<owned_pool>(src_layout, src_shape, src_misalign);
  c.dst = std::make_unique<owned_pool>(dst_layout, dst_shape, dst_misalign);
  std::vector<std::uint32_t> src_blocks(src_shape.num_blocks);
  std::vector<std::uint32_t> dst_blocks(dst_shape.num_blocks);
  std::iota(src_blocks.begin(), src_blocks.end(), 0u);
  std::iota(dst_blocks.begin(), dst_blocks.end(), 0u);
  std::shuffle(src_blocks.begin(), src_blocks.end(), random);
  std::shuffle(dst_blocks.begin(), dst_blocks.end(), random);
  const std::uint32_t count = pick(random, 1, std::min(src_shape.num_blocks, dst_shape.num_blocks));
  for (std::uint32_t i = 0; i < count; ++i) {
    c.items.push_back(copy_item{src_blocks[i], dst_blocks[i], pick(random, 0, src_shape.num_heads - c.desc.head_count),
                                pick(random, 0, dst_shape.num_heads - c.desc.head_count),
                                static_cast<std::int64_t>(pick(random, 0, 100000)),
                                static_cast<std::int64_t>(pick(random, 0, 100000))});
  }
  if (with_rope) {
    c.rope.enabled = true;
    c.rope.element =
        std::array<rope_element, 3>{rope_element::f32, rope_element::f16, rope_element::bf16}[pick(random, 0, 2)];
    c.rope.rope.pairing = pick(random, 0, 1) == 0 ? rope_pairing::neox : rope_pairing::gptj;
    c.rope.rope.scaling = std::array<rope_scaling, 4>{rope_scaling::none, rope_scaling::linear, rope_scaling::llama3,
                                                      rope_scaling::yarn}[pick(random, 0, 3)];
    c.rope.rope.factor = 4.0;
    c.rope.rope.original_max_position_embeddings = 4096;
    const std::uint32_t elems = row_bytes / element_bytes(c.rope.element);
    c.rope.rope.rotary_dim = 2 * pick(random, 1, elems / 2);
    c.rope.offset_bytes = element_bytes(c.rope.element) * pick(random, 0, elems - c.rope.rope.rotary_dim);
  }
  return c;
}

/// Fills storage with finite values of `element` (the re-rotation reads them as numbers).
inline void fill_finite(owned_pool& pool, rope_element element, std::uint64_t seed) {
  std::mt19937_64 random{seed};
  std::uniform_real_distribution<float> value{-2.0f, 2.0f};
  const std::uint32_t size = element_bytes(element);
  for (std::size_t a = 0; a < pool.storage.size(); ++a) {
    for (std::uint64_t i = 0; i + size <= pool.allocation_size(); i += size) {
      const float v = value(random);
      if (element == rope_element::f32) std::memcpy(pool.view.bases[a] + i, &v, 4);
      const std::uint16_t half = element == rope_element::f16 ? to_fp16(v).bits : to_bf16(v).bits;
      if (element != rope_element::f32) std::memcpy(pool.view.bases[a] + i, &half, 2);
    }
  }
}

inline double element_at(const std::byte* address, rope_element element) {
  switch (element) {
    case rope_element::f32: {
      float v;
      std::memcpy(&v, address, 4);
      return v;
    }
    case rope_element::f16: {
      fp16_t v;
      std::memcpy(&v, address, 2);
      return to_float(v);
    }
    case rope_element::bf16: {
      bf16_t v;
      std::memcpy(&v, address, 2);
      return to_float(v);
    }
  }
  return 0.0;
}

/// Compares `got` with a naive copy of the case, and its re-rotated K parts with the fp64 reference.
inline void expect_matches_reference(const transfer_case& c, const owned_pool& got) {
  owned_pool expected{got.view.layout, got.view.shape, got.misalign};
  expected.poison(std::byte{0xA5});
  naive_transfer(*c.src, expected, c.desc, c.items);
  if (!c.rope.enabled) {
    ASSERT_TRUE(got.same_bytes(expected)) << "copy differs from the naive reference";
    return;
  }
  const std::uint32_t esize = element_bytes(c.rope.element);
  const double tolerance =
      c.rope.element == rope_element::f32 ? 1e-6 : (c.rope.element == rope_element::f16 ? 2e-3 : 1e-2);
  const ArrayXd inv_freq = reference_inv_freq(c.rope.rope);
  for (const copy_item& item : c.items) {
    for (std::uint32_t l = 0; l < c.desc.layer_count; ++l) {
      for (std::uint32_t t = 0; t < c.src->view.shape.block_tokens; ++t) {
        for (std::uint32_t h = 0; h < c.desc.head_count; ++h) {
          const std::byte* from =
              c.src->row(item.src_block, c.desc.src_layer_begin + l, 0, t, item.src_head_begin + h) +
              c.rope.offset_bytes;
          std::byte* want = expected.row(item.dst_block, c.desc.dst_layer_begin + l, 0, t, item.dst_head_begin + h) +
                            c.rope.offset_bytes;
          const std::byte* have =
              got.row(item.dst_block, c.desc.dst_layer_begin + l, 0, t, item.dst_head_begin + h) + c.rope.offset_bytes;
          for (std::uint32_t i = 0; i < c.rope.rope.rotary_dim / 2; ++i) {
            const rope_pair d = rope_pair_dims(c.rope.rope.pairing, c.rope.rope.rotary_dim, i);
            const double x = element_at(from + d.first * esize, c.rope.element);
            const double y = element_at(from + d.second * esize, c.rope.element);
            const double angle = static_cast<double>(item.new_offset - item.old_offset) * inv_freq(i);
            const double ex = x * std::cos(angle) - y * std::sin(angle);
            const double ey = x * std::sin(angle) + y * std::cos(angle);
            const double norm = std::hypot(ex, ey) + 1e-30;
            ASSERT_LE(std::abs(element_at(have + d.first * esize, c.rope.element) - ex), tolerance * norm);
            ASSERT_LE(std::abs(element_at(have + d.second * esize, c.rope.element) - ey), tolerance * norm);
          }
          std::memcpy(want, have, std::size_t{c.rope.rope.rotary_dim} * esize);  // checked above
        }
      }
    }
  }
  ASSERT_TRUE(got.same_bytes(expected)) << "bytes outside the re-rotated parts differ from the naive copy";
}

/// The items of `items` with source and destination swapped (the way back).
inline std::vector<copy_item> reversed(const std::vector<copy_item>& items) {
  std::vector<copy_item> back;
  for (const copy_item& item : items) {
    back.push_back(
        {item.dst_block, item.src_block, item.dst_head_begin, item.src_head_begin, item.new_offset, item.old_offset});
  }
  return back;
}

inline transfer_desc reversed(const transfer_desc& desc) {
  return {desc.dst_layer_begin, desc.src_layer_begin, desc.layer_count, desc.head_count};
}

}  // namespace kvtier::test
