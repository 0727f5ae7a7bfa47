#pragma once
// How a transfer decomposes into contiguous runs: the dimensions of a row (layer, plane, token,
// head) that are contiguous in both pools merge into one run; the others are iterated. The vector
// width is the widest power of two (≤ 16 bytes) dividing every address, stride and run length.
#include <kvtier/copy/concepts.hpp>
#include <kvtier/copy/layout.hpp>
#include <kvtier/detail/host_device.hpp>

#include <cstdint>

namespace kvtier {

/// Canonical row dimensions of an item, in the order used by `transfer_geometry::outer_dim`.
enum class row_dim : std::uint8_t { layer = 0, plane = 1, token = 2, head = 3 };

struct transfer_geometry {
  std::uint64_t run_bytes = 0;          ///< bytes contiguous in both pools
  std::uint32_t outer_count = 0;        ///< dimensions iterated around a run
  std::uint8_t outer_dim[4] = {};       ///< row_dim of each, fastest-varying first
  std::uint32_t outer_extent[4] = {};   ///< extent of each
  std::uint64_t segments_per_item = 1;  ///< product of outer extents
};

/// Run decomposition of `desc` from a pool with `src` strides to one with `dst` strides. With
/// `rows_only`, runs stop at one row (the fused re-rotation handles K rows one by one).
KVTIER_HOST_DEVICE constexpr transfer_geometry make_transfer_geometry(const kv_pool_view& src, const kv_strides& src_s,
                                                                      const kv_pool_view& dst, const kv_strides& dst_s,
                                                                      const transfer_desc& desc,
                                                                      bool rows_only) noexcept {
  const std::uint32_t extent[4] = {desc.layer_count, src.shape.planes, src.shape.block_tokens, desc.head_count};
  const bool layers_mergeable = !is_per_layer(src.layout) && !is_per_layer(dst.layout);
  const std::uint64_t src_stride[4] = {src_s.layer, src_s.plane, src_s.token, src_s.head};
  const std::uint64_t dst_stride[4] = {dst_s.layer, dst_s.plane, dst_s.token, dst_s.head};
  // Layers of per-layer pools live in separate allocations: they sort outermost and never merge.
  const std::uint64_t sort_key[4] = {layers_mergeable ? src_s.layer : ~std::uint64_t{0}, src_s.plane, src_s.token,
                                     src_s.head};
  std::uint8_t order[4] = {3, 2, 1, 0};
  for (int i = 1; i < 4; ++i) {  // insertion sort by source stride, fastest first
    for (int j = i; j > 0 && sort_key[order[j]] < sort_key[order[j - 1]]; --j) {
      const std::uint8_t t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  }
  transfer_geometry g{};
  g.run_bytes = src.shape.row_bytes;
  bool merging = !rows_only;
  for (const std::uint8_t dim : order) {
    if (extent[dim] == 1) continue;
    const bool mergeable = dim != static_cast<std::uint8_t>(row_dim::layer) || layers_mergeable;
    if (merging && mergeable && src_stride[dim] == g.run_bytes && dst_stride[dim] == g.run_bytes) {
      g.run_bytes *= extent[dim];
      continue;
    }
    merging = false;
    g.outer_dim[g.outer_count] = dim;
    g.outer_extent[g.outer_count] = extent[dim];
    ++g.outer_count;
    g.segments_per_item *= extent[dim];
  }
  return g;
}

/// Row coordinates (layer, plane, token, head offsets within the item) of segment `segment`.
struct segment_coords {
  std::uint32_t index[4] = {};
};

KVTIER_HOST_DEVICE constexpr segment_coords decode_segment(const transfer_geometry& g, std::uint64_t segment) noexcept {
  segment_coords c{};
  for (std::uint32_t k = 0; k < g.outer_count; ++k) {
    c.index[g.outer_dim[k]] = static_cast<std::uint32_t>(segment % g.outer_extent[k]);
    segment /= g.outer_extent[k];
  }
  return c;
}

/// Widest power of two ≤ 16 dividing `bits` (the OR of everything that must be aligned); 16 for 0.
KVTIER_HOST_DEVICE constexpr std::uint32_t vector_bytes_for(std::uint64_t bits) noexcept {
  for (std::uint32_t width = 16; width > 1; width /= 2) {
    if (bits % width == 0) return width;
  }
  return 1;
}

/// Vector width of a transfer: divides every base pointer used, every stride, the run length and,
/// when keys are re-rotated, the rotated part's offset and length.
inline std::uint32_t transfer_vector_bytes(const kv_pool_view& src, const kv_strides& src_s, const kv_pool_view& dst,
                                           const kv_strides& dst_s, const transfer_desc& desc,
                                           const transfer_geometry& g, const rope_fusion& rope) noexcept {
  std::uint64_t bits = g.run_bytes | src_s.block | src_s.layer | src_s.plane | src_s.token | src_s.head | dst_s.block |
                       dst_s.layer | dst_s.plane | dst_s.token | dst_s.head;
  for (std::uint32_t l = 0; l < desc.layer_count; ++l) {
    bits |= reinterpret_cast<std::uintptr_t>(src.bases[is_per_layer(src.layout) ? desc.src_layer_begin + l : 0]);
    bits |= reinterpret_cast<std::uintptr_t>(dst.bases[is_per_layer(dst.layout) ? desc.dst_layer_begin + l : 0]);
  }
  if (rope.enabled) bits |= rope.offset_bytes | (std::uint64_t{rope.rope.rotary_dim} * element_bytes(rope.element));
  return vector_bytes_for(bits);
}

}  // namespace kvtier
