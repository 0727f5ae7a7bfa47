#pragma once
// replay_through_manager: drives a block trace through a cache_manager the way an engine would,
// request by request: match the longest cached prefix, then admit every later block (its KV was
// recomputed), then release. Block i of the trace becomes block_key{0, i}: the trace's dense ids
// already name equal prefixes equally. Counts the hit rates of docs/policies.md (a block hit is a block
// found in any tier, a prefix hit one delivered by match_prefix) and each request's hit tokens per
// level, for the projection model.
#include <kvtier/manager/concepts.hpp>
#include <kvtier/policy/simulator.hpp>
#include <kvtier/trace/block_trace.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace kvtier {

struct tiered_replay_stats {
  hit_stats hits;
  manager_stats manager;
};

/// `on_request(request, hit_tokens_per_level)` is called after each request, when given.
template <class Manager>
[[nodiscard]] tiered_replay_stats replay_through_manager(
    const block_trace& trace, Manager& manager, const simulate_options& options = {},
    const std::function<void(const trace_request&, std::span<const std::uint64_t>)>& on_request = {}) {
  tiered_replay_stats out;
  hit_stats& stats = out.hits;
  stats.requests = trace.requests.size();
  stats.block_refs = trace.block_ids.size();
  stats.unique_blocks = trace.unique_blocks;
  std::vector<block_ref> refs;
  std::vector<std::uint64_t> hit_tokens(manager.levels());
  std::uint64_t done = 0;
  std::uint64_t next_report = options.progress ? options.progress_every_refs : ~std::uint64_t{0};
  for (const trace_request& request : trace.requests) {
    refs.clear();
    for (std::uint32_t position = 0; position < request.block_count; ++position) {
      refs.push_back({block_key{0, trace.block_ids[request.first_block + position]},
                      trace.block_tokens_at(request, position), trace.block_types[request.first_block + position]});
    }
    const request_handle handle = manager.begin_request({request.timestamp_ms, request.session});
    const prefix_match match = manager.match_prefix(handle, refs);
    std::fill(hit_tokens.begin(), hit_tokens.end(), 0);
    for (std::size_t i = 0; i < refs.size(); ++i) {
      stats.tokens += refs[i].tokens;
      if (i < match.blocks) {
        ++stats.block_hits;
        ++stats.prefix_hits;
        stats.token_hits += refs[i].tokens;
        hit_tokens[match.levels[i]] += refs[i].tokens;
        continue;
      }
      static_cast<void>(manager.admit(handle, i, refs[i]));
    }
    stats.block_hits += manager.release(handle).cached_blocks;  // held by a tier, behind the first miss
    if (on_request) on_request(request, hit_tokens);
    done += request.block_count;
    if (done >= next_report) {
      options.progress(done, stats.block_refs);
      next_report = done + options.progress_every_refs;
    }
  }
  if (options.progress) options.progress(done, stats.block_refs);
  out.manager = manager.stats();
  stats.evictions = out.manager.evictions;
  return out;
}

}  // namespace kvtier
