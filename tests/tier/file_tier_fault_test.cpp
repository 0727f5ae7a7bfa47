// file_tier under failure: I/O errors and short writes from an injected I/O layer, a real file
// size limit, damage to the files between runs, and a writer killed mid-write. In every case no
// wrong bytes come back, the other blocks survive, and reopening rebuilds the index.
#include "tier/tier_test_support.hpp"

#include <kvtier/error.hpp>
#include <kvtier/tier/file_tier.hpp>
#include <kvtier/tier/presets.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace kvtier::test {
namespace {

constexpr std::uint64_t block_length = 8192;
constexpr std::uint64_t slot_bytes = 12288;  // a header page and 8 KiB

/// An I/O layer that does what posix_io does, except for the faults it is told to inject.
struct faulty_io {
  struct plan {
    int fail_writes = 0;   ///< how many of the next writes fail
    int short_writes = 0;  ///< how many of those move half their bytes and say so, instead of an error
    int write_errno = EIO;
    int read_errno = 0;  ///< nonzero: every read fails with it
  };
  std::shared_ptr<plan> faults = std::make_shared<plan>();

  void run(std::span<io_request> batch) const {
    for (io_request& request : batch) {
      if (request.write && faults->fail_writes > 0) {
        --faults->fail_writes;
        if (faults->short_writes > 0) {
          --faults->short_writes;
          io_request half = request;
          half.iov_count = 1;
          half.iov[0].iov_len = request.expected_bytes() / 2 < request.iov[0].iov_len ? request.expected_bytes() / 2
                                                                                      : request.iov[0].iov_len;
          if (request.iov_count == 2) {
            half.iov_count = 2;
            half.iov[1].iov_len = request.iov[1].iov_len / 2;
          }
          posix_io::perform(half, 0);
          request.result = half.result;
        } else {
          request.result = -faults->write_errno;
        }
        continue;
      }
      if (!request.write && faults->read_errno != 0) {
        request.result = -faults->read_errno;
        continue;
      }
      posix_io::perform(request, 0);
    }
  }
};
static_assert(file_io<faulty_io>);

tier_spec small_nvme(std::uint64_t capacity = 16 * block_length) {
  tier_spec spec = presets::nvme_gen4;
  spec.capacity_bytes = capacity;
  return spec;
}

const file_tier_options options{block_length, 1 << 20, false};

class FileTierFaults : public ::testing::Test {
 protected:
  scratch_directory directory;
  std::vector<std::byte> out = std::vector<std::byte>(block_length);

