#pragma once
// The body of the copy kernel, one call per thread, shared by the CUDA kernel (cuda/src/transfer.cu,
// called with blockIdx/threadIdx) and the CPU launch emulator (launch_emulator.hpp, which walks the
// grid). A grid-stride loop covers `total_units` units:
//   copy mode: unit = one vector of `vector_bytes` within one contiguous run;
//   RoPE mode: per row, first `row_bytes / vector_bytes` vector units (those inside the rotated
//              part of a K row are skipped), then `rotary_dim / 2` pair units that read a pair of
//              K elements, re-rotate it in double and write it (idle on V rows).
// Units write disjoint destination bytes, so their order does not matter.
#include <kvtier/copy/concepts.hpp>
#include <kvtier/copy/layout.hpp>
#include <kvtier/copy/transfer_geometry.hpp>
#include <kvtier/detail/host_device.hpp>
#include <kvtier/float16.hpp>
#include <kvtier/prefetch/rope.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace kvtier::detail {

/// Everything a copy launch needs, by value (a kernel argument).
struct transfer_plan {
  kv_pool_view src{};
  kv_pool_view dst{};
  kv_strides src_strides{};
  kv_strides dst_strides{};
  transfer_desc desc{};
  transfer_geometry geometry{};
  rope_fusion rope{};
  std::uint32_t vector_bytes = 1;
  std::uint64_t units_per_segment = 0;
  std::uint64_t total_units = 0;
  const copy_item* items = nullptr;
  std::uint32_t item_count = 0;
};

/// Plans a transfer of `item_count` items at `items` (device memory for a kernel, host memory for
/// the emulator). Call after check_transfer_shape returned ok.
inline transfer_plan make_transfer_plan(const kv_pool_view& src, const kv_pool_view& dst, const transfer_desc& desc,
                                        const rope_fusion& rope, const copy_item* items,
                                        std::uint32_t item_count) noexcept {
  transfer_plan p{};
  p.src = src;
  p.dst = dst;
  p.src_strides = strides_of(src.layout, src.shape);
  p.dst_strides = strides_of(dst.layout, dst.shape);
  p.desc = desc;
  p.rope = rope;
  p.geometry = make_transfer_geometry(src, p.src_strides, dst, p.dst_strides, desc, rope.enabled);
  p.vector_bytes = transfer_vector_bytes(src, p.src_strides, dst, p.dst_strides, desc, p.geometry, rope);
  p.units_per_segment = p.geometry.run_bytes / p.vector_bytes + (rope.enabled ? rope.rope.rotary_dim / 2 : 0);
  p.total_units = std::uint64_t{item_count} * p.geometry.segments_per_item * p.units_per_segment;
  p.items = items;
  p.item_count = item_count;
  return p;
}

template <class T>
KVTIER_HOST_DEVICE inline T load_as(const std::byte* address) noexcept {
#if defined(__CUDA_ARCH__)
  return *reinterpret_cast<const T*>(address);
#else
  T value;
  std::memcpy(&value, address, sizeof(T));
  return value;
#endif
}

template <class T>
KVTIER_HOST_DEVICE inline void store_as(std::byte* address, T value) noexcept {
#if defined(__CUDA_ARCH__)
  *reinterpret_cast<T*>(address) = value;
#else
  std::memcpy(address, &value, sizeof(T));
#endif
}

/// Copies `width` bytes (16, 8, 4, 2 or 1; both addresses aligned to it) as one access on the device.
KVTIER_HOST_DEVICE inline void copy_vector(std::byte* dst, const std::byte* src, std::uint32_t width) noexcept {
#if defined(__CUDA_ARCH__)
  switch (width) {
    case 16:
      store_as(dst, load_as<uint4>(src));
      return;
    case 8:
      store_as(dst, load_as<uint2>(src));
      return;
    case 4:
      store_as(dst, load_as<unsigned int>(src));
      return;
    case 2:
      store_as(dst, load_as<unsigned short>(src));
      return;
    default:
      *dst = *src;
      return;
  }
#else
  std::memcpy(dst, src, width);
#endif
}

