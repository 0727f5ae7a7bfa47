// The semantic requirements of tier, evicting_tier and async_tier (tier/concepts.hpp), numbered as
// there, checked for every model: the simulated tier, host memory, files (synchronous and io_uring
// I/O, buffered and O_DIRECT), and any_tier.
#include "tier/tier_test_support.hpp"

#include <kvtier/io.hpp>
#include <kvtier/tier/any_tier.hpp>
#include <kvtier/tier/presets.hpp>
#include <kvtier/tier/simulated_tier.hpp>

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <optional>
#include <vector>

namespace kvtier::test {
namespace {

constexpr std::uint64_t capacity = 64 * 1024;
constexpr std::uint64_t max_block = 8 * 1024;

tier_spec spec_with_capacity(tier_spec spec) {
  spec.capacity_bytes = capacity;
  return spec;
}

struct simulated_factory {
  using tier_type = simulated_tier;
  std::unique_ptr<tier_type> make() { return std::make_unique<tier_type>(spec_with_capacity(presets::h100_sxm_hbm)); }
};
struct host_factory {
  using tier_type = host_memory_tier;
  std::unique_ptr<tier_type> make() {
    return std::make_unique<tier_type>(spec_with_capacity(presets::dram_pcie5),
                                       host_memory_options{max_block, -1, 16 * 1024});
  }
};
template <class IO, bool Direct>
struct file_factory {
  using tier_type = file_tier<IO>;
  scratch_directory directory;
  std::unique_ptr<tier_type> make() {
    return std::make_unique<tier_type>(directory.path(), spec_with_capacity(presets::nvme_gen5),
                                       file_tier_options{max_block, 32 * 1024, Direct});
  }
};
struct any_factory {
  using tier_type = any_tier;
  std::unique_ptr<tier_type> make() {
    return std::make_unique<any_tier>(any_tier::make<host_memory_tier>(spec_with_capacity(presets::dram_pcie5),
                                                                       host_memory_options{max_block, -1, 16 * 1024}));
  }
};

template <class Factory>
class TierLaws : public ::testing::Test {
 protected:
  using tier_type = typename Factory::tier_type;
  Factory factory;
  std::unique_ptr<tier_type> model = factory.make();
  std::vector<std::byte> out = std::vector<std::byte>(max_block);

