// file_tier's batches: with uring_io they are in flight after submit_* returns and complete in
// poll or wait (results written, blocks published or checked then); with posix_io, or when the
// kernel refuses io_uring, they complete inside submit_*. Both keep async_tier's laws 11 to 13.
#include "tier/tier_test_support.hpp"

#include <kvtier/tier/file_tier.hpp>
#include <kvtier/tier/presets.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace kvtier::test {
namespace {

constexpr std::uint64_t block_length = 8192;

tier_spec small_nvme() {
  tier_spec spec = presets::nvme_gen4;
  spec.capacity_bytes = 32 * block_length;
  return spec;
}

template <class IO>
class FileTierBatches : public ::testing::Test {
 protected:
  scratch_directory directory;
  std::unique_ptr<file_tier<IO>> open(bool direct = false) { return open_in(directory, direct); }
  static std::unique_ptr<file_tier<IO>> open_in(const scratch_directory& where, bool direct) {
    return std::make_unique<file_tier<IO>>(where.path(), small_nvme(),
                                           file_tier_options{block_length, 1 << 20, direct});
  }
  void SetUp() override {
    if constexpr (std::is_same_v<IO, uring_io>) {
      if (!uring_io().available()) GTEST_SKIP() << "the kernel refuses io_uring here; posix_io covers the tier";
    }
  }
  static constexpr bool asynchronous = async_file_io<IO>;
};

using layers = ::testing::Types<uring_io, posix_io>;
TYPED_TEST_SUITE(FileTierBatches, layers);

struct write_batch {
  std::vector<std::vector<std::byte>> blocks;
  std::vector<block_write> writes;
  std::unique_ptr<bool[]> inserted;
  write_batch(std::uint64_t first, std::uint64_t count, std::uint64_t version) : inserted(new bool[count]) {
    for (std::uint64_t i = 0; i < count; ++i) blocks.push_back(block_bytes(key_of(first + i), version, block_length));
    for (std::uint64_t i = 0; i < count; ++i) writes.push_back({key_of(first + i), blocks[i]});
    for (std::uint64_t i = 0; i < count; ++i) inserted[i] = false;
  }
  std::span<bool> results() { return {inserted.get(), writes.size()}; }
};

struct read_batch {
  std::vector<std::vector<std::byte>> outs;
  std::vector<block_read> reads;
  std::vector<std::optional<std::size_t>> found;
  read_batch(std::uint64_t first, std::uint64_t count) {
    outs.assign(count, std::vector<std::byte>(block_length));
    for (std::uint64_t i = 0; i < count; ++i) reads.push_back({key_of(first + i), outs[i]});
    found.assign(count, std::optional<std::size_t>(777));  // not a result the tier can give
  }
};

TYPED_TEST(FileTierBatches, ResultsAndBlocksAppearWhenTheBatchCompletes) {
  for (const bool direct : {false, true}) {
    const scratch_directory where;
    auto tier = this->open_in(where, direct);
    write_batch w(0, 8, 1);
    const batch_ticket written = tier->submit_writes(w.writes, w.results());
    if constexpr (TestFixture::asynchronous) {
      // Published at completion, not at submission: the results are not written yet either.
      EXPECT_FALSE(tier->contains(key_of(0)));
      for (const bool inserted : w.results()) EXPECT_FALSE(inserted);
    }
    while (!tier->poll(written)) {
    }
    for (std::uint64_t i = 0; i < 8; ++i) EXPECT_TRUE(w.inserted[i]) << i;
    EXPECT_TRUE(tier->contains(key_of(0)));
    EXPECT_EQ(tier->used_bytes(), 8 * block_length);

    read_batch r(0, 9);  // key 8 is a miss
    const batch_ticket read = tier->submit_reads(r.reads, r.found);
    if constexpr (TestFixture::asynchronous) {
      for (const auto& found : r.found) EXPECT_EQ(found, 777u);
    }
    tier->wait(read);
    EXPECT_TRUE(tier->poll(read));
    for (std::uint64_t i = 0; i < 8; ++i) {
      ASSERT_EQ(r.found[i], block_length) << i;
      EXPECT_EQ(version_of(key_of(i), r.outs[i]), 1u) << i;
    }
    EXPECT_EQ(r.found[8], std::nullopt);
    EXPECT_EQ(tier->stats().hits, 8u);
  }
}

TYPED_TEST(FileTierBatches, BatchesInFlightTogetherCompleteInAnyOrder) {
  auto tier = this->open();
  std::vector<std::unique_ptr<write_batch>> batches;
  std::vector<batch_ticket> tickets;
  for (std::uint64_t b = 0; b < 4; ++b) {
    batches.push_back(std::make_unique<write_batch>(b * 6, 6, 1));  // 24 writes: more than one ring's worth in flight
    tickets.push_back(tier->submit_writes(batches.back()->writes, batches.back()->results()));
  }
  for (std::size_t b = tickets.size(); b-- > 0;) tier->wait(tickets[b]);
  for (const auto& batch : batches) {
    for (const bool inserted : batch->results()) EXPECT_TRUE(inserted);
  }
  read_batch first(0, 12);
  read_batch second(12, 12);
  const batch_ticket one = tier->submit_reads(first.reads, first.found);
  const batch_ticket two = tier->submit_reads(second.reads, second.found);
  tier->wait(two);
  tier->wait(one);
  for (std::uint64_t i = 0; i < 12; ++i) {
    ASSERT_EQ(first.found[i], block_length) << i;
    EXPECT_EQ(version_of(key_of(i), first.outs[i]), 1u) << i;
    ASSERT_EQ(second.found[i], block_length) << i;
    EXPECT_EQ(version_of(key_of(12 + i), second.outs[i]), 1u) << i;
  }
}

TYPED_TEST(FileTierBatches, ABatchStillInFlightCompletesBeforeTheTierCloses) {
  write_batch w(0, 6, 3);
  {
    auto tier = this->open();
    (void)tier->submit_writes(w.writes, w.results());
  }
  for (const bool inserted : w.results()) EXPECT_TRUE(inserted);
  auto reopened = this->open();
  std::vector<std::byte> out(block_length);
  for (std::uint64_t i = 0; i < 6; ++i) {
    ASSERT_EQ(reopened->find(key_of(i), out), block_length) << i;
    EXPECT_EQ(version_of(key_of(i), out), 3u) << i;
  }
}

TYPED_TEST(FileTierBatches, AReadInFlightKeepsItsSlotWhenTheBlockIsErased) {
  auto tier = this->open();
  write_batch w(0, 4, 1);
  tier->wait(tier->submit_writes(w.writes, w.results()));
  read_batch r(0, 4);
  const batch_ticket read = tier->submit_reads(r.reads, r.found);
  EXPECT_TRUE(tier->erase(key_of(1)));
  write_batch other(100, 4, 2);  // may take any free slot, but not the one being read
  tier->wait(tier->submit_writes(other.writes, other.results()));
  tier->wait(read);
  for (std::uint64_t i = 0; i < 4; ++i) {
    ASSERT_EQ(r.found[i], block_length) << i;  // found when submitted: read whole, as it was
    EXPECT_EQ(version_of(key_of(i), r.outs[i]), 1u) << i;
  }
  EXPECT_FALSE(tier->contains(key_of(1)));
}

TYPED_TEST(FileTierBatches, ThreadsPollTheirOwnBatchesWhileOthersSubmit) {
  // Each thread rewrites its own 4 keys every round and polls (never waits) for its batches, so
  // completions are reaped by whichever thread holds the ring; every result must be its own.
  auto tier = this->open();
  constexpr std::uint64_t threads = 4;
  constexpr std::uint64_t keys = 4;
  std::atomic<std::uint64_t> wrong{0};
  std::vector<std::thread> workers;
  for (std::uint64_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::uint64_t round = 1; round <= 100; ++round) {
        write_batch w(t * keys, keys, round);
        const batch_ticket written = tier->submit_writes(w.writes, w.results());
        while (!tier->poll(written)) {
        }
        for (const bool inserted : w.results()) wrong += inserted ? 0 : 1;
        read_batch r(t * keys, keys);
        const batch_ticket read = tier->submit_reads(r.reads, r.found);
        while (!tier->poll(read)) {
        }
        for (std::uint64_t i = 0; i < keys; ++i) {
          if (r.found[i] != block_length || version_of(key_of(t * keys + i), r.outs[i]) != round) ++wrong;
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_EQ(tier->block_count(), threads * keys);
}

TEST(UringIo, SubmittedBatchesFinishInPollOrWaitWithEveryByteMoved) {
  uring_io ring(4);
  if (!ring.available()) GTEST_SKIP() << "the kernel refuses io_uring here";
  scratch_directory directory;
  const std::filesystem::path path = directory.path() / "ring.bin";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  std::vector<std::vector<std::byte>> blocks;
  for (std::uint64_t i = 0; i < 10; ++i) blocks.push_back(block_bytes(key_of(i), 1, block_length));
  std::vector<io_request> first;
  std::vector<io_request> second;
  for (std::uint64_t i = 0; i < 10; ++i) {
    (i < 5 ? first : second)
        .push_back(io_request{fd, i * block_length, {iovec{blocks[i].data(), block_length}}, 1, true, 0});
  }
  io_batch one(first);
  io_batch two(second);
  ring.submit(one);  // 5 requests on a ring of 4: submit waits for room, not for the batch
  ring.submit(two);
  ring.wait(two);
  EXPECT_TRUE(two.finished);
  while (!ring.poll(one)) {
  }
  for (const io_request& request : one.requests) EXPECT_TRUE(request.complete()) << request.result;
  for (const io_request& request : two.requests) EXPECT_TRUE(request.complete()) << request.result;
  std::vector<std::byte> out(block_length);
  for (std::uint64_t i = 0; i < 10; ++i) {
    ASSERT_EQ(::pread(fd, out.data(), block_length, static_cast<off_t>(i * block_length)),
              static_cast<ssize_t>(block_length));
    EXPECT_EQ(version_of(key_of(i), out), 1u) << i;
  }
  ::close(fd);
}

TEST(UringIo, WithoutARingSubmitCompletesTheBatchAtOnce) {
  uring_io refused(0);  // a ring of no entries: the kernel refuses it, as it refuses any under seccomp
  ASSERT_FALSE(refused.available());
  scratch_directory directory;
  const std::filesystem::path path = directory.path() / "posix.bin";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  std::vector<std::byte> bytes = block_bytes(key_of(1), 1, block_length);
  io_batch batch(
      std::vector<io_request>{io_request{fd, 0, {iovec{bytes.data(), block_length}}, 1, true, 0},
                              io_request{fd, block_length, {iovec{bytes.data(), block_length}}, 1, true, 0}});
  refused.submit(batch);
  EXPECT_TRUE(batch.finished);
  EXPECT_TRUE(refused.poll(batch));
  for (const io_request& request : batch.requests) EXPECT_TRUE(request.complete()) << request.result;
  ::close(fd);
}

}  // namespace
}  // namespace kvtier::test
