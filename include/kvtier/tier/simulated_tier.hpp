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

class simulated_tier : public detail::tier_verbs<simulated_tier>, public detail::locked_tier_index {
 public:
  static constexpr bool stores_bytes = false;
  static constexpr bool thread_safe = true;

  explicit simulated_tier(const tier_spec& spec) : spec_(spec) {}

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
    return locked_tier_index::erase(key, [](const detail::tier_entry&) {});
  }
  std::optional<block_key> evict() {
    return locked_tier_index::evict([](const detail::tier_entry&) {});
  }

  [[nodiscard]] std::uint64_t capacity_bytes() const noexcept { return spec_.capacity_bytes; }
  [[nodiscard]] const tier_spec& spec() const noexcept { return spec_; }

 private:
  tier_spec spec_;
};

static_assert(async_tier<simulated_tier>);

}  // namespace kvtier
