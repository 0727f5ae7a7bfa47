// The simulator's three hit rates on small traces whose counts are worked out by hand.
#include <kvtier/policy/belady_policy.hpp>
#include <kvtier/policy/lru_policy.hpp>
#include <kvtier/policy/simulator.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace {

kvtier::block_trace make_trace(std::initializer_list<std::pair<std::uint32_t, std::vector<std::uint64_t>>> requests) {
  kvtier::block_trace_builder builder("hand-made", 4);
  std::uint64_t time = 0;
  for (const auto& [tokens, ids] : requests) {
    builder.begin_request(time++, tokens, 0);
    for (const std::uint64_t id : ids) builder.add_block(id);
  }
  return std::move(builder).finish();
}

/// Records every access it sees and hits on a fixed set: isolates the counting from any policy.
struct scripted_policy {
  static constexpr std::string_view name = "scripted";
  std::vector<kvtier::block_id> resident;
  std::vector<kvtier::block_access> seen;
  bool access(const kvtier::block_access& a, std::vector<kvtier::block_id>& evicted) {
    evicted.clear();
    seen.push_back(a);
    return contains(a.id);
  }
  bool erase(kvtier::block_id) { return false; }
  [[nodiscard]] bool contains(kvtier::block_id id) const {
    return std::find(resident.begin(), resident.end(), id) != resident.end();
  }
  [[nodiscard]] std::size_t size() const { return resident.size(); }
  [[nodiscard]] std::size_t capacity() const { return resident.size() + 1; }
};
static_assert(kvtier::eviction_policy<scripted_policy>);
static_assert(!kvtier::offline_policy<scripted_policy>);

TEST(simulator, counts_block_prefix_and_token_hits) {
  // Block size 4 tokens. Ids a=0 b=1 c=2 d=3 e=4 (external 10..14).
  const auto trace = make_trace({{10, {10, 11, 12}}, {7, {13, 11}}, {16, {10, 11, 14, 12}}});
  scripted_policy policy;
  policy.resident = {1, 2};  // b and c hit wherever they appear
  const kvtier::hit_stats stats = kvtier::simulate(trace, policy);
  EXPECT_EQ(stats.requests, 3u);
  EXPECT_EQ(stats.block_refs, 9u);
  EXPECT_EQ(stats.unique_blocks, 5u);
  EXPECT_EQ(stats.block_hits, 5u);   // b, c; b; b, c
  EXPECT_EQ(stats.prefix_hits, 0u);  // every request starts with a miss
  EXPECT_EQ(stats.tokens, 4u + 4 + 2 + 4 + 3 + 4 * 4);
  EXPECT_EQ(stats.token_hits, 0u);
  EXPECT_DOUBLE_EQ(stats.block_hit_rate(), 5.0 / 9.0);

  policy.resident = {0, 1};  // a, b
  policy.seen.clear();
  const kvtier::hit_stats prefix = kvtier::simulate(trace, policy);
  EXPECT_EQ(prefix.block_hits, 5u);   // a, b; b; a, b
  EXPECT_EQ(prefix.prefix_hits, 4u);  // a, b of request 0 and of request 2
  EXPECT_EQ(prefix.token_hits, 16u);
  EXPECT_DOUBLE_EQ(prefix.token_hit_rate(), 16.0 / 33.0);
}

TEST(simulator, fills_block_access_in_trace_order) {
  const auto trace = make_trace({{10, {10, 11, 12}}, {7, {13, 11}}});
  scripted_policy policy;
  (void)kvtier::simulate(trace, policy);
  ASSERT_EQ(policy.seen.size(), 5u);
  const kvtier::block_access& last = policy.seen.back();
  EXPECT_EQ(last.id, 1u);
  EXPECT_EQ(last.parent, 3u);
  EXPECT_EQ(last.ref_index, 4u);
  EXPECT_EQ(last.request, 1u);
  EXPECT_EQ(last.position, 1u);
  EXPECT_EQ(last.tokens, 3u);
  EXPECT_EQ(last.request_blocks, 2u);
  EXPECT_EQ(last.time_ms, 1u);
  EXPECT_EQ(last.next_ref, kvtier::never) << "next_ref is filled only for offline policies";
  EXPECT_EQ(policy.seen[0].parent, kvtier::no_block);
}

TEST(simulator, next_references_link_each_reference_to_the_next) {
  const auto trace = make_trace({{12, {1, 2, 3}}, {8, {1, 2}}, {4, {3}}});
  EXPECT_EQ(kvtier::next_references(trace),
            (std::vector<std::uint64_t>{3, 4, 5, kvtier::never, kvtier::never, kvtier::never}));
}

TEST(simulator, lru_and_belady_on_a_cyclic_loop) {
  // A loop of 4 blocks in a 3-block cache: LRU thrashes (0 hits). Belady: 1 2 3 cold; 4 evicts 3
  // (next use farthest); 1 2 hit; 3 evicts 2; 4 1 hit; 2 evicts 1 (never used again); 3 4 hit.
  const auto trace = make_trace({{16, {1, 2, 3, 4}}, {16, {1, 2, 3, 4}}, {16, {1, 2, 3, 4}}});
  kvtier::lru_policy lru(3);
  EXPECT_EQ(kvtier::simulate(trace, lru).block_hits, 0u);
  kvtier::belady_policy belady(3);
  const kvtier::hit_stats best = kvtier::simulate(trace, belady);
  EXPECT_EQ(best.block_hits, 6u);
  EXPECT_EQ(best.evictions, 3u);
}

TEST(simulator, reports_progress) {
  const auto trace = make_trace({{16, {1, 2, 3, 4}}, {16, {1, 2, 3, 4}}, {16, {1, 2, 3, 4}}});
  std::vector<std::uint64_t> reports;
  kvtier::simulate_options options;
  options.progress_every_refs = 4;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_EQ(total, 12u);
    reports.push_back(done);
  };
  kvtier::lru_policy lru(2);
  (void)kvtier::simulate(trace, lru, options);
  EXPECT_EQ(reports, (std::vector<std::uint64_t>{4, 8, 12, 12}));
}

}  // namespace
