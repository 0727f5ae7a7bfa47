// What each admission wrapper adds over its inner policy, on small scripted reference strings.
#include <kvtier/policy/cost_aware_ewma_admission.hpp>
#include <kvtier/policy/lfu_policy.hpp>
#include <kvtier/policy/lru_policy.hpp>
#include <kvtier/policy/second_sight_admission.hpp>
#include <kvtier/policy/tinylfu_admission.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace {

static_assert(kvtier::second_sight_admission<kvtier::lru_policy>::name == "second-sight-lru");
static_assert(kvtier::tinylfu_admission<kvtier::lfu_policy>::name == "tinylfu-lfu");
static_assert(kvtier::cost_aware_ewma_admission<kvtier::lru_policy>::name == "ewma-lru");
static_assert(kvtier::victim_peeking_policy<kvtier::lru_policy>);
static_assert(kvtier::victim_peeking_policy<kvtier::lfu_policy>);

template <class P>
std::uint64_t hits(P& policy, const std::vector<kvtier::block_id>& ids, std::uint32_t position = 0) {
  std::vector<kvtier::block_id> evicted;
  std::uint64_t count = 0;
  kvtier::block_access a;
  a.tokens = 512;
  a.position = position;
  for (const kvtier::block_id id : ids) {
    a.id = id;
    count += policy.access(a, evicted) ? 1 : 0;
    ++a.ref_index;
  }
  return count;
}

TEST(second_sight, admits_on_the_second_sighting_only) {
  kvtier::second_sight_admission<kvtier::lru_policy> policy(4);
  EXPECT_EQ(hits(policy, {1, 2}), 0u);
  EXPECT_FALSE(policy.contains(1));
  EXPECT_EQ(hits(policy, {1, 1}), 1u);  // admitted on the second sight, hit on the third
  EXPECT_TRUE(policy.contains(1));
}

TEST(second_sight, history_is_bounded) {
  kvtier::second_sight_admission<kvtier::lru_policy> policy(2, {.history_factor = 1.0});
  (void)hits(policy, {1, 2, 3});  // history holds 2 ids: 1 falls out
  (void)hits(policy, {1});
  EXPECT_FALSE(policy.contains(1));
  (void)hits(policy, {3});
  EXPECT_TRUE(policy.contains(3));
}

TEST(tinylfu, a_popular_block_survives_a_scan_that_flushes_lru) {
  kvtier::tinylfu_admission<kvtier::lru_policy> tiny(20);
  kvtier::lru_policy lru(20);
  std::vector<kvtier::block_id> refs;
  for (int i = 0; i < 8; ++i) refs.push_back(7);
  for (kvtier::block_id scan = 100; scan < 160; ++scan) refs.push_back(scan);
  (void)hits(tiny, refs);
  (void)hits(lru, refs);
  EXPECT_TRUE(tiny.contains(7));
  EXPECT_FALSE(lru.contains(7));
  EXPECT_GE(tiny.estimated_frequency(7), 5u);
  EXPECT_LE(tiny.estimated_frequency(150), 2u);
}

TEST(cost_aware_ewma, a_one_off_block_does_not_displace_a_reused_one) {
  kvtier::cost_aware_ewma_admission<kvtier::lru_policy> policy(2);
  (void)hits(policy, {1, 1, 1, 2, 2, 2});  // both reused every few references
  EXPECT_EQ(hits(policy, {9}), 0u);
  EXPECT_FALSE(policy.contains(9));
  EXPECT_TRUE(policy.contains(1));
  EXPECT_TRUE(policy.contains(2));
  EXPECT_GT(policy.value(1, 7), 0.0);
  EXPECT_EQ(policy.value(9, 7), 0.0);
}

TEST(cost_aware_ewma, deeper_blocks_cost_more_to_recompute) {
  kvtier::cost_aware_ewma_admission<kvtier::lru_policy> shallow(4), deep(4);
  (void)hits(shallow, {1, 1}, 0);
  (void)hits(deep, {1, 1}, 96);  // 49,152 tokens in: attention triples the cost
  EXPECT_NEAR(deep.value(1, 2) / shallow.value(1, 2), 3.0, 1e-6);
}

template <class P>
void expect_victim_is_evicted() {
  P policy(16);
  std::mt19937 rng(5);
  std::vector<kvtier::block_id> evicted;
  kvtier::block_access a;
  for (std::uint64_t i = 0; i < 5000; ++i) {
    a.id = static_cast<kvtier::block_id>(rng() % 40);
    a.ref_index = i;
    const bool full_miss = !policy.contains(a.id) && policy.size() == policy.capacity();
    const std::optional<kvtier::block_id> victim = policy.victim();
    (void)policy.access(a, evicted);
    if (full_miss) {
      ASSERT_TRUE(victim.has_value());
      ASSERT_EQ(evicted, std::vector<kvtier::block_id>{*victim}) << P::name << " at reference " << i;
    }
  }
}

TEST(victim_peeking, the_victim_is_what_the_next_miss_evicts) {
  expect_victim_is_evicted<kvtier::lru_policy>();
  expect_victim_is_evicted<kvtier::lfu_policy>();
}

}  // namespace
