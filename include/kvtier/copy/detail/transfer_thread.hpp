#pragma once
// The body of the copy kernel, one call per thread, shared by the CUDA kernel (cuda/src/transfer.cu,
// called with blockIdx/threadIdx) and the CPU launch emulator (launch_emulator.hpp, which walks the
// grid). A segment (one contiguous run of one item) consists of units:
//   copy mode: unit = one vector of `vector_bytes` of the run;
//   RoPE mode: per row, first `row_bytes / vector_bytes` vector units (those inside the rotated
//              part of a K row are skipped), then `rotary_dim / 2` pair units that read a pair of
//              K elements, re-rotate it in double and write it (idle on V rows).
// Threads work in groups of `group_lanes` (a power of two ≤ 32: a warp or part of one). Segments
// are cut into chunks of at most `chunk_units` units; a grid-stride loop hands chunks to groups,
// and the lanes of a group take consecutive units, so neighbouring lanes touch neighbouring
// addresses and the address arithmetic (divisions included) is paid once per chunk, not per unit.
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
  std::uint32_t group_lanes_log2 = 0;  ///< lanes per group = 1 << group_lanes_log2
  std::uint64_t chunk_units = 1;       ///< units per chunk, a multiple of the lanes
  std::uint64_t chunks_per_segment = 0;
  std::uint64_t total_chunks = 0;
  std::uint64_t wanted_threads = 0;  ///< threads that find work: total_chunks × lanes
  const copy_item* items = nullptr;
  std::uint32_t item_count = 0;
};

/// Units one lane handles per chunk: enough to amortise the address arithmetic, few enough that
/// large runs still spread over the whole grid.
inline constexpr std::uint64_t chunk_units_per_lane = 8;

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
  while (p.group_lanes_log2 < 5 && (std::uint64_t{1} << p.group_lanes_log2) < p.units_per_segment) {
    ++p.group_lanes_log2;
  }
  const std::uint64_t lanes = std::uint64_t{1} << p.group_lanes_log2;
  p.chunk_units = lanes * chunk_units_per_lane;
  p.chunks_per_segment = (p.units_per_segment + p.chunk_units - 1) / p.chunk_units;
  p.total_chunks = std::uint64_t{item_count} * p.geometry.segments_per_item * p.chunks_per_segment;
  p.wanted_threads = p.total_chunks * lanes;
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

/// Re-rotates pair `pair` of a K row while copying it.
KVTIER_HOST_DEVICE inline void rerotate_unit(const transfer_plan& p, const copy_item& item, const std::byte* src_row,
                                             std::byte* dst_row, std::uint32_t pair) noexcept {
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

/// Performs unit `unit` of a segment whose rows are `src_row` and `dst_row` (plane `plane`).
/// `Rope` is plan.rope.enabled, a template parameter so that the plain copy carries no RoPE code.
template <bool Rope>
KVTIER_HOST_DEVICE inline void transfer_unit(const transfer_plan& p, const copy_item& item, std::uint32_t plane,
                                             const std::byte* src_row, std::byte* dst_row,
                                             std::uint64_t unit) noexcept {
  const std::uint64_t vector_units = p.geometry.run_bytes / p.vector_bytes;
  if (unit < vector_units) {
    const std::uint64_t byte = unit * p.vector_bytes;
    if (Rope && plane == 0) {
      const std::uint64_t rope_bytes = std::uint64_t{p.rope.rope.rotary_dim} * element_bytes(p.rope.element);
      if (byte >= p.rope.offset_bytes && byte < p.rope.offset_bytes + rope_bytes) return;
    }
    copy_vector(dst_row + byte, src_row + byte, p.vector_bytes);
    return;
  }
  if constexpr (Rope) {
    if (plane == 0) rerotate_unit(p, item, src_row, dst_row, static_cast<std::uint32_t>(unit - vector_units));
  }
}

/// The kernel body (Rope = plan.rope.enabled): thread `thread_index` of `thread_count` (a multiple
/// of 32) is lane
/// thread_index mod lanes of group thread_index / lanes, and its group runs chunks
/// group, group + groups, ...
template <bool Rope>
KVTIER_HOST_DEVICE inline void transfer_thread(const transfer_plan& p, std::uint64_t thread_index,
                                               std::uint64_t thread_count) noexcept {
  const std::uint64_t lanes = std::uint64_t{1} << p.group_lanes_log2;
  const std::uint64_t lane = thread_index & (lanes - 1);
  const std::uint64_t groups = thread_count >> p.group_lanes_log2;  // ≥ 1: thread_count is a multiple of 32
  for (std::uint64_t chunk = thread_index >> p.group_lanes_log2; chunk < p.total_chunks; chunk += groups) {
    const std::uint64_t segment = chunk / p.chunks_per_segment;
    const std::uint64_t first_unit = (chunk - segment * p.chunks_per_segment) * p.chunk_units;
    const std::uint64_t end_unit =
        first_unit + p.chunk_units < p.units_per_segment ? first_unit + p.chunk_units : p.units_per_segment;
    const std::uint64_t item_index = segment / p.geometry.segments_per_item;
    const copy_item& item = p.items[item_index];
    const segment_coords c = decode_segment(p.geometry, segment - item_index * p.geometry.segments_per_item);
    const std::uint32_t layer = c.index[0];
    const std::uint32_t plane = c.index[1];
    const std::byte* src_row = row_address(p.src, p.src_strides, item.src_block, p.desc.src_layer_begin + layer, plane,
                                           c.index[2], item.src_head_begin + c.index[3]);
    std::byte* dst_row = row_address(p.dst, p.dst_strides, item.dst_block, p.desc.dst_layer_begin + layer, plane,
                                     c.index[2], item.dst_head_begin + c.index[3]);
    for (std::uint64_t unit = first_unit + lane; unit < end_unit; unit += lanes) {
      transfer_unit<Rope>(p, item, plane, src_row, dst_row, unit);
    }
  }
}

}  // namespace kvtier::detail
