// Slot bookkeeping of the CUDA tiers: keys never share a slot, freed slots are reused, a full
// table refuses, and occupancy always equals the live keys.
#include <kvtier/detail/slot_table.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>

namespace kvtier {
namespace {

TEST(SlotTable, RandomOperationsKeepSlotsDistinctAndCountsExact) {
  detail::slot_table table{16};
  std::map<std::uint64_t, detail::slot_table::entry> model;
  std::mt19937_64 random{3};
  for (int step = 0; step < 20000; ++step) {
    const std::uint64_t key = random() % 40;
    if (random() % 2 == 0) {
      const auto got = table.acquire(key, key * 10);
      ASSERT_EQ(got.has_value(), !model.contains(key) && model.size() < 16);
      if (got) model[key] = *got;
    } else {
      const auto freed = table.release(key);
      ASSERT_EQ(freed.has_value(), model.contains(key));
      if (freed) {
        ASSERT_EQ(*freed, model[key]);
        model.erase(key);
      }
    }
    ASSERT_EQ(table.occupied(), model.size());
    std::set<std::uint64_t> slots;
    for (const auto& [k, e] : model) {
      ASSERT_LT(e.slot, 16u);
      ASSERT_TRUE(slots.insert(e.slot).second) << "two keys share a slot";
      ASSERT_EQ(table.find(k), e);
      ASSERT_TRUE(table.contains(k));
    }
  }
}

TEST(SlotTable, EmptyTableRefusesEverything) {
  detail::slot_table table;
  EXPECT_FALSE(table.acquire(1, 1).has_value());
  EXPECT_FALSE(table.release(1).has_value());
  EXPECT_EQ(table.slot_count(), 0u);
}

}  // namespace
}  // namespace kvtier
