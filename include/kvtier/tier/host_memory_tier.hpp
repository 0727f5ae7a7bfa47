#pragma once
// host_memory_tier: blocks in host memory, in a slot arena. The arena grows by chunks (never one
// huge allocation, which is what fails first under memory pressure or pinning limits) and a block
// takes one fixed-size slot, so storing a block allocates nothing. Optionally the arena is bound to
// one NUMA node with libnuma: how a CXL memory expander (a memory-only node) is used. Where the
// node does not exist, binding() says so and the tier uses ordinary memory.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/tier_index.hpp>
#include <kvtier/detail/tier_verbs.hpp>
#include <kvtier/tier/concepts.hpp>

#include <numa.h>

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kvtier {

struct host_memory_options {
  std::uint64_t max_block_bytes = 256 * 1024;          ///< slot payload: the largest block the tier takes
  int numa_node = -1;                                  ///< -1: ordinary memory; else bind the arena there
  std::uint64_t chunk_bytes = std::uint64_t{1} << 30;  ///< the arena grows by chunks of this size
  friend bool operator==(const host_memory_options&, const host_memory_options&) = default;
};

/// Where the arena's memory comes from.
struct numa_binding {
  bool bound = false;
  int node = -1;
  std::string note;  ///< why it is not bound, when asked to be
  friend bool operator==(const numa_binding&, const numa_binding&) = default;
};

class host_memory_tier : public detail::tier_verbs<host_memory_tier>, public detail::locked_tier_index {
 public:
  static constexpr bool stores_bytes = true;
  static constexpr bool thread_safe = true;

  host_memory_tier(const tier_spec& spec, const host_memory_options& options)
      : spec_(spec),
        max_block_bytes_(std::max<std::uint64_t>(1, options.max_block_bytes)),
        slot_bytes_((max_block_bytes_ + 63) / 64 * 64),
        slot_count_(std::max<std::uint64_t>(1, spec.capacity_bytes / max_block_bytes_)),
        slots_per_chunk_(std::max<std::uint64_t>(1, options.chunk_bytes / slot_bytes_)),
        chunks_((slot_count_ + slots_per_chunk_ - 1) / slots_per_chunk_),
        binding_(bind(options.numa_node)) {}

  host_memory_tier(const host_memory_tier&) = delete;
  host_memory_tier& operator=(const host_memory_tier&) = delete;

  [[nodiscard]] std::optional<std::size_t> find(const block_key& key, std::span<std::byte> out) {
    const std::scoped_lock lock(mutex_);
    const auto entry = index_.touch(key);
    if (!entry || entry->length > out.size()) {
      ++stats_.misses;
      return std::nullopt;
    }
    std::memcpy(out.data(), slot_address(entry->slot), entry->length);
    ++stats_.hits;
    stats_.bytes_read += entry->length;
    stats_.modelled_read_s += transfer_time_s(spec_, entry->length, transfer_direction::read);
    return static_cast<std::size_t>(entry->length);
  }

  [[nodiscard]] bool can_admit(std::uint64_t bytes) const {
    const std::scoped_lock lock(mutex_);
    return admits(bytes, 0) && (!free_slots_.empty() || next_unused_slot_ < slot_count_);
  }

  [[nodiscard]] bool try_insert(const block_key& key, std::span<const std::byte> bytes) {
    const std::scoped_lock lock(mutex_);
    const auto previous = index_.get(key);
    // A replaced block's slot is overwritten in place: the copy happens under the lock, so no
    // reader can see it half done.
    std::optional<std::uint64_t> slot;
    if (admits(bytes.size(), previous ? previous->length : 0)) slot = previous ? previous->slot : take_slot();
    if (!slot) {
      ++stats_.rejected_inserts;
      return false;
    }
    if (!bytes.empty()) std::memcpy(slot_address(*slot), bytes.data(), bytes.size());
    index_.put(key, detail::tier_entry{*slot, bytes.size(), 0});
    ++stats_.inserts;
    stats_.bytes_written += bytes.size();
    stats_.modelled_write_s += transfer_time_s(spec_, bytes.size(), transfer_direction::write);
    return true;
  }

  bool erase(const block_key& key) {
    return locked_tier_index::erase(key, [this](const detail::tier_entry& gone) { free_slots_.push_back(gone.slot); });
  }
  std::optional<block_key> evict() {
    return locked_tier_index::evict([this](const detail::tier_entry& gone) { free_slots_.push_back(gone.slot); });
  }

  [[nodiscard]] std::uint64_t capacity_bytes() const noexcept { return spec_.capacity_bytes; }
  [[nodiscard]] std::uint64_t max_block_bytes() const noexcept { return max_block_bytes_; }
  [[nodiscard]] const tier_spec& spec() const noexcept { return spec_; }
  [[nodiscard]] const numa_binding& binding() const noexcept { return binding_; }

 private:
  struct chunk_release {
    std::uint64_t bytes = 0;
    void operator()(std::byte* memory) const noexcept { ::munmap(memory, bytes); }
  };
  using chunk = std::unique_ptr<std::byte, chunk_release>;

  static numa_binding bind(int node) {
    if (node < 0) return {};
    if (numa_available() < 0) return {false, node, "libnuma reports no NUMA support; using ordinary memory"};
    if (node > numa_max_node() || numa_node_size64(node, nullptr) <= 0) {
      return {false, node,
              "NUMA node " + std::to_string(node) + " does not exist or has no memory (nodes 0.." +
                  std::to_string(numa_max_node()) + "); using ordinary memory"};
    }
    return {true, node, ""};
  }

  [[nodiscard]] bool admits(std::uint64_t bytes, std::uint64_t freed) const {
    return bytes <= max_block_bytes_ && bytes <= spec_.capacity_bytes - (index_.used_bytes() - freed);
  }

  /// A free slot whose chunk is mapped; nullopt when none is left or the memory cannot be had.
  std::optional<std::uint64_t> take_slot() {
    if (!free_slots_.empty()) {
      const std::uint64_t slot = free_slots_.back();
      free_slots_.pop_back();
      return slot;
    }
    if (next_unused_slot_ == slot_count_) return std::nullopt;
    const std::uint64_t chunk_index = next_unused_slot_ / slots_per_chunk_;
    if (!chunks_[chunk_index] && !map_chunk(chunk_index)) return std::nullopt;
    return next_unused_slot_++;
  }

  bool map_chunk(std::uint64_t chunk_index) {
    const std::uint64_t slots = std::min(slots_per_chunk_, slot_count_ - chunk_index * slots_per_chunk_);
    const std::uint64_t bytes = slots * slot_bytes_;
    void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return false;
    if (binding_.bound) numa_tonode_memory(memory, bytes, binding_.node);
    chunks_[chunk_index] = chunk(static_cast<std::byte*>(memory), chunk_release{bytes});
    return true;
  }

  [[nodiscard]] std::byte* slot_address(std::uint64_t slot) const {
    const chunk& owner = chunks_[slot / slots_per_chunk_];
    KVTIER_ASSERT(owner != nullptr, "a resident block's chunk is mapped");
    return owner.get() + (slot % slots_per_chunk_) * slot_bytes_;
  }

  tier_spec spec_;
  std::uint64_t max_block_bytes_;
  std::uint64_t slot_bytes_;
  std::uint64_t slot_count_;
  std::uint64_t slots_per_chunk_;
  std::vector<chunk> chunks_;
  numa_binding binding_;
  std::vector<std::uint64_t> free_slots_;
  std::uint64_t next_unused_slot_ = 0;
};

static_assert(async_tier<host_memory_tier>);

}  // namespace kvtier
