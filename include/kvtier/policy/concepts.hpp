#pragma once
// Eviction and admission policies: what decides which blocks a capacity-limited cache keeps.
// One concept covers the baselines (LRU, LFU, ARC, S3-FIFO, Belady, ...) and the predictive
// policy, so that the simulator, the benchmarks and the cache manager drive them all alike.
#include <kvtier/trace/block_trace.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

namespace kvtier {

inline constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();

/// One reference to one block, with everything a policy may use to decide. The simulator and the
/// cache manager fill it; a policy reads what it needs.
struct block_access {
  block_id id = no_block;          ///< dense id (see block_trace.hpp)
  block_id parent = no_block;      ///< the previous block of the same request's chain
  std::uint64_t ref_index = 0;     ///< position in the global reference order: a logical clock
  std::uint64_t next_ref = never;  ///< ref_index of this id's next reference; filled only for offline policies
  std::uint64_t time_ms = 0;       ///< arrival time of the request
  session_id session = no_session;
  std::uint32_t request = 0;         ///< request index in the trace
  std::uint32_t position = 0;        ///< block index within the request's chain
  std::uint32_t tokens = 0;          ///< tokens in this block
  std::uint32_t request_blocks = 0;  ///< blocks in the request's chain
  block_type type = block_type::unknown;
  friend constexpr bool operator==(const block_access&, const block_access&) = default;
};

/// A capacity-limited set of blocks with a replacement (and possibly admission) rule.
///
/// Semantic requirements (checked by tests/policy law tests for every model):
/// 1. `access(a, evicted)` returns true iff `contains(a.id)` held before the call.
/// 2. After `access(a, evicted)` returns, `size() <= capacity()`.
/// 3. On a miss the block is admitted unless the policy's admission rule declines; on a hit it stays.
///    Either way, after the call `contains(a.id)` is true unless admission declined it.
/// 4. `evicted` is cleared by `access` and then receives, in order, exactly the ids that stopped being
///    resident during the call; none of them is `a.id`, unless `a.id` was declined after being resident
///    (never for a hit).
/// 5. `size()` equals the number of ids `x` for which `contains(x)` is true.
/// 6. `erase(x)` removes x if resident and returns whether it was; afterwards `!contains(x)`.
/// 7. `capacity()` is fixed at construction and is at least 1.
template <class P>
concept eviction_policy = requires(P& policy, const P& const_policy, const block_access& access,
                                   std::vector<block_id>& evicted, block_id id) {
  { policy.access(access, evicted) } -> std::same_as<bool>;
  { policy.erase(id) } -> std::same_as<bool>;
  { const_policy.contains(id) } -> std::same_as<bool>;
  { const_policy.size() } -> std::convertible_to<std::size_t>;
  { const_policy.capacity() } -> std::convertible_to<std::size_t>;
  { P::name } -> std::convertible_to<std::string_view>;
};

/// A policy that can be told, ahead of time, which blocks are about to be referenced, so that it can
/// start the memory loads their lookups will need (an engine knows a request's whole block list when
/// it arrives; a trace replay knows the next references). Only a hint: it lets the loads of several
/// upcoming decisions overlap instead of each decision waiting for its own.
///
/// Semantic requirements (beyond eviction_policy's):
/// 1. `prefetch(x)` changes no observable state: every later result of `access`, `erase`, `contains`,
///    `size` and every `evicted` list is exactly what it would have been without the call.
/// 2. Any id is valid, resident, remembered, never seen or beyond every id seen so far.
/// 3. It does not allocate, does not block, and costs O(1): it may touch (start loading) memory but
///    never waits for it.
template <class P>
concept prefetching_policy = eviction_policy<P> && requires(const P& const_policy, block_id id) {
  { const_policy.prefetch(id) }
  noexcept->std::same_as<void>;
};

/// How many references ahead the simulator, the benchmarks and the replay tool announce blocks to a
/// prefetching_policy: enough to cover a DRAM miss (about 100 ns) with decisions of 20 ns and more,
/// few enough that the lines announced are still cached when their turn comes (8 lines per decision
/// in flight at most, well within the 10 to 16 outstanding L1 misses of current cores).
inline constexpr std::size_t prefetch_distance = 8;

/// A policy that needs the future (Belady): the driver must fill `block_access::next_ref`.
template <class P>
concept offline_policy = eviction_policy<P> && P::needs_future;

}  // namespace kvtier
