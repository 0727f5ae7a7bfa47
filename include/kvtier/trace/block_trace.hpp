#pragma once
// The vocabulary of workloads: a block trace is a time-ordered list of requests, each the chain of
// KV blocks its prompt needs. Every reader (Mooncake JSONL, chat transcripts, the synthetic
// generator) produces one; the policy simulator and `kvtier replay` consume it.
//
// Storage is structure-of-arrays: one flat array of block ids (and one of block types) for all
// requests, each request naming its slice. Block ids are dense: 0..unique_blocks-1 in first-seen
// order, so that policies may index flat arrays by id instead of hashing.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/dense_id_map.hpp>

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvtier {

/// Dense block identifier (first-seen order within one trace or one cache manager).
using block_id = std::uint32_t;
inline constexpr block_id no_block = std::numeric_limits<block_id>::max();

/// Session (conversation, agent run) identifier; no_session when the trace has none.
using session_id = std::uint64_t;
inline constexpr session_id no_session = std::numeric_limits<session_id>::max();

/// What produced a block's tokens (docs/policies-predictive.md). `unknown` where the trace does not say.
enum class block_type : std::uint8_t { system, user, assistant, tool, unknown };
inline constexpr std::size_t block_type_count = 5;

[[nodiscard]] constexpr std::string_view to_string(block_type type) noexcept {
  switch (type) {
    case block_type::system:
      return "system";
    case block_type::user:
      return "user";
    case block_type::assistant:
      return "assistant";
    case block_type::tool:
      return "tool";
    case block_type::unknown:
      return "unknown";
  }
  return "unknown";
}

struct trace_request {
  std::uint64_t timestamp_ms = 0;  ///< arrival time, ms from the trace's own origin
  std::uint32_t input_tokens = 0;  ///< prompt length; the last block may be partial
  std::uint32_t output_tokens = 0;
  session_id session = no_session;
  std::uint32_t turn = 0;         ///< 0-based turn within its session (0 when unknown)
  std::uint64_t first_block = 0;  ///< index of this request's first block in block_trace::block_ids
  std::uint32_t block_count = 0;  ///< ceil(input_tokens / block_tokens) for readers that know tokens
  friend constexpr bool operator==(const trace_request&, const trace_request&) = default;
};

struct block_trace {
  std::string source;                ///< file name or generator description, for reports
  std::uint32_t block_tokens = 512;  ///< tokens per full block
  std::vector<trace_request> requests;
  std::vector<block_id> block_ids;      ///< all requests' chains, concatenated
  std::vector<block_type> block_types;  ///< parallel to block_ids; all unknown for hash-only traces
  std::uint32_t unique_blocks = 0;      ///< ids are 0..unique_blocks-1

  [[nodiscard]] std::span<const block_id> blocks(const trace_request& request) const noexcept {
    KVTIER_ASSERT(request.first_block + request.block_count <= block_ids.size(), "request outside the trace");
    return {block_ids.data() + request.first_block, request.block_count};
  }
  [[nodiscard]] std::span<const block_type> types(const trace_request& request) const noexcept {
    KVTIER_ASSERT(request.first_block + request.block_count <= block_types.size(), "request outside the trace");
    return {block_types.data() + request.first_block, request.block_count};
  }
  /// Tokens in block `position` of `request`: block_tokens except for a partial last block.
  [[nodiscard]] std::uint32_t block_tokens_at(const trace_request& request, std::uint32_t position) const noexcept {
    const std::uint64_t start = std::uint64_t{position} * block_tokens;
    if (request.input_tokens == 0 || start >= request.input_tokens) return block_tokens;
    const std::uint64_t left = request.input_tokens - start;
    return left < block_tokens ? static_cast<std::uint32_t>(left) : block_tokens;
  }
  [[nodiscard]] std::uint64_t block_refs() const noexcept { return block_ids.size(); }
};

/// Appends requests while keeping ids dense: maps each external id (a hash, or a trace's own
/// integer) to a block_id in first-seen order. Readers use it; so may users building traces.
class block_trace_builder {
 public:
  explicit block_trace_builder(std::string source, std::uint32_t block_tokens = 512) {
    trace_.source = std::move(source);
    trace_.block_tokens = block_tokens;
  }

  /// Starts a request; follow with add_block for each block of its chain, in order.
  void begin_request(std::uint64_t timestamp_ms, std::uint32_t input_tokens, std::uint32_t output_tokens,
                     session_id session = no_session, std::uint32_t turn = 0) {
    trace_request request;
    request.timestamp_ms = timestamp_ms;
    request.input_tokens = input_tokens;
    request.output_tokens = output_tokens;
    request.session = session;
    request.turn = turn;
    request.first_block = trace_.block_ids.size();
    trace_.requests.push_back(request);
  }

  void add_block(std::uint64_t external_id, block_type type = block_type::unknown) {
    add_blocks(std::span<const std::uint64_t>(&external_id, 1), type);
  }

  /// add_block for each of `external_ids`, in order.
  void add_blocks(std::span<const std::uint64_t> external_ids, block_type type = block_type::unknown) {
    KVTIER_ASSERT(!trace_.requests.empty(), "add_block before begin_request");
    const std::size_t first = trace_.block_ids.size();
    try {
      trace_.block_ids.resize(first + external_ids.size());
      trace_.block_types.resize(first + external_ids.size(), type);
      block_id* out = trace_.block_ids.data() + first;
      for (const std::uint64_t id : external_ids) {
        *out++ = dense_.try_emplace(id, static_cast<block_id>(dense_.size())).first;
      }
    } catch (...) {  // out of memory: the trace keeps the blocks it had
      trace_.block_ids.resize(first);
      trace_.block_types.resize(first);
      throw;
    }
    trace_.requests.back().block_count += static_cast<std::uint32_t>(external_ids.size());
  }

  void reserve(std::size_t requests, std::size_t blocks) {
    trace_.requests.reserve(requests);
    trace_.block_ids.reserve(blocks);
    trace_.block_types.reserve(blocks);
    dense_.reserve(blocks);
  }

  [[nodiscard]] block_trace finish() && {
    trace_.unique_blocks = static_cast<std::uint32_t>(dense_.size());
    return std::move(trace_);
  }

 private:
  block_trace trace_;
  detail::dense_id_map dense_;
};

}  // namespace kvtier
