#pragma once
// predictive_policy: eviction by predicted hit density, learned online per context, prefix-aware.
//
// Every touch of a block is classified into a context (predict/context_classifier.hpp). The outcome
// of a touch is whether the same block is touched again within `horizon_ms`; a Beta–Bernoulli
// predictor learns P(reuse within horizon | context) and the policy keeps, per context, the law of the
// gap to the reuse when there is one. Outcomes are learned for every block the trace touches, resident or
// not, so declining or evicting a block never hides what would have happened to it.
//
// The value of keeping block x of context c at age a (time since its last touch) is its expected hits
// per unit of time it occupies a slot (hit density, as in LHD), times what a hit saves (its tokens).
// Each context learns the law of its reuse gaps as a histogram over octaves of milliseconds (bin k
// holds gaps in [2^(k−1), 2^k): no time scale of its own, gaps spread evenly within a bin), with the
// same forgetting as the predictor. With S(a) the share of learned gaps longer than a and W(a) the
// mean wait still to go among them, by Bayes
//   P(still to be reused | idle for a) = p·S / (1 − p + p·S), p = P(reuse within horizon | c),
//   density(x) = tokens(x) · P(still to be reused) / W(a).
// Chat and agent gaps are far from memoryless (a reply comes after the human has read, a tool call
// after the tool has run), so the wait falls as a block ages towards its context's usual gap and the
// survival falls past it; an exponential law with the same mean would miss both. Once idle past the
// octave that holds the horizon a block is dead: it ranks below every live block, longest idle first.
// The victim is the block of least density. Each context keeps its blocks in recency order and only
// the oldest of each is a candidate (the first to outlive its context's gaps and die; also weighing
// the youngest of each changed no shared-trace result by more than 0.05 points): a decision compares
// at most `context_count` candidates (16).
//
// Prefix awareness (DESIGN.md §5): within one request, blocks enter a context's order tail-first
// (block i+1 is placed as older than block i), so a chain is cut from its end, as vLLM frees blocks;
// chain ends have their own contexts (transition `end`), which learn that a partial last block is
// rarely read again; and a candidate whose parent is no longer resident is worth nothing (no request
// can reach it) and goes first.
//
// Admission: on a miss the new block competes with the least valuable resident one; when it is worth
// less it is declined (not admitted), which filters one-touch blocks the way S3-FIFO's small queue does.
//
// Storage: flat arrays by dense block id (32 bytes per id ever seen: links, parent, first child,
// resident children, last touch, session, context, flags), one list head/tail per context, and a FIFO of pending
// outcomes that holds the touches of the last `horizon_ms`. No allocation per block.
#include <kvtier/detail/assert.hpp>
#include <kvtier/policy/concepts.hpp>
#include <kvtier/predict/beta_bernoulli_predictor.hpp>
#include <kvtier/predict/concepts.hpp>
#include <kvtier/predict/context_classifier.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

namespace kvtier {

struct predictive_policy_params {
  std::size_t capacity_blocks = 1;
  /// Reuse within this horizon is a success. 5 minutes: the lifetime the large providers give cached
  /// prompt prefixes after their last use (Anthropic's default prompt-cache TTL; OpenAI clears idle
  /// prefixes after 5–10 minutes), i.e. the interval over which an engine is expected to keep a prefix.
  std::uint64_t horizon_ms = 300'000;
  /// Beta prior of every context: uniform (no opinion before the first outcomes).
  beta_prior prior{};
  /// Forgetting γ of the evidence: remembers about 1/(1 − γ) = 4,096 outcomes per context, a standard
  /// error below 1 point on a rate, and follows a shift of rate within ~2,800 outcomes (half-life).
  double forgetting = 1.0 - 1.0 / 4096.0;
  /// Decline a missed block when it is worth less than the least valuable resident one.
  bool admission = true;
  taxonomy_classifier_params classifier{};
  friend constexpr bool operator==(const predictive_policy_params&, const predictive_policy_params&) = default;
};

template <context_classifier Classifier = taxonomy_classifier,
          reuse_predictor Predictor = beta_bernoulli_predictor<Classifier::context_count>>
class predictive_policy {
  static_assert(Predictor::context_count == Classifier::context_count,
                "the predictor must learn exactly the contexts the classifier produces");
  static constexpr std::size_t contexts = Classifier::context_count;

