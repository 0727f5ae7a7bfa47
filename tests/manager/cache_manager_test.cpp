// The cache manager: equality with the simulator on one tier, demotion and promotion through a
// hierarchy, bytes delivered only when read (failing tier), scales counted in block bytes, per-request
// accounting, prefetch plans, and a concurrent stress run (run it under the asan preset).
#include <kvtier/manager/cache_manager.hpp>
#include <kvtier/manager/trace_replay.hpp>
#include <kvtier/policy/arc_policy.hpp>
#include <kvtier/policy/lru_policy.hpp>
#include <kvtier/policy/s3fifo_policy.hpp>
#include <kvtier/policy/second_sight_admission.hpp>
#include <kvtier/sizing/presets.hpp>
#include <kvtier/tier/presets.hpp>
#include <kvtier/tier/simulated_tier.hpp>
#include <kvtier/tier/tier_stack.hpp>
#include <kvtier/trace/synthetic_workload.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <list>
#include <map>
#include <thread>
#include <vector>

namespace kvtier {
namespace {

constexpr std::uint32_t block_tokens = 4;
constexpr std::uint64_t bytes_per_token = 16;
constexpr std::uint64_t full_block = block_tokens * bytes_per_token;

tier_spec spec_of(std::uint64_t capacity_blocks, tier_kind kind = tier_kind::hbm) {
  tier_spec spec = presets::default_for(kind);
  spec.capacity_bytes = capacity_blocks * full_block;
  return spec;
}

cache_manager_options small_options() {
  cache_manager_options options;
  options.block_tokens = block_tokens;
  options.grid = {2, 2};
  return options;
}

model_block_sizer small_sizer() { return model_block_sizer::from_bytes_per_token(bytes_per_token); }

block_trace small_workload() {
  synthetic_workload_params params;
  params.sessions = 60;
  params.block_tokens = 512;
  params.duration_s = 600;
  return generate_synthetic_workload(params).trace;
}

template <class Policy>
void expect_same_as_simulator(const block_trace& trace, std::size_t capacity_blocks) {
  cache_manager<tier_stack<simulated_tier>, model_block_sizer, beta_bernoulli_predictor<>, Policy> manager(
      model_block_sizer::from_bytes_per_token(bytes_per_token), cache_manager_options{.block_tokens = 512},
      spec_of(capacity_blocks * 512 / block_tokens));
  const tiered_replay_stats tiered = replay_through_manager(trace, manager);
  Policy policy = make_policy<Policy>(capacity_blocks);
  const hit_stats simulated = simulate(trace, policy);
  EXPECT_EQ(tiered.hits.block_hits, simulated.block_hits) << Policy::name;
  EXPECT_EQ(tiered.hits.prefix_hits, simulated.prefix_hits) << Policy::name;
  EXPECT_EQ(tiered.hits.token_hits, simulated.token_hits) << Policy::name;
  EXPECT_EQ(tiered.hits.evictions, simulated.evictions) << Policy::name;
  EXPECT_GT(simulated.prefix_hits, 0U);
}

TEST(cache_manager, one_tier_equals_the_simulator_for_every_online_policy) {
  const block_trace trace = small_workload();
  for (const std::size_t capacity : {16U, 64U, 256U}) {
    expect_same_as_simulator<lru_policy>(trace, capacity);
    expect_same_as_simulator<arc_policy>(trace, capacity);
    expect_same_as_simulator<s3fifo_policy>(trace, capacity);
    expect_same_as_simulator<predictive_policy<>>(trace, capacity);
  }
}

using two_level = tier_stack<simulated_tier, simulated_tier>;

TEST(cache_manager, demotes_evicted_blocks_and_promotes_hits) {
  cache_manager<two_level, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      small_sizer(), small_options(), spec_of(2), spec_of(4, tier_kind::dram));
  std::vector<block_ref> refs;
  for (std::uint64_t i = 0; i < 3; ++i) refs.push_back({block_key{7, i}, block_tokens, block_type::user});
  const request_handle first = manager.begin_request({0, 1});
  EXPECT_EQ(manager.match_prefix(first, refs).blocks, 0U);
  for (std::size_t i = 0; i < refs.size(); ++i) EXPECT_EQ(manager.admit(first, i, refs[i]), admit_outcome::stored);
  const request_stats first_stats = manager.release(first);
  EXPECT_EQ(first_stats.stored_blocks, 3U);
  EXPECT_EQ(first_stats.stored_bytes, 3 * full_block);
  // LRU of two blocks evicted block 0 into DRAM.
  EXPECT_EQ(manager.level_of(refs[0].key), std::optional<std::size_t>(1));
  EXPECT_EQ(manager.level_of(refs[2].key), std::optional<std::size_t>(0));

