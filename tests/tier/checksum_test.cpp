// The payload checksum of file_tier gives XXH3-64's value on every dispatch path the CPU runs, for
// every length class XXH3 has (short, mid-size, long with a partial stripe) and unaligned data, so
// a block written with one vector unit verifies with another.
#include <kvtier/detail/checksum.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kvtier::test {
namespace {

TEST(BlockChecksum, EveryPathTheCpuRunsGivesXxh3) {
  std::vector<std::byte> data((1 << 20) + 64);
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  for (std::byte& b : data) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    b = static_cast<std::byte>(state >> 56);
  }
  std::vector<std::size_t> lengths{0,    1,    3,    16,   17,    128,   129,    240,    241,
                                   1023, 1024, 1025, 4096, 16384, 65537, 262144, 1 << 20};
  std::size_t tried = 0;
  for (const detail::checksum_path& path : detail::checksum_paths) {
    if (!path.supported()) continue;
    ++tried;
    for (const std::size_t length : lengths) {
      for (const std::size_t offset : {0, 1, 13, 64}) {
        const std::byte* input = data.data() + offset;
        EXPECT_EQ(path.function(input, length), XXH3_64bits(input, length))
            << path.name << ", " << length << " bytes at offset " << offset;
      }
    }
  }
  EXPECT_GE(tried, 1u);
  EXPECT_TRUE(detail::selected_checksum_path().supported());
  EXPECT_EQ(detail::block_checksum(std::span<const std::byte>(data).first(262144)), XXH3_64bits(data.data(), 262144));
}

TEST(BlockChecksum, TheSelectedPathIsTheWidestSupported) {
  for (const detail::checksum_path& path : detail::checksum_paths) {
    if (path.supported()) {
      EXPECT_EQ(detail::selected_checksum_path().name, path.name);
      return;
    }
  }
  FAIL() << "no path is supported, not even the baseline";
}

}  // namespace
}  // namespace kvtier::test