KVTIER_HOST_DEVICE inline double load_element(const std::byte* address, rope_element element) noexcept {
  switch (element) {
    case rope_element::f32:
      return load_as<float>(address);
    case rope_element::f16:
      return to_float(load_as<fp16_t>(address));
    case rope_element::bf16:
      return to_float(load_as<bf16_t>(address));
  }
  return 0.0;
}

KVTIER_HOST_DEVICE inline void store_element(std::byte* address, rope_element element, double value) noexcept {
  const float narrowed = static_cast<float>(value);
  switch (element) {
    case rope_element::f32:
      store_as(address, narrowed);
      return;
    case rope_element::f16:
      store_as(address, to_fp16(narrowed));
      return;
    case rope_element::bf16:
      store_as(address, to_bf16(narrowed));
      return;
  }
}

/// Performs work unit `unit` < plan.total_units.
KVTIER_HOST_DEVICE inline void transfer_unit(const transfer_plan& p, std::uint64_t unit) noexcept {
  const std::uint64_t segment = unit / p.units_per_segment;
  const std::uint64_t within = unit % p.units_per_segment;
  const copy_item& item = p.items[segment / p.geometry.segments_per_item];
  const segment_coords c = decode_segment(p.geometry, segment % p.geometry.segments_per_item);
  const std::uint32_t layer = c.index[0];
  const std::uint32_t plane = c.index[1];
  const std::uint32_t token = c.index[2];
  const std::uint32_t head = c.index[3];
  const std::byte* src_row = row_address(p.src, p.src_strides, item.src_block, p.desc.src_layer_begin + layer, plane,
                                         token, item.src_head_begin + head);
  std::byte* dst_row = row_address(p.dst, p.dst_strides, item.dst_block, p.desc.dst_layer_begin + layer, plane, token,
                                   item.dst_head_begin + head);
  const std::uint64_t vector_units = p.geometry.run_bytes / p.vector_bytes;
  if (within < vector_units) {
    const std::uint64_t byte = within * p.vector_bytes;
    if (p.rope.enabled && plane == 0) {
      const std::uint64_t rope_bytes = std::uint64_t{p.rope.rope.rotary_dim} * element_bytes(p.rope.element);
      if (byte >= p.rope.offset_bytes && byte < p.rope.offset_bytes + rope_bytes) return;
    }
    copy_vector(dst_row + byte, src_row + byte, p.vector_bytes);
    return;
  }
  if (plane != 0) return;
  const auto pair = static_cast<std::uint32_t>(within - vector_units);
  const rope_pair dims = rope_pair_dims(p.rope.rope.pairing, p.rope.rope.rotary_dim, pair);
  const std::uint32_t element_size = element_bytes(p.rope.element);
  const std::uint64_t first = p.rope.offset_bytes + std::uint64_t{dims.first} * element_size;
  const std::uint64_t second = p.rope.offset_bytes + std::uint64_t{dims.second} * element_size;
  double x = load_element(src_row + first, p.rope.element);
  double y = load_element(src_row + second, p.rope.element);
  rerotate_pair(x, y, p.rope.rope, pair, item.new_offset - item.old_offset);
  store_element(dst_row + first, p.rope.element, x);
  store_element(dst_row + second, p.rope.element, y);
}

/// The kernel body: thread `thread_index` of `thread_count` runs units thread_index, + thread_count, ...
KVTIER_HOST_DEVICE inline void transfer_thread(const transfer_plan& p, std::uint64_t thread_index,
                                               std::uint64_t thread_count) noexcept {
  for (std::uint64_t unit = thread_index; unit < p.total_units; unit += thread_count) transfer_unit(p, unit);
}

}  // namespace kvtier::detail