  // Each promotion makes LRU push the oldest top block down, which is the next one this request
  // reads: all three come from DRAM (the thrash of a prefix longer than the top tier).
  const request_handle second = manager.begin_request({1, 1});
  const prefix_match match = manager.match_prefix(second, refs);
  EXPECT_EQ(match.blocks, 3U);
  EXPECT_EQ(match.tokens, 3 * block_tokens);
  EXPECT_EQ(match.levels, (std::vector<std::uint8_t>{1, 1, 1}));
  const request_stats second_stats = manager.release(second);
  EXPECT_EQ(second_stats.hit_blocks, (std::vector<std::uint64_t>{0, 3}));
  EXPECT_EQ(second_stats.stored_blocks, 0U);
  const manager_stats stats = manager.stats();
  EXPECT_EQ(stats.levels[0].hits, 0U);
  EXPECT_EQ(stats.levels[1].hits, 3U);
  EXPECT_EQ(stats.promotions, 3U);
  EXPECT_EQ(stats.demotions, 4U);
  EXPECT_EQ(stats.evictions, 4U);
  EXPECT_EQ(stats.levels[1].bytes_written, stats.demotions * full_block);
  EXPECT_EQ(stats.levels[0].bytes_written, (3 + 3) * full_block);
  // DRAM delivered 3 blocks (the promotions reuse those reads).
  EXPECT_EQ(stats.levels[1].bytes_read, 3 * full_block);
  EXPECT_EQ(manager.level_of(refs[0].key), std::optional<std::size_t>(1));
  EXPECT_EQ(manager.stack().tier<0>().used_bytes(), 2 * full_block);
}

TEST(cache_manager, a_block_the_policy_declines_goes_one_level_down) {
  cache_manager<two_level, model_block_sizer, beta_bernoulli_predictor<>, second_sight_admission<lru_policy>> manager(
      small_sizer(), small_options(), spec_of(4), spec_of(4, tier_kind::dram));
  const block_ref a{block_key{4, 4}, block_tokens, block_type::system};
  const request_handle first = manager.begin_request();
  EXPECT_EQ(manager.admit(first, 0, a), admit_outcome::declined);  // first sight
  EXPECT_EQ(manager.level_of(a.key), std::optional<std::size_t>(1));
  const request_stats first_stats = manager.release(first);
  EXPECT_EQ(first_stats.stored_blocks, 0U);
  const request_handle second = manager.begin_request();
  const prefix_match match = manager.match_prefix(second, std::span<const block_ref>(&a, 1));
  EXPECT_EQ(match.levels, (std::vector<std::uint8_t>{1}));
  EXPECT_EQ(manager.level_of(a.key), std::optional<std::size_t>(0));  // second sight: promoted
  static_cast<void>(manager.release(second));
  const manager_stats stats = manager.stats();
  EXPECT_EQ(stats.declined, 1U);
  EXPECT_EQ(stats.promotions, 1U);
  EXPECT_EQ(stats.levels[1].bytes_written, full_block);
}

TEST(cache_manager, the_bottom_drops_and_lookups_stop_at_the_first_gap) {
  cache_manager<two_level, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      small_sizer(), small_options(), spec_of(1), spec_of(1, tier_kind::dram));
  std::vector<block_ref> refs;
  for (std::uint64_t i = 0; i < 3; ++i) refs.push_back({block_key{1, i}, block_tokens, block_type::user});
  const request_handle h = manager.begin_request();
  for (std::size_t i = 0; i < refs.size(); ++i) static_cast<void>(manager.admit(h, i, refs[i]));
  EXPECT_EQ(manager.match_prefix(h, refs).blocks, 0U);  // block 0 left the hierarchy
  EXPECT_EQ(manager.stats().drops, 1U);
  static_cast<void>(manager.release(h));
}

/// A tier that stores bytes and can be told to fail its reads: the failed transfer of docs/tiers.md, failures seen in
/// peer systems.
class failing_tier {
 public:
  static constexpr bool stores_bytes = true;
  static constexpr bool thread_safe = false;
  explicit failing_tier(tier_spec spec) : spec_(spec) {}

  bool fail_reads = false;

