#pragma once
// What the tier tests share: scratch directories on the real disk, blocks whose bytes say which
// key and which version they belong to, and a factory per tier model.
#include <kvtier/tier/concepts.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kvtier::test {

/// A directory removed with its contents when the test ends.
class scratch_directory {
 public:
  scratch_directory() {
    static int counter = 0;
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("kvtier_tier_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~scratch_directory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  scratch_directory(const scratch_directory&) = delete;
  scratch_directory& operator=(const scratch_directory&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

[[nodiscard]] inline block_key key_of(std::uint64_t i) { return block_key{i * 0x9E3779B97F4A7C15ull + 7, i}; }

/// `length` bytes that encode the key and a version in the first 24 bytes and a pattern derived
/// from both after them: any mix-up of keys, versions or offsets shows.
[[nodiscard]] inline std::vector<std::byte> block_bytes(const block_key& key, std::uint64_t version,
                                                        std::size_t length) {
  std::vector<std::byte> bytes(length);
  std::uint64_t state = key.hi ^ (key.lo << 1) ^ (version * 0xD1B54A32D192ED03ull) ^ length;
  for (std::size_t i = 0; i < length; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    bytes[i] = static_cast<std::byte>(state >> 56);
  }
  const std::uint64_t header[3] = {key.hi, key.lo, version};
  std::memcpy(bytes.data(), header, std::min(length, sizeof header));
  return bytes;
}

/// The version a block's bytes claim, if they are a whole, consistent block of `key`.
[[nodiscard]] inline std::optional<std::uint64_t> version_of(const block_key& key, std::span<const std::byte> bytes) {
  if (bytes.size() < 24) return std::nullopt;
  std::uint64_t header[3];
  std::memcpy(header, bytes.data(), sizeof header);
  if (header[0] != key.hi || header[1] != key.lo) return std::nullopt;
  const std::vector<std::byte> expected = block_bytes(key, header[2], bytes.size());
  if (std::memcmp(expected.data(), bytes.data(), bytes.size()) != 0) return std::nullopt;
  return header[2];
}

}  // namespace kvtier::test
