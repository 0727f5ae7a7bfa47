#pragma once
// The cache manager's vocabulary: what an engine hands it (block references, request facts), what
// it answers (prefix matches, admission outcomes, prefetch plans, statistics), and the concepts of
// the parts it is composed from that no other area defines: a block sizer and a tier hierarchy.
// Policies (policy/concepts.hpp), reuse predictors (predict/), scorers (score/) and prefetch
// planners (prefetch/) keep their own concepts.
#include <kvtier/block_key.hpp>
#include <kvtier/prefetch/concepts.hpp>
#include <kvtier/tier/concepts.hpp>
#include <kvtier/trace/block_trace.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace kvtier {

/// Bytes of one block of KV, from the model's exact sizing.
///
/// Semantic requirements (tests/manager/cache_manager_test.cpp: `block_sizer_laws` checks 1 and 3,
/// `block_bytes_count_the_scales` checks 2):
/// 1. `block_bytes(0) == 0`, and `block_bytes(n)` is non-decreasing in `n`.
/// 2. `block_bytes(n)` counts everything an engine must store to reuse the block: K and V of every
///    layer, their scales and any auxiliary cache (docs/tiers.md, failures seen in peer systems: scales dropped on
///    offload).
/// 3. `block_bytes(a + b) == block_bytes(a) + block_bytes(b)` (per-token state, no per-block header).
template <class S>
concept block_sizer = requires(const S& sizer, std::uint32_t tokens) {
  { sizer.block_bytes(tokens) } -> std::same_as<std::uint64_t>;
};

namespace detail {
/// A visitor used only to state the tier_hierarchy concept: every level answers `used_bytes()`.
struct used_bytes_of {
  template <class T>
  std::uint64_t operator()(T& tier) const {
    return tier.used_bytes();
  }
};
}  // namespace detail

/// Tiers fastest first, reached one level at a time: tier_stack<...> and runtime_tier_stack.
///
/// Semantic requirements:
/// 1. `levels()` is at least 1 and fixed for the hierarchy's lifetime.
/// 2. `visit(level, f)` calls `f` on the tier at `level` (a model of evicting_tier) and returns its
///    result; the same level always reaches the same tier.
template <class S>
concept tier_hierarchy = requires(S& stack, std::size_t level) {
  { stack.levels() } -> std::convertible_to<std::size_t>;
  { stack.visit(level, detail::used_bytes_of{}) } -> std::convertible_to<std::uint64_t>;
};

/// One block of a request's prompt, as the engine knows it: its chained key, the tokens it holds
/// (the last block of a prompt may be partial) and, when known, what produced it.
struct block_ref {
  block_key key;
  std::uint32_t tokens = 0;
  block_type type = block_type::unknown;
  friend constexpr bool operator==(const block_ref&, const block_ref&) = default;
};

/// Facts about a request the policy may use.
struct request_params {
  std::uint64_t time_ms = 0;  ///< arrival time; non-decreasing across requests gives the best predictions
  session_id session = no_session;
  friend constexpr bool operator==(const request_params&, const request_params&) = default;
};

/// A request between begin_request and release.
struct request_handle {
  std::uint64_t id = 0;
  friend constexpr bool operator==(const request_handle&, const request_handle&) = default;
};

/// The longest cached prefix of a request: its first `blocks` blocks were delivered, block i from
/// `levels[i]` (0 = top tier), before any promotion.
struct prefix_match {
  std::size_t blocks = 0;
  std::uint64_t tokens = 0;
  std::vector<std::uint8_t> levels;
  friend bool operator==(const prefix_match&, const prefix_match&) = default;
};

/// What admit did with a block.
enum class admit_outcome : std::uint8_t {
  stored,     ///< now in the top tier (it was in no tier, or only in a lower one)
  refreshed,  ///< it was already in the top tier: an access, nothing written
  declined,   ///< the policy's admission rule declined it at the top; stored one level down when the
              ///< hierarchy has one and holds it nowhere yet
  refused,    ///< the top tier cannot hold it (larger than the tier, or the store failed)
};

/// Counters of one tier level.
struct level_stats {
  std::uint64_t hits = 0;             ///< blocks delivered from this level
  std::uint64_t hit_tokens = 0;       ///< tokens of those blocks
  std::uint64_t bytes_read = 0;       ///< delivered to the engine, or moved out to another level
  std::uint64_t bytes_written = 0;    ///< admitted, promoted or demoted into this level
  std::uint64_t failed_reads = 0;     ///< a resident block whose bytes could not be read: a miss
  std::uint64_t peak_used_bytes = 0;  ///< the most bytes the level held after any write
  friend constexpr bool operator==(const level_stats&, const level_stats&) = default;
};

struct manager_stats {
  std::vector<level_stats> levels;
  std::uint64_t lookups = 0;         ///< blocks asked for by match_prefix
  std::uint64_t evictions = 0;       ///< blocks the top tier's policy evicted
  std::uint64_t demotions = 0;       ///< blocks moved down (to the level the demotion rule picks)
  std::uint64_t promotions = 0;      ///< blocks moved to the top tier on a hit
  std::uint64_t drops = 0;           ///< blocks that left the hierarchy (out of the bottom, or no level took them)
  std::uint64_t unlikely_drops = 0;  ///< of the drops, blocks the demotion rule kept out of a lower level
  std::uint64_t declined = 0;        ///< admissions the policy declined at the top
  std::uint64_t refused = 0;         ///< admissions the top tier refused
  friend bool operator==(const manager_stats&, const manager_stats&) = default;
};

/// What one request saw, kept apart from every other request's.
struct request_stats {
  std::vector<std::uint64_t> hit_blocks;  ///< per level
  std::uint64_t hit_tokens = 0;
  std::uint64_t missed_blocks = 0;  ///< blocks after the matched prefix that were admitted
  std::uint64_t cached_blocks = 0;  ///< of those, blocks some tier already held (behind a broken prefix)
  std::uint64_t stored_blocks = 0;
  std::uint64_t stored_bytes = 0;
  friend bool operator==(const request_stats&, const request_stats&) = default;
};

/// One (layer, KV head) cell of a top-tier block and its eviction priority (higher = sooner).
struct head_cell {
  std::uint32_t layer = 0;
  std::uint32_t head = 0;
  double priority = 0.0;
  friend constexpr bool operator==(const head_cell&, const head_cell&) = default;
};

/// One block to bring up before the next step, from `level`, with the position priority of the
/// tokens it holds (prefetch/position_priority.hpp: 1 for attention sinks and the recent window).
struct prefetch_item {
  block_key key;
  std::size_t position = 0;
  std::size_t level = 0;
  std::uint64_t bytes = 0;
  double priority = 0.0;
  friend constexpr bool operator==(const prefetch_item&, const prefetch_item&) = default;
};

/// The loads for a request's next step: the blocks of its cached prefix below the top tier, in
/// issue order (highest position priority first, then by position), and the layer-wise schedule
/// of those loads against the step's compute.
struct prefetch_plan {
  std::vector<prefetch_item> loads;
  layer_plan layers;
  friend bool operator==(const prefetch_plan&, const prefetch_plan&) = default;
};

}  // namespace kvtier