  [[nodiscard]] bool contains(const block_key& key) const { return blocks_.count(key) != 0; }
  [[nodiscard]] std::optional<std::size_t> find(const block_key& key, std::span<std::byte> out) {
    const auto it = blocks_.find(key);
    if (it == blocks_.end() || fail_reads || it->second.size() > out.size()) return std::nullopt;
    std::memcpy(out.data(), it->second.data(), it->second.size());
    return it->second.size();
  }
  [[nodiscard]] bool can_admit(std::uint64_t bytes) const { return used_ + bytes <= spec_.capacity_bytes; }
  [[nodiscard]] bool try_insert(const block_key& key, std::span<const std::byte> bytes) {
    erase(key);
    if (!can_admit(bytes.size())) return false;
    blocks_[key].assign(bytes.begin(), bytes.end());
    order_.push_back(key);
    used_ += bytes.size();
    return true;
  }
  bool erase(const block_key& key) {
    const auto it = blocks_.find(key);
    if (it == blocks_.end()) return false;
    used_ -= it->second.size();
    blocks_.erase(it);
    order_.remove(key);
    return true;
  }
  [[nodiscard]] std::optional<block_key> to_evict() const {
    return order_.empty() ? std::nullopt : std::optional<block_key>(order_.front());
  }
  std::optional<block_key> evict() {
    const auto victim = to_evict();
    if (victim) erase(*victim);
    return victim;
  }
  bool insert(const block_key& key, std::span<const std::byte> bytes, std::vector<block_key>& evicted) {
    if (bytes.size() > spec_.capacity_bytes) return false;
    while (!can_admit(bytes.size())) evicted.push_back(*evict());
    return try_insert(key, bytes);
  }
  [[nodiscard]] std::uint64_t used_bytes() const { return used_; }
  [[nodiscard]] std::uint64_t capacity_bytes() const { return spec_.capacity_bytes; }
  [[nodiscard]] const tier_spec& spec() const { return spec_; }
  [[nodiscard]] tier_stats stats() const { return {}; }

 private:
  tier_spec spec_;
  std::map<block_key, std::vector<std::byte>> blocks_;
  std::list<block_key> order_;
  std::uint64_t used_ = 0;
};
static_assert(evicting_tier<failing_tier>);

std::vector<std::byte> filled(std::uint64_t bytes, std::uint8_t value) {
  return std::vector<std::byte>(bytes, static_cast<std::byte>(value));
}

TEST(cache_manager, a_failed_transfer_is_a_miss_never_another_requests_kv) {
  cache_manager<tier_stack<failing_tier, failing_tier>, model_block_sizer, beta_bernoulli_predictor<>, lru_policy>
      manager(small_sizer(), small_options(), spec_of(1), spec_of(4, tier_kind::dram));
  const block_ref a{block_key{1, 1}, block_tokens, block_type::user};
  const block_ref b{block_key{2, 2}, block_tokens, block_type::user};
  const request_handle writer_a = manager.begin_request();
  ASSERT_EQ(manager.admit(writer_a, 0, a, filled(full_block, 0xAA)), admit_outcome::stored);
  const request_handle writer_b = manager.begin_request();
  ASSERT_EQ(manager.admit(writer_b, 0, b, filled(full_block, 0xBB)), admit_outcome::stored);  // a goes to DRAM
  ASSERT_EQ(manager.level_of(a.key), std::optional<std::size_t>(1));

  manager.stack().tier<1>().fail_reads = true;
  const request_handle reader = manager.begin_request();
  std::size_t delivered = 0;
  const prefix_match miss =
      manager.match_prefix(reader, std::span<const block_ref>(&a, 1),
                           [&](std::size_t, std::size_t, std::span<const std::byte>) { ++delivered; });
  EXPECT_EQ(miss.blocks, 0U);
  EXPECT_EQ(delivered, 0U);
  EXPECT_EQ(manager.stats().levels[1].failed_reads, 1U);
  EXPECT_FALSE(manager.level_of(a.key).has_value());

  // Recomputed, a is stored again and reads back as a's bytes, never b's.
  manager.stack().tier<1>().fail_reads = false;
  ASSERT_EQ(manager.admit(reader, 0, a, filled(full_block, 0xAA)), admit_outcome::stored);
  const prefix_match hit = manager.match_prefix(
      reader, std::span<const block_ref>(&a, 1), [&](std::size_t, std::size_t, std::span<const std::byte> bytes) {
        ASSERT_EQ(bytes.size(), full_block);
        EXPECT_TRUE(std::all_of(bytes.begin(), bytes.end(), [](std::byte x) { return x == std::byte{0xAA}; }));
        ++delivered;
      });
  EXPECT_EQ(hit.blocks, 1U);
  EXPECT_EQ(delivered, 1U);
  const request_stats reader_stats = manager.release(reader);
  EXPECT_EQ(reader_stats.hit_blocks, (std::vector<std::uint64_t>{1, 0}));
  static_cast<void>(manager.release(writer_a));
  static_cast<void>(manager.release(writer_b));
}

