#pragma once
// The eviction policies `kvtier replay --policy` knows, in one table: the only place where a
// policy is chosen at run time. Each entry erases the policy's type at the level of a whole replay
// (no virtual call per reference); adding a policy is one line.
#include <kvtier/kvtier.hpp>

#include <cstddef>
#include <span>
#include <string_view>

namespace kvtier::cli {

using replay_function = hit_stats (*)(const block_trace& trace, std::size_t capacity_blocks,
                                      const simulate_options& options);

struct policy_entry {
  std::string_view name;
  std::string_view summary;
  replay_function replay;
  bool in_all = true;  ///< part of `--policy all`
};

template <eviction_policy P>
hit_stats replay_with(const block_trace& trace, std::size_t capacity_blocks, const simulate_options& options) {
  P policy(capacity_blocks);
  if constexpr (requires { policy.reserve_ids(std::size_t{}); }) policy.reserve_ids(trace.unique_blocks);
  return simulate(trace, policy, options);
}

inline std::span<const policy_entry> policy_table() {
  static constexpr policy_entry table[] = {
      {"lru", "least recently used (vLLM prefix cache, SGLang radix tree)", &replay_with<lru_policy>},
      {"lfu", "least frequently used while resident, LRU among equals", &replay_with<lfu_policy>},
      {"arc", "adaptive replacement cache (Megiddo & Modha 2003)", &replay_with<arc_policy>},
      {"s3fifo", "S3-FIFO: small, main and ghost FIFOs (Yang et al. 2023)", &replay_with<s3fifo_policy>},
      {"second-sight-lru", "LRU that stores a block only when seen a second time",
       &replay_with<second_sight_admission<lru_policy>>},
      {"tinylfu-lru", "W-TinyLFU: LRU window, frequency-sketch admission to an LRU main",
       &replay_with<tinylfu_admission<lru_policy>>},
      {"ewma-lru", "LRU with cost-aware EWMA admission (reuse rate x recompute cost)",
       &replay_with<cost_aware_ewma_admission<lru_policy>>},
      {"belady", "Belady's MIN, the offline optimum (uses the future)", &replay_with<belady_policy>},
  };
  return table;
}

}  // namespace kvtier::cli
