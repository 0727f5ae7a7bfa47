#include <kvtier/detail/prefetch.hpp>
#include <kvtier/policy/lru_policy.hpp>
#include <kvtier/policy/predictive_policy.hpp>
#include <kvtier/policy/simulator.hpp>
#include <kvtier/predict/beta_bernoulli_predictor.hpp>
#include <kvtier/score/ema_scorer.hpp>
#include <kvtier/trace/mooncake_reader.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

namespace {

void BM_predict_predict(benchmark::State& state) {
  kvtier::beta_bernoulli_predictor<> predictor;
  kvtier::context_id c = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(predictor.predict(c));
    c = static_cast<kvtier::context_id>((c + 7) & 15);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_predict_predict);

void BM_predict_observe(benchmark::State& state) {
  kvtier::beta_bernoulli_predictor<> predictor{kvtier::beta_bernoulli_params{{}, 1.0 - 1.0 / 4096.0}};
  std::uint32_t i = 0;
  for (auto _ : state) {
    predictor.observe(static_cast<kvtier::context_id>(i & 15), (i * 2654435761U) >> 31);
    ++i;
  }
  benchmark::DoNotOptimize(predictor.predict(3));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_predict_observe);

void BM_predict_ema_update_80x8(benchmark::State& state) {
  kvtier::ema_scorer scorer{kvtier::head_grid{80, 8}, 1024};
  std::vector<float> mass(640, 0.3F);
  double now = 0.0;
  std::size_t slot = 0;
  for (auto _ : state) {
    scorer.observe(slot, mass, now);
    slot = (slot + 1) & 1023;
    now += 0.001;
  }
  benchmark::DoNotOptimize(scorer.block_priority(0, now));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_predict_ema_update_80x8);

// Eviction decisions with one million resident blocks: every access but the first of each request is
// a miss that evicts one block. Requests of 16-block chains, 100 ms apart, sharing their first block.
// Isolated: each decision finds its block's lines cold, as a caller that knows one reference at a time
// sees them. Pipelined: the policy is told of each reference kvtier::prefetch_distance references
// ahead (prefetching_policy), as an engine that knows a request's block list, or a replay, can do.
enum class decisions { isolated, pipelined };
template <decisions Mode, class Policy>
void run_decisions(benchmark::State& state, Policy& policy) {
  constexpr std::uint32_t request_blocks = 16;
  // Reference n: block n % 16 of request n / 16; block 0 is shared, the others are new ids.
  const auto id_of = [](std::uint64_t n) {
    const std::uint64_t position = n % request_blocks;
    return position == 0 ? kvtier::block_id{0}
                         : static_cast<kvtier::block_id>((request_blocks - 1) * (n / request_blocks) + position);
  };
  std::vector<kvtier::block_id> evicted;
  kvtier::block_access a;
  std::uint64_t n = 0;
  auto issue = [&] {
    const auto request = static_cast<std::uint32_t>(n / request_blocks);
    a.request = request;
    a.time_ms = (std::uint64_t{request} + 1) * 100;
    a.request_blocks = request_blocks;
    a.parent = kvtier::no_block;
    for (std::uint32_t p = 0; p < request_blocks; ++p, ++n) {
      if constexpr (Mode == decisions::pipelined) policy.prefetch(id_of(n + kvtier::prefetch_distance));
      a.id = id_of(n);
      a.position = p;
      a.tokens = 512;
      benchmark::DoNotOptimize(policy.access(a, evicted));
      a.parent = a.id;
    }
  };
  while (policy.size() < policy.capacity()) issue();
  for (auto _ : state) issue();
  state.SetItemsProcessed(state.iterations() * request_blocks);
}

template <decisions Mode>
void BM_predict_decision_predictive_1m(benchmark::State& state) {
  kvtier::predictive_policy_params params{1'000'000};
  params.admission = false;  // every miss evicts: measures the decision, not the filter
  kvtier::predictive_policy<> policy{params};
  run_decisions<Mode>(state, policy);
  state.counters["metadata_bytes_per_block"] =
      static_cast<double>(policy.metadata_bytes()) / static_cast<double>(policy.capacity());
}
BENCHMARK(BM_predict_decision_predictive_1m<decisions::isolated>)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_predict_decision_predictive_1m<decisions::pipelined>)->Unit(benchmark::kNanosecond);

/// The honest baseline beside it: an LRU of the same capacity over flat arrays (intrusive list by id).
class flat_lru {
 public:
  static constexpr std::string_view name = "lru";
  explicit flat_lru(std::size_t capacity) : capacity_(capacity) {}
  bool access(const kvtier::block_access& a, std::vector<kvtier::block_id>& evicted) {
    evicted.clear();
    if (a.id >= prev_.size()) {
      const std::size_t n = std::max<std::size_t>(a.id + 1, prev_.size() * 2);
      prev_.resize(n, kvtier::no_block);
      next_.resize(n, kvtier::no_block);
      resident_.resize(n, false);
    }
    const bool hit = resident_[a.id];
    if (hit) {
      unlink(a.id);
    } else {
      if (size_ == capacity_) {
        const kvtier::block_id victim = tail_;
        unlink(victim);
        resident_[victim] = false;
        evicted.push_back(victim);
        --size_;
      }
      resident_[a.id] = true;
      ++size_;
    }
    prev_[a.id] = kvtier::no_block;
    next_[a.id] = head_;
    if (head_ != kvtier::no_block) prev_[head_] = a.id;
    head_ = a.id;
    if (tail_ == kvtier::no_block) tail_ = a.id;
    return hit;
  }
  void prefetch(kvtier::block_id id) const noexcept {
    if (id >= prev_.size()) return;
    kvtier::detail::prefetch_line(&prev_[id]);
    kvtier::detail::prefetch_line(&next_[id]);
  }
  bool erase(kvtier::block_id) { return false; }
  [[nodiscard]] bool contains(kvtier::block_id id) const { return id < resident_.size() && resident_[id]; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

 private:
  void unlink(kvtier::block_id id) {
    if (prev_[id] != kvtier::no_block) {
      next_[prev_[id]] = next_[id];
    } else {
      head_ = next_[id];
    }
    if (next_[id] != kvtier::no_block) {
      prev_[next_[id]] = prev_[id];
    } else {
      tail_ = prev_[id];
    }
  }
  std::size_t capacity_;
  std::size_t size_ = 0;
  kvtier::block_id head_ = kvtier::no_block;
  kvtier::block_id tail_ = kvtier::no_block;
  std::vector<kvtier::block_id> prev_, next_;
  std::vector<bool> resident_;
};
static_assert(kvtier::prefetching_policy<flat_lru>);

template <decisions Mode>
void BM_predict_decision_lru_1m(benchmark::State& state) {
  flat_lru policy{1'000'000};
  run_decisions<Mode>(state, policy);
}
BENCHMARK(BM_predict_decision_lru_1m<decisions::isolated>)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_predict_decision_lru_1m<decisions::pipelined>)->Unit(benchmark::kNanosecond);

