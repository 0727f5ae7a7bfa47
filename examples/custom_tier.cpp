// Writing your own tier: a complete one, used in a stack above a simulated tier.
//
// `fifo_memory_tier` keeps blocks in host memory and evicts in insertion order (first in, first
// out). It models kvtier::evicting_tier, so tier_stack can demote out of it, promote into it and
// account every move. docs/tiers.md walks through it.
#include <kvtier/tier/concepts.hpp>
#include <kvtier/tier/presets.hpp>
#include <kvtier/tier/simulated_tier.hpp>
#include <kvtier/tier/tier_stack.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

class fifo_memory_tier {
 public:
  // 1. Say what the tier promises: it keeps the bytes, and its calls may come from several threads.
  static constexpr bool stores_bytes = true;
  static constexpr bool thread_safe = true;

  explicit fifo_memory_tier(const kvtier::tier_spec& spec) : spec_(spec) {}

  // 2. Lookups. A miss, or a buffer too small for the block, is an empty optional.
  [[nodiscard]] bool contains(const kvtier::block_key& key) const {
    const std::scoped_lock lock(mutex_);
    return blocks_.contains(key);
  }

  [[nodiscard]] std::optional<std::size_t> find(const kvtier::block_key& key, std::span<std::byte> out) {
    const std::scoped_lock lock(mutex_);
    const auto found = blocks_.find(key);
    if (found == blocks_.end() || found->second.size() > out.size()) {
      ++stats_.misses;
      return std::nullopt;
    }
    std::memcpy(out.data(), found->second.data(), found->second.size());
    ++stats_.hits;
    stats_.bytes_read += found->second.size();
    stats_.modelled_read_s += kvtier::transfer_time_s(spec_, found->second.size(), kvtier::transfer_direction::read);
    return found->second.size();
  }

  // 3. Admission and insertion. A full tier is `try_insert` returning false, never an exception.
  [[nodiscard]] bool can_admit(std::uint64_t bytes) const {
    const std::scoped_lock lock(mutex_);
    return bytes <= spec_.capacity_bytes - used_bytes_;
  }

  [[nodiscard]] bool try_insert(const kvtier::block_key& key, std::span<const std::byte> bytes) {
    const std::scoped_lock lock(mutex_);
    const auto existing = blocks_.find(key);
    const std::uint64_t freed = existing == blocks_.end() ? 0 : existing->second.size();
    if (bytes.size() > spec_.capacity_bytes - (used_bytes_ - freed)) {
      ++stats_.rejected_inserts;
      return false;
    }
    if (existing == blocks_.end()) order_.push_back(key);
    used_bytes_ = used_bytes_ - freed + bytes.size();
    blocks_[key].assign(bytes.begin(), bytes.end());
    ++stats_.inserts;
    stats_.bytes_written += bytes.size();
    stats_.modelled_write_s += kvtier::transfer_time_s(spec_, bytes.size(), kvtier::transfer_direction::write);
    return true;
  }

  bool erase(const kvtier::block_key& key) {
    const std::scoped_lock lock(mutex_);
    if (!remove(key)) return false;
    ++stats_.erases;
    return true;
  }

  // 4. Eviction in the tier's own order: here, first in, first out.
  [[nodiscard]] std::optional<kvtier::block_key> to_evict() const {
    const std::scoped_lock lock(mutex_);
    if (order_.empty()) return std::nullopt;
    return order_.front();
  }

  std::optional<kvtier::block_key> evict() {
    const std::scoped_lock lock(mutex_);
    if (order_.empty()) return std::nullopt;
    const kvtier::block_key victim = order_.front();
    remove(victim);
    ++stats_.evictions;
    return victim;
  }

  bool insert(const kvtier::block_key& key, std::span<const std::byte> bytes, std::vector<kvtier::block_key>& evicted) {
    if (bytes.size() > spec_.capacity_bytes) return false;
    while (!can_admit(bytes.size())) {
      const auto victim = evict();
      if (!victim) break;
      evicted.push_back(*victim);
    }
    return try_insert(key, bytes);
  }

  // 5. Accounting.
  [[nodiscard]] std::uint64_t used_bytes() const {
    const std::scoped_lock lock(mutex_);
    return used_bytes_;
  }
  [[nodiscard]] std::uint64_t capacity_bytes() const { return spec_.capacity_bytes; }
  [[nodiscard]] const kvtier::tier_spec& spec() const { return spec_; }
  [[nodiscard]] kvtier::tier_stats stats() const {
    const std::scoped_lock lock(mutex_);
    return stats_;
  }

 private:
  bool remove(const kvtier::block_key& key) {
    const auto found = blocks_.find(key);
    if (found == blocks_.end()) return false;
    used_bytes_ -= found->second.size();
    blocks_.erase(found);
    std::erase(order_, key);
    return true;
  }

  kvtier::tier_spec spec_;
  mutable std::mutex mutex_;
  std::unordered_map<kvtier::block_key, std::vector<std::byte>, kvtier::block_key_hash> blocks_;
  std::deque<kvtier::block_key> order_;
  std::uint64_t used_bytes_ = 0;
  kvtier::tier_stats stats_;
};

// 6. Let the compiler check the model.
static_assert(kvtier::evicting_tier<fifo_memory_tier>);

int main() {
  constexpr std::uint64_t block_bytes = 64 * 1024;
  kvtier::tier_spec dram = kvtier::presets::dram_pcie5;
  dram.capacity_bytes = 4 * block_bytes;
  kvtier::tier_spec nvme = kvtier::presets::nvme_gen5;
  nvme.capacity_bytes = 64 * block_bytes;

  // Our tier on top, a simulated NVMe tier below it.
  kvtier::tier_stack<fifo_memory_tier, kvtier::simulated_tier> stack(dram, nvme);

  std::vector<std::byte> block(block_bytes);
  for (std::uint64_t i = 0; i < 10; ++i) {
    std::memset(block.data(), static_cast<int>(i), block.size());
    if (!stack.insert(kvtier::block_key{0, i}, block)) return 1;
  }
  // Blocks 6..9 stay in DRAM; 0..5 were demoted, first in first out.
  std::vector<std::byte> out(block_bytes);
  const auto hit = stack.find(kvtier::block_key{0, 9}, out);
  if (!hit || hit->level != 0 || out[100] != std::byte{9}) return 2;
  const auto deep = stack.find(kvtier::block_key{0, 2}, out, kvtier::promotion::yes);
  if (!deep || deep->level != 1 || stack.level_of(kvtier::block_key{0, 2}) != 0u) return 3;

  const kvtier::stack_stats& stats = stack.stats();
  std::printf("demotions %llu, promotions %llu, moved %llu bytes down and %llu up in %.1f modelled us\n",
              static_cast<unsigned long long>(stats.demotions), static_cast<unsigned long long>(stats.promotions),
              static_cast<unsigned long long>(stats.bytes_demoted),
              static_cast<unsigned long long>(stats.bytes_promoted), stats.modelled_move_s * 1e6);
  return stats.demotions == 7 && stats.promotions == 1 ? 0 : 4;
}
