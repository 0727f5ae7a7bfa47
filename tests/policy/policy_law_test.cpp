// Typed law tests: every eviction_policy model against the numbered requirements of
// include/kvtier/policy/concepts.hpp, on random prefix-chained traces (a property test with a
// fixed seed per case), with a shadow set that tracks residency from the reported evictions.
#include <kvtier/policy/arc_policy.hpp>
#include <kvtier/policy/belady_policy.hpp>
#include <kvtier/policy/cost_aware_ewma_admission.hpp>
#include <kvtier/policy/lfu_policy.hpp>
#include <kvtier/policy/lru_policy.hpp>
#include <kvtier/policy/s3fifo_policy.hpp>
#include <kvtier/policy/second_sight_admission.hpp>
#include <kvtier/policy/simulator.hpp>
#include <kvtier/policy/tinylfu_admission.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace {

template <class P>
inline constexpr bool may_decline = false;
template <class Inner>
inline constexpr bool may_decline<kvtier::second_sight_admission<Inner>> = true;
template <class Inner>
inline constexpr bool may_decline<kvtier::cost_aware_ewma_admission<Inner>> = true;

/// S3-FIFO with libCacheSim's v0 admission rule, which declines misses at small capacities.
struct libcachesim_s3fifo : kvtier::s3fifo_policy {
  explicit libcachesim_s3fifo(std::size_t capacity)
      : kvtier::s3fifo_policy(capacity, {.libcachesim_v0_admission = true}) {}
};
template <>
inline constexpr bool may_decline<libcachesim_s3fifo> = true;

/// Random requests over a small id universe: chains that share prefixes, loops and one-offs.
kvtier::block_trace random_trace(std::uint32_t seed, std::uint32_t requests, std::uint32_t universe) {
  std::mt19937 rng(seed);
  kvtier::block_trace_builder builder("random", 16);
  for (std::uint32_t r = 0; r < requests; ++r) {
    const std::uint32_t blocks = 1 + rng() % 12;
    builder.begin_request(r, blocks * 16 - rng() % 16, 1);
    const std::uint64_t family = rng() % 6;
    for (std::uint32_t b = 0; b < blocks; ++b) {
      const bool shared = b < 4 && rng() % 3 != 0;
      builder.add_block(shared ? family * 16 + b : 1000 + rng() % universe);
    }
  }
  return std::move(builder).finish();
}

template <class P>
class policy_laws : public ::testing::Test {};

using policies =
    ::testing::Types<kvtier::lru_policy, kvtier::belady_policy, kvtier::lfu_policy, kvtier::arc_policy,
                     kvtier::s3fifo_policy, libcachesim_s3fifo, kvtier::second_sight_admission<kvtier::lru_policy>,
                     kvtier::second_sight_admission<kvtier::arc_policy>, kvtier::tinylfu_admission<kvtier::lru_policy>,
                     kvtier::tinylfu_admission<kvtier::lfu_policy>,
                     kvtier::cost_aware_ewma_admission<kvtier::lru_policy>>;
TYPED_TEST_SUITE(policy_laws, policies);

TYPED_TEST(policy_laws, requirements_hold_on_random_traces) {
  using P = TypeParam;
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    const kvtier::block_trace trace = random_trace(seed, 300, 8 + seed * 10);
    const std::vector<std::uint64_t> next = kvtier::next_references(trace);
    const std::size_t capacity = 1 + seed * 3 % 29;
    P policy(capacity);
    EXPECT_EQ(policy.capacity(), capacity) << "7: capacity is fixed at construction";
    std::vector<bool> shadow(trace.unique_blocks, false);
    std::size_t shadow_size = 0;
    std::vector<kvtier::block_id> evicted{12345};
    std::mt19937 rng(seed);
    std::uint64_t ref = 0;
    for (const kvtier::trace_request& request : trace.requests) {
      kvtier::block_access a;
      for (std::uint32_t position = 0; position < request.block_count; ++position, ++ref) {
        a.id = trace.block_ids[request.first_block + position];
        a.ref_index = ref;
        a.next_ref = next[ref];
        a.position = position;
        a.tokens = 16;
        const bool was = policy.contains(a.id);
        ASSERT_EQ(was, shadow[a.id]) << "5: contains agrees with the tracked residency";
        const bool hit = policy.access(a, evicted);
        ASSERT_EQ(hit, was) << "1: access reports whether the block was resident";
        ASSERT_LE(policy.size(), policy.capacity()) << "2: size within capacity";
        const bool now = policy.contains(a.id);
        if (!may_decline<P> || hit) {
          ASSERT_TRUE(now) << "3: the accessed block is resident";
        }
        for (const kvtier::block_id gone : evicted) {
          ASSERT_TRUE(gone != a.id || (!hit && !now)) << "4: the accessed block is not reported evicted";
          ASSERT_TRUE(shadow[gone]) << "4: only resident blocks are reported evicted";
          ASSERT_FALSE(policy.contains(gone)) << "4: reported blocks are gone";
          shadow[gone] = false;
          --shadow_size;
        }
        if (now && !shadow[a.id]) {
          shadow[a.id] = true;
          ++shadow_size;
        }
        if (!now && shadow[a.id]) {
          shadow[a.id] = false;
          --shadow_size;
        }
        ASSERT_EQ(policy.size(), shadow_size) << "4/5: every block that left was reported";
        if (rng() % 17 == 0) {
          const kvtier::block_id victim = static_cast<kvtier::block_id>(rng() % trace.unique_blocks);
          ASSERT_EQ(policy.erase(victim), static_cast<bool>(shadow[victim])) << "6: erase reports residency";
          ASSERT_FALSE(policy.contains(victim)) << "6: erased blocks are gone";
          if (shadow[victim]) --shadow_size;
          shadow[victim] = false;
        }
      }
    }
    for (kvtier::block_id id = 0; id < trace.unique_blocks; ++id) {
      ASSERT_EQ(policy.contains(id), static_cast<bool>(shadow[id])) << "5";
    }
    EXPECT_EQ(policy.capacity(), capacity) << "7";
  }
}

TYPED_TEST(policy_laws, a_hit_follows_an_immediate_repeat) {
  TypeParam policy(4);
  std::vector<kvtier::block_id> evicted;
  kvtier::block_access a;
  a.id = 7;
  a.next_ref = 1;
  const bool first = policy.access(a, evicted);
  EXPECT_FALSE(first);
  if (!policy.contains(7)) return;  // declined by admission (3)
  a.ref_index = 1;
  a.next_ref = kvtier::never;
  EXPECT_TRUE(policy.access(a, evicted));
  EXPECT_TRUE(evicted.empty());
}

}  // namespace