 public:
  static constexpr std::string_view name = "predictive";

  /// Builds the classifier from `params.classifier` when it takes them (else default-constructs it)
  /// and the predictor from `params.prior` and `params.forgetting`.
  explicit predictive_policy(
      const predictive_policy_params& params) requires std::constructible_from<Predictor, beta_bernoulli_params>
      : predictive_policy(params, make_classifier(params.classifier),
                          Predictor{beta_bernoulli_params{params.prior, params.forgetting}}) {}

  predictive_policy(const predictive_policy_params& params, Classifier classifier, Predictor predictor)
      : params_(params), classifier_(std::move(classifier)), predictor_(std::move(predictor)) {
    KVTIER_ASSERT(params.capacity_blocks >= 1, "capacity must be at least one block");
    KVTIER_ASSERT(params.horizon_ms >= 1, "the reuse horizon must be positive");
    head_.fill(no_block);
    tail_.fill(no_block);
    cursor_id_.fill(no_block);
    cursor_request_.fill(0);
    gap_bins_ = bin_of(params.horizon_ms) + 1;
    KVTIER_ASSERT(gap_bins_ <= max_gap_bins, "the reuse horizon must fit in 32 bits of milliseconds");
    for (std::size_t c = 0; c < contexts; ++c) {
      // Prior: one pseudo-reuse spread evenly over the bins (no opinion on the time scale).
      for (std::size_t k = 0; k < gap_bins_; ++k) gaps_[c].count[k] = 1.0 / static_cast<double>(gap_bins_);
      refresh_gaps(c);
    }
  }

  bool access(const block_access& a, std::vector<block_id>& evicted) {
    evicted.clear();
    ensure_slot(a.id);
    if (a.parent != no_block) ensure_slot(a.parent);
    const std::uint32_t now = clock(a.time_ms);
    resolve_expired(now);

    slot& s = slots_[a.id];
    touch_facts facts;
    facts.type = a.type;
    facts.first_touch = !(s.flags & seen_flag);
    facts.earlier_touches = static_cast<std::uint8_t>(s.flags / touch_unit);
    facts.chain_end = a.request_blocks != 0 && a.position + 1 == a.request_blocks;
    const std::uint32_t session = fold(a.session);
    facts.same_session =
        facts.first_touch || session == no_session_tag || s.session == no_session_tag || s.session == session;
    if (a.parent != no_block) note_child(a.parent, a.id, session);
    facts.shared = (s.flags & shared_flag) != 0;
    if (a.request != request_ || !request_started_) {
      request_ = a.request;
      request_started_ = true;
      request_gap_ms_ = touch_facts::no_gap;
    }
    if (!facts.first_touch) {
      facts.gap_ms = now - s.last_ms;
      if (s.flags & pending_flag) learn(s.context, facts.gap_ms);
      if (!facts.shared) request_gap_ms_ = facts.gap_ms;
    } else {
      facts.gap_ms = request_gap_ms_;
    }
    const auto context = static_cast<context_id>(classifier_.classify(facts));
    KVTIER_ASSERT(context < contexts, "classifier produced a context outside its range");

    const bool hit = (s.flags & resident_flag) != 0;
    if (hit) unlink(a.id);
    if (s.parent != a.parent && hit) {
      if (s.parent != no_block) --slots_[s.parent].resident_children;
      if (a.parent != no_block) ++slots_[a.parent].resident_children;
    }
    s.parent = a.parent;
    s.session = session;
    s.last_ms = now;
    s.tokens = static_cast<std::uint16_t>(std::min<std::uint32_t>(std::max<std::uint32_t>(a.tokens, 1), 0xffff));
    s.context = static_cast<std::uint8_t>(context);
    s.flags |= seen_flag | pending_flag;
    if (s.flags / touch_unit < max_touches) s.flags = static_cast<std::uint8_t>(s.flags + touch_unit);
    pending_.push_back({a.id, now});

    if (!hit) {
      if (size_ >= params_.capacity_blocks) {
        const block_id victim = choose_victim(now);
        // Admitting at the cost of the block's own parent would leave it unreachable: decline instead.
        if (victim == a.parent || (params_.admission && density(a.id, now) < density(victim, now))) {
          return false;
        }
        evict(victim, evicted);
      }
      s.flags |= resident_flag;
      if (a.parent != no_block) ++slots_[a.parent].resident_children;
      ++size_;
    }
    link(a.id, context, a.request);
    return hit;
  }

