// block_trace_builder's id map against std::unordered_map on mixed small and large keys, including
// keys that enter the hashed part first and move to the direct table as it grows.
#include <kvtier/detail/dense_id_map.hpp>
#include <kvtier/trace/block_trace.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <unordered_map>

namespace {

TEST(dense_id_map, agrees_with_a_reference_map) {
  for (const std::uint64_t small_range : {std::uint64_t{1000}, std::uint64_t{1} << 20, std::uint64_t{1} << 24}) {
    std::mt19937_64 rng(small_range);
    kvtier::detail::dense_id_map map;
    std::unordered_map<std::uint64_t, std::uint32_t> reference;
    for (int i = 0; i < 200000; ++i) {
      const std::uint64_t key = rng() % 3 == 0 ? rng() : rng() % small_range;
      const auto next = static_cast<std::uint32_t>(reference.size());
      const auto [expected, expected_new] = reference.try_emplace(key, next);
      const auto [value, is_new] = map.try_emplace(key, next);
      ASSERT_EQ(value, expected->second) << key;
      ASSERT_EQ(is_new, expected_new) << key;
    }
    EXPECT_EQ(map.size(), reference.size());
  }
}

TEST(block_trace_builder, remaps_ids_dense_in_first_seen_order) {
  kvtier::block_trace_builder builder("t", 4);
  builder.begin_request(0, 8, 0);
  builder.add_block(~std::uint64_t{0});
  builder.add_block(3);
  builder.begin_request(1, 12, 0);
  builder.add_block(~std::uint64_t{0});
  builder.add_block(1u << 30);
  builder.add_block(3);
  const kvtier::block_trace trace = std::move(builder).finish();
  EXPECT_EQ(trace.block_ids, (std::vector<kvtier::block_id>{0, 1, 0, 2, 1}));
  EXPECT_EQ(trace.unique_blocks, 3u);
}

}  // namespace
