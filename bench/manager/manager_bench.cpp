// Whole-trace replays of the Mooncake conversation trace at 18,279 blocks (10% of its unique
// blocks): the predictive policy beside LRU, each in the one-cache simulator and through the cache
// manager over one simulated tier of the same capacity (metadata map, locking, tier calls).
// items/s = block references per second. Skips when the shared trace is absent.
#include <kvtier/manager/cache_manager.hpp>
#include <kvtier/manager/trace_replay.hpp>
#include <kvtier/policy/lru_policy.hpp>
#include <kvtier/policy/predictive_policy.hpp>
#include <kvtier/policy/simulator.hpp>
#include <kvtier/tier/presets.hpp>
#include <kvtier/tier/simulated_tier.hpp>
#include <kvtier/tier/tier_stack.hpp>
// The reader's `capacity` parameter is used only by an assertion (unused under NDEBUG), and g++ 12
// at -O3 reports a false -Wrestrict inside std::string (GCC PR 105329): neither is this file's code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wrestrict"
#include <kvtier/trace/mooncake_reader.hpp>
#pragma GCC diagnostic pop

#include <benchmark/benchmark.h>

#include <filesystem>
#include <optional>
#include <string>

namespace {

constexpr std::size_t capacity_blocks = 18'279;
constexpr std::uint64_t bytes_per_token = 131'072;  // Llama-3.1-8B, bf16

/// The trace, read once; null (and the benchmark marked skipped) when the shared trace is absent.
const kvtier::block_trace* conversation_trace(benchmark::State& state) {
  static const std::optional<kvtier::block_trace> trace = []() -> std::optional<kvtier::block_trace> {
    const std::string path = std::string(KVTIER_SHARED_DIR) + "/traces/mooncake_conversation_trace.jsonl";
    if (!std::filesystem::exists(path)) return std::nullopt;
    return kvtier::read_mooncake_trace(path);
  }();
  if (!trace) state.SkipWithError("shared trace absent");
  return trace ? &*trace : nullptr;
}

template <class Policy>
void BM_manager_simulate(benchmark::State& state) {
  const kvtier::block_trace* trace = conversation_trace(state);
  if (trace == nullptr) return;
  double prefix = 0;
  for (auto _ : state) {
    Policy policy = kvtier::make_policy<Policy>(capacity_blocks);
    prefix = kvtier::simulate(*trace, policy).prefix_hit_rate();
  }
  state.counters["prefix_hit_rate"] = prefix;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * trace->block_refs()));
}
BENCHMARK(BM_manager_simulate<kvtier::lru_policy>)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_manager_simulate<kvtier::predictive_policy<>>)->Unit(benchmark::kMillisecond);

template <class Policy>
void BM_manager_replay(benchmark::State& state) {
  const kvtier::block_trace* trace = conversation_trace(state);
  if (trace == nullptr) return;
  kvtier::tier_spec hbm = kvtier::presets::h100_sxm_hbm;
  hbm.capacity_bytes = capacity_blocks * trace->block_tokens * bytes_per_token;
  double prefix = 0;
  for (auto _ : state) {
    kvtier::cache_manager<kvtier::tier_stack<kvtier::simulated_tier>, kvtier::model_block_sizer,
                          kvtier::beta_bernoulli_predictor<>, Policy>
        manager(kvtier::model_block_sizer::from_bytes_per_token(bytes_per_token),
                kvtier::cache_manager_options{.block_tokens = trace->block_tokens}, hbm);
    prefix = kvtier::replay_through_manager(*trace, manager).hits.prefix_hit_rate();
  }
  state.counters["prefix_hit_rate"] = prefix;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * trace->block_refs()));
}
BENCHMARK(BM_manager_replay<kvtier::lru_policy>)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_manager_replay<kvtier::predictive_policy<>>)->Unit(benchmark::kMillisecond);

}  // namespace
