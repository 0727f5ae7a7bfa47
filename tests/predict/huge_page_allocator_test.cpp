#include <kvtier/detail/huge_page_allocator.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

namespace {

using kvtier::detail::huge_page_allocator;

/// Large tables start on a huge-page boundary; small ones keep their type's alignment; both hold
/// their contents through growth.
TEST(HugePageAllocator, AlignsLargeTablesToHugePagesAndKeepsContents) {
  std::vector<std::uint64_t, huge_page_allocator<std::uint64_t>> large(
      huge_page_allocator<std::uint64_t>::huge_page_bytes);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large.data()) % huge_page_allocator<std::uint64_t>::huge_page_bytes, 0U);
  std::iota(large.begin(), large.end(), std::uint64_t{0});
  large.resize(large.size() + 1, 7);
  EXPECT_EQ(large[12'345], 12'345U);
  EXPECT_EQ(large.back(), 7U);

  struct alignas(64) line {
    std::uint8_t bytes[64];
  };
  std::vector<line, huge_page_allocator<line>> small(3);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(small.data()) % 64, 0U);
}

}  // namespace
