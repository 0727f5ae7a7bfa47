#include <kvtier/cuda/slot_tier.cuh>

#include <cuda_runtime.h>

#include <new>
#include <utility>

namespace kvtier::cuda {
namespace {

template <memory_kind Kind>
cudaError_t allocate(std::byte*& chunk, std::uint64_t bytes, int device) noexcept {
  void* pointer = nullptr;
  cudaError_t e = cudaSuccess;
  if constexpr (Kind == memory_kind::device) {
    int previous = 0;
    if (e = cudaGetDevice(&previous); e != cudaSuccess) return e;
    if (e = cudaSetDevice(device); e != cudaSuccess) return e;
    e = cudaMalloc(&pointer, bytes);
    static_cast<void>(cudaSetDevice(previous));
  } else {
    e = cudaHostAlloc(&pointer, bytes, cudaHostAllocPortable | cudaHostAllocMapped);
  }
  chunk = static_cast<std::byte*>(pointer);
  return e;
}

template <memory_kind Kind>
void deallocate(std::byte* chunk) noexcept {
  if constexpr (Kind == memory_kind::device) {
    static_cast<void>(cudaFree(chunk));
  } else {
    static_cast<void>(cudaFreeHost(chunk));
  }
}

}  // namespace

template <memory_kind Kind>
slot_tier<Kind>::slot_tier(slot_tier&& other) noexcept
    : config_{other.config_},
      spec_{other.spec_},
      stats_{other.stats_},
      chunks_{std::move(other.chunks_)},
      slots_per_chunk_{other.slots_per_chunk_},
      table_{std::move(other.table_)},
      released_{std::move(other.released_)},
      last_error_{other.last_error_} {
  other.chunks_.clear();
  other.released_.clear();
  other.table_ = detail::slot_table{};
}

template <memory_kind Kind>
slot_tier<Kind>& slot_tier<Kind>::operator=(slot_tier&& other) noexcept {
  if (this != &other) {
    release_memory();
    config_ = other.config_;
    spec_ = other.spec_;
    stats_ = other.stats_;
    chunks_ = std::move(other.chunks_);
    slots_per_chunk_ = other.slots_per_chunk_;
    table_ = std::move(other.table_);
    released_ = std::move(other.released_);
    last_error_ = other.last_error_;
    other.chunks_.clear();
    other.released_.clear();
    other.table_ = detail::slot_table{};
  }
  return *this;
}

template <memory_kind Kind>
slot_tier<Kind>::~slot_tier() {
  release_memory();
}

template <memory_kind Kind>
void slot_tier<Kind>::release_memory() noexcept {
  for (const cudaEvent_t event : released_) {
    if (event != nullptr) static_cast<void>(cudaEventDestroy(event));
  }
  for (std::byte* chunk : chunks_) deallocate<Kind>(chunk);
  released_.clear();
  chunks_.clear();
}

template <memory_kind Kind>
cudaError_t slot_tier<Kind>::create(const slot_tier_config& config, slot_tier& out) noexcept {
  if (config.slot_bytes == 0 || config.chunk_bytes == 0) return cudaErrorInvalidValue;
  slot_tier tier;
  try {
    tier.config_ = config;
    const std::uint64_t slot_count = config.capacity_bytes / config.slot_bytes;
    tier.spec_ = sized(config.spec.value_or(default_spec), slot_count * config.slot_bytes);
    tier.slots_per_chunk_ = config.chunk_bytes >= config.slot_bytes ? config.chunk_bytes / config.slot_bytes : 1;
    for (std::uint64_t first = 0; first < slot_count; first += tier.slots_per_chunk_) {
      const std::uint64_t slots =
          slot_count - first < tier.slots_per_chunk_ ? slot_count - first : tier.slots_per_chunk_;
      std::byte* chunk = nullptr;
      if (const cudaError_t e = allocate<Kind>(chunk, slots * config.slot_bytes, config.device); e != cudaSuccess) {
        return e;  // `tier` frees the chunks allocated so far
      }
      tier.chunks_.push_back(chunk);
    }
    tier.table_ = detail::slot_table{slot_count};
    tier.released_.assign(slot_count, nullptr);
  } catch (const std::bad_alloc&) {
    return cudaErrorMemoryAllocation;
  }
  out = std::move(tier);
  return cudaSuccess;
}

template <memory_kind Kind>
std::byte* slot_tier<Kind>::slot_address(std::uint64_t slot) const noexcept {
  return chunks_[slot / slots_per_chunk_] + (slot % slots_per_chunk_) * config_.slot_bytes;
}

template <memory_kind Kind>
std::optional<tier_extent> slot_tier<Kind>::find(const block_key& key) noexcept {
  const std::optional<detail::slot_table::entry> entry = table_.touch(key);
  if (!entry) {
    ++stats_.misses;
    return std::nullopt;
  }
  ++stats_.hits;
  return tier_extent{slot_address(entry->slot), entry->bytes};
}

template <memory_kind Kind>
std::optional<std::size_t> slot_tier<Kind>::find(const block_key& key, std::span<std::byte> out) noexcept {
  const std::optional<detail::slot_table::entry> entry = table_.find(key);
  if (entry && entry->bytes <= out.size()) {
    const cudaError_t e = cudaMemcpy(out.data(), slot_address(entry->slot), entry->bytes, cudaMemcpyDefault);
    if (e == cudaSuccess) {
      static_cast<void>(table_.touch(key));
      ++stats_.hits;
      stats_.bytes_read += entry->bytes;
      stats_.modelled_read_s += transfer_time_s(spec_, entry->bytes, transfer_direction::read);
      return static_cast<std::size_t>(entry->bytes);
    }
    last_error_ = e;
  }
  ++stats_.misses;
  return std::nullopt;
}

template <memory_kind Kind>
bool slot_tier<Kind>::store(const block_key& key, const void* source, std::uint64_t bytes,
                            cudaStream_t stream) noexcept {
  if (bytes > config_.slot_bytes) return false;
  std::optional<detail::slot_table::entry> entry;
  try {
    entry = table_.acquire(key, bytes);
  } catch (const std::bad_alloc&) {
    last_error_ = cudaErrorMemoryAllocation;
    return false;
  }
  if (!entry) return false;
  cudaError_t e = cudaSuccess;
  if (released_[entry->slot] != nullptr) e = cudaStreamWaitEvent(stream, released_[entry->slot], 0);
  if (e == cudaSuccess) e = cudaMemcpyAsync(slot_address(entry->slot), source, bytes, cudaMemcpyDefault, stream);
  if (e != cudaSuccess) {
    last_error_ = e;
    static_cast<void>(table_.release(key));
    return false;
  }
  return true;
}

template <memory_kind Kind>
void slot_tier<Kind>::count_insert(bool inserted, std::uint64_t bytes) noexcept {
  if (!inserted) {
    ++stats_.rejected_inserts;
    return;
  }
  ++stats_.inserts;
  stats_.bytes_written += bytes;
  stats_.modelled_write_s += transfer_time_s(spec_, bytes, transfer_direction::write);
}

template <memory_kind Kind>
bool slot_tier<Kind>::try_insert(const block_key& key, const void* source, std::uint64_t bytes,
                                 cudaStream_t stream) noexcept {
  const bool inserted = store(key, source, bytes, stream);
  count_insert(inserted, bytes);
  return inserted;
}

template <memory_kind Kind>
bool slot_tier<Kind>::try_insert(const block_key& key, std::span<const std::byte> bytes) noexcept {
  bool inserted = false;
  if (bytes.size() <= config_.slot_bytes) {
    // A replaced block frees its slot first: the free list hands the same slot back.
    if (table_.contains(key)) static_cast<void>(release(key, nullptr));
    inserted = store(key, bytes.data(), bytes.size(), nullptr);
    if (inserted) {
      if (const cudaError_t e = cudaStreamSynchronize(nullptr); e != cudaSuccess) {
        last_error_ = e;
        static_cast<void>(release(key, nullptr));
        inserted = false;
      }
    }
  }
  count_insert(inserted, bytes.size());
  return inserted;
}

template <memory_kind Kind>
bool slot_tier<Kind>::release(const block_key& key, cudaStream_t last_reader) noexcept {
  const std::optional<detail::slot_table::entry> entry = table_.release(key);
  if (!entry) return false;
  cudaEvent_t& event = released_[entry->slot];
  cudaError_t e = cudaSuccess;
  if (event == nullptr) e = cudaEventCreateWithFlags(&event, cudaEventDisableTiming);
  if (e == cudaSuccess) e = cudaEventRecord(event, last_reader);
  if (e != cudaSuccess) {
    // Without the event the slot cannot be proven free of readers: wait for the device instead.
    last_error_ = e;
    static_cast<void>(cudaDeviceSynchronize());
    if (event != nullptr) static_cast<void>(cudaEventDestroy(event));
    event = nullptr;
  }
  return true;
}

template <memory_kind Kind>
bool slot_tier<Kind>::erase(const block_key& key, cudaStream_t last_reader) noexcept {
  const bool erased = release(key, last_reader);
  if (erased) ++stats_.erases;
  return erased;
}

template <memory_kind Kind>
std::optional<block_key> slot_tier<Kind>::evict() noexcept {
  const std::optional<block_key> victim = table_.oldest();
  if (victim && release(*victim, nullptr)) ++stats_.evictions;
  return victim;
}

template <memory_kind Kind>
bool slot_tier<Kind>::insert(const block_key& key, std::span<const std::byte> bytes,
                             std::vector<block_key>& evicted) noexcept {
  if (bytes.size() > config_.slot_bytes) return try_insert(key, bytes);  // refused: evicting cannot help
  while (!can_admit(bytes.size()) && !table_.contains(key)) {
    const std::optional<block_key> victim = evict();
    if (!victim) break;
    try {
      evicted.push_back(*victim);
    } catch (const std::bad_alloc&) {
      last_error_ = cudaErrorMemoryAllocation;
      return false;
    }
  }
  return try_insert(key, bytes);
}

template class slot_tier<memory_kind::device>;
template class slot_tier<memory_kind::pinned_host>;

}  // namespace kvtier::cuda