  [[nodiscard]] bool stores_bytes() const {
    if constexpr (std::is_same_v<tier_type, any_tier>) {
      return model->holds_bytes();
    } else {
      return tier_type::stores_bytes;
    }
  }
  void expect_block(const block_key& key, std::uint64_t version, std::size_t length) {
    const auto found = model->find(key, out);
    ASSERT_EQ(found, length);
    if (stores_bytes()) {
      EXPECT_EQ(version_of(key, std::span<const std::byte>(out).first(length)), version);
    }
  }
};

using factories = ::testing::Types<simulated_factory, host_factory, file_factory<posix_io, false>,
                                   file_factory<uring_io, false>, file_factory<uring_io, true>, any_factory>;
TYPED_TEST_SUITE(TierLaws, factories);

TYPED_TEST(TierLaws, Law1InsertSucceedsExactlyWhenAdmittedAndFailureChangesNothing) {
  auto& tier = *this->model;
  std::uint64_t i = 0;
  for (;; ++i) {
    const std::size_t length = 3000 + (i % 3) * 2000;
    const bool admitted = tier.can_admit(length);
    const std::uint64_t used = tier.used_bytes();
    const bool inserted = tier.try_insert(key_of(i), block_bytes(key_of(i), 1, length));
    ASSERT_EQ(inserted, admitted) << "block " << i;
    if (!inserted) {
      EXPECT_EQ(tier.used_bytes(), used);
      EXPECT_FALSE(tier.contains(key_of(i)));
      break;
    }
  }
  EXPECT_GT(i, 5u);
  for (std::uint64_t j = 0; j < i; ++j) this->expect_block(key_of(j), 1, 3000 + (j % 3) * 2000);
}

TYPED_TEST(TierLaws, Law2FindReturnsWhatWasInsertedAndReplaceKeepsTheLatest) {
  auto& tier = *this->model;
  ASSERT_TRUE(tier.try_insert(key_of(1), block_bytes(key_of(1), 1, 4096)));
  EXPECT_TRUE(tier.contains(key_of(1)));
  this->expect_block(key_of(1), 1, 4096);
  ASSERT_TRUE(tier.try_insert(key_of(1), block_bytes(key_of(1), 2, 5000)));
  this->expect_block(key_of(1), 2, 5000);
  EXPECT_EQ(tier.used_bytes(), 5000u);
  ASSERT_TRUE(tier.try_insert(key_of(2), {}));
  EXPECT_EQ(tier.find(key_of(2), this->out), 0u);
}

TYPED_TEST(TierLaws, Law3MissesAndTooSmallBuffersAreEmpty) {
  auto& tier = *this->model;
  EXPECT_EQ(tier.find(key_of(9), this->out), std::nullopt);
  ASSERT_TRUE(tier.try_insert(key_of(9), block_bytes(key_of(9), 1, 4096)));
  std::vector<std::byte> small(4095, std::byte{0x5A});
  EXPECT_EQ(tier.find(key_of(9), small), std::nullopt);
  EXPECT_TRUE(std::all_of(small.begin(), small.end(), [](std::byte b) { return b == std::byte{0x5A}; }));
  EXPECT_EQ(tier.find(block_key{key_of(9).hi, key_of(9).lo + 1}, this->out), std::nullopt);
  this->expect_block(key_of(9), 1, 4096);
}

TYPED_TEST(TierLaws, Law4UsedBytesIsTheSumAndNeverExceedsCapacity) {
  auto& tier = *this->model;
  EXPECT_EQ(tier.capacity_bytes(), capacity);
  EXPECT_EQ(tier.capacity_bytes(), tier.spec().capacity_bytes);
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < 40; ++i) {
    const std::size_t length = 1000 + i * 150;
    if (tier.try_insert(key_of(i), block_bytes(key_of(i), 1, length))) sum += length;
    EXPECT_EQ(tier.used_bytes(), sum);
    EXPECT_LE(tier.used_bytes(), tier.capacity_bytes());
  }
}

TYPED_TEST(TierLaws, Law5EraseRemovesAndReportsWhetherPresent) {
  auto& tier = *this->model;
  ASSERT_TRUE(tier.try_insert(key_of(3), block_bytes(key_of(3), 1, 2048)));
  ASSERT_TRUE(tier.try_insert(key_of(4), block_bytes(key_of(4), 1, 1024)));
  EXPECT_TRUE(tier.erase(key_of(3)));
  EXPECT_FALSE(tier.contains(key_of(3)));
  EXPECT_EQ(tier.find(key_of(3), this->out), std::nullopt);
  EXPECT_EQ(tier.used_bytes(), 1024u);
  EXPECT_FALSE(tier.erase(key_of(3)));
  this->expect_block(key_of(4), 1, 1024);
}

TYPED_TEST(TierLaws, Law6AdmissionBounds) {
  auto& tier = *this->model;
  EXPECT_FALSE(tier.can_admit(capacity + 1));
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{4096}, max_block}) {
    EXPECT_TRUE(tier.can_admit(n)) << n;
  }
}