/// Whole replay of the Mooncake conversation trace (288,500 references) at 9,140 blocks (5% of its
/// distinct blocks), through policy/simulator.hpp; kvtier's LRU beside it.
template <class Policy>
void replay_mooncake(benchmark::State& state) {
  const std::filesystem::path path =
      std::filesystem::path(KVTIER_SHARED_DIR) / "traces" / "mooncake_conversation_trace.jsonl";
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("trace absent: ../shared/traces/mooncake_conversation_trace.jsonl");
    return;
  }
  const kvtier::block_trace trace = kvtier::read_mooncake_trace(path.string());
  for (auto _ : state) {
    Policy policy{typename Policy::params_type{9'140}};
    benchmark::DoNotOptimize(kvtier::simulate(trace, policy).prefix_hits);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * trace.block_refs()));
}
struct predictive_replay : kvtier::predictive_policy<> {
  using params_type = kvtier::predictive_policy_params;
  using kvtier::predictive_policy<>::predictive_policy;
};
struct lru_replay : kvtier::lru_policy {
  using params_type = std::size_t;
  using kvtier::lru_policy::lru_policy;
};
/// Sensitivity of the prefix hit rate to each parameter, halved and doubled (docs/policies-predictive.md):
/// Args = {change, trace (0 Mooncake, 1 agent), capacity index}; the hit rate is the counter.
const kvtier::block_trace* shared_trace(std::int64_t which) {
  static const auto load = [](const char* file) -> std::optional<kvtier::block_trace> {
    const auto path = std::filesystem::path(KVTIER_SHARED_DIR) / "traces" / file;
    if (!std::filesystem::exists(path)) return std::nullopt;
    return kvtier::read_mooncake_trace(path.string());
  };
  static const std::optional<kvtier::block_trace> traces[2] = {load("mooncake_conversation_trace.jsonl"),
                                                               load("agent_swebench_train_blocktrace_b512.jsonl")};
  return traces[which] ? &*traces[which] : nullptr;
}
void BM_predict_sensitivity(benchmark::State& state) {
  static constexpr std::array<std::array<std::size_t, 5>, 2> capacities{
      {{1'828, 3'656, 9'140, 18'279, 45'698}, {16, 32, 63, 126, 315}}};
  const kvtier::block_trace* trace = shared_trace(state.range(1));
  if (trace == nullptr) {
    state.SkipWithError("shared trace absent");
    return;
  }
  kvtier::predictive_policy_params params{
      capacities[static_cast<std::size_t>(state.range(1))][static_cast<std::size_t>(state.range(2))]};
  const char* labels[] = {"defaults", "horizon/2", "horizon*2", "tool_gap/2", "tool_gap*2",
                          "memory/2", "memory*2",  "ghosts/2",  "ghosts*2",   "admission off"};
  switch (state.range(0)) {
    case 1:
      params.horizon_ms /= 2;
      break;
    case 2:
      params.horizon_ms *= 2;
      break;
    case 3:
      params.classifier.tool_gap_ms /= 2;
      break;
    case 4:
      params.classifier.tool_gap_ms *= 2;
      break;
    case 5:
      params.forgetting = 1.0 - 2.0 * (1.0 - params.forgetting);
      break;
    case 6:
      params.forgetting = 1.0 - 0.5 * (1.0 - params.forgetting);
      break;
    case 7:
      params.ghost_factor /= 2;
      break;
    case 8:
      params.ghost_factor *= 2;
      break;
    case 9:
      params.admission = false;
      break;
    default:
      break;
  }
  double rate = 0.0;
  for (auto _ : state) {
    kvtier::predictive_policy<> policy{params};
    rate = kvtier::simulate(*trace, policy).prefix_hit_rate();
  }
  state.SetLabel(labels[state.range(0)]);
  state.counters["prefix_hit_pct"] = 100.0 * rate;
}
BENCHMARK(BM_predict_sensitivity)
    ->ArgsProduct({benchmark::CreateDenseRange(0, 9, 1), {0, 1}, benchmark::CreateDenseRange(0, 4, 1)})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_predict_replay_mooncake_predictive(benchmark::State& state) { replay_mooncake<predictive_replay>(state); }
BENCHMARK(BM_predict_replay_mooncake_predictive)->Unit(benchmark::kMillisecond);
void BM_predict_replay_mooncake_lru(benchmark::State& state) { replay_mooncake<lru_replay>(state); }
BENCHMARK(BM_predict_replay_mooncake_lru)->Unit(benchmark::kMillisecond);

}  // namespace
