// Eviction-decision cost for every policy with one million resident blocks (LRU beside each), and
// whole-trace replay throughput on the Mooncake conversation trace.
#include <kvtier/kvtier.hpp>
#if defined(KVTIER_BENCH_HAS_TRACE)
#include <kvtier/trace/mooncake_reader.hpp>
#endif

#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr std::size_t resident_blocks = 1'000'000;

/// Fills the cache with ids 0..N-1 (every other one referenced twice, so frequency- and
/// recency-aware policies have both kinds), then measures a cyclic stream over 2N ids: every
/// access is a miss that must evict or be declined. Each id of the stream is referenced `Repeat`
/// times in a row (2 for the admission rules that store a block only once it has been reused).
/// Belady gets uniformly random next references.
template <class P, int Repeat = 1>
void BM_policy_eviction(benchmark::State& state) {
  P policy(resident_blocks);
  if constexpr (requires { policy.reserve_ids(std::size_t{}); }) policy.reserve_ids(2 * resident_blocks);
  std::vector<kvtier::block_id> evicted;
  evicted.reserve(8);
  std::mt19937_64 rng(42);
  kvtier::block_access a;
  a.tokens = 512;
  std::uint64_t clock = 0;
  const auto touch = [&](kvtier::block_id id) {
    a.id = id;
    a.ref_index = clock++;
    if constexpr (kvtier::offline_policy<P>) a.next_ref = clock + rng() % (4 * resident_blocks);
    return policy.access(a, evicted);
  };
  for (kvtier::block_id id = 0; id < resident_blocks; ++id) {
    (void)touch(id);
    if (id % 2 == 0) (void)touch(id);
  }
  kvtier::block_id next = resident_blocks;
  std::uint64_t evictions = 0;
  for (auto _ : state) {
    for (int r = 0; r < Repeat; ++r) {
      benchmark::DoNotOptimize(touch(next));
      evictions += evicted.size();
    }
    next = next + 1 == 2 * resident_blocks ? 0 : next + 1;
  }
  const auto accesses = static_cast<double>(state.iterations()) * Repeat;
  state.SetItemsProcessed(static_cast<std::int64_t>(accesses));
  state.counters["evictions_per_access"] = benchmark::Counter(static_cast<double>(evictions) / accesses);
  state.counters["resident"] = static_cast<double>(policy.size());
}

BENCHMARK(BM_policy_eviction<kvtier::lru_policy>)->Name("BM_policy_eviction/lru");
BENCHMARK(BM_policy_eviction<kvtier::lfu_policy>)->Name("BM_policy_eviction/lfu");
BENCHMARK(BM_policy_eviction<kvtier::arc_policy>)->Name("BM_policy_eviction/arc");
BENCHMARK(BM_policy_eviction<kvtier::s3fifo_policy>)->Name("BM_policy_eviction/s3fifo");
BENCHMARK(BM_policy_eviction<kvtier::belady_policy>)->Name("BM_policy_eviction/belady");
BENCHMARK(BM_policy_eviction<kvtier::second_sight_admission<kvtier::lru_policy>, 2>)
    ->Name("BM_policy_eviction/second-sight-lru");
BENCHMARK(BM_policy_eviction<kvtier::tinylfu_admission<kvtier::lru_policy>>)->Name("BM_policy_eviction/tinylfu-lru");
BENCHMARK(BM_policy_eviction<kvtier::cost_aware_ewma_admission<kvtier::lru_policy>, 2>)
    ->Name("BM_policy_eviction/ewma-lru");

#if defined(KVTIER_BENCH_HAS_TRACE)
const std::string conversation_path = std::string(KVTIER_SHARED_DIR) + "/traces/mooncake_conversation_trace.jsonl";

/// Whole-trace replay at 10% of the unique blocks, trace already in memory: block refs/s.
template <class P>
void BM_policy_replay_conversation(benchmark::State& state) {
  if (!std::filesystem::exists(conversation_path)) {
    state.SkipWithError("shared trace absent");
    return;
  }
  const kvtier::block_trace trace = kvtier::read_mooncake_trace(conversation_path);
  for (auto _ : state) {
    P policy(trace.unique_blocks / 10);
    benchmark::DoNotOptimize(kvtier::simulate(trace, policy));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * trace.block_refs()));
}
BENCHMARK(BM_policy_replay_conversation<kvtier::lru_policy>)->Name("BM_policy_replay_conversation/lru");
BENCHMARK(BM_policy_replay_conversation<kvtier::arc_policy>)->Name("BM_policy_replay_conversation/arc");
BENCHMARK(BM_policy_replay_conversation<kvtier::s3fifo_policy>)->Name("BM_policy_replay_conversation/s3fifo");
BENCHMARK(BM_policy_replay_conversation<kvtier::belady_policy>)->Name("BM_policy_replay_conversation/belady");

/// Reading the JSONL file and replaying it through LRU, what `kvtier replay` does: block refs/s.
void BM_policy_read_and_replay_conversation_lru(benchmark::State& state) {
  if (!std::filesystem::exists(conversation_path)) {
    state.SkipWithError("shared trace absent");
    return;
  }
  std::uint64_t refs = 0;
  for (auto _ : state) {
    const kvtier::block_trace trace = kvtier::read_mooncake_trace(conversation_path);
    kvtier::lru_policy policy(trace.unique_blocks / 10);
    benchmark::DoNotOptimize(kvtier::simulate(trace, policy));
    refs += trace.block_refs();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(refs));
}
BENCHMARK(BM_policy_read_and_replay_conversation_lru);

/// The reader alone: block refs parsed per second.
void BM_policy_read_conversation(benchmark::State& state) {
  if (!std::filesystem::exists(conversation_path)) {
    state.SkipWithError("shared trace absent");
    return;
  }
  std::uint64_t refs = 0;
  for (auto _ : state) {
    const kvtier::block_trace trace = kvtier::read_mooncake_trace(conversation_path);
    refs += trace.block_refs();
    benchmark::DoNotOptimize(trace.block_ids.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(refs));
}
BENCHMARK(BM_policy_read_conversation);
#endif

}  // namespace