TEST(cache_manager, a_failed_top_tier_store_is_refused_and_forgotten) {
  cache_manager<tier_stack<failing_tier>, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      small_sizer(), small_options(), spec_of(0));
  const block_ref a{block_key{3, 3}, block_tokens, block_type::user};
  const request_handle h = manager.begin_request();
  EXPECT_EQ(manager.admit(h, 0, a, filled(full_block, 1)), admit_outcome::refused);
  EXPECT_FALSE(manager.level_of(a.key).has_value());
  EXPECT_EQ(manager.stats().refused, 1U);
  static_cast<void>(manager.release(h));
}

TEST(cache_manager, block_bytes_count_the_scales) {
  const model_shape model = presets::llama_3_1_8b();
  const model_block_sizer plain(model, kv_format::fp8_e4m3);
  const model_block_sizer scaled(model, kv_format::fp8_per_token_head);
  // One fp32 scale per (token, KV head) for K and for V on each of the 32 layers.
  EXPECT_EQ(scaled.block_bytes(16) - plain.block_bytes(16), 16U * 32 * 8 * 2 * 4);
  cache_manager<tier_stack<simulated_tier>, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      scaled, cache_manager_options{.block_tokens = 16}, spec_of(1'000'000));
  const request_handle h = manager.begin_request();
  static_cast<void>(manager.admit(h, 0, {block_key{9, 9}, 16, block_type::user}));
  EXPECT_EQ(manager.stack().tier<0>().used_bytes(), scaled.block_bytes(16));
  EXPECT_EQ(manager.release(h).stored_bytes, scaled.block_bytes(16));
}

TEST(cache_manager, block_sizer_laws) {
  const model_block_sizer sizer(presets::deepseek_v3(), kv_format::fp8_ds_mla);
  EXPECT_EQ(sizer.block_bytes(0), 0U);
  for (std::uint32_t a = 0; a < 64; a += 7) {
    for (std::uint32_t b = 0; b < 64; b += 5) {
      EXPECT_EQ(sizer.block_bytes(a + b), sizer.block_bytes(a) + sizer.block_bytes(b));
      if (a <= b) {
        EXPECT_LE(sizer.block_bytes(a), sizer.block_bytes(b));
      }
    }
  }
}

