#pragma once
// cache_manager: what an inference engine calls. It composes, each as a template parameter a user
// may replace with a type of their own:
//   Stack      the tiers, fastest first (tier_stack<...> or runtime_tier_stack; tier_hierarchy);
//   Sizer      bytes of a block from the model's exact sizing (block_sizer; model_block_sizer);
//   Predictor  reuse predictor of the default policy and of the demotion rule (reuse_predictor;
//              beta_bernoulli_predictor);
//   Policy     eviction and admission of the top tier (eviction_policy; predictive_policy);
//   Scorer     head-granular scores of the top tier's blocks, and the order in which a block's
//              (layer, KV head) cells leave the fast tier (scorer; ema_scorer);
//   Planner    layer-wise prefetch of blocks below the top tier, loads ordered by position priority
//              (prefetch_planner; layer_pipeline_planner).
//
// A block's identity is its block_key, the salted chained XXH3-128 of its token ids
// (chain_tokens, block_hasher.hpp). The top tier holds exactly the blocks the policy holds; a block
// the policy evicts moves down (demotion rule below), and a full lower level pushes its own oldest
// block down in turn (the tier's own order), out of the hierarchy from the bottom. A hit below the top is
// delivered from where it is and then moves to the top when the policy admits it (promotion).
//
// Demotion rule, on every level: a block about to move down (evicted from the top, pushed out of a
// full lower level, or declined at the top) goes to the first level below whose threshold its
// context's probability of being referenced again within the demotion horizon (1 hour by default)
// reaches, and is dropped when there is none. A level's threshold is `min_demotion_reuse` or, when
// higher, what it takes for the expected value of a hit from that level (the GPU time of the
// prefill it saves less the load, at the GPU's price) to pay for holding the block there for the
// horizon (demotion_reuse_threshold). The context is the taxonomy of the block's last touch (type,
// transition); the outcome of every such decision is learned, for dropped blocks too: referenced
// again within the horizon or not.
//
// Memory: the manager tracks a key while a tier holds it and for the next `remembered_blocks`
// departures after it left the hierarchy (so that a block coming back soon keeps the dense id the
// policy's ghost history knows it by), then forgets it and recycles its id, oldest freed first.
//
// A hit is a block whose bytes were read: a block the metadata places in a tier but whose `find`
// fails (a failed transfer, a damaged file) ends the matched prefix there, is forgotten, and counts
// as a failed read; the caller never receives bytes it did not ask for (tiers never return another
// key's bytes, tier requirement 3).
//
// Locking: one std::mutex guards all of the manager's state (metadata, policy, scorer, statistics,
// staging buffers) and every call into the tiers; each public member function takes it once, so
// every operation is atomic with respect to the others and requests may call from any thread. The
// sink of match_prefix runs under that lock: it should copy the bytes it is given and must not call
// back into the manager. Statistics of a request are kept in that request's own record.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/block_id_index.hpp>
#include <kvtier/detail/session_tag.hpp>
#include <kvtier/manager/concepts.hpp>
#include <kvtier/manager/make_policy.hpp>
#include <kvtier/manager/model_block_sizer.hpp>
#include <kvtier/manager/projection.hpp>
#include <kvtier/policy/concepts.hpp>
#include <kvtier/policy/predictive_policy.hpp>
#include <kvtier/predict/beta_bernoulli_predictor.hpp>
#include <kvtier/predict/context_classifier.hpp>
#include <kvtier/prefetch/layer_pipeline.hpp>
#include <kvtier/prefetch/position_priority.hpp>
#include <kvtier/score/ema_scorer.hpp>
#include <kvtier/tier/concepts.hpp>
#include <kvtier/trace/block_hasher.hpp>

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace kvtier {

struct cache_manager_options {
  std::uint32_t block_tokens = 512;
  block_key salt{};                   ///< keeps models, adapters and tenants apart (block_hash_of)
  head_grid grid{};                   ///< layers × KV heads the scorer tracks per block
  predictive_policy_params policy{};  ///< for the predictive policy; capacity comes from the top tier
  /// The floor of the demotion rule: a block moves down only when its context's predicted
  /// probability of being referenced again within `demotion_horizon_ms` is at least this, whatever
  /// the prices. 1/20: at most twenty blocks written to a lower tier for each one read back.
  double min_demotion_reuse = 0.05;
  /// The horizon of the demotion rule. The tiers below the top are where a prefix outlives the
  /// 5-minute cache of the top (`policy.horizon_ms`): 1 hour, the extended lifetime providers offer
  /// for cached prompt prefixes (Anthropic's 1-hour prompt-cache TTL). It is also the time a kept
  /// block is expected to be paid for in its tier: its decision is settled then.
  std::uint64_t demotion_horizon_ms = 3'600'000;
  /// Whether the rule prices each destination level (docs/manager.md#demotion-rule): a block goes
  /// down into level L only when P(reuse) x the value of a hit from L (the GPU time of the prefill it
  /// saves less the load from L, at the GPU's price) covers holding it there for the horizon (its
  /// bytes x L's cost_per_gb_hour); else into the first cheaper level below that it is worth, or
  /// nowhere. False, with `min_demotion_reuse` 0: every block goes one level down (the offload of
  /// LMCache and of vLLM's CPU tier).
  bool priced_demotion = true;
  /// The GPU and the model whose prefill a hit saves (defaults: H100 SXM at $5/h, Llama-3.1-8B;
  /// projection.hpp gives the sources); the replay tool passes those of its projection.
  projection_params demotion_value{};
  /// Keys remembered after they left the hierarchy; 0: 16 × the top tier's blocks, at least 65,536
  /// (four times the predictive policy's ghost history, so a block the policy still remembers keeps its id).
  std::size_t remembered_blocks = 0;
  friend constexpr bool operator==(const cache_manager_options&, const cache_manager_options&) = default;
};

/// The least probability of reuse within `holding_ms` at which a block of `block_tokens` tokens and
/// `block_bytes` bytes pays for a place in a tier of `spec`: its holding cost (bytes x the tier's
/// $/GB-hour x the holding time) over the value of one hit from it (the GPU seconds of the block's
/// prefill, without attention to an earlier prefix, less the seconds to load it from the tier, at
/// the GPU's $/hour). Above 1 when no probability pays; infinite when a load costs more GPU time
/// than recomputing.
[[nodiscard]] inline double demotion_reuse_threshold(const projection_params& value, const tier_spec& spec,
                                                     std::uint32_t block_tokens, std::uint64_t block_bytes,
                                                     std::uint64_t holding_ms) noexcept {
  const double prefill_s =
      prefill_flops(value.model, block_tokens, 0.0) / (value.gpu.peak_flops_per_s * value.gpu.prefill_utilisation);
  const double load_s = transfer_time_s(spec, block_bytes, transfer_direction::read);
  const double hit_dollars = (prefill_s - load_s) * value.gpu.cost_per_hour / 3600.0;
  const double holding_dollars =
      static_cast<double>(block_bytes) / 1e9 * spec.cost_per_gb_hour * static_cast<double>(holding_ms) / 3'600'000.0;
  if (hit_dollars <= 0.0) return std::numeric_limits<double>::infinity();
  return holding_dollars / hit_dollars;
}

template <tier_hierarchy Stack, block_sizer Sizer = model_block_sizer,
          reuse_predictor Predictor = beta_bernoulli_predictor<>,
          eviction_policy Policy = predictive_policy<taxonomy_classifier, Predictor>, scorer Scorer = ema_scorer,
          prefetch_planner Planner = layer_pipeline_planner>
class cache_manager {
  static_assert(!offline_policy<Policy>,
                "the cache manager runs online: a policy that needs the future cannot drive it");

 public:
  using stack_type = Stack;
  using policy_type = Policy;

  /// Builds the stack in place from `stack_args`; the policy's capacity is the top tier's bytes
  /// over the bytes of a full block.
  template <class... StackArgs>
  explicit cache_manager(Sizer sizer, const cache_manager_options& options, StackArgs&&... stack_args)
      : options_(options),
        sizer_(std::move(sizer)),
        stack_(std::forward<StackArgs>(stack_args)...),
        full_block_bytes_(sizer_.block_bytes(options.block_tokens)),
        top_capacity_blocks_(top_capacity_blocks(stack_, full_block_bytes_)),
        remembered_blocks_(options.remembered_blocks != 0
                               ? options.remembered_blocks
                               : std::max<std::size_t>(16 * top_capacity_blocks_, std::size_t{1} << 16)),
        policy_(make_policy<Policy>(top_capacity_blocks_, options.policy)),
        scorer_(make_scorer(options.grid, top_capacity_blocks_)),
        classifier_(options.policy.classifier),
        demotion_predictor_(make_predictor(options.policy)) {
    KVTIER_ASSERT(options.block_tokens >= 1, "a block holds at least one token");
    KVTIER_ASSERT(stack_.levels() >= 1, "a cache manager needs at least one tier");
    KVTIER_ASSERT(stack_.levels() <= 255, "levels are reported in 8 bits");
    KVTIER_ASSERT(full_block_bytes_ > 0, "a block must have bytes");
    KVTIER_ASSERT(full_block_bytes_ <= std::numeric_limits<std::uint32_t>::max(),
                  "a block must be under 4 GiB: use fewer tokens per block");
    KVTIER_ASSERT(options.min_demotion_reuse >= 0.0 && options.min_demotion_reuse <= 1.0,
                  "min_demotion_reuse is a probability");
    stats_.levels.resize(stack_.levels());
    min_reuse_.assign(stack_.levels(), options.min_demotion_reuse);
    for (std::size_t level = 1; level < stack_.levels() && options.priced_demotion; ++level) {
      const tier_spec spec = stack_.visit(level, [](auto& t) { return tier_spec(t.spec()); });
      min_reuse_[level] = std::max(options.min_demotion_reuse,
                                   demotion_reuse_threshold(options.demotion_value, spec, options.block_tokens,
                                                            full_block_bytes_, options.demotion_horizon_ms));
    }
    for (std::size_t level = 0; level < stack_.levels(); ++level) {
      holds_any_bytes_ = holds_any_bytes_ || stack_.visit(level, [](auto& t) { return holds_bytes(t); });
    }
    for (std::size_t i = 0; i <= stack_.levels(); ++i) {
      staging_.push_back(std::make_unique_for_overwrite<std::byte[]>(static_cast<std::size_t>(full_block_bytes_)));
    }
    free_slots_.reserve(top_capacity_blocks_);
    for (std::size_t slot = top_capacity_blocks_; slot-- > 0;) free_slots_.push_back(static_cast<std::uint32_t>(slot));
  }

  cache_manager(const cache_manager&) = delete;
  cache_manager& operator=(const cache_manager&) = delete;

  /// The chain of block references of a prompt given as token ids: block i's key hashes the salt
  /// (or block i−1's key) and the little-endian bytes of its token ids; the last block may be partial.
  [[nodiscard]] std::vector<block_ref> chain_tokens(std::span<const std::uint32_t> token_ids,
                                                    block_type type = block_type::unknown) const {
    std::vector<block_ref> refs;
    std::vector<std::byte> bytes;
    block_key previous = options_.salt;
    for (std::size_t start = 0; start < token_ids.size(); start += options_.block_tokens) {
      const std::size_t count = std::min<std::size_t>(options_.block_tokens, token_ids.size() - start);
      bytes.resize(count * 4);
      for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<std::byte>(token_ids[start + i] >> (8 * b));
      }
      previous = chain_block_hash(previous, bytes);
      refs.push_back({previous, static_cast<std::uint32_t>(count), type});
    }
    return refs;
  }

  [[nodiscard]] request_handle begin_request(const request_params& params = {}) {
    const std::scoped_lock lock(mutex_);
    if (free_requests_.empty()) {
      KVTIER_ASSERT(requests_.size() < (std::size_t{1} << 32), "at most 2^32 open requests");
      free_requests_.push_back(static_cast<std::uint32_t>(requests_.size()));
      requests_.emplace_back();
    }
    const std::uint32_t slot = free_requests_.back();
    free_requests_.pop_back();
    request_state& state = requests_[slot];
    state.open = true;
    state.serial = static_cast<std::uint32_t>(next_request_++);
    state.params = params;
    state.blocks = 0;
    state.ids.clear();
    state.stats = request_stats{};
    state.stats.hit_blocks.assign(stack_.levels(), 0);
    return request_handle{(std::uint64_t{state.serial} << 32) | slot};
  }

  /// Delivers the longest cached prefix of `blocks`: `sink(index, level, bytes)` for each block in
  /// order, from the level holding it, then promotes it if the policy admits it at the top. Stops
  /// at the first block that is in no tier or whose bytes cannot be read.
  template <class Sink>
  requires std::invocable<Sink&, std::size_t, std::size_t, std::span<const std::byte>>
  [[nodiscard]] prefix_match match_prefix(request_handle request, std::span<const block_ref> blocks, Sink&& sink) {
    const std::scoped_lock lock(mutex_);
    request_state& state = state_of(request);
    state.blocks = std::max<std::uint32_t>(state.blocks, static_cast<std::uint32_t>(blocks.size()));
    prefix_match match;
    std::span<std::byte> load = staging(stack_.levels());
    for (std::size_t position = 0; position < blocks.size(); ++position) {
      const block_ref& ref = blocks[position];
      ++stats_.lookups;
      const block_id id = resident_id(ref.key);
      if (id == no_block) break;
      entry& e = entries_[id];
      const std::size_t level = e.level;
      const std::optional<std::size_t> length = stack_.visit(level, [&](auto& t) { return t.find(ref.key, load); });
      if (!length) {
        forget_unreadable(id);
        break;
      }
      sink(position, level, std::span<const std::byte>(load.data(), *length));
      level_stats& ls = stats_.levels[level];
      ++ls.hits;
      ls.hit_tokens += ref.tokens;
      ls.bytes_read += *length;
      ++state.stats.hit_blocks[level];
      state.stats.hit_tokens += ref.tokens;
      match.levels.push_back(static_cast<std::uint8_t>(level));
      ++match.blocks;
      match.tokens += ref.tokens;
      access(state, position, ref, id, load.first(*length), origin::loaded);
    }
    return match;
  }

  [[nodiscard]] prefix_match match_prefix(request_handle request, std::span<const block_ref> blocks) {
    return match_prefix(request, blocks, [](std::size_t, std::size_t, std::span<const std::byte>) {});
  }

  /// Stores the engine's freshly computed KV of block `position` of the request at the top tier (or
  /// records an access when it is already there). `bytes` must be exactly
  /// `sizer.block_bytes(block.tokens)`: every layer's K and V with their scales and auxiliary caches.
  admit_outcome admit(request_handle request, std::size_t position, const block_ref& block,
                      std::span<const std::byte> bytes) {
    KVTIER_ASSERT(
        bytes.size() == sizer_.block_bytes(block.tokens),
        "a block's bytes must be what the sizer counts for its tokens (scales and auxiliary caches included)");
    const std::scoped_lock lock(mutex_);
    return admit_locked(request, position, block, bytes);
  }

  /// admit for hierarchies that only account for bytes (simulated tiers): the block's length comes
  /// from the sizer. Every level must be one that stores no bytes.
  admit_outcome admit(request_handle request, std::size_t position, const block_ref& block) {
    const std::scoped_lock lock(mutex_);
    KVTIER_ASSERT(!holds_any_bytes_, "admit without bytes is for tiers that store none (simulated tiers)");
    const std::uint64_t length = sizer_.block_bytes(block.tokens);
    KVTIER_ASSERT(length <= full_block_bytes_, "a block holds at most block_tokens tokens");
    return admit_locked(request, position, block, staging(stack_.levels()).first(static_cast<std::size_t>(length)));
  }

  /// A read of a top-tier block outside prefill (decode): refreshes its score.
  void record_access(const block_key& key, double now_s) {
    const std::scoped_lock lock(mutex_);
    if (const entry* e = top_entry(key)) scorer_.touch(e->slot, now_s);
  }

  /// Attention mass per (layer, KV head), layer-major, that the engine measured for a top-tier block.
  void record_attention(const block_key& key, std::span<const float> mass, double now_s) {
    const std::scoped_lock lock(mutex_);
    if (const entry* e = top_entry(key)) scorer_.observe(e->slot, mass, now_s);
  }

  /// Eviction priority of a top-tier block's (layer, head) cell (higher = sooner); nullopt below the top.
  [[nodiscard]] std::optional<double> head_priority(const block_key& key, std::size_t layer, std::size_t head,
                                                    double now_s) const {
    const std::scoped_lock lock(mutex_);
    const entry* e = top_entry(key);
    if (e == nullptr) return std::nullopt;
    return scorer_.head_priority(e->slot, layer, head, now_s);
  }
  [[nodiscard]] std::optional<double> block_priority(const block_key& key, double now_s) const {
    const std::scoped_lock lock(mutex_);
    const entry* e = top_entry(key);
    if (e == nullptr) return std::nullopt;
    return scorer_.block_priority(e->slot, now_s);
  }

  /// Ends a request and returns what it alone saw.
  request_stats release(request_handle request) {
    const std::scoped_lock lock(mutex_);
    request_state& state = state_of(request);
    state.open = false;
    free_requests_.push_back(static_cast<std::uint32_t>(request.id));
    return std::move(state.stats);
  }

  /// The (layer, KV head) cells of a top-tier block, most evictable first by the scorer (ties in
  /// layer-major order): the order in which an engine that offloads KV per head moves a block's
  /// heads out of the fast tier, keeping those attention still uses. Empty below the top.
  [[nodiscard]] std::vector<head_cell> head_demotion_order(const block_key& key, double now_s) const {
    const std::scoped_lock lock(mutex_);
    std::vector<head_cell> cells;
    const entry* e = top_entry(key);
    if (e == nullptr) return cells;
    const head_grid grid = scorer_.grid();
    cells.reserve(grid.cells());
    for (std::size_t layer = 0; layer < grid.layers; ++layer) {
      for (std::size_t head = 0; head < grid.kv_heads; ++head) {
        cells.push_back({static_cast<std::uint32_t>(layer), static_cast<std::uint32_t>(head),
                         scorer_.head_priority(e->slot, layer, head, now_s)});
      }
    }
    std::ranges::stable_sort(cells, std::ranges::greater{}, &head_cell::priority);
    return cells;
  }

  /// The loads for the next step of a request whose prompt begins with `blocks`: the blocks of its
  /// cached prefix below the top tier, highest position priority first (attention sinks and the
  /// recent window of the prompt, then by distance; position order among equals), and their
  /// layer-wise schedule against `compute_s` (one entry per layer). Changes nothing.
  [[nodiscard]] prefetch_plan plan_prefetch(std::span<const block_ref> blocks, std::span<const double> compute_s,
                                            const position_priority_params& priority = {}) const {
    const std::scoped_lock lock(mutex_);
    prefetch_plan plan;
    const std::size_t layers = compute_s.size();
    const std::size_t lower = stack_.levels() - 1;
    std::vector<tier_link> links(lower);
    std::vector<double> load_bytes(lower * layers, 0.0);
    for (std::size_t level = 1; level < stack_.levels(); ++level) {
      const tier_spec spec = stack_.visit(level, [](auto& t) { return tier_spec(t.spec()); });
      links[level - 1] = {spec.read_bytes_per_s, spec.latency_s};
    }
    std::uint64_t sequence_tokens = 0;
    for (const block_ref& ref : blocks) sequence_tokens += ref.tokens;
    std::uint64_t first_token = 0;
    for (std::size_t position = 0; position < blocks.size(); first_token += blocks[position++].tokens) {
      const block_id id = resident_id(blocks[position].key);
      if (id == no_block) break;
      const entry& e = entries_[id];
      if (e.level == 0) continue;
      plan.loads.push_back({blocks[position].key, position, e.level, e.length,
                            position_priority(first_token, blocks[position].tokens, sequence_tokens, priority)});
      for (std::size_t l = 0; l < layers; ++l) {
        load_bytes[(e.level - 1) * layers + l] += static_cast<double>(e.length) / static_cast<double>(layers);
      }
    }
    std::ranges::stable_sort(plan.loads, std::ranges::greater{}, &prefetch_item::priority);
    plan.layers = planner_.plan({compute_s, links, load_bytes});
    return plan;
  }

  /// The level holding `key` as far as the metadata knows (a read may still fail).
  [[nodiscard]] std::optional<std::size_t> level_of(const block_key& key) const {
    const std::scoped_lock lock(mutex_);
    const block_id id = resident_id(key);
    if (id == no_block) return std::nullopt;
    return entries_[id].level;
  }

  /// Keys the manager tracks now: those some tier holds and those remembered after they left.
  /// Bounded by the blocks the hierarchy holds plus `remembered_blocks`, whatever the trace's length.
  [[nodiscard]] std::size_t tracked_blocks() const {
    const std::scoped_lock lock(mutex_);
    return ids_.size();
  }
  /// The dense ids handed to the policy are below this (ids are recycled): bounded like tracked_blocks.
  [[nodiscard]] std::size_t block_id_bound() const {
    const std::scoped_lock lock(mutex_);
    return entries_.size();
  }
  /// The least predicted reuse at which the demotion rule moves a block into `level` (below the top):
  /// `min_demotion_reuse`, or the level's priced threshold when higher (above 1: never).
  [[nodiscard]] double demotion_threshold(std::size_t level) const {
    KVTIER_ASSERT(level < min_reuse_.size(), "a level of the hierarchy");
    return min_reuse_[level];
  }
  /// The demotion rule's current estimate for a context of the taxonomy (docs/manager.md).
  [[nodiscard]] double demotion_reuse(context_id context) const {
    const std::scoped_lock lock(mutex_);
    return demotion_predictor_.predict(context);
  }

  [[nodiscard]] manager_stats stats() const {
    const std::scoped_lock lock(mutex_);
    return stats_;
  }
  [[nodiscard]] std::size_t levels() const noexcept { return stack_.levels(); }
  [[nodiscard]] std::uint64_t full_block_bytes() const noexcept { return full_block_bytes_; }
  [[nodiscard]] std::size_t top_capacity_blocks() const noexcept { return top_capacity_blocks_; }
  [[nodiscard]] std::size_t remembered_blocks() const noexcept { return remembered_blocks_; }
  /// The stack, for inspection by a caller that holds no other reference to it while calls run.
  [[nodiscard]] Stack& stack() noexcept { return stack_; }

 private:
  static constexpr std::uint8_t no_level = 0xff;
  static constexpr std::uint8_t in_transit = 0xfe;  ///< between two levels during a move
  static constexpr std::uint32_t no_slot = 0xffffffffU;
  static constexpr std::uint8_t pending_flag = 1;   ///< a demotion decision's outcome is not known yet
  static constexpr std::uint8_t shared_flag = 2;    ///< touched from two or more sessions
  static constexpr std::uint8_t departed_flag = 4;  ///< in no tier, on the list of remembered departures
  static constexpr std::uint8_t max_touches = 3;
  static constexpr std::uint16_t no_session_tag = detail::no_session_tag;

  /// Links of an entry on one of the manager's lists through the entries, oldest first.
  struct list_links {
    block_id older = no_block;
    block_id newer = no_block;
  };
  struct id_list {
    block_id oldest = no_block;
    block_id newest = no_block;
    std::size_t size = 0;
  };

  /// 64 bytes. A block's length fits 32 bits (the constructor checks the full block's).
  struct entry {
    block_key key;
    std::uint64_t last_ms = 0;     ///< last touch
    std::uint64_t pending_ms = 0;  ///< when the pending demotion decision was taken
    std::uint32_t length = 0;
    std::uint32_t slot = no_slot;
    list_links departed;                     ///< on departed_ while in no tier and remembered
    list_links pending;                      ///< on pending_ while a demotion decision awaits its outcome
    std::uint16_t session = no_session_tag;  ///< of the last touch, folded
    std::uint8_t level = no_level;
    std::uint8_t touches = 0;
    std::uint8_t flags = 0;
    std::uint8_t context = 0;          ///< of the last touch
    std::uint8_t pending_context = 0;  ///< of the pending decision
  };
  static_assert(sizeof(entry) == 64, "an entry is one cache line");

  /// An open request's record, in a slot reused by later requests (its vectors keep their capacity).
  struct request_state {
    request_params params;
    bool open = false;
    std::uint32_t serial = 0;  ///< its number (the policy's request index), the high half of its handle
    std::uint32_t blocks = 0;
    std::vector<block_id> ids;  ///< by position: the parents the policy sees
    request_stats stats;
  };

  template <class T>
  static bool holds_bytes(const T& tier) {
    if constexpr (requires { tier.holds_bytes(); }) {
      return tier.holds_bytes();
    } else {
      return T::stores_bytes;
    }
  }

  static std::size_t top_capacity_blocks(Stack& stack, std::uint64_t block_bytes) {
    const std::uint64_t capacity = stack.visit(0, [](auto& t) { return t.capacity_bytes(); });
    return static_cast<std::size_t>(std::max<std::uint64_t>(1, capacity / std::max<std::uint64_t>(block_bytes, 1)));
  }

  static Scorer make_scorer(head_grid grid, std::size_t slots) {
    if constexpr (std::constructible_from<Scorer, head_grid, std::size_t>) {
      return Scorer(grid, slots);
    } else {
      return Scorer{};
    }
  }

  static Predictor make_predictor(const predictive_policy_params& params) {
    if constexpr (std::constructible_from<Predictor, beta_bernoulli_params>) {
      return Predictor{beta_bernoulli_params{params.prior, params.forgetting}};
    } else {
      return Predictor{};
    }
  }

  std::span<std::byte> staging(std::size_t index) {
    return {staging_[index].get(), static_cast<std::size_t>(full_block_bytes_)};
  }

  request_state& state_of(request_handle request) {
    const auto slot = static_cast<std::uint32_t>(request.id);
    KVTIER_ASSERT(slot < requests_.size() && requests_[slot].open && requests_[slot].serial == request.id >> 32,
                  "a call for a request that is not open (begin_request, then release)");
    return requests_[slot];
  }

  /// How the index reads the key of an id.
  [[nodiscard]] auto key_of() const noexcept {
    return [this](block_id id) -> const block_key& { return entries_[id].key; };
  }

  /// The id of `key` when some tier holds it, else no_block.
  [[nodiscard]] block_id resident_id(const block_key& key) const {
    const block_id id = ids_.find(key, key_of());
    return id == no_block || entries_[id].level == no_level ? no_block : id;
  }

  const entry* top_entry(const block_key& key) const {
    const block_id id = resident_id(key);
    return id == no_block || entries_[id].level != 0 ? nullptr : &entries_[id];
  }

  /// The id of `key`, tracking it first if it is new (a recycled id, oldest freed first, or a new one).
  block_id id_for(const block_key& key) {
    block_id id = ids_.find(key, key_of());
    if (id != no_block) return id;
    if (free_ids_.empty()) {
      KVTIER_ASSERT(entries_.size() < no_block, "block ids are 32-bit");
      id = static_cast<block_id>(entries_.size());
      entries_.emplace_back();
    } else {
      id = free_ids_.front();
      free_ids_.pop_front();
    }
    entries_[id] = entry{};
    entries_[id].key = key;
    ids_.insert(key, id, key_of());
    return id;
  }

  /// Where the bytes of an access come from: read from the block's tier, or computed by the engine.
  enum class origin : std::uint8_t { loaded, computed };

  /// The context of a touch of `e` now, for the demotion rule (the taxonomy of predict/), and notes the touch.
  void note_touch(entry& e, const block_access& a) {
    touch_facts facts;
    facts.type = a.type;
    facts.first_touch = e.touches == 0;
    facts.earlier_touches = e.touches;
    const std::uint16_t session = detail::session_tag(a.session);
    const bool other_session =
        e.touches != 0 && session != no_session_tag && e.session != no_session_tag && e.session != session;
    if (other_session) e.flags |= shared_flag;
    facts.shared = (e.flags & shared_flag) != 0;
    facts.chain_end = a.request_blocks != 0 && a.position + 1 == a.request_blocks;
    facts.gap_ms = e.touches == 0 || a.time_ms < e.last_ms ? touch_facts::no_gap : a.time_ms - e.last_ms;
    if constexpr (Predictor::context_count >= taxonomy_classifier::context_count) {
      e.context = static_cast<std::uint8_t>(classifier_.classify(facts));
    } else {
      e.context = 0;
    }
    e.touches = static_cast<std::uint8_t>(std::min<unsigned>(e.touches + 1U, max_touches));
    e.session = session;
    e.last_ms = std::max(e.last_ms, a.time_ms);
  }

  /// Appends `id` as the newest of `list` (through the entries' `member` links).
  void push_newest(id_list& list, list_links entry::*member, block_id id) {
    (entries_[id].*member) = {list.newest, no_block};
    (list.newest != no_block ? (entries_[list.newest].*member).newer : list.oldest) = id;
    list.newest = id;
    ++list.size;
  }

  void unlink(id_list& list, list_links entry::*member, block_id id) {
    const list_links l = entries_[id].*member;
    (l.older != no_block ? (entries_[l.older].*member).newer : list.oldest) = l.newer;
    (l.newer != no_block ? (entries_[l.newer].*member).older : list.newest) = l.older;
    --list.size;
  }

  /// Settles the pending demotion decision of `id`, if any, as reused or not.
  void settle(block_id id, bool reused) {
    entry& e = entries_[id];
    if ((e.flags & pending_flag) == 0) return;
    e.flags &= static_cast<std::uint8_t>(~pending_flag);
    unlink(pending_, &entry::pending, id);
    demotion_predictor_.observe(e.pending_context, reused);
  }

  /// Settles the decisions that outlived the horizon unreferenced, oldest first (decisions are
  /// taken at non-decreasing times, so the list is in time order).
  void sweep_pending(std::uint64_t now_ms) {
    while (pending_.oldest != no_block &&
           entries_[pending_.oldest].pending_ms + options_.demotion_horizon_ms < now_ms) {
      settle(pending_.oldest, false);
    }
  }

  /// The demotion rule: the first level below `level` that `e`, about to leave it, is worth (its
  /// predicted reuse reaches the level's threshold), or `no_level` for none. Records the decision
  /// (when none is pending) so that its outcome is learned whichever way it goes.
  std::size_t demotion_target(entry& e, block_id id, std::size_t level) {
    if ((e.flags & pending_flag) == 0) {
      e.flags |= pending_flag;
      e.pending_context = e.context;
      e.pending_ms = now_ms_;
      push_newest(pending_, &entry::pending, id);
    }
    const double reuse = demotion_predictor_.predict(e.pending_context);
    for (std::size_t below = level + 1; below < stack_.levels(); ++below) {
      if (reuse >= min_reuse_[below]) return below;
    }
    return no_level;
  }

  /// `e` is in no tier now: the newest of the remembered departures; the oldest beyond
  /// `remembered_blocks` is forgotten.
  void leave(entry& e, block_id id) {
    e.level = no_level;
    e.length = 0;
    if ((e.flags & departed_flag) == 0) {
      e.flags |= departed_flag;
      push_newest(departed_, &entry::departed, id);
    }
    if (departed_.size > remembered_blocks_) forget(departed_.oldest);
  }

  /// Takes `e` off the departed list: it is back.
  void return_departed(entry& e, block_id id) {
    if ((e.flags & departed_flag) == 0) return;
    e.flags &= static_cast<std::uint8_t>(~departed_flag);
    unlink(departed_, &entry::departed, id);
  }

  /// Stops tracking a departed block: an unsettled decision counts as not reused, the id is freed.
  void forget(block_id id) {
    entry& e = entries_[id];
    return_departed(e, id);
    settle(id, false);
    ids_.erase(e.key, key_of());
    e = entry{};
    free_ids_.push_back(id);
  }

  /// Tells the policy of an access to block `position` of the request and moves blocks as it
  /// decides: its victims go down, the block goes to the top if it admits it (a computed block
  /// replaces any lower copy; a loaded one is a promotion).
  admit_outcome access(request_state& state, std::size_t position, const block_ref& ref, block_id id,
                       std::span<const std::byte> bytes, origin from) {
    if (state.ids.size() <= position) state.ids.resize(position + 1, no_block);
    state.ids[position] = id;
    block_access a;
    a.id = id;
    a.parent = position == 0 ? no_block : state.ids[position - 1];
    a.ref_index = next_ref_++;
    a.time_ms = state.params.time_ms;
    a.session = state.params.session;
    a.request = state.serial;
    a.position = static_cast<std::uint32_t>(position);
    a.tokens = ref.tokens;
    a.request_blocks = std::max<std::uint32_t>(state.blocks, static_cast<std::uint32_t>(position + 1));
    a.type = ref.type;
    now_ms_ = std::max(now_ms_, a.time_ms);
    sweep_pending(now_ms_);
    entry& e = entries_[id];
    if ((e.flags & pending_flag) != 0) {
      // A reference settles its pending decision: worth keeping if it came within the horizon.
      settle(id, a.time_ms - std::min(a.time_ms, e.pending_ms) <= options_.demotion_horizon_ms);
    }
    return_departed(e, id);
    note_touch(e, a);
    const double now_s = static_cast<double>(state.params.time_ms) / 1000.0;
    const std::uint8_t was = e.level;
    policy_.access(a, evicted_);
    const bool admitted = policy_.contains(id);
    if (admitted && was != 0 && was != no_level) {
      // Leaves its lower level before the demotions below can push it further down.
      stack_.visit(was, [&](auto& t) { return t.erase(ref.key); });
      e.level = in_transit;
    }
    for (const block_id victim : evicted_) demote_from_top(victim);
    evicted_.clear();
    if (was == 0) {
      if (admitted) scorer_.touch(e.slot, now_s);
      return admit_outcome::refreshed;
    }
    if (!admitted) {
      // Not worth the top tier: a fresh block the hierarchy holds nowhere goes down to the level the
      // demotion rule picks, if any.
      if (was == no_level) {
        const std::size_t target = stack_.levels() > 1 ? demotion_target(e, id, 0) : no_level;
        if (target == no_level || !store_below(target, ref.key, e, bytes)) leave(e, id);
      }
      return admit_outcome::declined;
    }
    if (!stack_.visit(0, [&](auto& t) { return t.try_insert(ref.key, bytes); })) {
      policy_.erase(id);
      const bool kept = store_below(was == no_level ? 1 : was, ref.key, e, bytes);
      if (!kept && was != no_level) ++stats_.drops;
      if (!kept) leave(e, id);
      return admit_outcome::refused;
    }
    e.level = 0;
    e.length = static_cast<std::uint32_t>(bytes.size());
    e.slot = free_slots_.back();
    free_slots_.pop_back();
    scorer_.touch(e.slot, now_s);
    note_write(0, bytes.size());
    if (was != no_level && from == origin::loaded) ++stats_.promotions;  // its read was counted on delivery
    return admit_outcome::stored;
  }

  admit_outcome admit_locked(request_handle request, std::size_t position, const block_ref& block,
                             std::span<const std::byte> bytes) {
    request_state& state = state_of(request);
    ++state.stats.missed_blocks;
    const block_id id = id_for(block.key);
    state.stats.cached_blocks += entries_[id].level != no_level ? 1 : 0;
    const admit_outcome outcome = access(state, position, block, id, bytes, origin::computed);
    if (outcome == admit_outcome::stored) {
      ++state.stats.stored_blocks;
      state.stats.stored_bytes += bytes.size();
    }
    stats_.declined += outcome == admit_outcome::declined ? 1 : 0;
    stats_.refused += outcome == admit_outcome::refused ? 1 : 0;
    return outcome;
  }

  /// Stores a block at `level` (if the hierarchy has it) below the top; whether it is now there.
  bool store_below(std::size_t level, const block_key& key, entry& e, std::span<const std::byte> bytes) {
    if (level >= stack_.levels() || !place_lower(level, key, bytes)) return false;
    e.level = static_cast<std::uint8_t>(level);
    e.length = static_cast<std::uint32_t>(bytes.size());
    note_write(level, bytes.size());
    return true;
  }

  void note_write(std::size_t level, std::uint64_t bytes) {
    level_stats& ls = stats_.levels[level];
    ls.bytes_written += bytes;
    ls.peak_used_bytes = std::max(ls.peak_used_bytes, stack_.visit(level, [](auto& t) { return t.used_bytes(); }));
  }

  /// A block the metadata placed in a tier but whose bytes could not be read: forgotten everywhere.
  void forget_unreadable(block_id id) {
    entry& e = entries_[id];
    ++stats_.levels[e.level].failed_reads;
    stack_.visit(e.level, [&](auto& t) { return t.erase(e.key); });
    if (e.level == 0) {
      policy_.erase(id);
      release_slot(e);
    }
    leave(e, id);
  }

  void release_slot(entry& e) {
    if (e.slot == no_slot) return;
    scorer_.reset(e.slot);
    free_slots_.push_back(e.slot);
    e.slot = no_slot;
  }

  /// Moves a block the policy evicted from the top tier one level down.
  void demote_from_top(block_id id) {
    ++stats_.evictions;
    entry& e = entries_[id];
    KVTIER_ASSERT(e.level == 0, "the policy evicted a block the top tier does not hold");
    release_slot(e);
    move_down(0, id);
  }

  /// Takes block `id` out of `level` and places it at the level below that the demotion rule picks,
  /// or drops it (out of the bottom, worth no level below, unreadable, or taken by no level).
  void move_down(std::size_t level, block_id id) {
    entry& e = entries_[id];
    const bool bottom = level + 1 == stack_.levels();
    const std::size_t target = bottom ? no_level : demotion_target(e, id, level);
    const bool keep = target != no_level;
    std::span<std::byte> buffer = staging(level);
    const std::optional<std::size_t> length = stack_.visit(level, [&](auto& t) {
      std::optional<std::size_t> found;
      if (keep) found = t.find(e.key, buffer);
      t.erase(e.key);
      return found;
    });
    if (keep && !length) ++stats_.levels[level].failed_reads;
    e.level = in_transit;
    if (!keep || !length || !place_lower(target, e.key, std::span<const std::byte>(buffer.data(), *length))) {
      ++stats_.drops;
      stats_.unlikely_drops += !keep && !bottom ? 1 : 0;
      leave(e, id);
      return;
    }
    e.level = static_cast<std::uint8_t>(target);
    e.length = static_cast<std::uint32_t>(*length);
    ++stats_.demotions;
    stats_.levels[level].bytes_read += *length;
    note_write(target, *length);
  }

  /// Stores a block at a level below the top, first moving that level's own victims down.
  bool place_lower(std::size_t level, const block_key& key, std::span<const std::byte> bytes) {
    const bool fits = stack_.visit(level, [&](auto& t) { return bytes.size() <= t.capacity_bytes(); });
    if (!fits) return false;
    while (!stack_.visit(level, [&](auto& t) { return t.can_admit(bytes.size()); })) {
      const std::optional<block_key> victim = stack_.visit(level, [](auto& t) { return t.to_evict(); });
      if (!victim) break;
      const block_id id = ids_.find(*victim, key_of());
      KVTIER_ASSERT(id != no_block, "a tier holds a block the manager never placed");
      move_down(level, id);
    }
    return stack_.visit(level, [&](auto& t) { return t.try_insert(key, bytes); });
  }

  cache_manager_options options_;
  [[no_unique_address]] Sizer sizer_;
  mutable Stack stack_;
  std::uint64_t full_block_bytes_;
  std::size_t top_capacity_blocks_;
  std::size_t remembered_blocks_;
  Policy policy_;
  Scorer scorer_;
  [[no_unique_address]] Planner planner_;
  taxonomy_classifier classifier_;
  Predictor demotion_predictor_;
  std::vector<double> min_reuse_;  ///< by level: the demotion rule's threshold into it
  bool holds_any_bytes_ = false;
  mutable std::mutex mutex_;
  detail::block_id_index ids_;                         ///< the ids of the keys tracked now
  std::vector<entry> entries_;                         ///< by block id
  std::deque<block_id> free_ids_;                      ///< forgotten ids, oldest first
  std::vector<request_state> requests_;                ///< by slot, the low half of a handle
  std::vector<std::uint32_t> free_requests_;           ///< slots of released requests
  std::vector<std::unique_ptr<std::byte[]>> staging_;  ///< one per level for cascading moves, one for loads
  std::vector<std::uint32_t> free_slots_;
  std::vector<block_id> evicted_;
  std::uint64_t next_request_ = 0;
  std::uint64_t next_ref_ = 0;
  std::uint64_t now_ms_ = 0;
  id_list departed_;  ///< blocks in no tier still remembered, by departure
  id_list pending_;   ///< demotion decisions awaiting their outcome, by time
  manager_stats stats_;
};

}  // namespace kvtier
