#pragma once
// Block identity: a salted chain of 128-bit hashes over a token stream (see tokenizer.hpp).
//
//   h0 = H(salt ‖ block0),  h_i = H(h_(i-1) ‖ block_i),  H = XXH3-128,
//
// where a hash is serialised as 16 bytes, `hi` then `lo`, each little-endian, and a block is
// block_tokens * bytes_per_token stream bytes (the last block of a prompt may be shorter). Equal
// hashes therefore mean equal whole prefixes, and the same prompt hashes the same in every process
// and on every machine (XXH3 reads its input as little-endian on all platforms; the chaining bytes
// are fixed above). The salt separates namespaces that must never share KV: a model, a LoRA
// adapter, a tenant; block_hash_of() derives one from a name.
#include <kvtier/block_key.hpp>
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/checksum.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kvtier {

namespace detail {

inline void store_le64(std::uint64_t value, unsigned char* out) noexcept {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}

[[nodiscard]] inline std::array<unsigned char, 16> block_hash_bytes(const block_key& h) noexcept {
  std::array<unsigned char, 16> bytes{};
  store_le64(h.hi, bytes.data());
  store_le64(h.lo, bytes.data() + 8);
  return bytes;
}

}  // namespace detail

/// H(previous ‖ block): one link of the chain. `previous` is the salt for a request's first block.
[[nodiscard]] inline block_key chain_block_hash(const block_key& previous, std::span<const std::byte> block) noexcept {
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  XXH3_128bits_reset(&state);
  const auto prefix = detail::block_hash_bytes(previous);
  XXH3_128bits_update(&state, prefix.data(), prefix.size());
  XXH3_128bits_update(&state, block.data(), block.size());
  const XXH128_hash_t digest = XXH3_128bits_digest(&state);
  return {digest.high64, digest.low64};
}

[[nodiscard]] inline block_key chain_block_hash(const block_key& previous, std::string_view block) noexcept {
  return chain_block_hash(previous, std::as_bytes(std::span<const char>(block.data(), block.size())));
}

/// A salt from a name (model id, adapter, tenant): XXH3-128 of its UTF-8 bytes.
[[nodiscard]] inline block_key block_hash_of(std::string_view name) noexcept {
  const XXH128_hash_t digest = XXH3_128bits(name.data(), name.size());
  return {digest.high64, digest.low64};
}

/// Parameters of the chain: block size in stream bytes and the salt.
struct block_hasher_params {
  std::uint32_t block_tokens = 512;
  std::uint32_t bytes_per_token = 4;  ///< the tokenizer's stream bytes per token
  block_key salt{};
  friend constexpr bool operator==(const block_hasher_params&, const block_hasher_params&) = default;

  [[nodiscard]] constexpr std::uint64_t block_bytes() const noexcept {
    return std::uint64_t{block_tokens} * bytes_per_token;
  }
};

/// Hashes a whole stream into its chain: one hash per block_bytes() (the last may be partial).
/// Appends to `out`; returns the number of hashes appended.
inline std::size_t hash_block_chain(std::string_view stream, const block_hasher_params& params,
                                    std::vector<block_key>& out) {
  KVTIER_ASSERT(params.block_bytes() > 0, "block_tokens and bytes_per_token must be positive");
  const std::size_t block = static_cast<std::size_t>(params.block_bytes());
  block_key previous = params.salt;
  std::size_t count = 0;
  for (std::size_t start = 0; start < stream.size(); start += block, ++count) {
    previous = chain_block_hash(previous, stream.substr(start, block));
    out.push_back(previous);
  }
  return count;
}

/// An append-only stream (a conversation's history) with the chain of its full blocks computed
/// once, so that each successive prompt of the conversation costs only its new bytes plus its
/// partial last block.
class incremental_block_chain {
 public:
  explicit incremental_block_chain(const block_hasher_params& params) : params_(params) {
    KVTIER_ASSERT(params.block_bytes() > 0, "block_tokens and bytes_per_token must be positive");
  }

  /// The stream; append to it freely (never modify what is there).
  [[nodiscard]] std::string& stream() noexcept { return stream_; }
  [[nodiscard]] const std::string& stream() const noexcept { return stream_; }

  /// Appends to `out` the chain of the stream's first `prefix_bytes` bytes.
  void chain_of_prefix(std::size_t prefix_bytes, std::vector<block_key>& out) {
    KVTIER_ASSERT(prefix_bytes <= stream_.size(), "prefix beyond the stream");
    const std::size_t block = static_cast<std::size_t>(params_.block_bytes());
    const std::size_t full = prefix_bytes / block;
    while (full_.size() < full) {
      const block_key previous = full_.empty() ? params_.salt : full_.back();
      full_.push_back(chain_block_hash(previous, std::string_view(stream_).substr(full_.size() * block, block)));
    }
    out.insert(out.end(), full_.begin(), full_.begin() + static_cast<std::ptrdiff_t>(full));
    if (prefix_bytes % block != 0) {
      const block_key previous = full == 0 ? params_.salt : full_[full - 1];
      out.push_back(chain_block_hash(previous, std::string_view(stream_).substr(full * block, prefix_bytes % block)));
    }
  }

  [[nodiscard]] const block_hasher_params& params() const noexcept { return params_; }

 private:
  block_hasher_params params_;
  std::string stream_;
  std::vector<block_key> full_;
};

/// Numbers distinct hashes in first-seen order: the external ids that block_trace_builder takes.
class block_hash_numbering {
 public:
  void reserve(std::size_t hashes) { numbers_.reserve(hashes); }
  [[nodiscard]] std::uint64_t operator()(const block_key& h) {
    return numbers_.try_emplace(h, numbers_.size()).first->second;
  }
  [[nodiscard]] std::size_t size() const noexcept { return numbers_.size(); }

 private:
  std::unordered_map<block_key, std::uint64_t, block_key_hash> numbers_;
};

}  // namespace kvtier