  bool erase(block_id id) {
    if (!contains(id)) return false;
    drop(id);
    return true;
  }

  [[nodiscard]] bool contains(block_id id) const noexcept {
    return id < slots_.size() && (slots_[id].flags & resident_flag) != 0;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return params_.capacity_blocks; }
  [[nodiscard]] const predictive_policy_params& params() const noexcept { return params_; }
  [[nodiscard]] const Predictor& predictor() const noexcept { return predictor_; }
  /// Mean gap to reuse (ms) among the successes of `context`.
  [[nodiscard]] double mean_gap_ms(context_id context) const noexcept {
    return gaps_[context].weighted_after[0] / gaps_[context].after[0];
  }
  /// The block a miss would evict now (no_block when empty), without changing anything.
  [[nodiscard]] block_id victim() const noexcept { return choose_victim(now_); }
  /// Metadata bytes per block id the policy has seen (resident or remembered for its outcome).
  [[nodiscard]] static constexpr std::size_t metadata_bytes_per_block() noexcept { return sizeof(slot); }

 private:
  static constexpr std::uint8_t resident_flag = 1;
  static constexpr std::uint8_t seen_flag = 2;
  static constexpr std::uint8_t pending_flag = 4;
  static constexpr std::uint8_t shared_flag = 8;
  static constexpr std::uint8_t touch_unit = 16;  ///< flags / touch_unit: touches so far, saturating
  static constexpr std::uint8_t max_touches = 3;
  static constexpr std::uint32_t no_session_tag = 0xffffffffU;

  struct slot {
    block_id prev = no_block;  ///< towards the most recent end of its context's list
    block_id next = no_block;  ///< towards the oldest end
    block_id parent = no_block;
    block_id child = no_block;  ///< first continuation seen; a different one marks the block shared
    std::uint32_t last_ms = 0;
    std::uint32_t session = no_session_tag;
    std::uint32_t resident_children = 0;  ///< resident blocks whose parent this is
    std::uint16_t tokens = 1;
    std::uint8_t context = 0;
    std::uint8_t flags = 0;
  };
  static constexpr std::size_t max_gap_bins = 33;
  static constexpr double unreachable = -std::numeric_limits<double>::infinity();
  struct gap_histogram {
    std::array<double, max_gap_bins> count{};               ///< reuses by gap bin, with forgetting
    std::array<double, max_gap_bins + 1> after{};           ///< count summed over bins k and above
    std::array<double, max_gap_bins + 1> weighted_after{};  ///< and weighted by bin middles (ms)
  };
  struct pending_touch {
    block_id id;
    std::uint32_t ms;
  };

  static Classifier make_classifier(const taxonomy_classifier_params& params) {
    if constexpr (std::constructible_from<Classifier, taxonomy_classifier_params>) {
      return Classifier{params};
    } else {
      return Classifier{};
    }
  }

  static constexpr std::uint32_t fold(session_id session) noexcept {
    if (session == no_session) return no_session_tag;
    const auto folded = static_cast<std::uint32_t>(session ^ (session >> 32));
    return folded == no_session_tag ? 0 : folded;
  }

  std::uint32_t clock(std::uint64_t time_ms) noexcept {
    if (!clock_started_) {
      origin_ms_ = time_ms;
      clock_started_ = true;
    }
    const std::uint64_t t = time_ms > origin_ms_ ? time_ms - origin_ms_ : 0;
    now_ = std::max(now_, static_cast<std::uint32_t>(std::min<std::uint64_t>(t, 0xfffffffeU)));
    return now_;
  }

