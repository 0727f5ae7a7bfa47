#pragma once
// Gather and scatter of paged KV on the CPU: between any two pools (a paged pool and a contiguous
// staging buffer, usually), with the index math the CUDA kernels use. A transfer is cut into the
// longest runs contiguous in both pools, and runs adjacent in both pools are merged across rows
// and items, so a block of 64 KiB or more moves as one memcpy. Keys are re-rotated in place in the
// destination when a rope_fusion is given. The host tiers and the DMA path use for_each_run.
#include <kvtier/copy/concepts.hpp>
#include <kvtier/copy/engine_choice.hpp>
#include <kvtier/copy/layout.hpp>
#include <kvtier/copy/transfer_geometry.hpp>
#include <kvtier/float16.hpp>
#include <kvtier/prefetch/rope.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace kvtier {

/// Calls run(dst, src, bytes) for each maximal run of `items` (in order) that is contiguous in both
/// pools; runs cover every byte the transfer moves exactly once. Preconditions: check_transfer_shape
/// and check_items returned ok.
template <class RunFunction>
void for_each_run(const kv_pool_view& src, const kv_pool_view& dst, const transfer_desc& desc,
                  std::span<const copy_item> items, RunFunction&& run) {
  const kv_strides src_s = strides_of(src.layout, src.shape);
  const kv_strides dst_s = strides_of(dst.layout, dst.shape);
  const transfer_geometry g = make_transfer_geometry(src, src_s, dst, dst_s, desc, false);
  std::byte* pending_dst = nullptr;
  const std::byte* pending_src = nullptr;
  std::uint64_t pending_bytes = 0;
  for (const copy_item& item : items) {
    for (std::uint64_t segment = 0; segment < g.segments_per_item; ++segment) {
      const segment_coords c = decode_segment(g, segment);
      const std::byte* from = row_address(src, src_s, item.src_block, desc.src_layer_begin + c.index[0], c.index[1],
                                          c.index[2], item.src_head_begin + c.index[3]);
      std::byte* to = row_address(dst, dst_s, item.dst_block, desc.dst_layer_begin + c.index[0], c.index[1], c.index[2],
                                  item.dst_head_begin + c.index[3]);
      if (pending_bytes != 0 && pending_src + pending_bytes == from && pending_dst + pending_bytes == to) {
        pending_bytes += g.run_bytes;
        continue;
      }
      if (pending_bytes != 0) run(pending_dst, pending_src, pending_bytes);
      pending_dst = to;
      pending_src = from;
      pending_bytes = g.run_bytes;
    }
  }
  if (pending_bytes != 0) run(pending_dst, pending_src, pending_bytes);
}

/// Number and total size of the merged runs of a transfer (input of choose_copy_engine).
[[nodiscard]] inline run_stats measure_runs(const kv_pool_view& src, const kv_pool_view& dst, const transfer_desc& desc,
                                            std::span<const copy_item> items) {
  run_stats stats{};
  for_each_run(src, dst, desc, items, [&](std::byte*, const std::byte*, std::uint64_t bytes) {
    ++stats.runs;
    stats.bytes += bytes;
  });
  return stats;
}

namespace detail {

template <class Storage>
void rerotate_item_keys(const kv_pool_view& dst, const kv_strides& dst_s, const transfer_desc& desc,
                        const copy_item& item, const rope_fusion& rope) noexcept {
  const rope_angle_table table{rope.rope, item.new_offset - item.old_offset};
  for (std::uint32_t layer = 0; layer < desc.layer_count; ++layer) {
    for (std::uint32_t token = 0; token < dst.shape.block_tokens; ++token) {
      for (std::uint32_t head = 0; head < desc.head_count; ++head) {
        std::byte* row =
            row_address(dst, dst_s, item.dst_block, desc.dst_layer_begin + layer, 0, token, item.dst_head_begin + head);
        table.rotate(reinterpret_cast<Storage*>(row + rope.offset_bytes));
      }
    }
  }
}

}  // namespace detail

/// Copies `items` from `src` to `dst` (memcpy per merged run), then re-rotates the copied keys when
/// `rope.enabled`. Returns the reason when the transfer is refused; nothing is written then.
/// Source and destination bytes must not overlap.
[[nodiscard]] inline copy_status cpu_transfer(const kv_pool_view& src, const kv_pool_view& dst,
                                              const transfer_desc& desc, std::span<const copy_item> items,
                                              const rope_fusion& rope = {}) noexcept {
  if (const copy_status s = check_transfer_shape(src, dst, desc, rope); s != copy_status::ok) return s;
  if (const copy_status s = check_items(src, dst, desc, items); s != copy_status::ok) return s;
  for_each_run(src, dst, desc, items,
               [](std::byte* to, const std::byte* from, std::uint64_t bytes) { std::memcpy(to, from, bytes); });
  if (!rope.enabled) return copy_status::ok;
  const kv_strides dst_s = strides_of(dst.layout, dst.shape);
  for (const copy_item& item : items) {
    switch (rope.element) {
      case rope_element::f32:
        detail::rerotate_item_keys<float>(dst, dst_s, desc, item, rope);
        break;
      case rope_element::f16:
        detail::rerotate_item_keys<fp16_t>(dst, dst_s, desc, item, rope);
        break;
      case rope_element::bf16:
        detail::rerotate_item_keys<bf16_t>(dst, dst_s, desc, item, rope);
        break;
    }
  }
  return copy_status::ok;
}

/// Gather: scattered blocks of a paged pool into a contiguous staging pool (see staging_view).
[[nodiscard]] inline copy_status cpu_gather(const kv_pool_view& paged, const kv_pool_view& staging,
                                            const transfer_desc& desc, std::span<const copy_item> items,
                                            const rope_fusion& rope = {}) noexcept {
  return cpu_transfer(paged, staging, desc, items, rope);
}

/// Scatter: a contiguous staging pool back into blocks of a paged pool.
[[nodiscard]] inline copy_status cpu_scatter(const kv_pool_view& staging, const kv_pool_view& paged,
                                             const transfer_desc& desc, std::span<const copy_item> items,
                                             const rope_fusion& rope = {}) noexcept {
  return cpu_transfer(staging, paged, desc, items, rope);
}

}  // namespace kvtier
