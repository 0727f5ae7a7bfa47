#pragma once
// How rendered chat text becomes the stream whose blocks are hashed into block identities.
//
// A tokenizer appends, for a piece of text, its "token stream": bytes of which every
// `bytes_per_token()` make one token. The default, bytes_per_token_tokenizer, is a proxy that
// needs no vocabulary: the stream is the UTF-8 text itself and every 4 bytes count as one token
// (the convention of the shared derived traces). An engine plugs its real tokenizer through
// token_id_tokenizer, whose stream is the token ids as 4-byte little-endian integers, so that a
// block of N tokens is always N * bytes_per_token() stream bytes and block identities are the same
// on every machine.
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvtier {

using token_id = std::uint32_t;

/// A tokenizer of rendered text into a token stream.
/// Semantic requirements (checked by tests/trace/tokenizer_test.cpp for every model):
///   1. `append_stream(text, stream)` only appends to `stream`; what was there is unchanged.
///   2. It is deterministic: the same text always appends the same bytes, in any process.
///   3. `bytes_per_token()` is positive and the same for every call.
///   4. Appending a then b gives the same stream as appending a, then appending b to that stream
///      (streams of messages concatenate, so a prompt's stream is the concatenation of its
///      messages' streams and append-only histories keep their prefixes).
///   5. The tokens of a stream of n bytes are ceil(n / bytes_per_token()).
template <class T>
concept tokenizer = requires(const T& t, std::string_view text, std::string& stream) {
  { t.bytes_per_token() } -> std::same_as<std::uint32_t>;
  t.append_stream(text, stream);
};

/// The proxy tokenizer: the stream is the text, `bytes_per_token` bytes count as one token.
struct bytes_per_token_tokenizer {
  std::uint32_t bytes_per_token_value = 4;

  [[nodiscard]] constexpr std::uint32_t bytes_per_token() const noexcept { return bytes_per_token_value; }
  void append_stream(std::string_view text, std::string& stream) const { stream.append(text); }

  friend constexpr bool operator==(const bytes_per_token_tokenizer&, const bytes_per_token_tokenizer&) = default;
};

/// Adapts a real tokenizer: `Encode` is callable as `encode(text, ids)` appending token ids to a
/// `std::vector<token_id>&`. The stream is each id as 4 little-endian bytes.
template <class Encode>
requires std::invocable < const Encode&, std::string_view, std::vector<token_id>
& > class token_id_tokenizer {
 public:
  explicit token_id_tokenizer(Encode encode) : encode_(std::move(encode)) {}

  [[nodiscard]] static constexpr std::uint32_t bytes_per_token() noexcept { return sizeof(token_id); }

  void append_stream(std::string_view text, std::string& stream) const {
    std::vector<token_id> ids;
    encode_(text, ids);
    stream.reserve(stream.size() + ids.size() * sizeof(token_id));
    for (const token_id id : ids) {
      for (unsigned shift = 0; shift < 32; shift += 8) stream.push_back(static_cast<char>((id >> shift) & 0xFFu));
    }
  }

 private:
  Encode encode_;
};

/// Tokens in a stream of `stream_bytes` bytes (requirement 5).
template <tokenizer Tokenizer>
[[nodiscard]] constexpr std::uint64_t stream_tokens(const Tokenizer& t, std::uint64_t stream_bytes) noexcept {
  const std::uint64_t per = t.bytes_per_token();
  return (stream_bytes + per - 1) / per;
}

static_assert(tokenizer<bytes_per_token_tokenizer>);

}  // namespace kvtier