  void ensure_slot(block_id id) {
    if (id < slots_.size()) return;
    slots_.resize(std::max<std::size_t>(std::size_t{id} + 1, slots_.size() * 2));
  }

  void note_child(block_id parent, block_id child, std::uint32_t session) noexcept {
    slot& p = slots_[parent];
    if (p.child == no_block) {
      p.child = child;
    } else if (p.child != child) {
      p.flags |= shared_flag;
    }
    if (session != no_session_tag && p.session != no_session_tag && p.session != session) p.flags |= shared_flag;
  }

  void learn(std::uint8_t context, std::uint64_t gap_ms) noexcept {
    const bool reused = gap_ms <= params_.horizon_ms;
    predictor_.observe(context, reused);
    if (!reused) return;
    gap_histogram& h = gaps_[context];
    for (std::size_t k = 0; k < gap_bins_; ++k) h.count[k] *= params_.forgetting;
    h.count[bin_of(gap_ms)] += 1.0;
    refresh_gaps(context);
  }

  /// Suffix sums of a context's gap histogram: reuses (and their gaps) in bins k and above. Bin k ≥ 1
  /// holds gaps in [2^(k−1), 2^k) ms, bin 0 the gap 0; a gap is taken at its bin's midpoint.
  void refresh_gaps(std::size_t context) noexcept {
    gap_histogram& h = gaps_[context];
    double after = 0.0;
    double weighted = 0.0;
    for (std::size_t k = gap_bins_; k-- > 0;) {
      after += h.count[k];
      weighted += h.count[k] * (bin_low_ms(k) + bin_high_ms(k)) / 2.0;
      h.after[k] = after;
      h.weighted_after[k] = weighted;
    }
    h.after[gap_bins_] = 0.0;
    h.weighted_after[gap_bins_] = 0.0;
  }
  /// Bin k ≥ 1 holds gaps in [2^(k−1), 2^k) ms, bin 0 the gap 0: octaves, so the histogram has no
  /// time scale of its own.
  static constexpr std::size_t bin_of(std::uint64_t gap_ms) noexcept {
    return static_cast<std::size_t>(std::bit_width(gap_ms));
  }
  static constexpr double bin_low_ms(std::size_t k) noexcept {
    return k == 0 ? 0.0 : static_cast<double>(std::uint64_t{1} << (k - 1));
  }
  static constexpr double bin_high_ms(std::size_t k) noexcept {
    return k == 0 ? 0.0 : static_cast<double>(std::uint64_t{1} << k);
  }

