// Slot bookkeeping of the CUDA tiers: keys never share a slot, freed slots are reused, a full
// table refuses, occupancy and resident bytes always equal the live keys', and the oldest key is
// the least recently inserted or touched one.
#include <kvtier/detail/slot_table.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <list>
#include <map>
#include <random>
#include <set>

namespace kvtier {
namespace {

TEST(SlotTable, RandomOperationsKeepSlotsDistinctAndCountsExact) {
  detail::slot_table table{16};
  std::map<block_key, detail::slot_table::entry> model;
  std::list<block_key> recency;  // least recently used first
  std::mt19937_64 random{3};
  for (int step = 0; step < 20000; ++step) {
    const block_key key{random() % 3, random() % 20};
    const std::uint64_t op = random() % 3;
    if (op == 0) {
      const auto got = table.acquire(key, key.lo * 10 + key.hi);
      ASSERT_EQ(got.has_value(), !model.contains(key) && model.size() < 16);
      if (got) {
        model[key] = *got;
        recency.push_back(key);
      }
    } else if (op == 1) {
      const auto freed = table.release(key);
      ASSERT_EQ(freed.has_value(), model.contains(key));
      if (freed) {
        ASSERT_EQ(*freed, model[key]);
        model.erase(key);
        recency.remove(key);
      }
    } else {
      const auto touched = table.touch(key);
      ASSERT_EQ(touched.has_value(), model.contains(key));
      if (touched) {
        ASSERT_EQ(*touched, model[key]);
        recency.splice(recency.end(), recency, std::find(recency.begin(), recency.end(), key));
      }
    }
    ASSERT_EQ(table.occupied(), model.size());
    ASSERT_EQ(table.has_free_slot(), model.size() < 16);
    ASSERT_EQ(table.oldest(), recency.empty() ? std::nullopt : std::optional<block_key>{recency.front()});
    std::set<std::uint64_t> slots;
    std::uint64_t used_bytes = 0;
    for (const auto& [k, e] : model) {
      ASSERT_LT(e.slot, 16u);
      ASSERT_TRUE(slots.insert(e.slot).second) << "two keys share a slot";
      ASSERT_EQ(table.find(k), e);
      ASSERT_TRUE(table.contains(k));
      used_bytes += e.bytes;
    }
    ASSERT_EQ(table.used_bytes(), used_bytes);
  }
}

TEST(SlotTable, EmptyTableRefusesEverything) {
  detail::slot_table table;
  EXPECT_FALSE(table.acquire({0, 1}, 1).has_value());
  EXPECT_FALSE(table.release({0, 1}).has_value());
  EXPECT_FALSE(table.touch({0, 1}).has_value());
  EXPECT_FALSE(table.oldest().has_value());
  EXPECT_FALSE(table.has_free_slot());
  EXPECT_EQ(table.slot_count(), 0u);
  EXPECT_EQ(table.used_bytes(), 0u);
}

}  // namespace
}  // namespace kvtier