  template <class IO = posix_io>
  std::unique_ptr<file_tier<IO>> open(IO io = IO{}) {
    return std::make_unique<file_tier<IO>>(directory.path(), small_nvme(), options, std::move(io));
  }
  template <class Tier>
  void store(Tier& tier, std::uint64_t first, std::uint64_t count, std::uint64_t version = 1) {
    for (std::uint64_t i = first; i < first + count; ++i) {
      ASSERT_TRUE(tier.try_insert(key_of(i), block_bytes(key_of(i), version, block_length))) << i;
    }
  }
  template <class Tier>
  void expect_intact(Tier& tier, std::uint64_t first, std::uint64_t count, std::uint64_t version = 1) {
    for (std::uint64_t i = first; i < first + count; ++i) {
      ASSERT_EQ(tier.find(key_of(i), out), block_length) << i;
      EXPECT_EQ(version_of(key_of(i), out), version) << i;
    }
  }
  [[nodiscard]] std::filesystem::path segment() const { return directory.path() / "segment-00000.kvt"; }
  void flip_byte(std::uint64_t offset) const {
    std::fstream file(segment(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    file.get(c);
    file.seekp(static_cast<std::streamoff>(offset));
    file.put(static_cast<char>(c ^ 0x10));
  }
};

class WriteErrors : public FileTierFaults, public ::testing::WithParamInterface<int> {};

TEST_P(WriteErrors, FailTheInsertCleanlyAndLeaveNoTrace) {
  {
    auto tier = open(faulty_io{});
    store(*tier, 0, 3);
    tier->io().faults->fail_writes = 1;
    tier->io().faults->write_errno = GetParam();
    const std::uint64_t used = tier->used_bytes();
    EXPECT_FALSE(tier->try_insert(key_of(3), block_bytes(key_of(3), 1, block_length)));
    EXPECT_FALSE(tier->contains(key_of(3)));
    EXPECT_EQ(tier->find(key_of(3), out), std::nullopt);
    EXPECT_EQ(tier->used_bytes(), used);
    EXPECT_EQ(tier->stats().rejected_inserts, 1u);
    expect_intact(*tier, 0, 3);
    store(*tier, 4, 2);  // the tier goes on working
  }
  auto reopened = open();
  EXPECT_EQ(reopened->block_count(), 5u);
  EXPECT_FALSE(reopened->contains(key_of(3)));
  expect_intact(*reopened, 0, 3);
  expect_intact(*reopened, 4, 2);
}
INSTANTIATE_TEST_SUITE_P(EioEnospc, WriteErrors, ::testing::Values(EIO, ENOSPC, EDQUOT));

TEST_F(FileTierFaults, ShortWriteIsNeverVisibleNowOrAfterReopening) {
  {
    auto tier = open(faulty_io{});
    store(*tier, 0, 2);
    tier->io().faults->fail_writes = 1;
    tier->io().faults->short_writes = 1;
    EXPECT_FALSE(tier->try_insert(key_of(2), block_bytes(key_of(2), 1, block_length)));
    EXPECT_FALSE(tier->contains(key_of(2)));
  }
  auto reopened = open();
  EXPECT_FALSE(reopened->contains(key_of(2)));
  expect_intact(*reopened, 0, 2);
}

TEST_F(FileTierFaults, ShortWriteWhoseCleanupAlsoFailsIsCaughtByTheChecksum) {
  {
    auto tier = open(faulty_io{});
    store(*tier, 0, 2);
    tier->io().faults->fail_writes = 2;  // the block's write (short), then the clearing of its header (EIO)
    tier->io().faults->short_writes = 1;
    EXPECT_FALSE(tier->try_insert(key_of(2), block_bytes(key_of(2), 1, block_length)));
  }
  auto reopened = open();
  EXPECT_TRUE(reopened->contains(key_of(2)));               // its header is whole, so the index has it ...
  EXPECT_EQ(reopened->find(key_of(2), out), std::nullopt);  // ... but its payload is not
  EXPECT_FALSE(reopened->contains(key_of(2)));
  EXPECT_EQ(reopened->stats().corrupt_blocks, 1u);
  expect_intact(*reopened, 0, 2);
}

TEST_F(FileTierFaults, ReadErrorsAreMisses) {
  auto tier = open(faulty_io{});
  store(*tier, 0, 2);
  tier->io().faults->read_errno = EIO;
  EXPECT_EQ(tier->find(key_of(0), out), std::nullopt);
  tier->io().faults->read_errno = 0;
  EXPECT_FALSE(tier->contains(key_of(0)));  // a block that could not be read back is dropped
  expect_intact(*tier, 1, 1);
}

TEST_F(FileTierFaults, FlippedBitsBetweenRunsAreDetected) {
  {
    auto tier = open();
    store(*tier, 0, 6);  // block i in slot i
  }
  flip_byte(1 * slot_bytes + 4096 + 5000);  // block 1's payload
  flip_byte(2 * slot_bytes + 20);           // block 2's header (its key)
  flip_byte(3 * slot_bytes + 40);           // block 3's header (its sequence)
  auto tier = open();
  EXPECT_TRUE(tier->contains(key_of(1)));
  EXPECT_EQ(tier->find(key_of(1), out), std::nullopt);
  EXPECT_FALSE(tier->contains(key_of(1)));
  EXPECT_FALSE(tier->contains(key_of(2)));
  EXPECT_FALSE(tier->contains(key_of(3)));
  EXPECT_EQ(tier->block_count(), 3u);
  expect_intact(*tier, 0, 1);
  expect_intact(*tier, 4, 2);
}

TEST_F(FileTierFaults, PayloadDamagedWhileOpenIsAMiss) {
  // A buffered load reads the payload alone and checks it against the checksum kept from its
  // header; damage made under a running tier is caught as well as damage between runs.
  auto tier = open();
  store(*tier, 0, 3);  // block i in slot i
  flip_byte(1 * slot_bytes + 4096 + 100);
  EXPECT_EQ(tier->find(key_of(1), out), std::nullopt);
  EXPECT_FALSE(tier->contains(key_of(1)));
  EXPECT_EQ(tier->stats().corrupt_blocks, 1u);
  expect_intact(*tier, 0, 1);
  expect_intact(*tier, 2, 1);
}

TEST_F(FileTierFaults, TruncatedFilesLoseOnlyWhatWasCutOff) {
  {
    auto tier = open();
    store(*tier, 0, 6);
  }
  std::filesystem::resize_file(segment(), 3 * slot_bytes + 4096 + 100);  // into block 3's payload
  auto tier = open();
  EXPECT_EQ(tier->find(key_of(3), out), std::nullopt);
  for (std::uint64_t i = 3; i < 6; ++i) EXPECT_FALSE(tier->contains(key_of(i))) << i;
  expect_intact(*tier, 0, 3);
  store(*tier, 10, 3);  // and the freed slots are usable again
  expect_intact(*tier, 10, 3);
}

TEST_F(FileTierFaults, ReplacedAndErasedBlocksDoNotComeBack) {
  {
    auto tier = open();
    store(*tier, 0, 4);
    store(*tier, 1, 1, 2);  // replace block 1
    EXPECT_TRUE(tier->erase(key_of(2)));
    EXPECT_EQ(tier->evict(), key_of(0));
  }
  auto tier = open();
  EXPECT_EQ(tier->block_count(), 2u);
  EXPECT_FALSE(tier->contains(key_of(0)));
  EXPECT_FALSE(tier->contains(key_of(2)));
  EXPECT_EQ(tier->to_evict(), key_of(3));  // the rebuilt order is the write order
  expect_intact(*tier, 1, 1, 2);
  expect_intact(*tier, 3, 1);
}

TEST_F(FileTierFaults, OlderCopiesOfAKeyThatLeavesDoNotComeBack) {
  // A replaced copy keeps its header until its slot is written again; when its key is erased,
  // evicted or dropped as unreadable, the older copies' headers are cleared too.
  {
    auto tier = open(faulty_io{});
    store(*tier, 0, 4);
    store(*tier, 0, 1, 2);
    store(*tier, 0, 1, 3);  // key 0: copies 1 and 2 on disk, copy 3 resident
    store(*tier, 1, 1, 2);
    store(*tier, 2, 1, 2);
    EXPECT_TRUE(tier->erase(key_of(0)));
    EXPECT_EQ(tier->evict(), key_of(3));
    EXPECT_EQ(tier->evict(), key_of(1));
    tier->io().faults->read_errno = EIO;
    EXPECT_EQ(tier->find(key_of(2), out), std::nullopt);  // dropped: it could not be read back
    tier->io().faults->read_errno = 0;
    store(*tier, 4, 1);
  }
  auto tier = open();
  for (std::uint64_t i = 0; i < 4; ++i) EXPECT_FALSE(tier->contains(key_of(i))) << i;
  EXPECT_EQ(tier->block_count(), 1u);
  expect_intact(*tier, 4, 1);
}

TEST_F(FileTierFaults, ReplacedSlotsAreReusedAndTheLatestCopyWinsOnReopening) {
  {
    auto tier = open();
    for (std::uint64_t version = 1; version <= 5; ++version) store(*tier, 0, 15, version);
    expect_intact(*tier, 0, 15, 5);
  }
  auto tier = open();
  EXPECT_EQ(tier->block_count(), 15u);
  expect_intact(*tier, 0, 15, 5);
}

TEST_F(FileTierFaults, DirectAndBufferedTiersShareOneLayout) {
  // Page-aligned blocks take O_DIRECT's copy-free path, unaligned ones its staging path; a tier
  // reopened without O_DIRECT reads both, and the other way round.
  struct aligned_free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  const std::unique_ptr<std::byte, aligned_free> aligned(
      static_cast<std::byte*>(std::aligned_alloc(4096, block_length)));
  const std::span<std::byte> page_aligned(aligned.get(), block_length);
  const file_tier_options direct{block_length, 1 << 20, true};
  {
    file_tier<posix_io> tier(directory.path(), small_nvme(), direct);
    const auto bytes = block_bytes(key_of(0), 1, block_length);
    std::memcpy(page_aligned.data(), bytes.data(), block_length);
    ASSERT_TRUE(tier.try_insert(key_of(0), page_aligned));
    store(tier, 1, 1);                                                         // staged: vector storage
    ASSERT_TRUE(tier.try_insert(key_of(2), block_bytes(key_of(2), 1, 5000)));  // staged: not whole pages
    std::memset(page_aligned.data(), 0, block_length);
    ASSERT_EQ(tier.find(key_of(1), page_aligned), block_length);
    EXPECT_EQ(version_of(key_of(1), page_aligned), 1u);
  }
  {
    auto buffered = open();
    expect_intact(*buffered, 0, 2);
    ASSERT_EQ(buffered->find(key_of(2), out), 5000u);
    EXPECT_EQ(version_of(key_of(2), std::span<const std::byte>(out).first(5000)), 1u);
    store(*buffered, 3, 1);
  }
  file_tier<posix_io> tier(directory.path(), small_nvme(), direct);
  for (std::uint64_t i : {0, 1, 3}) {
    ASSERT_EQ(tier.find(key_of(i), page_aligned), block_length) << i;
    EXPECT_EQ(version_of(key_of(i), page_aligned), 1u) << i;
  }
}

TEST_F(FileTierFaults, UringBatchesMoveEveryByteAndReportShortReads) {
  uring_io ring(4);
  if (!ring.available()) GTEST_SKIP() << "the kernel refuses io_uring here; file_tier uses posix_io";
  const std::filesystem::path path = directory.path() / "ring.bin";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  std::vector<std::vector<std::byte>> blocks;
  std::vector<io_request> writes;
  for (std::uint64_t i = 0; i < 6; ++i) blocks.push_back(block_bytes(key_of(i), 1, block_length));
  for (std::uint64_t i = 0; i < 6; ++i) {  // more than the ring's depth: submitted in chunks
    writes.push_back(io_request{fd, i * block_length, {iovec{blocks[i].data(), block_length}}, 1, true, 0});
  }
  ring.run(writes);
  for (const io_request& w : writes) EXPECT_TRUE(w.complete()) << w.result;
  std::vector<std::vector<std::byte>> outs(7, std::vector<std::byte>(block_length));
  std::vector<io_request> reads;
  for (std::uint64_t i = 0; i < 7; ++i) {
    reads.push_back(io_request{fd, i * block_length, {iovec{outs[i].data(), block_length}}, 1, false, 0});
  }
  ring.run(reads);
  for (std::uint64_t i = 0; i < 6; ++i) {
    EXPECT_TRUE(reads[i].complete()) << i;
    EXPECT_EQ(version_of(key_of(i), outs[i]), 1u) << i;
  }
  EXPECT_EQ(reads[6].result, 0);  // past the end of the file: nothing moved, not complete
  EXPECT_FALSE(reads[6].complete());
  ::close(fd);
}

TEST_F(FileTierFaults, AnotherGeometryIsABadInputNamingTheFile) {
  { auto tier = open(); }
  try {
    file_tier<posix_io> other(directory.path(), small_nvme(), file_tier_options{2 * block_length, 1 << 20, false});
    FAIL() << "opened a tier of another geometry";
  } catch (const input_error& error) {
    EXPECT_NE(std::string(error.what()).find("kvtier-file-tier"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("another geometry"), std::string::npos) << error.what();
  }
}

TEST_F(FileTierFaults, GeometryFileIsWrittenWholeThroughARename) {
  { auto tier = open(); }
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory.path())) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"kvtier-file-tier", "segment-00000.kvt"}));  // no temporary left
  std::ifstream in(directory.path() / "kvtier-file-tier", std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "kvtier-file-tier 1 slot_bytes=" + std::to_string(slot_bytes) +
                      " segment_slots=" + std::to_string((1 << 20) / slot_bytes) + "\n");
}

