// The manager's key → id index against std::unordered_map under random inserts and erasures, with
// trace-style keys {0, i} and hashed keys, across growth and wrap-around of probe runs.
#include <kvtier/detail/block_id_index.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

namespace kvtier {
namespace {

using detail::block_id_index;

TEST(block_id_index, agrees_with_unordered_map_under_random_inserts_and_erasures) {
  std::mt19937_64 rng(7);
  std::vector<block_key> keys;  // the caller's records: id i names keys[i]
  for (std::uint64_t i = 0; i < 3'000; ++i) keys.push_back({0, i});
  for (std::uint64_t i = 0; i < 3'000; ++i) keys.push_back({rng(), rng()});
  const auto key_of = [&](std::uint32_t id) { return keys[id]; };
  block_id_index index;
  std::unordered_map<block_key, std::uint32_t, block_key_hash> reference;
  std::uniform_int_distribution<std::uint32_t> pick(0, static_cast<std::uint32_t>(keys.size() - 1));
  for (int step = 0; step < 200'000; ++step) {
    const std::uint32_t id = pick(rng);
    const block_key& key = keys[id];
    if (rng() % 3 == 0) {
      EXPECT_EQ(index.erase(key, key_of), reference.erase(key) == 1);
    } else if (index.find(key, key_of) == block_id_index::none) {
      index.insert(key, id, key_of);
      reference.emplace(key, id);
    }
    ASSERT_EQ(index.size(), reference.size());
  }
  for (const block_key& key : keys) {
    const auto it = reference.find(key);
    EXPECT_EQ(index.find(key, key_of), it == reference.end() ? block_id_index::none : it->second);
  }
}

TEST(block_id_index, erasing_every_key_empties_it) {
  std::vector<block_key> keys;
  for (std::uint64_t i = 0; i < 10'000; ++i) keys.push_back({i % 7, i});
  const auto key_of = [&](std::uint32_t id) { return keys[id]; };
  block_id_index index;
  for (std::uint32_t i = 0; i < keys.size(); ++i) index.insert(keys[i], i, key_of);
  EXPECT_EQ(index.find({3, 10}, key_of), 10U);
  EXPECT_EQ(index.find({4, 10}, key_of), block_id_index::none);
  for (const block_key& key : keys) EXPECT_TRUE(index.erase(key, key_of));
  EXPECT_EQ(index.size(), 0U);
  EXPECT_FALSE(index.erase({0, 0}, key_of));
  EXPECT_EQ(index.find({3, 10}, key_of), block_id_index::none);
}

}  // namespace
}  // namespace kvtier
