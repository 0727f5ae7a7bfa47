#pragma once
// A tier of equal slots in CUDA memory: device memory (device_tier) or pinned host memory
// (pinned_host_tier), keyed by block_key; one block fills at most one slot. Two sets of verbs:
//
// - stream ordered, for engines: try_insert(key, source, bytes, stream) queues the copy in,
//   find(key) hands out where the block lives (a tier_extent) to copy from on the caller's stream,
//   erase(key, last_reader) frees the slot once the reads queued on last_reader are done;
// - synchronous, the tier concept (tier/concepts.hpp): try_insert(key, bytes) and
//   find(key, out) copy with cudaMemcpy and return when the bytes have arrived, erase(key),
//   can_admit, to_evict, evict and insert. They order themselves after work on blocking streams
//   (the legacy default stream's rule), not after work on non-blocking streams.
//
// Both count tier_stats (a find(key) that hands out an extent counts a hit but no bytes read) and
// charge the modelled times of spec(). Numbered after the tier concept's requirements:
// 1-10. The tier and evicting_tier requirements hold, with two exceptions: a synchronous
//    try_insert that replaces a resident block and whose copy fails drops that block; insert
//    evicts nothing (and returns false) when the block exceeds a slot, not only the capacity.
// 11. The stream-ordered try_insert returns false, and changes nothing, when the key is present,
//    the block exceeds a slot, every slot is taken, or the copy could not be queued.
// 12. Copies are stream ordered: a slot freed by erase(k, last_reader) (or by evict, on the legacy
//    default stream) is only rewritten after the work queued on `last_reader` before the erase
//    (a reader still copying the old bytes out), so no copy races another.
// 13. Memory comes in chunks of at most chunk_bytes, never one huge allocation (large pinned
//    allocations fail or stall where many smaller ones succeed).
// No method throws. create reports allocation failures as a cudaError_t; every verb that fails
// because of CUDA returns false or nullopt and keeps the error in last_error().
#include <kvtier/detail/slot_table.hpp>
#include <kvtier/tier/concepts.hpp>
#include <kvtier/tier/presets.hpp>

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace kvtier::cuda {

enum class memory_kind : std::uint8_t { device, pinned_host };

struct slot_tier_config {
  std::uint64_t capacity_bytes = 0;                    ///< rounded down to whole slots
  std::uint64_t slot_bytes = 0;                        ///< one block's bytes (all layers, K and V)
  std::uint64_t chunk_bytes = std::uint64_t{1} << 30;  ///< largest single allocation
  int device = 0;                                      ///< device of device memory
  /// Figures for the modelled times; nullopt: presets::h100_sxm_hbm (device memory) or
  /// presets::dram_pcie5 (pinned host memory). Its capacity is replaced by the tier's.
  std::optional<tier_spec> spec;
  friend constexpr bool operator==(const slot_tier_config&, const slot_tier_config&) = default;
};

/// Where a block lives: `bytes` bytes at `data` (device or pinned host memory).
struct tier_extent {
  std::byte* data = nullptr;
  std::uint64_t bytes = 0;
  friend constexpr bool operator==(const tier_extent&, const tier_extent&) = default;
};

template <memory_kind Kind>
class slot_tier {
 public:
  static constexpr bool stores_bytes = true;
  static constexpr bool thread_safe = false;
  static constexpr tier_spec default_spec = Kind == memory_kind::device ? presets::h100_sxm_hbm : presets::dram_pcie5;

  /// An empty tier of capacity 0 (refuses every insert).
  slot_tier() = default;
  slot_tier(const slot_tier&) = delete;
  slot_tier& operator=(const slot_tier&) = delete;
  slot_tier(slot_tier&& other) noexcept;
  slot_tier& operator=(slot_tier&& other) noexcept;
  ~slot_tier();

  /// Allocates the tier's memory; on failure returns the error and leaves `out` unchanged.
  [[nodiscard]] static cudaError_t create(const slot_tier_config& config, slot_tier& out) noexcept;

  // Stream ordered.
  /// Where the block of `key` lives; makes it the most recently used block.
  [[nodiscard]] std::optional<tier_extent> find(const block_key& key) noexcept;
  /// Copies `bytes` from `source` (any memory CUDA can read) into a free slot, on `stream`.
  [[nodiscard]] bool try_insert(const block_key& key, const void* source, std::uint64_t bytes,
                                cudaStream_t stream) noexcept;
  /// Frees the slot of `key` once the work queued on `last_reader` so far is done; false if absent.
  bool erase(const block_key& key, cudaStream_t last_reader = nullptr) noexcept;

  // Synchronous (the tier concept).
  /// Copies the block into `out`; its length, nullopt on a miss, a too small `out` or a CUDA error.
  [[nodiscard]] std::optional<std::size_t> find(const block_key& key, std::span<std::byte> out) noexcept;
  /// Stores a copy of `bytes` (any memory CUDA can read), replacing the block of `key`.
  [[nodiscard]] bool try_insert(const block_key& key, std::span<const std::byte> bytes) noexcept;
  [[nodiscard]] bool can_admit(std::uint64_t bytes) const noexcept {
    return bytes <= config_.slot_bytes && table_.has_free_slot();
  }
  /// The least recently inserted or found block.
  [[nodiscard]] std::optional<block_key> to_evict() const noexcept { return table_.oldest(); }
  /// Erases to_evict()'s block (its slot is reused after the legacy default stream's work).
  std::optional<block_key> evict() noexcept;
  /// Evicts in to_evict() order until the block fits, then try_insert (evicting_tier 10); evicts
  /// nothing when the block exceeds a slot.
  bool insert(const block_key& key, std::span<const std::byte> bytes, std::vector<block_key>& evicted) noexcept;

  [[nodiscard]] bool contains(const block_key& key) const noexcept { return table_.contains(key); }
  [[nodiscard]] std::uint64_t used_bytes() const noexcept { return table_.used_bytes(); }
  [[nodiscard]] std::uint64_t capacity_bytes() const noexcept { return table_.slot_count() * config_.slot_bytes; }
  [[nodiscard]] std::uint64_t slot_bytes() const noexcept { return config_.slot_bytes; }
  /// The configured spec (or default_spec) with the tier's capacity.
  [[nodiscard]] const tier_spec& spec() const noexcept { return spec_; }
  [[nodiscard]] const tier_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] cudaError_t last_error() const noexcept { return last_error_; }

 private:
  static constexpr tier_spec sized(tier_spec spec, std::uint64_t capacity_bytes) noexcept {
    spec.capacity_bytes = capacity_bytes;
    return spec;
  }
  std::byte* slot_address(std::uint64_t slot) const noexcept;
  bool store(const block_key& key, const void* source, std::uint64_t bytes, cudaStream_t stream) noexcept;
  bool release(const block_key& key, cudaStream_t last_reader) noexcept;
  void count_insert(bool inserted, std::uint64_t bytes) noexcept;
  void release_memory() noexcept;

  slot_tier_config config_{};
  tier_spec spec_ = sized(default_spec, 0);
  tier_stats stats_{};
  std::vector<std::byte*> chunks_;
  std::uint64_t slots_per_chunk_ = 1;
  detail::slot_table table_;
  std::vector<cudaEvent_t> released_;  ///< per slot: when its last reader is done (null: never erased)
  cudaError_t last_error_ = cudaSuccess;
};

extern template class slot_tier<memory_kind::device>;
extern template class slot_tier<memory_kind::pinned_host>;

}  // namespace kvtier::cuda
