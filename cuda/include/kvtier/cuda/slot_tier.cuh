#pragma once
// A tier of equal slots in CUDA memory: device memory (device_tier) or pinned host memory
// (pinned_host_tier). Keys are std::uint64_t block ids; one item fills at most one slot.
// The verbs are the tier vocabulary (contains, find, try_insert, erase, used_bytes, capacity_bytes).
//
// 1. contains(k) ⇔ find(k) has a value ⇔ k was inserted and not erased since.
// 2. used_bytes() = occupied slots × slot_bytes() ≤ capacity_bytes() = slot count × slot_bytes().
// 3. try_insert returns false, and changes nothing, when k is present, the item exceeds a slot,
//    every slot is taken, or the copy could not be queued (last_error() says why).
// 4. Copies are stream ordered: try_insert queues the copy into the slot on `stream`; a slot
//    freed by erase(k, last_reader) is only rewritten after the work queued on `last_reader`
//    before the erase (a reader still copying the old bytes out), so no copy races another.
// 5. Memory comes in chunks of at most chunk_bytes, never one huge allocation (large pinned
//    allocations fail or stall where many smaller ones succeed).
// No method throws; create reports allocation failures as a cudaError_t.
#include <kvtier/detail/slot_table.hpp>

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace kvtier::cuda {

enum class memory_kind : std::uint8_t { device, pinned_host };

struct slot_tier_config {
  std::uint64_t capacity_bytes = 0;                    ///< rounded down to whole slots
  std::uint64_t slot_bytes = 0;                        ///< one block's bytes (all layers, K and V)
  std::uint64_t chunk_bytes = std::uint64_t{1} << 30;  ///< largest single allocation
  int device = 0;                                      ///< device of device memory
  friend constexpr bool operator==(const slot_tier_config&, const slot_tier_config&) = default;
};

/// Where an item lives: `bytes` bytes at `data` (device or pinned host memory).
struct tier_extent {
  std::byte* data = nullptr;
  std::uint64_t bytes = 0;
  friend constexpr bool operator==(const tier_extent&, const tier_extent&) = default;
};

template <memory_kind Kind>
class slot_tier {
 public:
  /// An empty tier of capacity 0 (refuses every insert).
  slot_tier() = default;
  slot_tier(const slot_tier&) = delete;
  slot_tier& operator=(const slot_tier&) = delete;
  slot_tier(slot_tier&& other) noexcept;
  slot_tier& operator=(slot_tier&& other) noexcept;
  ~slot_tier();

  /// Allocates the tier's memory; on failure returns the error and leaves `out` unchanged.
  [[nodiscard]] static cudaError_t create(const slot_tier_config& config, slot_tier& out) noexcept;

  [[nodiscard]] bool contains(std::uint64_t key) const noexcept { return table_.contains(key); }
  [[nodiscard]] std::optional<tier_extent> find(std::uint64_t key) const noexcept;
  /// Copies `bytes` from `source` (any memory CUDA can read) into a free slot, on `stream`.
  [[nodiscard]] bool try_insert(std::uint64_t key, const void* source, std::uint64_t bytes,
                                cudaStream_t stream) noexcept;
  /// Frees the slot of `key` once the work queued on `last_reader` so far is done; false if absent.
  bool erase(std::uint64_t key, cudaStream_t last_reader = nullptr) noexcept;

  [[nodiscard]] std::uint64_t used_bytes() const noexcept { return table_.occupied() * config_.slot_bytes; }
  [[nodiscard]] std::uint64_t capacity_bytes() const noexcept { return table_.slot_count() * config_.slot_bytes; }
  [[nodiscard]] std::uint64_t slot_bytes() const noexcept { return config_.slot_bytes; }
  [[nodiscard]] cudaError_t last_error() const noexcept { return last_error_; }

 private:
  std::byte* slot_address(std::uint64_t slot) const noexcept;
  void release_memory() noexcept;

  slot_tier_config config_{};
  std::vector<std::byte*> chunks_;
  std::uint64_t slots_per_chunk_ = 1;
  detail::slot_table table_;
  std::vector<cudaEvent_t> released_;  ///< per slot: when its last reader is done (null: never erased)
  cudaError_t last_error_ = cudaSuccess;
};

extern template class slot_tier<memory_kind::device>;
extern template class slot_tier<memory_kind::pinned_host>;

}  // namespace kvtier::cuda
