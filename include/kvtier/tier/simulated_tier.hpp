#pragma once
// simulated_tier: the tier interface with accounting only. It holds no bytes: it tracks which
// blocks are resident, their lengths and the capacity, and charges every transfer the time its spec
// models, so that a replay can drive a 38 TB hierarchy on a laptop.
#include <kvtier/detail/tier_index.hpp>
#include <kvtier/detail/tier_verbs.hpp>
#include <kvtier/tier/concepts.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>

namespace kvtier {

class simulated_tier : public detail::tier_verbs<simulated_tier> {
 public:
  static constexpr bool stores_bytes = false;
  static constexpr bool thread_safe = true;

  explicit simulated_tier(const tier_spec& spec) : spec_(spec) {}

  [[nodiscard]] bool contains(const block_key& key) const {
    const std::scoped_lock lock(mutex_);
    return index_.contains(key);
  }

  /// A hit returns the block's length and charges a read; `out` is left untouched.
  [[nodiscard]] std::optional<std::size_t> find(const block_key& key, std::span<std::byte> out) {
    const std::scoped_lock lock(mutex_);
    const auto entry = index_.touch(key);
    if (!entry || entry->length > out.size()) {
      ++stats_.misses;
      return std::nullopt;
    }
    ++stats_.hits;
    stats_.bytes_read += entry->length;
    stats_.modelled_read_s += transfer_time_s(spec_, entry->length, transfer_direction::read);
    return static_cast<std::size_t>(entry->length);
  }

  [[nodiscard]] bool can_admit(std::uint64_t bytes) const {
    const std::scoped_lock lock(mutex_);
    return bytes <= spec_.capacity_bytes - index_.used_bytes();
  }

  [[nodiscard]] bool try_insert(const block_key& key, std::span<const std::byte> bytes) {
    return try_insert_length(key, bytes.size());
  }

  /// Accounts a block of `length` bytes without a buffer: what replay uses.
  [[nodiscard]] bool try_insert_length(const block_key& key, std::uint64_t length) {
    const std::scoped_lock lock(mutex_);
    const auto previous = index_.get(key);
    const std::uint64_t freed = previous ? previous->length : 0;
    if (length > spec_.capacity_bytes - (index_.used_bytes() - freed)) {
      ++stats_.rejected_inserts;
      return false;
    }
    index_.put(key, detail::tier_entry{0, length, 0});
    ++stats_.inserts;
    stats_.bytes_written += length;
    stats_.modelled_write_s += transfer_time_s(spec_, length, transfer_direction::write);
    return true;
  }

  bool erase(const block_key& key) {
    const std::scoped_lock lock(mutex_);
    if (!index_.remove(key)) return false;
    ++stats_.erases;
    return true;
  }

  [[nodiscard]] std::optional<block_key> to_evict() const {
    const std::scoped_lock lock(mutex_);
    return index_.oldest();
  }

  std::optional<block_key> evict() {
    const std::scoped_lock lock(mutex_);
    const auto victim = index_.oldest();
    if (victim) {
      index_.remove(*victim);
      ++stats_.evictions;
    }
    return victim;
  }

  [[nodiscard]] std::uint64_t used_bytes() const {
    const std::scoped_lock lock(mutex_);
    return index_.used_bytes();
  }
  [[nodiscard]] std::uint64_t capacity_bytes() const noexcept { return spec_.capacity_bytes; }
  [[nodiscard]] const tier_spec& spec() const noexcept { return spec_; }
  [[nodiscard]] tier_stats stats() const {
    const std::scoped_lock lock(mutex_);
    return stats_;
  }

 private:
  tier_spec spec_;
  mutable std::mutex mutex_;
  detail::tier_index index_;
  tier_stats stats_;
};

static_assert(async_tier<simulated_tier>);

}  // namespace kvtier