TEST_F(FileTierFaults, TornGeometryFileIsAClearErrorNeverAnotherGeometry) {
  {
    auto tier = open();
    store(*tier, 0, 2);
  }
  const std::filesystem::path path = directory.path() / "kvtier-file-tier";
  std::string whole;
  {
    std::ifstream in(path, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // Cut anywhere, even just before the newline (where the number it ends with is still a number).
  for (const std::size_t cut : {std::size_t{0}, std::size_t{10}, whole.find('=') + 2, whole.size() - 1}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << whole.substr(0, cut);
    try {
      auto tier = open();
      FAIL() << "opened a tier whose geometry file was cut at " << cut;
    } catch (const input_error& error) {
      EXPECT_NE(std::string(error.what()).find("kvtier-file-tier"), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("torn or damaged"), std::string::npos) << error.what();
    }
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << whole;
  auto tier = open();
  expect_intact(*tier, 0, 2);
}

TEST_F(FileTierFaults, LeftoverTemporaryGeometryFileIsIgnored) {
  // A writer killed between writing the temporary file and renaming it leaves only that file.
  std::ofstream(directory.path() / "kvtier-file-tier.tmp.1", std::ios::binary) << "kvtier-file-tier 1 slot_b";
  auto tier = open();
  store(*tier, 0, 1);
  expect_intact(*tier, 0, 1);
  EXPECT_TRUE(std::filesystem::exists(directory.path() / "kvtier-file-tier"));
}

TEST_F(FileTierFaults, RealFileSizeLimitFailsInsertsCleanly) {
  { auto tier = open(); }  // create the files before the limit applies
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);  // writes past the limit then fail with EFBIG instead of killing
    const rlimit limit{2 * slot_bytes + slot_bytes / 2, 2 * slot_bytes + slot_bytes / 2};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    file_tier<posix_io> tier(directory.path(), small_nvme(), options);
    int inserted = 0;
    for (std::uint64_t i = 0; i < 5; ++i) {
      if (tier.try_insert(key_of(i), block_bytes(key_of(i), 1, block_length))) inserted |= 1 << i;
    }
    ::_exit(inserted);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  const int inserted = WEXITSTATUS(status);
  EXPECT_EQ(inserted, 0b00011) << "two blocks fit below the limit, the third is cut";
  auto tier = open();
  for (std::uint64_t i = 0; i < 5; ++i) {
    if ((inserted & (1 << i)) != 0) {
      expect_intact(*tier, i, 1);
    } else {
      EXPECT_EQ(tier->find(key_of(i), out), std::nullopt) << i;
    }
  }
}

TEST_F(FileTierFaults, WriterKilledMidWriteLeavesOnlyWholeBlocks) {
  constexpr std::uint64_t big = 1 << 20;
  tier_spec spec = small_nvme(256 * big);
  const file_tier_options big_options{big, 64 * big, false};
  {
    file_tier<posix_io> tier(directory.path(), spec, big_options);
    for (std::uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(tier.try_insert(key_of(i), block_bytes(key_of(i), 1, big)));
  }
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    file_tier<posix_io> tier(directory.path(), spec, big_options);
    const char go = 'g';
    (void)!::write(ready[1], &go, 1);
    for (std::uint64_t round = 2;; ++round) {
      for (std::uint64_t i = 100; i < 300; ++i) (void)tier.try_insert(key_of(i), block_bytes(key_of(i), round, big));
    }
  }
  char go = 0;
  ASSERT_EQ(::read(ready[0], &go, 1), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ::close(ready[0]);
  ::close(ready[1]);

  file_tier<posix_io> tier(directory.path(), spec, big_options);
  std::vector<std::byte> buffer(big);
  for (std::uint64_t i = 0; i < 4; ++i) {
    ASSERT_EQ(tier.find(key_of(i), buffer), big) << i;
    EXPECT_EQ(version_of(key_of(i), buffer), 1u);
  }
  std::uint64_t whole = 0;
  for (std::uint64_t i = 100; i < 300; ++i) {
    const auto found = tier.find(key_of(i), buffer);
    if (!found) continue;
    ASSERT_EQ(*found, big);
    ASSERT_TRUE(version_of(key_of(i), buffer).has_value()) << "block " << i << " came back with wrong bytes";
    ++whole;
  }
  EXPECT_GT(whole, 0u) << "the writer stored nothing before it was killed";
}

}  // namespace
}  // namespace kvtier::test
