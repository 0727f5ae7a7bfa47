#pragma once
// model_block_sizer: bytes of a block from the exact sizing of a model (sizing/kv_footprint.hpp),
// for one KV format and one tensor-parallel rank. Scales and auxiliary caches are part of
// kv_bytes_per_token (sizing requirement 1), so a block's bytes include them.
#include <kvtier/manager/concepts.hpp>
#include <kvtier/sizing/kv_footprint.hpp>
#include <kvtier/sizing/model_shape.hpp>

#include <cstdint>

namespace kvtier {

class model_block_sizer {
 public:
  model_block_sizer(const model_shape& model, kv_format format, std::uint32_t tp = 1) noexcept
      : bytes_per_token_(kv_bytes_per_token(model, format, tp)) {}

  /// For a caller that already knows the bytes one token adds.
  [[nodiscard]] static constexpr model_block_sizer from_bytes_per_token(std::uint64_t bytes) noexcept {
    return model_block_sizer(bytes);
  }

  [[nodiscard]] constexpr std::uint64_t block_bytes(std::uint32_t tokens) const noexcept {
    return bytes_per_token_ * tokens;
  }
  [[nodiscard]] constexpr std::uint64_t bytes_per_token() const noexcept { return bytes_per_token_; }

 private:
  constexpr explicit model_block_sizer(std::uint64_t bytes_per_token) noexcept : bytes_per_token_(bytes_per_token) {}
  std::uint64_t bytes_per_token_;
};

static_assert(block_sizer<model_block_sizer>);

}  // namespace kvtier
