// Several threads insert, replace, find, erase and evict the same keys at once. Every block found
// must be a whole, consistent version of its own key; the accounting must stay within capacity and
// match the resident blocks once the threads stop. Runs under the asan preset too.
#include "tier/tier_test_support.hpp"

#include <kvtier/io.hpp>
#include <kvtier/tier/presets.hpp>
#include <kvtier/tier/simulated_tier.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace kvtier::test {
namespace {

constexpr std::uint64_t block_length = 4096;
constexpr std::uint64_t key_count = 64;
constexpr int thread_count = 4;
constexpr int operations_per_thread = 4000;

tier_spec half_the_keys(tier_spec spec) {
  spec.capacity_bytes = key_count / 2 * block_length;
  return spec;
}

template <class Tier>
void hammer(Tier& tier) {
  std::atomic<std::uint64_t> wrong{0};
  std::atomic<std::uint64_t> over_capacity{0};
  std::atomic<std::uint64_t> hits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 random(static_cast<std::uint64_t>(t) * 7919 + 1);
      std::vector<std::byte> out(block_length);
      std::vector<block_key> evicted;
      for (int op = 0; op < operations_per_thread; ++op) {
        const block_key key = key_of(random() % key_count);
        const std::uint64_t length = block_length - (random() % 4) * 512;
        switch (random() % 6) {
          case 0:
          case 1: {
            const std::uint64_t version = static_cast<std::uint64_t>(t) * operations_per_thread + op;
            (void)tier.try_insert(key, block_bytes(key, version, length));
            break;
          }
          case 2: {
            evicted.clear();
            (void)tier.insert(key, block_bytes(key, 1, length), evicted);
            break;
          }
          case 3:
            (void)tier.erase(key);
            break;
          default: {
            const auto found = tier.find(key, out);
            if (found) {
              ++hits;
              if (Tier::stores_bytes && !version_of(key, std::span<const std::byte>(out).first(*found))) ++wrong;
            }
          }
        }
        if (tier.used_bytes() > tier.capacity_bytes()) ++over_capacity;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0u) << "a find returned bytes that are not a whole block of its key";
  EXPECT_EQ(over_capacity.load(), 0u);
  EXPECT_GT(hits.load(), 0u);
  std::uint64_t resident = 0;
  std::vector<std::byte> out(block_length);
  for (std::uint64_t i = 0; i < key_count; ++i) {
    if (const auto found = tier.find(key_of(i), out)) resident += *found;
  }
  EXPECT_EQ(tier.used_bytes(), resident);
}

TEST(TierConcurrency, SimulatedTier) {
  simulated_tier tier(half_the_keys(presets::h100_sxm_hbm));
  hammer(tier);
}

TEST(TierConcurrency, HostMemoryTier) {
  host_memory_tier tier(half_the_keys(presets::dram_pcie5), host_memory_options{block_length, -1, 8 * block_length});
  hammer(tier);
}

TEST(TierConcurrency, FileTierWithUring) {
  scratch_directory directory;
  file_tier<uring_io> tier(directory.path(), half_the_keys(presets::nvme_gen5),
                           file_tier_options{block_length, 16 * 8192, false});
  hammer(tier);
  EXPECT_EQ(tier.stats().corrupt_blocks, 0u);
}

TEST(TierConcurrency, FileTierBatchesFromSeveralThreads) {
  scratch_directory directory;
  file_tier<uring_io> tier(directory.path(), half_the_keys(presets::nvme_gen5),
                           file_tier_options{block_length, 1 << 20, false});
  std::atomic<std::uint64_t> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        std::vector<std::vector<std::byte>> blocks;
        std::vector<block_write> writes;
        for (std::uint64_t i = 0; i < 8; ++i) {
          const block_key key =
              key_of((static_cast<std::uint64_t>(t) * 8 + i + static_cast<std::uint64_t>(round)) % key_count);
          blocks.push_back(block_bytes(key, static_cast<std::uint64_t>(round), block_length));
        }
        for (std::uint64_t i = 0; i < 8; ++i) {
          writes.push_back(
              {key_of((static_cast<std::uint64_t>(t) * 8 + i + static_cast<std::uint64_t>(round)) % key_count),
               blocks[i]});
        }
        std::array<bool, 8> inserted{};
        tier.wait(tier.submit_writes(writes, inserted));
        std::vector<std::vector<std::byte>> outs(8, std::vector<std::byte>(block_length));
        std::vector<block_read> reads;
        for (std::uint64_t i = 0; i < 8; ++i) reads.push_back({writes[i].key, outs[i]});
        std::array<std::optional<std::size_t>, 8> found{};
        tier.wait(tier.submit_reads(reads, found));
        for (std::uint64_t i = 0; i < 8; ++i) {
          if (found[i] && !version_of(reads[i].key, std::span<const std::byte>(outs[i]).first(*found[i]))) ++wrong;
        }
        (void)tier.evict();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_LE(tier.used_bytes(), tier.capacity_bytes());
}

}  // namespace
}  // namespace kvtier::test
