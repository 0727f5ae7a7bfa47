#pragma once
// Test support: a reference statement of each layout as a nested array index (written from the
// diagrams in kvtier/copy/concepts.hpp, independently of strides_of), pools backed by vectors,
// and a row-by-row reference copy.
#include <kvtier/copy/concepts.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace kvtier::test {

/// Byte offset of a row from its allocation's base.
inline std::uint64_t naive_row_offset(kv_layout layout, const kv_pool_shape& s, std::uint64_t block,
                                      std::uint64_t layer, std::uint64_t plane, std::uint64_t token,
                                      std::uint64_t head) {
  const std::uint64_t L = s.num_layers, N = s.num_blocks, T = s.block_tokens, H = s.num_heads, P = s.planes;
  std::uint64_t index = 0;
  switch (layout) {
    case kv_layout::layer_kv_nhd:  // [P][N][T][H]
      index = ((plane * N + block) * T + token) * H + head;
      break;
    case kv_layout::layer_nhd:  // [N][P][T][H]
      index = ((block * P + plane) * T + token) * H + head;
      break;
    case kv_layout::layer_hnd:  // [N][P][H][T]
      index = ((block * P + plane) * H + head) * T + token;
      break;
    case kv_layout::block_first:  // [N][L][P][T][H]
      index = (((block * L + layer) * P + plane) * T + token) * H + head;
      break;
    case kv_layout::head_major:  // [N][H][L][P][T]
      index = (((block * H + head) * L + layer) * P + plane) * T + token;
      break;
  }
  return index * s.row_bytes;
}

/// A pool with its own memory: one vector per allocation, each with `misalign` leading bytes so
/// that base pointers can be made narrower than 16-byte aligned.
struct owned_pool {
  std::vector<std::vector<std::byte>> storage;
  kv_pool_view view{};
  std::size_t misalign = 0;

  owned_pool(kv_layout layout, const kv_pool_shape& shape, std::size_t misalign_bytes = 0) : misalign{misalign_bytes} {
    view.layout = layout;
    view.shape = shape;
    const bool per_layer = is_per_layer(layout);
    const std::uint64_t layer_bytes =
        std::uint64_t{shape.num_blocks} * shape.planes * shape.block_tokens * shape.num_heads * shape.row_bytes;
    const std::size_t allocations = per_layer ? shape.num_layers : 1;
    const std::uint64_t bytes = per_layer ? layer_bytes : layer_bytes * shape.num_layers;
    storage.resize(allocations);
    for (std::size_t a = 0; a < allocations; ++a) {
      storage[a].resize(bytes + 16 + misalign);
      const auto address = reinterpret_cast<std::uintptr_t>(storage[a].data());
      const std::size_t to_aligned = (16 - address % 16) % 16;
      view.bases[a] = storage[a].data() + to_aligned + misalign;
    }
  }
  owned_pool(const owned_pool&) = delete;
  owned_pool& operator=(const owned_pool&) = delete;

  std::byte* row(std::uint32_t block, std::uint32_t layer, std::uint32_t plane, std::uint32_t token,
                 std::uint32_t head) const {
    const bool per_layer = is_per_layer(view.layout);
    return view.bases[per_layer ? layer : 0] +
           naive_row_offset(view.layout, view.shape, block, per_layer ? 0 : layer, plane, token, head);
  }

  std::uint64_t allocation_size() const { return storage.front().size() - 16 - misalign; }

  void fill_random(std::uint64_t seed) {
    std::mt19937_64 random{seed};
    for (std::size_t a = 0; a < storage.size(); ++a) {
      for (std::uint64_t i = 0; i < allocation_size(); ++i) view.bases[a][i] = static_cast<std::byte>(random());
    }
  }
  void poison(std::byte value) {
    for (std::size_t a = 0; a < storage.size(); ++a)
      std::memset(view.bases[a], static_cast<int>(value), allocation_size());
  }
  bool same_bytes(const owned_pool& other) const {
    for (std::size_t a = 0; a < storage.size(); ++a) {
      if (std::memcmp(view.bases[a], other.view.bases[a], allocation_size()) != 0) return false;
    }
    return true;
  }
};

/// Reference copy, one row at a time through naive_row_offset.
inline void naive_transfer(const owned_pool& src, const owned_pool& dst, const transfer_desc& desc,
                           const std::vector<copy_item>& items) {
  for (const copy_item& item : items) {
    for (std::uint32_t l = 0; l < desc.layer_count; ++l) {
      for (std::uint32_t p = 0; p < src.view.shape.planes; ++p) {
        for (std::uint32_t t = 0; t < src.view.shape.block_tokens; ++t) {
          for (std::uint32_t h = 0; h < desc.head_count; ++h) {
            std::memcpy(dst.row(item.dst_block, desc.dst_layer_begin + l, p, t, item.dst_head_begin + h),
                        src.row(item.src_block, desc.src_layer_begin + l, p, t, item.src_head_begin + h),
                        src.view.shape.row_bytes);
          }
        }
      }
    }
  }
}

}  // namespace kvtier::test
