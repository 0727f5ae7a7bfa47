#pragma once
// Replays a block trace through one eviction policy and counts hits the three ways of docs/policies.md:
//   block hit rate  = references found resident / references;
//   prefix hit rate = references that hit and whose every earlier block in the same request hit
//                     / references (what an engine can reuse);
//   token hit rate  = tokens of prefix hits / tokens of all references (the last block of a
//                     prompt may be partial).
// Cold misses are counted; every reference of every request is replayed in trace order.
#include <kvtier/policy/concepts.hpp>
#include <kvtier/trace/block_trace.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

namespace kvtier {

struct hit_stats {
  std::uint64_t requests = 0;
  std::uint64_t block_refs = 0;
  std::uint64_t unique_blocks = 0;
  std::uint64_t block_hits = 0;
  std::uint64_t prefix_hits = 0;
  std::uint64_t tokens = 0;
  std::uint64_t token_hits = 0;
  std::uint64_t evictions = 0;

  [[nodiscard]] constexpr double block_hit_rate() const noexcept { return ratio(block_hits, block_refs); }
  [[nodiscard]] constexpr double prefix_hit_rate() const noexcept { return ratio(prefix_hits, block_refs); }
  [[nodiscard]] constexpr double token_hit_rate() const noexcept { return ratio(token_hits, tokens); }
  friend constexpr bool operator==(const hit_stats&, const hit_stats&) = default;

 private:
  static constexpr double ratio(std::uint64_t part, std::uint64_t whole) noexcept {
    return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
  }
};

struct simulate_options {
  /// Called every `progress_every_refs` references (and once at the end) with the references done
  /// so far and the total; empty for none.
  std::function<void(std::uint64_t done_refs, std::uint64_t total_refs)> progress;
  std::uint64_t progress_every_refs = std::uint64_t{1} << 22;
};

/// For every reference i of the trace, the index of the next reference to the same block, or
/// `never`. What offline policies (Belady) read through block_access::next_ref.
[[nodiscard]] inline std::vector<std::uint64_t> next_references(const block_trace& trace) {
  std::vector<std::uint64_t> next(trace.block_ids.size(), never);
  std::vector<std::uint64_t> upcoming(trace.unique_blocks, never);
  for (std::uint64_t i = trace.block_ids.size(); i-- > 0;) {
    const block_id id = trace.block_ids[i];
    KVTIER_ASSERT(id < trace.unique_blocks, "block id outside the trace's dense range");
    next[i] = upcoming[id];
    upcoming[id] = i;
  }
  return next;
}

/// Replays `trace` through `policy` (which keeps its state: pass a fresh one for a cold start). A
/// prefetching_policy is told of each reference `prefetch_distance` references before it is made.
template <eviction_policy P>
[[nodiscard]] hit_stats simulate(const block_trace& trace, P& policy, const simulate_options& options = {}) {
  std::vector<std::uint64_t> next;
  if constexpr (offline_policy<P>) next = next_references(trace);

  hit_stats stats;
  stats.requests = trace.requests.size();
  stats.block_refs = trace.block_ids.size();
  stats.unique_blocks = trace.unique_blocks;
  std::vector<block_id> evicted;
  block_access access;
  std::uint64_t ref = 0;
  std::uint64_t next_report = options.progress ? options.progress_every_refs : never;
  const std::uint64_t total_refs = trace.block_ids.size();
  if constexpr (prefetching_policy<P>) {
    for (std::uint64_t i = 0; i < std::min<std::uint64_t>(prefetch_distance, total_refs); ++i) {
      policy.prefetch(trace.block_ids[i]);
    }
  }
  for (std::uint32_t r = 0; r < trace.requests.size(); ++r) {
    const trace_request& request = trace.requests[r];
    const block_id* ids = trace.block_ids.data() + request.first_block;
    const block_type* types = trace.block_types.data() + request.first_block;
    access.parent = no_block;
    access.time_ms = request.timestamp_ms;
    access.session = request.session;
    access.request = r;
    access.request_blocks = request.block_count;
    bool chain_intact = true;
    for (std::uint32_t position = 0; position < request.block_count; ++position, ++ref) {
      access.id = ids[position];
      access.ref_index = ref;
      access.position = position;
      access.type = types[position];
      access.tokens = trace.block_tokens_at(request, position);
      if constexpr (offline_policy<P>) access.next_ref = next[ref];
      if constexpr (prefetching_policy<P>) {
        const std::uint64_t ahead = request.first_block + position + prefetch_distance;
        if (ahead < total_refs) policy.prefetch(trace.block_ids[ahead]);
      }
      const bool hit = policy.access(access, evicted);
      stats.evictions += evicted.size();
      stats.tokens += access.tokens;
      stats.block_hits += hit ? 1 : 0;
      chain_intact = chain_intact && hit;
      if (chain_intact) {
        ++stats.prefix_hits;
        stats.token_hits += access.tokens;
      }
      access.parent = access.id;
    }
    if (ref >= next_report) {
      options.progress(ref, stats.block_refs);
      next_report = ref + options.progress_every_refs;
    }
  }
  if (options.progress) options.progress(ref, stats.block_refs);
  return stats;
}

}  // namespace kvtier
