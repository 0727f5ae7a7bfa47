#pragma once
// The verbs every tier model derives from its primitives (CRTP, no virtual calls): `insert` from
// `can_admit`, `evict` and `try_insert`; and, for tiers whose transfers finish inside the call
// (memory copies, accounting), batches applied in order at submission, complete at once.
#include <kvtier/detail/assert.hpp>
#include <kvtier/tier/concepts.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace kvtier::detail {

template <class Derived>
class tier_verbs {
 public:
  /// Evicts in the tier's own order until the block fits, then inserts it (evicting_tier 10).
  bool insert(const block_key& key, std::span<const std::byte> bytes, std::vector<block_key>& evicted) {
    auto& self = static_cast<Derived&>(*this);
    if (bytes.size() > self.capacity_bytes()) return false;
    while (!self.can_admit(bytes.size())) {
      const std::optional<block_key> victim = self.evict();
      if (!victim) break;
      evicted.push_back(*victim);
    }
    return self.try_insert(key, bytes);
  }

  batch_ticket submit_writes(std::span<const block_write> writes, std::span<bool> inserted) {
    KVTIER_ASSERT(writes.size() == inserted.size(), "submit_writes needs one result per request");
    auto& self = static_cast<Derived&>(*this);
    for (std::size_t i = 0; i < writes.size(); ++i) inserted[i] = self.try_insert(writes[i].key, writes[i].bytes);
    return batch_ticket{next_ticket_.fetch_add(1, std::memory_order_relaxed)};
  }

  batch_ticket submit_reads(std::span<const block_read> reads, std::span<std::optional<std::size_t>> found) {
    KVTIER_ASSERT(reads.size() == found.size(), "submit_reads needs one result per request");
    auto& self = static_cast<Derived&>(*this);
    for (std::size_t i = 0; i < reads.size(); ++i) found[i] = self.find(reads[i].key, reads[i].out);
    return batch_ticket{next_ticket_.fetch_add(1, std::memory_order_relaxed)};
  }

  [[nodiscard]] bool poll(batch_ticket) const noexcept { return true; }
  void wait(batch_ticket) const noexcept {}

 private:
  std::atomic<std::uint64_t> next_ticket_{1};
};

}  // namespace kvtier::detail
