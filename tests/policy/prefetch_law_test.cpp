// Law test of prefetching_policy (include/kvtier/policy/concepts.hpp): a hint changes nothing. Every
// model is driven twice over the same random prefix-chained traces, once told of upcoming, random,
// never-seen and out-of-range ids before every access and once never told, and must answer alike.
#include <kvtier/policy/lru_policy.hpp>
#include <kvtier/policy/predictive_policy.hpp>
#include <kvtier/policy/simulator.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

/// Random prefix-chained requests: a block's id determines its whole prefix (as in every block trace:
/// an id always follows the same parent), chains share prefixes, branch and end partially.
kvtier::block_trace random_trace(std::uint32_t seed, std::uint32_t requests, std::uint32_t branching) {
  std::mt19937 rng(seed);
  kvtier::block_trace_builder builder("random", 16);
  std::uint64_t time_ms = 0;
  for (std::uint32_t r = 0; r < requests; ++r) {
    const std::uint32_t blocks = 1 + rng() % 12;
    time_ms += rng() % 40'000;  // gaps around the reuse horizon's octaves
    builder.begin_request(time_ms, blocks * 16 - rng() % 16, 1, rng() % 4 == 0 ? kvtier::no_session : rng() % 9);
    std::uint64_t id = 1 + rng() % 6;  // one of six roots
    for (std::uint32_t b = 0; b < blocks; ++b) {
      builder.add_block(id);
      id = id * 1'000'003 + 1 + rng() % branching;  // a child of this block
    }
  }
  return std::move(builder).finish();
}

template <class P>
P make(std::size_t capacity) {
  if constexpr (std::constructible_from<P, kvtier::predictive_policy_params>) {
    return P{kvtier::predictive_policy_params{capacity}};
  } else {
    return P{capacity};
  }
}

/// The same policy with its prefetch hidden: what the simulator drives without hints.
template <class P>
struct unhinted {
  static constexpr std::string_view name = P::name;
  explicit unhinted(std::size_t capacity) : policy(make<P>(capacity)) {}
  bool access(const kvtier::block_access& a, std::vector<kvtier::block_id>& evicted) {
    return policy.access(a, evicted);
  }
  bool erase(kvtier::block_id id) { return policy.erase(id); }
  [[nodiscard]] bool contains(kvtier::block_id id) const noexcept { return policy.contains(id); }
  [[nodiscard]] std::size_t size() const noexcept { return policy.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return policy.capacity(); }
  P policy;
};

template <class P>
class prefetch_laws : public ::testing::Test {};
using prefetching = ::testing::Types<kvtier::lru_policy, kvtier::predictive_policy<>>;
TYPED_TEST_SUITE(prefetch_laws, prefetching);

TYPED_TEST(prefetch_laws, hints_change_no_answer) {
  using P = TypeParam;
  static_assert(kvtier::prefetching_policy<P>);
  static_assert(!kvtier::prefetching_policy<unhinted<P>>);
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    const kvtier::block_trace trace = random_trace(seed, 400, 1 + seed % 4);
    const std::size_t capacity = 2 + seed * 5 % 31;
    P hinted = make<P>(capacity);
    P plain = make<P>(capacity);
    std::vector<kvtier::block_id> hinted_evicted;
    std::vector<kvtier::block_id> plain_evicted;
    std::mt19937 rng(seed);
    kvtier::block_access a;
    std::uint64_t ref = 0;
    for (std::uint32_t r = 0; r < trace.requests.size(); ++r) {
      const kvtier::trace_request& request = trace.requests[r];
      a.parent = kvtier::no_block;
      a.time_ms = request.timestamp_ms;
      a.session = request.session;
      a.request = r;
      a.request_blocks = request.block_count;
      for (std::uint32_t position = 0; position < request.block_count; ++position, ++ref) {
        // 2: any id is valid: the upcoming ones, a random one, one never seen, the largest.
        for (std::uint64_t k = 1; k <= 8 && ref + k < trace.block_ids.size(); ++k) {
          hinted.prefetch(trace.block_ids[ref + k]);
        }
        hinted.prefetch(static_cast<kvtier::block_id>(rng() % trace.unique_blocks));
        hinted.prefetch(static_cast<kvtier::block_id>(trace.unique_blocks + rng() % 1000));
        hinted.prefetch(kvtier::no_block - 1);
        a.id = trace.block_ids[request.first_block + position];
        a.ref_index = ref;
        a.position = position;
        a.tokens = trace.block_tokens_at(request, position);
        ASSERT_EQ(hinted.access(a, hinted_evicted), plain.access(a, plain_evicted)) << "1: the same hit";
        ASSERT_EQ(hinted_evicted, plain_evicted) << "1: the same evictions, in the same order";
        ASSERT_EQ(hinted.size(), plain.size()) << "1: the same size";
        if (rng() % 23 == 0) {
          const auto victim = static_cast<kvtier::block_id>(rng() % trace.unique_blocks);
          hinted.prefetch(victim);
          ASSERT_EQ(hinted.erase(victim), plain.erase(victim)) << "1: the same erase";
        }
        a.parent = a.id;
      }
    }
    for (kvtier::block_id id = 0; id < trace.unique_blocks; ++id) {
      ASSERT_EQ(hinted.contains(id), plain.contains(id)) << "1: the same residents";
    }
  }
}

TYPED_TEST(prefetch_laws, the_simulator_counts_alike_with_and_without_hints) {
  using P = TypeParam;
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    const kvtier::block_trace trace = random_trace(100 + seed, 600, 2 + seed);
    for (const std::size_t capacity : {2, 7, 33}) {
      P hinted = make<P>(capacity);
      unhinted<P> plain(capacity);
      EXPECT_EQ(kvtier::simulate(trace, hinted), kvtier::simulate(trace, plain)) << seed << " at " << capacity;
    }
  }
}

}  // namespace
