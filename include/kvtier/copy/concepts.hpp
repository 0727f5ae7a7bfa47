#pragma once
// Vocabulary of the copy area: how a paged KV pool is laid out in memory, which blocks a transfer
// moves, and what a copy may do on the way (keep a head subset, re-rotate keys). The index math
// over these types is in <kvtier/copy/layout.hpp>; the copies are <kvtier/copy/cpu_gather_scatter.hpp>
// (host) and the kernels in cuda/ (device), which share that math.
//
// Canonical coordinates of one row (`row_bytes` contiguous bytes: one token of one head of one
// plane of one layer of one block): (block, layer, plane, token, head). `plane` is 0 for K and 1
// for V; a pool with one plane holds an MLA latent (576 elements, or 656-byte fp8_ds_mla rows).
#include <kvtier/detail/host_device.hpp>
#include <kvtier/prefetch/rope.hpp>

#include <cstddef>
#include <cstdint>

namespace kvtier {

/// Memory layouts of a KV pool (outermost dimension first; `2` is the K/V plane):
///   layer_kv_nhd  per layer [2][blocks][tokens][heads][row]   vLLM FlashAttention backend
///   layer_nhd     per layer [blocks][2][tokens][heads][row]   FlashInfer NHD
///   layer_hnd     per layer [blocks][2][heads][tokens][row]   FlashInfer HND
///   block_first   [blocks][layers][2][tokens][heads][row]     cross-layer contiguous blocks (page first)
///   head_major    [blocks][heads][layers][2][tokens][row]     one head of a block is contiguous
/// The three per-layer layouts keep one allocation per layer; the other two are one allocation.
enum class kv_layout : std::uint8_t { layer_kv_nhd, layer_nhd, layer_hnd, block_first, head_major };

inline constexpr kv_layout all_kv_layouts[] = {kv_layout::layer_kv_nhd, kv_layout::layer_nhd, kv_layout::layer_hnd,
                                               kv_layout::block_first, kv_layout::head_major};

KVTIER_HOST_DEVICE constexpr bool is_per_layer(kv_layout layout) noexcept {
  return layout == kv_layout::layer_kv_nhd || layout == kv_layout::layer_nhd || layout == kv_layout::layer_hnd;
}

/// Extents of a pool. `row_bytes` is head_dim × element bytes (or 656 for an fp8_ds_mla row).
struct kv_pool_shape {
  std::uint32_t num_layers = 1;
  std::uint32_t num_blocks = 1;
  std::uint32_t block_tokens = 16;
  std::uint32_t num_heads = 1;
  std::uint32_t planes = 2;  ///< 2: K and V; 1: MLA latent
  std::uint32_t row_bytes = 256;
  friend constexpr bool operator==(const kv_pool_shape&, const kv_pool_shape&) = default;
};

/// Most layers a pool view addresses (per-layer layouts carry one base pointer per layer).
inline constexpr std::uint32_t max_pool_layers = 256;

/// A pool in memory: per-layer layouts use bases[0, num_layers); the others only bases[0].
/// Plain data, so it travels to the device as a kernel argument.
struct kv_pool_view {
  kv_layout layout = kv_layout::block_first;
  kv_pool_shape shape{};
  std::byte* bases[max_pool_layers] = {};
};

/// One block moved by a transfer. Heads [src_head_begin, + head_count) of block `src_block` go to
/// heads [dst_head_begin, + head_count) of `dst_block`. Positions matter only when keys are
/// re-rotated: token t moves from old_offset + t to new_offset + t.
struct copy_item {
  std::uint32_t src_block = 0;
  std::uint32_t dst_block = 0;
  std::uint32_t src_head_begin = 0;
  std::uint32_t dst_head_begin = 0;
  std::int64_t old_offset = 0;
  std::int64_t new_offset = 0;
  friend constexpr bool operator==(const copy_item&, const copy_item&) = default;
};

/// What every item of a transfer moves: layers [src_layer_begin, + layer_count) to
/// [dst_layer_begin, + layer_count), `head_count` heads, every plane, every token.
struct transfer_desc {
  std::uint32_t src_layer_begin = 0;
  std::uint32_t dst_layer_begin = 0;
  std::uint32_t layer_count = 1;
  std::uint32_t head_count = 1;
  friend constexpr bool operator==(const transfer_desc&, const transfer_desc&) = default;
};

/// Optional re-rotation of keys (plane 0) during a copy: elements [0, rotary_dim) starting at byte
/// `offset_bytes` of each row, stored as `element` (MLA bf16: offset 1024; fp8_ds_mla: 528).
struct rope_fusion {
  bool enabled = false;
  rope_config rope{};
  rope_element element = rope_element::bf16;
  std::uint32_t offset_bytes = 0;
  friend constexpr bool operator==(const rope_fusion&, const rope_fusion&) = default;
};

/// Why a transfer was refused (checked before any byte moves).
enum class copy_status : std::uint8_t {
  ok,
  row_mismatch,     ///< pools differ in row_bytes, planes or block_tokens
  too_many_layers,  ///< a per-layer pool has more than max_pool_layers layers
  layer_range,      ///< layer ranges leave a pool
  head_range,       ///< an item's heads leave a pool
  block_range,      ///< an item's block is not in a pool
  missing_base,     ///< a base pointer the transfer needs is null
  rope_range,       ///< the rotated part leaves the row, or rotary_dim is odd or too large
};

}  // namespace kvtier