  void resolve_expired(std::uint32_t now) noexcept {
    while (pending_head_ < pending_.size() && std::uint64_t{pending_[pending_head_].ms} + params_.horizon_ms < now) {
      const pending_touch touch = pending_[pending_head_++];
      slot& s = slots_[touch.id];
      if ((s.flags & pending_flag) && s.last_ms == touch.ms) {
        s.flags &= static_cast<std::uint8_t>(~pending_flag);
        predictor_.observe(s.context, false);
      }
    }
    if (pending_head_ > 4096 && pending_head_ * 2 > pending_.size()) {
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_));
      pending_head_ = 0;
    }
  }

  [[nodiscard]] double density(block_id id, std::uint32_t now) const noexcept {
    const slot& s = slots_[id];
    if (s.parent != no_block && !(slots_[s.parent].flags & resident_flag)) return unreachable;
    const std::uint32_t idle_ms = now - s.last_ms;
    const std::size_t k = bin_of(idle_ms);
    // Idle past the horizon's octave: no reuse left to expect; such blocks rank below every live
    // one and among themselves by recency (longest idle first), as LRU would order them.
    if (k >= gap_bins_) return -static_cast<double>(idle_ms);
    const gap_histogram& h = gaps_[s.context];
    // Reuses still to come at this age: the bins above, and the part of this bin past the age
    // (gaps spread evenly within a bin), each at its bin's middle (this bin's: halfway to its end).
    const double age = static_cast<double>(idle_ms);
    const double end = bin_high_ms(k);
    const double part = k == 0 ? 1.0 : (end - age) / (end - bin_low_ms(k));
    const double later = h.after[k + 1] + h.count[k] * part;
    const double later_weighted = h.weighted_after[k + 1] + h.count[k] * part * (age + end) / 2.0;
    const double survival = later / h.after[0];
    const double wait = later_weighted / later - age + 1.0;
    const double p = predictor_.predict(s.context);
    const double live = p * survival / (1.0 - p + p * survival);
    return static_cast<double>(s.tokens) * live / wait;
  }

  /// The least dense of the contexts' oldest blocks, among those that end a resident chain (no resident
  /// child), so that chains shrink from their ends; any oldest block when none ends a chain.
  [[nodiscard]] block_id choose_victim(std::uint32_t now) const noexcept {
    block_id best = no_block;
    block_id fallback = no_block;
    double best_density = 0.0;
    for (std::size_t c = 0; c < contexts; ++c) {
      const block_id candidate = tail_[c];
      if (candidate == no_block) continue;
      fallback = candidate;
      if (slots_[candidate].resident_children != 0) continue;
      const double d = density(candidate, now);
      if (best == no_block || d < best_density) {
        best = candidate;
        best_density = d;
      }
    }
    return best != no_block ? best : fallback;
  }

  void evict(block_id victim, std::vector<block_id>& evicted) {
    KVTIER_ASSERT(victim != no_block, "a full cache has a victim");
    drop(victim);
    evicted.push_back(victim);
  }

  void drop(block_id id) noexcept {
    slot& s = slots_[id];
    if (cursor_id_[s.context] == id) cursor_id_[s.context] = s.prev;
    unlink(id);
    s.flags &= static_cast<std::uint8_t>(~resident_flag);
    if (s.parent != no_block) --slots_[s.parent].resident_children;
    --size_;
  }

  /// Most recent first; within one request each later block is placed just older than the previous
  /// one of the same context, so chains leave from their ends.
  void link(block_id id, context_id context, std::uint32_t request) noexcept {
    slot& s = slots_[id];
    const block_id anchor = cursor_id_[context];
    const bool after_anchor = anchor != no_block && cursor_request_[context] == request && contains(anchor) &&
                              slots_[anchor].context == context;
    if (after_anchor) {
      slot& a = slots_[anchor];
      s.prev = anchor;
      s.next = a.next;
      if (a.next != no_block) {
        slots_[a.next].prev = id;
      } else {
        tail_[context] = id;
      }
      a.next = id;
    } else {
      s.prev = no_block;
      s.next = head_[context];
      if (head_[context] != no_block) {
        slots_[head_[context]].prev = id;
      } else {
        tail_[context] = id;
      }
      head_[context] = id;
    }
    cursor_id_[context] = id;
    cursor_request_[context] = request;
  }

  void unlink(block_id id) noexcept {
    slot& s = slots_[id];
    const std::uint8_t c = s.context;
    if (s.prev != no_block) {
      slots_[s.prev].next = s.next;
    } else {
      head_[c] = s.next;
    }
    if (s.next != no_block) {
      slots_[s.next].prev = s.prev;
    } else {
      tail_[c] = s.prev;
    }
    s.prev = no_block;
    s.next = no_block;
  }

  predictive_policy_params params_;
  [[no_unique_address]] Classifier classifier_;
  Predictor predictor_;
  std::vector<slot> slots_;
  std::vector<pending_touch> pending_;
  std::size_t pending_head_ = 0;
  std::size_t size_ = 0;
  std::array<block_id, contexts> head_{};
  std::array<block_id, contexts> tail_{};
  std::array<block_id, contexts> cursor_id_{};
  std::array<std::uint32_t, contexts> cursor_request_{};
  std::array<gap_histogram, contexts> gaps_{};
  std::size_t gap_bins_ = 0;
  std::uint64_t request_gap_ms_ = touch_facts::no_gap;  ///< gap of the request's reused, unshared prefix
  std::uint32_t request_ = 0;
  bool request_started_ = false;
  std::uint64_t origin_ms_ = 0;
  std::uint32_t now_ = 0;
  bool clock_started_ = false;
};

static_assert(eviction_policy<predictive_policy<>>);
static_assert(eviction_policy<predictive_policy<single_context_classifier>>);

}  // namespace kvtier
