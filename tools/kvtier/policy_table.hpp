#pragma once
// The eviction policies `kvtier replay --policy` knows, in one table: the only place where a
// policy is chosen at run time. Each entry erases the policy's type at the level of a whole replay
// (no virtual call per reference), in the one-cache simulator and, for online policies, through
// the cache manager over simulated tiers; adding a policy is one line.
#include <kvtier/kvtier.hpp>
#include <kvtier/manager/cache_manager.hpp>
#include <kvtier/manager/trace_replay.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

namespace kvtier::cli {

using replay_function = hit_stats (*)(const block_trace& trace, std::size_t capacity_blocks,
                                      const simulate_options& options);

/// A hierarchy of simulated tiers and the block size it holds.
struct tiered_setup {
  std::span<const tier_spec> tiers;  ///< fastest first
  std::uint64_t kv_bytes_per_token = 0;
  projection_params projection{};  ///< the GPU and model whose prefill a hit saves (the demotion rule)
};
using request_observer = std::function<void(const trace_request&, std::span<const std::uint64_t>)>;
using tiered_function = tiered_replay_stats (*)(const block_trace& trace, const tiered_setup& setup,
                                                const simulate_options& options, const request_observer& observer);

struct policy_entry {
  std::string_view name;
  std::string_view summary;
  replay_function replay;
  tiered_function tiered = nullptr;  ///< null for offline policies, which cannot drive the manager
  bool in_all = true;                ///< part of `--policy all`
};

template <eviction_policy P>
hit_stats replay_with(const block_trace& trace, std::size_t capacity_blocks, const simulate_options& options) {
  P policy = make_policy<P>(capacity_blocks);
  if constexpr (requires { policy.reserve_ids(std::size_t{}); }) policy.reserve_ids(trace.unique_blocks);
  return simulate(trace, policy, options);
}

template <eviction_policy P>
tiered_replay_stats tiered_replay_with(const block_trace& trace, const tiered_setup& setup,
                                       const simulate_options& options, const request_observer& observer) {
  runtime_tier_stack stack;
  for (const tier_spec& spec : setup.tiers) stack.push_back(any_tier::make<simulated_tier>(spec));
  cache_manager_options manager_options{.block_tokens = trace.block_tokens};
  manager_options.demotion_value = setup.projection;
  // The baselines offload every block they evict, one level down, as LMCache and vLLM's CPU offload
  // do; placing blocks where their expected hits pay for them (the manager's demotion rule) is kvtier's.
  if constexpr (!std::same_as<P, predictive_policy<>>) {
    manager_options.min_demotion_reuse = 0.0;
    manager_options.priced_demotion = false;
  }
  cache_manager<runtime_tier_stack, model_block_sizer, beta_bernoulli_predictor<>, P> manager(
      model_block_sizer::from_bytes_per_token(setup.kv_bytes_per_token), manager_options, std::move(stack));
  return replay_through_manager(trace, manager, options, observer);
}

template <eviction_policy P>
constexpr policy_entry entry(std::string_view name, std::string_view summary) {
  if constexpr (offline_policy<P>) {
    return {name, summary, &replay_with<P>};
  } else {
    return {name, summary, &replay_with<P>, &tiered_replay_with<P>};
  }
}

inline std::span<const policy_entry> policy_table() {
  static constexpr policy_entry table[] = {
      entry<predictive_policy<>>("predictive", "kvtier: reuse predicted per context (Beta-Bernoulli), prefix-aware"),
      entry<lru_policy>("lru", "least recently used (vLLM prefix cache, SGLang radix tree)"),
      entry<lfu_policy>("lfu", "least frequently used while resident, LRU among equals"),
      entry<arc_policy>("arc", "adaptive replacement cache (Megiddo & Modha 2003)"),
      entry<s3fifo_policy>("s3fifo", "S3-FIFO: small, main and ghost FIFOs (Yang et al. 2023)"),
      entry<second_sight_admission<lru_policy>>("second-sight-lru",
                                                "LRU that stores a block only when seen a second time"),
      entry<tinylfu_admission<lru_policy>>("tinylfu-lru",
                                           "W-TinyLFU: LRU window, frequency-sketch admission to an LRU main"),
      entry<cost_aware_ewma_admission<lru_policy>>("ewma-lru",
                                                   "LRU with cost-aware EWMA admission (reuse rate x recompute cost)"),
      entry<belady_policy>("belady", "Belady's MIN, the offline optimum (uses the future)"),
  };
  return table;
}

}  // namespace kvtier::cli
