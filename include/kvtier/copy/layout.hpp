#pragma once
// Index math of KV pool layouts: byte strides of each canonical coordinate, the byte offset and
// address of a row, allocation sizes, and the checks a transfer passes before anything moves.
// constexpr and host/device: the CUDA kernels, the CPU copies and the tests use these functions.
#include <kvtier/copy/concepts.hpp>
#include <kvtier/detail/host_device.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace kvtier {

/// Byte strides of (block, layer, plane, token, head). For per-layer layouts `layer` is 0: each
/// layer has its own base pointer.
struct kv_strides {
  std::uint64_t block = 0;
  std::uint64_t layer = 0;
  std::uint64_t plane = 0;
  std::uint64_t token = 0;
  std::uint64_t head = 0;
  friend constexpr bool operator==(const kv_strides&, const kv_strides&) = default;
};

KVTIER_HOST_DEVICE constexpr kv_strides strides_of(kv_layout layout, const kv_pool_shape& shape) noexcept {
  const std::uint64_t row = shape.row_bytes;
  const std::uint64_t heads = shape.num_heads;
  const std::uint64_t tokens = shape.block_tokens;
  const std::uint64_t planes = shape.planes;
  const std::uint64_t blocks = shape.num_blocks;
  const std::uint64_t layers = shape.num_layers;
  switch (layout) {
    case kv_layout::layer_kv_nhd:
      return {tokens * heads * row, 0, blocks * tokens * heads * row, heads * row, row};
    case kv_layout::layer_nhd:
      return {planes * tokens * heads * row, 0, tokens * heads * row, heads * row, row};
    case kv_layout::layer_hnd:
      return {planes * heads * tokens * row, 0, heads * tokens * row, row, tokens * row};
    case kv_layout::block_first:
      return {layers * planes * tokens * heads * row, planes * tokens * heads * row, tokens * heads * row, heads * row,
              row};
    case kv_layout::head_major:
      return {heads * layers * planes * tokens * row, planes * tokens * row, tokens * row, row,
              layers * planes * tokens * row};
  }
  return {};
}

/// Bytes of one allocation: one layer's tensor for per-layer layouts, the whole pool otherwise.
KVTIER_HOST_DEVICE constexpr std::uint64_t allocation_bytes(kv_layout layout, const kv_pool_shape& shape) noexcept {
  const std::uint64_t layer_bytes =
      std::uint64_t{shape.num_blocks} * shape.planes * shape.block_tokens * shape.num_heads * shape.row_bytes;
  return is_per_layer(layout) ? layer_bytes : layer_bytes * shape.num_layers;
}

/// Number of allocations (base pointers) a pool of this layout has.
KVTIER_HOST_DEVICE constexpr std::uint32_t allocation_count(kv_layout layout, const kv_pool_shape& shape) noexcept {
  return is_per_layer(layout) ? shape.num_layers : 1u;
}

/// Byte offset of a row from its allocation's base.
KVTIER_HOST_DEVICE constexpr std::uint64_t row_offset(const kv_strides& strides, std::uint64_t block,
                                                      std::uint64_t layer, std::uint64_t plane, std::uint64_t token,
                                                      std::uint64_t head) noexcept {
  return block * strides.block + layer * strides.layer + plane * strides.plane + token * strides.token +
         head * strides.head;
}

/// Address of a row of a pool in memory.
KVTIER_HOST_DEVICE inline std::byte* row_address(const kv_pool_view& pool, const kv_strides& strides,
                                                 std::uint32_t block, std::uint32_t layer, std::uint32_t plane,
                                                 std::uint32_t token, std::uint32_t head) noexcept {
  const bool per_layer = is_per_layer(pool.layout);
  std::byte* base = pool.bases[per_layer ? layer : 0];
  return base + row_offset(strides, block, per_layer ? 0 : layer, plane, token, head);
}

/// Checks pool shapes, layer and head ranges, base pointers and the rotated part of a row.
KVTIER_HOST_DEVICE constexpr copy_status check_transfer_shape(const kv_pool_view& src, const kv_pool_view& dst,
                                                              const transfer_desc& desc,
                                                              const rope_fusion& rope) noexcept {
  const kv_pool_shape& s = src.shape;
  const kv_pool_shape& d = dst.shape;
  if (s.row_bytes != d.row_bytes || s.planes != d.planes || s.block_tokens != d.block_tokens || s.row_bytes == 0 ||
      s.planes == 0 || s.planes > 2 || s.block_tokens == 0) {
    return copy_status::row_mismatch;
  }
  if ((is_per_layer(src.layout) && s.num_layers > max_pool_layers) ||
      (is_per_layer(dst.layout) && d.num_layers > max_pool_layers)) {
    return copy_status::too_many_layers;
  }
  if (std::uint64_t{desc.src_layer_begin} + desc.layer_count > s.num_layers ||
      std::uint64_t{desc.dst_layer_begin} + desc.layer_count > d.num_layers) {
    return copy_status::layer_range;
  }
  if (desc.head_count > s.num_heads || desc.head_count > d.num_heads) return copy_status::head_range;
  for (std::uint32_t l = 0; l < desc.layer_count; ++l) {
    if (src.bases[is_per_layer(src.layout) ? desc.src_layer_begin + l : 0] == nullptr ||
        dst.bases[is_per_layer(dst.layout) ? desc.dst_layer_begin + l : 0] == nullptr) {
      return copy_status::missing_base;
    }
  }
  if (rope.enabled) {
    const std::uint64_t rope_end =
        std::uint64_t{rope.offset_bytes} + std::uint64_t{rope.rope.rotary_dim} * element_bytes(rope.element);
    if (rope.rope.rotary_dim == 0 || rope.rope.rotary_dim % 2 != 0 || rope.rope.rotary_dim > max_rotary_dim ||
        rope_end > s.row_bytes || rope.offset_bytes % element_bytes(rope.element) != 0) {
      return copy_status::rope_range;
    }
  }
  return copy_status::ok;
}

/// Checks that every item's blocks and head ranges lie inside the pools (host-side items).
constexpr copy_status check_items(const kv_pool_view& src, const kv_pool_view& dst, const transfer_desc& desc,
                                  std::span<const copy_item> items) noexcept {
  for (const copy_item& item : items) {
    if (item.src_block >= src.shape.num_blocks || item.dst_block >= dst.shape.num_blocks) {
      return copy_status::block_range;
    }
    if (std::uint64_t{item.src_head_begin} + desc.head_count > src.shape.num_heads ||
        std::uint64_t{item.dst_head_begin} + desc.head_count > dst.shape.num_heads) {
      return copy_status::head_range;
    }
  }
  return copy_status::ok;
}

/// A contiguous staging pool (block_first) holding `slots` blocks of `layers` layers and `heads`
/// heads with the rows of `like`: the usual gather destination and scatter source.
constexpr kv_pool_view staging_view(std::byte* base, const kv_pool_shape& like, std::uint32_t slots,
                                    std::uint32_t layers, std::uint32_t heads) noexcept {
  kv_pool_view view{};
  view.layout = kv_layout::block_first;
  view.shape = kv_pool_shape{layers, slots, like.block_tokens, heads, like.planes, like.row_bytes};
  view.bases[0] = base;
  return view;
}

}  // namespace kvtier