TYPED_TEST(TierLaws, Law8To10EvictionInTheTiersOwnOrder) {
  auto& tier = *this->model;
  EXPECT_EQ(tier.to_evict(), std::nullopt);
  EXPECT_EQ(tier.evict(), std::nullopt);
  for (std::uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(tier.try_insert(key_of(i), block_bytes(key_of(i), 1, 4096)));
  EXPECT_EQ(tier.to_evict(), key_of(0));
  EXPECT_EQ(tier.to_evict(), key_of(0));
  ASSERT_TRUE(tier.find(key_of(0), this->out));  // a hit moves 0 to the recent end
  EXPECT_EQ(tier.to_evict(), key_of(1));
  EXPECT_EQ(tier.evict(), key_of(1));
  EXPECT_FALSE(tier.contains(key_of(1)));
  std::vector<block_key> evicted;
  std::uint64_t next = 10;
  while (tier.can_admit(max_block)) {
    ASSERT_TRUE(tier.try_insert(key_of(next), block_bytes(key_of(next), 1, max_block)));
    ++next;
  }
  const auto expected_victim = tier.to_evict();
  ASSERT_TRUE(tier.insert(key_of(100), block_bytes(key_of(100), 1, max_block), evicted));
  ASSERT_FALSE(evicted.empty());
  EXPECT_EQ(evicted.front(), expected_victim);
  for (const block_key& gone : evicted) EXPECT_FALSE(tier.contains(gone));
  this->expect_block(key_of(100), 1, max_block);
  const std::uint64_t used = tier.used_bytes();
  evicted.clear();
  std::vector<std::byte> huge(capacity + 1);
  EXPECT_FALSE(tier.insert(key_of(101), huge, evicted));
  EXPECT_TRUE(evicted.empty());
  EXPECT_EQ(tier.used_bytes(), used);
}

TYPED_TEST(TierLaws, StatsCountEveryOutcome) {
  auto& tier = *this->model;
  ASSERT_TRUE(tier.try_insert(key_of(1), block_bytes(key_of(1), 1, 4096)));
  ASSERT_TRUE(tier.find(key_of(1), this->out));
  EXPECT_FALSE(tier.find(key_of(2), this->out));
  EXPECT_TRUE(tier.erase(key_of(1)));
  const tier_stats stats = tier.stats();
  EXPECT_EQ(stats.inserts, 1u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.erases, 1u);
  EXPECT_EQ(stats.bytes_written, 4096u);
  EXPECT_EQ(stats.bytes_read, 4096u);
  EXPECT_DOUBLE_EQ(stats.modelled_read_s, transfer_time_s(tier.spec(), 4096, transfer_direction::read));
}

template <class Factory>
class AsyncTierLaws : public TierLaws<Factory> {};

using async_factories = ::testing::Types<simulated_factory, host_factory, file_factory<posix_io, false>,
                                         file_factory<uring_io, false>, file_factory<uring_io, true>>;
TYPED_TEST_SUITE(AsyncTierLaws, async_factories);

TYPED_TEST(AsyncTierLaws, Law11To13BatchesCompleteAsTheSingleCallsWould) {
  {
    auto& tier = *this->model;
    std::vector<std::vector<std::byte>> blocks;
    std::vector<block_write> writes;
    for (std::uint64_t i = 0; i < 12; ++i) blocks.push_back(block_bytes(key_of(i), 1, 6000));
    for (std::uint64_t i = 0; i < 12; ++i) writes.push_back({key_of(i), blocks[i]});
    writes.push_back({key_of(0), blocks[0]});  // a repeated key within the batch
    std::array<bool, 13> inserted{};
    const batch_ticket written = tier.submit_writes(writes, inserted);
    tier.wait(written);
    EXPECT_TRUE(tier.poll(written));
    // The blocks that fit are a prefix: 10 by bytes, or 8 where a block takes a max_block slot.
    const std::size_t stored =
        static_cast<std::size_t>(std::find(inserted.begin(), inserted.end(), false) - inserted.begin());
    EXPECT_GE(stored, capacity / max_block);
    EXPECT_LE(stored, capacity / 6000);
    for (std::size_t i = stored; i < 12; ++i) EXPECT_FALSE(inserted[i]) << i;
    EXPECT_TRUE(inserted[12]);  // replacing key 0 needs no new space

    std::vector<std::vector<std::byte>> outs(13, std::vector<std::byte>(max_block));
    std::vector<block_read> reads;
    for (std::uint64_t i = 0; i < 13; ++i) reads.push_back({key_of(i), outs[i]});
    std::array<std::optional<std::size_t>, 13> found{};
    const batch_ticket read = tier.submit_reads(reads, found);
    while (!tier.poll(read)) {
    }
    tier.wait(read);
    for (std::size_t i = 0; i < 13; ++i) {
      EXPECT_EQ(found[i].has_value(), i < 12 && inserted[i]) << i;
      if (found[i] && TestFixture::tier_type::stores_bytes) {
        EXPECT_EQ(version_of(key_of(i), std::span<const std::byte>(outs[i]).first(*found[i])), 1u);
      }
    }
  }
}

}  // namespace
}  // namespace kvtier::test