TEST(cache_manager, chains_token_ids_with_the_salt) {
  cache_manager_options options = small_options();
  cache_manager<tier_stack<simulated_tier>> plain(small_sizer(), options, spec_of(8));
  options.salt = block_hash_of("adapter-1");
  cache_manager<tier_stack<simulated_tier>> salted(small_sizer(), options, spec_of(8));
  const std::vector<std::uint32_t> tokens{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const auto refs = plain.chain_tokens(tokens);
  ASSERT_EQ(refs.size(), 3U);
  EXPECT_EQ(refs[2].tokens, 2U);
  const std::vector<std::uint32_t> other{1, 2, 3, 4, 5, 6, 7, 9, 9, 10};
  const auto other_refs = plain.chain_tokens(other);
  EXPECT_EQ(other_refs[0].key, refs[0].key);
  EXPECT_NE(other_refs[1].key, refs[1].key);
  EXPECT_NE(other_refs[2].key, refs[2].key);  // chained: a change earlier changes every later key
  EXPECT_NE(salted.chain_tokens(tokens)[0].key, refs[0].key);
  const std::array<std::byte, 16> le{std::byte{1}, {}, {}, {}, std::byte{2}, {}, {}, {},
                                     std::byte{3}, {}, {}, {}, std::byte{4}, {}, {}, {}};
  EXPECT_EQ(refs[0].key, chain_block_hash(block_key{}, le));
}

TEST(cache_manager, scores_top_tier_blocks_and_plans_lower_loads) {
  cache_manager<two_level, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      small_sizer(), small_options(), spec_of(2), spec_of(8, tier_kind::nvme));
  std::vector<block_ref> refs;
  for (std::uint64_t i = 0; i < 4; ++i) refs.push_back({block_key{5, i}, block_tokens, block_type::system});
  const request_handle h = manager.begin_request({1'000, 1});
  for (std::size_t i = 0; i < refs.size(); ++i) static_cast<void>(manager.admit(h, i, refs[i]));
  static_cast<void>(manager.release(h));
  std::size_t top = 0;
  for (const auto& ref : refs) top += manager.level_of(ref.key) == std::optional<std::size_t>(0) ? 1 : 0;
  EXPECT_EQ(top, 2U);
  const std::vector<double> compute(2, 1e-3);
  const prefetch_plan plan = manager.plan_prefetch(refs, compute);
  EXPECT_EQ(plan.loads.size(), 2U);
  for (const auto& load : plan.loads) EXPECT_EQ(load.level, 1U);
  EXPECT_GT(plan.layers.stall_s, 0.0);
  for (const auto& ref : refs) {
    if (manager.level_of(ref.key) != std::optional<std::size_t>(0)) continue;
    const std::vector<float> mass{1.0F, 0.0F, 1.0F, 1.0F};
    manager.record_attention(ref.key, mass, 100.0);
    EXPECT_GT(*manager.head_priority(ref.key, 0, 1, 200.0), *manager.head_priority(ref.key, 0, 0, 200.0));
    EXPECT_DOUBLE_EQ(*manager.block_priority(ref.key, 200.0), *manager.head_priority(ref.key, 0, 1, 200.0));
  }
  EXPECT_FALSE(manager.block_priority(block_key{42, 42}, 0.0).has_value());
}

// One single-block request every `gap_ms`: each admission makes LRU over two top blocks evict the
// block admitted two requests earlier. With `read_back`, each request first reads the block admitted
// three requests earlier (from DRAM when it was demoted).
template <class Manager>
void run_one_block_requests(Manager& manager, std::uint64_t requests, std::uint64_t gap_ms, bool read_back) {
  for (std::uint64_t r = 0; r < requests; ++r) {
    const request_handle h = manager.begin_request({r * gap_ms, static_cast<session_id>(r)});
    if (read_back && r >= 3) {
      const block_ref old{block_key{9, r - 3}, block_tokens, block_type::user};
      static_cast<void>(manager.match_prefix(h, std::span<const block_ref>(&old, 1)));
    }
    const block_ref fresh{block_key{9, r}, block_tokens, block_type::user};
    static_cast<void>(manager.admit(h, 0, fresh));
    static_cast<void>(manager.release(h));
  }
}

cache_manager_options demotion_options() {
  cache_manager_options options = small_options();
  options.demotion_horizon_ms = 1'000;
  return options;
}

TEST(cache_manager, drops_instead_of_demoting_what_is_never_read_back) {
  cache_manager<two_level, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      small_sizer(), demotion_options(), spec_of(2), spec_of(1'000, tier_kind::dram));
  run_one_block_requests(manager, 200, 2'000, false);
  const manager_stats stats = manager.stats();
  EXPECT_EQ(stats.evictions, 198U);
  // The uniform prior demotes until about twenty unread demotions have pushed the estimate below 1/20.
  EXPECT_GT(stats.demotions, 0U);
  EXPECT_LT(stats.demotions, 30U);
  EXPECT_EQ(stats.unlikely_drops, stats.evictions - stats.demotions);
  EXPECT_EQ(stats.drops, stats.unlikely_drops);
  EXPECT_EQ(manager.stack().template tier<1>().used_bytes(), stats.demotions * full_block);
  const context_id unread_end = make_context(block_type::user, transition_type::end);
  EXPECT_LT(manager.demotion_reuse(unread_end), 0.05);
}

TEST(cache_manager, keeps_demoting_what_is_read_back) {
  cache_manager<two_level, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      small_sizer(), demotion_options(), spec_of(2), spec_of(1'000, tier_kind::dram));
  run_one_block_requests(manager, 200, 100, true);
  const manager_stats stats = manager.stats();
  EXPECT_EQ(stats.unlikely_drops, 0U);
  EXPECT_EQ(stats.levels[1].hits, 197U);  // every read-back, from DRAM
  EXPECT_GT(manager.demotion_reuse(make_context(block_type::user, transition_type::end)), 0.5);
}

TEST(cache_manager, min_demotion_reuse_zero_demotes_every_evicted_block) {
  cache_manager_options options = demotion_options();
  options.min_demotion_reuse = 0.0;
  cache_manager<two_level, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      small_sizer(), options, spec_of(2), spec_of(1'000, tier_kind::dram));
  run_one_block_requests(manager, 200, 2'000, false);
  const manager_stats stats = manager.stats();
  EXPECT_EQ(stats.demotions, 198U);
  EXPECT_EQ(stats.drops, 0U);
}

/// `spec` at another hourly price.
tier_spec priced(tier_spec spec, double cost_per_gb_hour) {
  spec.cost_per_gb_hour = cost_per_gb_hour;
  return spec;
}

TEST(cache_manager, priced_demotion_skips_a_level_whose_holding_cost_exceeds_any_hit) {
  // DRAM at $10^6 per GB-hour: an hour of 64 bytes costs more than recomputing 4 tokens of
  // Llama-3.1-8B saves, whatever the probability; a free NVMe below takes every block instead.
  using three_level = tier_stack<simulated_tier, simulated_tier, simulated_tier>;
  cache_manager<three_level, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      small_sizer(), demotion_options(), spec_of(2), priced(spec_of(1'000, tier_kind::dram), 1e6),
      priced(spec_of(1'000, tier_kind::nvme), 0.0));
  EXPECT_GT(manager.demotion_threshold(1), 1.0);
  EXPECT_EQ(manager.demotion_threshold(2), demotion_options().min_demotion_reuse);
  run_one_block_requests(manager, 200, 100, true);
  const manager_stats stats = manager.stats();
  EXPECT_EQ(stats.levels[1].bytes_written, 0U);
  EXPECT_EQ(stats.levels[1].hits, 0U);
  EXPECT_EQ(stats.levels[2].hits, 197U);  // every read-back, from NVMe
  EXPECT_EQ(stats.unlikely_drops, 0U);

  // With nothing cheaper below, the block leaves the hierarchy.
  cache_manager<two_level, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> alone(
      small_sizer(), demotion_options(), spec_of(2), priced(spec_of(1'000, tier_kind::dram), 1e6));
  run_one_block_requests(alone, 200, 100, true);
  EXPECT_EQ(alone.stats().demotions, 0U);
  EXPECT_EQ(alone.stats().levels[1].bytes_written, 0U);
  EXPECT_EQ(alone.stats().unlikely_drops, alone.stats().evictions);
}

TEST(cache_manager, priced_demotion_into_cheap_levels_is_the_unpriced_rule) {
  // At the presets' prices a 2 KiB block costs well under 1/20 of a hit's value to hold for an
  // hour: the floor decides, block for block as without prices.
  const block_trace trace = small_workload();
  using three_level = tier_stack<simulated_tier, simulated_tier, simulated_tier>;
  const auto run = [&](bool priced_rule) {
    cache_manager_options options{.block_tokens = 512};
    options.priced_demotion = priced_rule;
    cache_manager<three_level> manager(small_sizer(), options, spec_of(16 * 128), spec_of(32 * 128, tier_kind::dram),
                                       spec_of(64 * 128, tier_kind::nvme));
    for (const tier_kind kind : {tier_kind::dram, tier_kind::nvme}) {
      EXPECT_LT(demotion_reuse_threshold(options.demotion_value, spec_of(1, kind), 512, 512 * bytes_per_token,
                                         options.demotion_horizon_ms),
                options.min_demotion_reuse / 10);
    }
    EXPECT_EQ(manager.demotion_threshold(1), options.min_demotion_reuse);
    EXPECT_EQ(manager.demotion_threshold(2), options.min_demotion_reuse);
    static_cast<void>(replay_through_manager(trace, manager));
    return manager.stats();
  };
  const manager_stats unpriced = run(false);
  EXPECT_GT(unpriced.demotions, 0U);
  EXPECT_GT(unpriced.levels[1].hits + unpriced.levels[2].hits, 0U);
  EXPECT_EQ(run(true), unpriced);
}

TEST(cache_manager, priced_demotion_is_monotone_in_price) {
  const block_trace trace = small_workload();
  const projection_params value;
  double last_threshold = 0.0;
  std::uint64_t last_demotions = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t last_written = std::numeric_limits<std::uint64_t>::max();
  for (const double price : {0.0, 0.01, 0.1, 0.2, 0.4, 1.0, 2.0, 4.0}) {
    const tier_spec dram = priced(spec_of(32 * 128, tier_kind::dram), price);
    const double threshold = demotion_reuse_threshold(value, dram, 512, 512 * bytes_per_token, 3'600'000);
    EXPECT_GE(threshold, last_threshold) << price;
    last_threshold = threshold;
    cache_manager<two_level> manager(small_sizer(), cache_manager_options{.block_tokens = 512}, spec_of(16 * 128),
                                     dram);
    EXPECT_EQ(manager.demotion_threshold(1), std::max(0.05, threshold));
    static_cast<void>(replay_through_manager(trace, manager));
    const manager_stats stats = manager.stats();
    EXPECT_LE(stats.demotions, last_demotions) << price;
    EXPECT_LE(stats.levels[1].bytes_written, last_written) << price;
    if (price == 0.0) {
      EXPECT_GT(stats.demotions, 0U);
    }
    if (threshold > 1.0) {
      EXPECT_EQ(stats.demotions, 0U) << price;
    }
    last_demotions = stats.demotions;
    last_written = stats.levels[1].bytes_written;
  }
  EXPECT_GT(last_threshold, 1.0);  // the sweep reaches a price no hit pays for
}

TEST(cache_manager, memory_stays_bounded_over_many_distinct_keys) {
  cache_manager_options options = small_options();
  options.remembered_blocks = 64;
  cache_manager<two_level, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      small_sizer(), options, spec_of(4), spec_of(8, tier_kind::dram));
  EXPECT_EQ(manager.remembered_blocks(), 64U);
  std::size_t most_tracked = 0;
  for (std::uint64_t r = 0; r < 20'000; ++r) {
    const request_handle h = manager.begin_request({r, 1});
    std::vector<block_ref> refs;
    for (std::uint64_t i = 0; i < 5; ++i) refs.push_back({block_key{r, i}, block_tokens});
    const prefix_match match = manager.match_prefix(h, refs);
    for (std::size_t i = match.blocks; i < refs.size(); ++i) static_cast<void>(manager.admit(h, i, refs[i]));
    static_cast<void>(manager.release(h));
    most_tracked = std::max(most_tracked, manager.tracked_blocks());
  }
  // 100,000 distinct keys; the manager tracks at most the 12 blocks its tiers hold plus 64 departed.
  EXPECT_LE(most_tracked, 4U + 8U + 64U);
  EXPECT_LE(manager.block_id_bound(), 4U + 8U + 64U + 1U);
  EXPECT_GT(manager.stats().drops, 90'000U);
}

TEST(cache_manager, forgetting_departed_keys_changes_no_lru_decision) {
  // LRU keeps no history of departed blocks: recycling their ids must leave every decision as the
  // simulator's, which names blocks by the trace's own ids.
  const block_trace trace = small_workload();
  ASSERT_GT(trace.unique_blocks, 500U);
  for (const std::size_t capacity : {16U, 64U}) {
    cache_manager_options options{.block_tokens = 512};
    options.remembered_blocks = 32;
    cache_manager<tier_stack<simulated_tier>, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
        model_block_sizer::from_bytes_per_token(bytes_per_token), options, spec_of(capacity * 512 / block_tokens));
    const tiered_replay_stats tiered = replay_through_manager(trace, manager);
    lru_policy policy(capacity);
    const hit_stats simulated = simulate(trace, policy);
    EXPECT_EQ(tiered.hits.prefix_hits, simulated.prefix_hits);
    EXPECT_EQ(tiered.hits.block_hits, simulated.block_hits);
    EXPECT_EQ(tiered.hits.evictions, simulated.evictions);
    EXPECT_LE(manager.block_id_bound(), capacity + 32 + 1);
  }
}

TEST(cache_manager, attention_orders_the_heads_to_demote) {
  cache_manager<two_level, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      small_sizer(), small_options(), spec_of(2), spec_of(8, tier_kind::dram));
  std::vector<block_ref> refs;
  for (std::uint64_t i = 0; i < 3; ++i) refs.push_back({block_key{6, i}, block_tokens, block_type::user});
  const request_handle h = manager.begin_request({0, 1});
  for (std::size_t i = 0; i < refs.size(); ++i) static_cast<void>(manager.admit(h, i, refs[i]));
  static_cast<void>(manager.release(h));
  ASSERT_EQ(manager.level_of(refs[2].key), std::optional<std::size_t>(0));
  // Layer 1 head 0 is attended most, layer 0 head 1 not at all: it goes first, and the attended one last.
  for (int step = 0; step < 4; ++step) {
    manager.record_attention(refs[2].key, std::vector<float>{0.5F, 0.0F, 1.0F, 0.25F}, 10.0 * step);
  }
  const std::vector<head_cell> order = manager.head_demotion_order(refs[2].key, 100.0);
  ASSERT_EQ(order.size(), 4U);
  EXPECT_EQ(order[0].layer, 0U);
  EXPECT_EQ(order[0].head, 1U);
  EXPECT_EQ(order[1].layer, 1U);
  EXPECT_EQ(order[1].head, 1U);
  EXPECT_EQ(order[2].layer, 0U);
  EXPECT_EQ(order[2].head, 0U);
  EXPECT_EQ(order[3].layer, 1U);
  EXPECT_EQ(order[3].head, 0U);
  for (std::size_t i = 1; i < order.size(); ++i) EXPECT_GT(order[i - 1].priority, order[i].priority);
  EXPECT_DOUBLE_EQ(order[0].priority, *manager.block_priority(refs[2].key, 100.0));
  EXPECT_TRUE(manager.head_demotion_order(refs[0].key, 100.0).empty());  // in DRAM: no scores
}

TEST(cache_manager, prefetch_loads_sinks_and_recent_blocks_first) {
  cache_manager<two_level, model_block_sizer, beta_bernoulli_predictor<>, lru_policy> manager(
      small_sizer(), small_options(), spec_of(2), spec_of(16, tier_kind::nvme));
  std::vector<block_ref> refs;
  for (std::uint64_t i = 0; i < 8; ++i) refs.push_back({block_key{8, i}, block_tokens, block_type::user});
  const request_handle h = manager.begin_request({0, 1});
  for (std::size_t i = 0; i < refs.size(); ++i) static_cast<void>(manager.admit(h, i, refs[i]));
  static_cast<void>(manager.release(h));
  // LRU keeps blocks 6 and 7 (tokens 24..31) at the top; 0..5 are in NVMe. With 4 sink tokens, a
  // recent window of 8 tokens (blocks 6 and 7) and an e-folding of 4 tokens: block 0 holds the sinks
  // (priority 1), then the nearer a block is to the window the sooner it loads.
  const position_priority_params priority{.sink_tokens = 4, .recent_window_tokens = 8, .decay_tokens = 4.0};
  const prefetch_plan plan = manager.plan_prefetch(refs, std::vector<double>(2, 1e-3), priority);
  std::vector<std::size_t> positions;
  for (const prefetch_item& load : plan.loads) positions.push_back(load.position);
  EXPECT_EQ(positions, (std::vector<std::size_t>{0, 5, 4, 3, 2, 1}));
  EXPECT_DOUBLE_EQ(plan.loads[0].priority, 1.0);
  EXPECT_DOUBLE_EQ(plan.loads[1].priority, std::exp(-1.0 / 4.0));
  // Default priorities: the whole 32-token prompt lies in the recent window, so position order.
  const prefetch_plan plain = manager.plan_prefetch(refs, std::vector<double>(2, 1e-3));
  for (std::size_t i = 0; i < plain.loads.size(); ++i) EXPECT_EQ(plain.loads[i].position, i);
}

TEST(cache_manager, concurrent_requests_keep_their_own_accounting) {
  // A short demotion horizon and a small window of remembered keys, so that decisions are settled,
  // keys forgotten and ids recycled while requests run.
  cache_manager_options options = small_options();
  options.demotion_horizon_ms = 20;
  options.remembered_blocks = 24;
  cache_manager<tier_stack<simulated_tier, simulated_tier, simulated_tier>> manager(
      small_sizer(), options, spec_of(16), spec_of(32, tier_kind::dram), spec_of(64, tier_kind::nvme));
  constexpr int threads = 8;
  constexpr int requests_per_thread = 200;
  std::vector<std::vector<request_stats>> seen(threads);
  std::vector<std::thread> workers;
  std::atomic<bool> running{true};
  // A reader of scores, plans and sizes beside the requests.
  std::thread reader([&] {
    const std::vector<block_ref> shared{{block_key{100, 0}, block_tokens}, {block_key{100, 1}, block_tokens}};
    const std::vector<double> compute(2, 1e-3);
    const std::vector<float> mass{0.5F, 0.25F, 1.0F, 0.0F};
    while (running.load()) {
      manager.record_attention(shared[0].key, mass, 1.0);
      EXPECT_LE(manager.head_demotion_order(shared[0].key, 2.0).size(), 4U);
      EXPECT_LE(manager.plan_prefetch(shared, compute).loads.size(), 2U);
      EXPECT_LE(manager.tracked_blocks(), 16U + 32U + 64U + 24U);
    }
  });
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int r = 0; r < requests_per_thread; ++r) {
        // Prefixes shared across threads (system prompts) and private tails.
        std::vector<block_ref> refs;
        for (std::uint64_t i = 0; i < 3; ++i) refs.push_back({block_key{100, (r % 5) * 10 + i}, block_tokens});
        for (std::uint64_t i = 0; i < 4; ++i)
          refs.push_back({block_key{static_cast<std::uint64_t>(t + 1), (r % 13) * 10 + i}, block_tokens});
        const request_handle h = manager.begin_request({static_cast<std::uint64_t>(r), static_cast<session_id>(t)});
        const prefix_match match = manager.match_prefix(h, refs);
        for (std::size_t i = match.blocks; i < refs.size(); ++i) static_cast<void>(manager.admit(h, i, refs[i]));
        const request_stats stats = manager.release(h);
        std::uint64_t hits = 0;
        for (const auto n : stats.hit_blocks) hits += n;
        EXPECT_EQ(hits, match.blocks);
        EXPECT_EQ(stats.missed_blocks, refs.size() - match.blocks);
        seen[static_cast<std::size_t>(t)].push_back(stats);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  running.store(false);
  reader.join();
  const manager_stats stats = manager.stats();
  for (std::size_t level = 0; level < 3; ++level) {
    std::uint64_t sum = 0;
    for (const auto& list : seen) {
      for (const auto& s : list) sum += s.hit_blocks[level];
    }
    EXPECT_EQ(sum, stats.levels[level].hits) << level;
  }
  EXPECT_LE(manager.stack().tier<0>().used_bytes(), 16 * full_block);
  EXPECT_LE(manager.stack().tier<1>().used_bytes(), 32 * full_block);
  EXPECT_LE(manager.stack().tier<2>().used_bytes(), 64 * full_block);
  EXPECT_GT(stats.levels[0].hits, 0U);
  EXPECT_GT(stats.drops, 0U);  // keys left the hierarchy, and some were forgotten
  EXPECT_LE(manager.tracked_blocks(), 16U + 32U + 64U + 24U);
}

}  // namespace
}  // namespace kvtier
