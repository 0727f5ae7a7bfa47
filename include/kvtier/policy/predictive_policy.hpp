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
// The victim is the block of least density. Each context lists, in recency order, its resident blocks
// that end a chain (no resident child), and only the oldest of each list is a candidate (the first to
// outlive its context's gaps and die; also weighing the youngest, or the 4 or 16 oldest, of each changed
// the shared-trace results by less than 0.1 point on average): a decision compares at most
// `context_count` candidates (16).
//
// Prefix awareness (docs/policies.md): a block leaves its context's list when it gains a resident child
// and rejoins it, at its place in recency, when its last resident child leaves, so a chain is cut from
// its end, as SGLang evicts radix leaves, and every context offers its oldest chain end even when its
// oldest block still holds a chain (a chain spans contexts: its reread prefix and its new blocks are
// classified apart); chain ends have their own contexts (transition `end`), which learn that a partial
// last block is rarely read again; and a candidate whose parent is no longer resident is worth nothing
// (no request can reach it) and goes first.
//
// Admission: on a miss the new block competes with the least valuable resident one; when it is worth
// less it is declined (not admitted), which filters one-touch blocks the way S3-FIFO's small queue does.
//
// Storage, bounded by capacity (`metadata_bytes()`, ≤ 64 bytes per resident block): a pool of one
// 32-byte entry per resident block (links of its context's list, parent handle, resident children,
// last touch, tokens, session and first-child tags, context, flags), and 64-byte lines, each holding
// one 8-way set of 6-byte ghosts (16-bit fingerprint; last touch at 64 ms resolution, context, touch
// count, shared and pending bits; each set replacing its oldest ghost) and four 4-byte cells of a
// Robin Hood index of the entries, `ghost_factor` × capacity ghosts in all (32 bytes per block with the
// default 4, index load ≤ 1/2). A block's home cell lies in its ghost set's line: one line per lookup.
// Index cells keep a fingerprint of the id beside the handle, so a miss reads no other block's entry
// but on a fingerprint collision. At an odd capacity the last two sets are kept apart from the lines,
// without cells, to stay within 64 bytes a block (at 3 and 5 blocks the pool is scanned: no index).
// `prefetch(id)` (prefetching_policy) starts the lines a reference to `id` will read; a block that
// becomes its context's oldest starts the lines of the next candidates of its context. An access starts
// its block's line first and fills the wait with work that does not need it: the writes of the previous
// miss (decided and reported by that access, written by this one, so every observer reads them done), the
// sweep and, in tables larger than the caches, the weighing of the victim candidates.
// Ghosts keep what is learned about a block after it leaves (or is declined): its touch count and
// sharing for the next classification and its pending outcome. An outcome is resolved when the block is touched again
// (reuse if within the horizon), when a sweep (one ghost set and a few entries per access) or a victim search finds it
// idle past the horizon, or when its ghost is replaced: a block not reused while remembered counts as
// not reused. No allocation per access once the pool is full.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/ghost_ways.hpp>
#include <kvtier/detail/huge_page_allocator.hpp>
#include <kvtier/detail/prefetch.hpp>
#include <kvtier/detail/session_tag.hpp>
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
  /// Ghosts remembered per resident block. 4 fills the 64-byte budget per resident block that the
  /// 32-byte entry leaves: half a line of 8 ghosts and 4 index cells; outcomes and touch counts are
  /// then learned over about five residency windows.
  std::size_t ghost_factor = 4;
  taxonomy_classifier_params classifier{};
  friend constexpr bool operator==(const predictive_policy_params&, const predictive_policy_params&) = default;
};

template <context_classifier Classifier = taxonomy_classifier,
          reuse_predictor Predictor = beta_bernoulli_predictor<Classifier::context_count>>
class predictive_policy {
  static_assert(Predictor::context_count == Classifier::context_count,
                "the predictor must learn exactly the contexts the classifier produces");
  static_assert(Classifier::context_count <= 256, "entries and ghosts store the context in 8 bits");
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
    KVTIER_ASSERT(params.capacity_blocks < (std::size_t{1} << (32 - distance_bits)) - 1,
                  "capacity must fit the index's 26-bit handles (67 million blocks)");
    KVTIER_ASSERT(params.horizon_ms >= 1, "the reuse horizon must be positive");
    head_.fill(no_handle);
    tail_.fill(no_handle);
    cursor_.fill(no_handle);
    cursor_request_.fill(0);
    gap_bins_ = bin_of(params.horizon_ms) + 1;
    KVTIER_ASSERT(gap_bins_ <= max_gap_bins, "the reuse horizon must fit in 32 bits of milliseconds");
    for (std::size_t c = 0; c < contexts; ++c) {
      // Prior: one pseudo-reuse spread evenly over the bins (no opinion on the time scale).
      for (std::size_t k = 0; k < gap_bins_; ++k) gaps_[c].count[k] = 1.0 / static_cast<double>(gap_bins_);
      refresh_gaps(c);
    }
    entries_.reserve(params.capacity_blocks);
    // One line per ghost set, with at least 3/2 index cells per block (load ≤ 2/3). With 4 ghosts per
    // block that is 4 cells per 2 blocks, and a block's home cell lies in the line of its ghost set.
    ghost_sets_ = (params.ghost_factor * params.capacity_blocks + ghost_ways - 1) / ghost_ways;
    const std::size_t min_cells = params.capacity_blocks + params.capacity_blocks / 2 + 1;
    const std::size_t lines = std::max(ghost_sets_, (min_cells + cells_per_line - 1) / cells_per_line);
    // When the sets fill every line and round up past the budget of 64 bytes a block (an odd capacity
    // with 4 ghosts a block: half a line too many), the last sets leave the lines for an array of bare
    // sets (48 bytes, no cells): the same sets at the same places, so the same decisions, with fewer
    // index cells (load ≤ 7/8) and, at such capacities, a block's home cell no longer in its set's
    // line. Below 7 blocks too few cells would be left: the index goes and a lookup scans the pool.
    const std::size_t budget = std::size_t{64} * params.capacity_blocks;
    const std::size_t bytes = sizeof(entry) * params.capacity_blocks + sizeof(line) * lines;
    std::size_t bare = 0;
    if (lines == ghost_sets_ && bytes > budget) {
      const std::size_t saved_per_set = sizeof(line) - sizeof(ghost_set);
      bare = std::min(ghost_sets_, (bytes - budget + saved_per_set - 1) / saved_per_set);
      if (cells_per_line * (lines - bare) < params.capacity_blocks + 1) bare = ghost_sets_;
    }
    lines_.assign(lines - bare, line{});
    bare_sets_.assign(bare, ghost_set{});
    cells_ = lines_.size() * cells_per_line;
    next_line_ = lines_.size() * sizeof(line) >= next_line_bytes;
    sets_apart_ = ghost_sets_ != 0 && lines_.size() != ghost_sets_;
    key_bits_ = payload_bits - handle_bits_for(params.capacity_blocks);
  }

  bool access(const block_access& a, std::vector<block_id>& evicted) {
    // The block's home cell and its ghost set share one line (with the default ghost factor), a cache
    // miss when the cache is large: start the load before the work that does not depend on it (a
    // driver that called prefetch(a.id) some accesses ago has it already): the bookkeeping of the
    // previous miss, the sweep and, in a large table, the weighing of the victim candidates.
    prefetch(a.id);
    settle();
    evicted.clear();
    const std::uint32_t now = clock(a.time_ms);
    if (a.request != request_ || !request_started_) {
      request_ = a.request;
      request_started_ = true;
      request_gap_ms_ = touch_facts::no_gap;
    }
    sweep(now);
    // A miss needs the candidates' densities, which do not depend on the line; a hit wastes a few
    // cached reads (in a table that stays in the caches there is no wait to fill: they are weighed later).
    if (next_line_ && size_ >= params_.capacity_blocks) weigh_candidates(now);
    const handle h = find(a.id);
    // A block named as its own parent (a request that repeats it) has no parent entry: counting it as
    // its own resident child would free its entry twice when it leaves.
    const handle parent = a.parent == no_block || a.parent == a.id ? no_handle
                          : a.parent == last_id_                   ? checked_last(a.parent)
                                                                   : find(a.parent);
    const std::uint16_t session = detail::session_tag(a.session);

    // What is known about the block: its entry when resident, else its ghost, else nothing.
    history known;
    if (h != no_handle) {
      const entry& e = entries_[h];
      known = {true,
               e.last_ms,
               e.context,
               static_cast<std::uint8_t>(e.flags / touch_unit),
               e.session,
               (e.flags & shared_flag) != 0,
               (e.flags & pending_flag) != 0};
    } else {
      known = take_ghost(a.id, now);
    }
    touch_facts facts;
    facts.type = a.type;
    facts.first_touch = !known.seen;
    facts.earlier_touches = known.touches;
    facts.chain_end = a.request_blocks != 0 && a.position + 1 == a.request_blocks;
    facts.same_session =
        !known.seen || session == no_session_tag || known.session == no_session_tag || known.session == session;
    if (parent != no_handle) note_child(parent, a.id, session);
    facts.shared = known.shared;
    if (known.seen) {
      facts.gap_ms = now - known.last_ms;
      if (known.pending) learn(known.context, facts.gap_ms);
      if (!facts.shared) request_gap_ms_ = facts.gap_ms;
    } else {
      facts.gap_ms = request_gap_ms_;
    }
    const auto context = static_cast<context_id>(classifier_.classify(facts));
    KVTIER_ASSERT(context < contexts, "classifier produced a context outside its range");
    const auto touches = static_cast<std::uint8_t>(std::min<unsigned>(known.touches + 1U, max_touches));
    const auto tokens =
        static_cast<std::uint16_t>(std::min<std::uint32_t>(std::max<std::uint32_t>(a.tokens, 1), 0xffff));
    std::uint8_t flags =
        static_cast<std::uint8_t>(pending_flag | (known.shared ? shared_flag : 0) | touches * touch_unit);
    last_id_ = a.id;
    last_handle_ = h;

    if (h != no_handle) {
      entry& e = entries_[h];
      unlink(h);
      if (e.parent != parent) {
        release_child(e.parent);
        if (parent != no_handle) add_child(parent);
        e.parent = parent;
      }
      e.last_ms = now;
      e.tokens = tokens;
      e.session = session;
      e.context = static_cast<std::uint8_t>(context);
      e.flags = static_cast<std::uint8_t>(flags | resident_flag | (e.flags & shared_flag));
      if (e.resident_children == 0) link(h, context, a.request);
      return true;
    }

    // A miss. A block whose parent is not resident cannot be reached by any request: decline it.
    bool admit = a.parent == no_block || parent != no_handle;
    handle victim = no_handle;
    if (admit && size_ >= params_.capacity_blocks) {
      victim = choose_victim(now, true);
      KVTIER_ASSERT(victim != no_handle, "a full cache has a victim");
      // Admitting at the cost of the block's own parent would leave it unreachable: decline instead.
      admit = victim != parent && !(params_.admission && new_block_density(context, tokens) < victim_density_);
    }
    if (!admit) {
      put_ghost(a.id, now, static_cast<std::uint8_t>(context), flags);
      return false;
    }
    // Decided. The victim's departure and the block's entry, index cell and place in its list are
    // written at the next call (settle), while that call's own line loads; every call reads them
    // settled. Deferred only when the block's entry needs no allocation, which could throw.
    if (victim != no_handle) evicted.push_back(entries_[victim].id);
    admission_ = {victim,
                  a.id,
                  parent,
                  now,
                  a.request,
                  tokens,
                  session,
                  static_cast<std::uint8_t>(context),
                  static_cast<std::uint8_t>(flags | resident_flag)};
    admitting_ = true;
    const bool slot_free = free_ != no_handle || entries_.size() < entries_.capacity() ||
                           (victim != no_handle && entries_[victim].resident_children == 0);
    if (!slot_free) admit_decided();
    return false;
  }

  bool erase(block_id id) {
    settle();
    const handle h = find(id);
    if (h == no_handle) return false;
    remove(h);
    return true;
  }

  [[nodiscard]] bool contains(block_id id) const noexcept {
    settle();
    return find(id) != no_handle;
  }
  /// Starts loading the line a lookup of `id` reads: its home index cell and, with the default ghost
  /// factor, its ghost set in the same line (prefetching_policy: a hint that changes nothing).
  /// A probe or an erase from a home cell in the second half of its line often runs on into the next
  /// line: in a table larger than the caches, that line is started too.
  void prefetch(block_id id) const noexcept {
    if (cells_ != 0) {
      const std::size_t i = home(id);
      const line* const home_line = lines_.data() + i / cells_per_line;
      detail::prefetch_line(home_line);
      if (next_line_ && i % cells_per_line >= cells_per_line / 2 && i + cells_per_line < cells_) {
        detail::prefetch_line(home_line + 1);
      }
    }
    if (sets_apart_) detail::prefetch_line(&set_at(set_index(id)));
  }
  [[nodiscard]] std::size_t size() const noexcept {
    return size_ + (admitting_ && admission_.victim == no_handle ? 1 : 0);
  }
  [[nodiscard]] std::size_t capacity() const noexcept { return params_.capacity_blocks; }
  [[nodiscard]] const predictive_policy_params& params() const noexcept { return params_; }
  [[nodiscard]] const Predictor& predictor() const noexcept {
    settle();
    return predictor_;
  }
  /// Mean gap to reuse (ms) among the successes of `context`.
  [[nodiscard]] double mean_gap_ms(context_id context) const noexcept {
    const gap_histogram& h = gaps(context);
    return h.weighted_after[0] / h.after[0];
  }
  /// The block a miss would evict now (no_block when empty), without changing anything.
  [[nodiscard]] block_id victim() const noexcept {
    settle();
    const handle h = const_cast<predictive_policy*>(this)->choose_victim(now_, false);
    return h == no_handle ? no_block : entries_[h].id;
  }
  /// Bytes of per-block metadata: entries (allocated), their index and the ghost table. Bounded by
  /// capacity whatever the number of distinct blocks seen; excludes the fixed per-context state.
  [[nodiscard]] std::size_t metadata_bytes() const noexcept {
    settle();
    return entries_.capacity() * sizeof(entry) + lines_.size() * sizeof(line) + bare_sets_.size() * sizeof(ghost_set);
  }
  /// The bytes of one resident block's entry.
  [[nodiscard]] static constexpr std::size_t entry_bytes() noexcept { return sizeof(entry); }

 private:
  using handle = std::uint32_t;
  static constexpr handle no_handle = 0xffffffffU;
  static constexpr std::uint8_t resident_flag = 1;
  static constexpr std::uint8_t listed_flag = 2;  ///< in its context's list: a resident chain end
  static constexpr std::uint8_t pending_flag = 4;
  static constexpr std::uint8_t shared_flag = 8;
  static constexpr std::uint8_t touch_unit = 16;  ///< flags / touch_unit: touches so far, saturating
  static constexpr unsigned max_touches = 3;
  static constexpr std::uint16_t no_session_tag = detail::no_session_tag;
  static constexpr std::size_t ghost_ways = detail::ghost_way_count;
  static constexpr std::uint32_t ghost_tick_shift = 6;              ///< ghost times in units of 64 ms
  static constexpr std::uint32_t ghost_time_mask = (1U << 20) - 1;  ///< 20 bits: wraps after 18.6 h

  struct entry {
    block_id id = no_block;
    handle prev = no_handle;  ///< towards the most recent end of its context's list
    handle next = no_handle;  ///< towards the oldest end
    handle parent = no_handle;
    std::uint32_t last_ms = 0;
    std::uint32_t resident_children = 0;  ///< resident blocks whose parent this is
    std::uint16_t tokens = 1;
    std::uint16_t session = no_session_tag;
    std::uint16_t child = no_session_tag;  ///< tag of the first continuation seen; another one marks it shared
    std::uint8_t context = 0;
    std::uint8_t flags = 0;
  };
  static_assert(sizeof(entry) == 32);
  /// A ghost set holds eight remembered blocks: a 16-bit fingerprint of each id (a stranger matches one
  /// of the eight with probability 8 / 65,536) and its state: last touch (20 bits, 64 ms units),
  /// context (8), touches (2, at least 1: 0 marks an empty way), shared, pending. 6 bytes per ghost.
  struct ghost_set {
    std::array<std::uint16_t, ghost_ways> tag{};
    std::array<std::uint32_t, ghost_ways> packed{};
  };
  /// One cache line: a ghost set and four index cells. A block's lookup and its ghost cost one line.
  static constexpr std::size_t cells_per_line = 4;
  struct alignas(64) line {
    ghost_set set{};
    std::array<std::uint32_t, cells_per_line> cell{empty_cell, empty_cell, empty_cell, empty_cell};
  };
  static_assert(sizeof(ghost_set) == ghost_ways * 6 && sizeof(line) == 64 && ghost_ways * 6 + cells_per_line * 4 == 64);
  struct history {
    bool seen = false;
    std::uint32_t last_ms = 0;
    std::uint8_t context = 0;
    std::uint8_t touches = 0;
    std::uint16_t session = no_session_tag;
    bool shared = false;
    bool pending = false;
  };
  static constexpr std::size_t max_gap_bins = 33;
  static constexpr double unreachable = -std::numeric_limits<double>::infinity();
  struct gap_histogram {
    std::array<double, max_gap_bins> count{};               ///< reuses by gap bin, with forgetting
    std::array<double, max_gap_bins + 1> after{};           ///< count summed over bins k and above
    std::array<double, max_gap_bins + 1> weighted_after{};  ///< and weighted by bin middles (ms)
    bool summed = false;                                    ///< after and weighted_after are current
  };

  static Classifier make_classifier(const taxonomy_classifier_params& params) {
    if constexpr (std::constructible_from<Classifier, taxonomy_classifier_params>) {
      return Classifier{params};
    } else {
      return Classifier{};
    }
  }

  static constexpr std::uint32_t mix(block_id id) noexcept { return id * 0x9E3779B1U; }
  static constexpr std::uint16_t fingerprint(block_id id) noexcept {
    return static_cast<std::uint16_t>((id * 0x85EBCA6BU) >> 16);
  }
  static constexpr std::uint16_t child_tag(block_id id) noexcept {
    const auto tag = static_cast<std::uint16_t>(mix(id) >> 16);
    return tag == no_session_tag ? 0 : tag;
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

  // ---- index: open addressing with Robin Hood linear probing. A cell holds an entry's handle, a
  // fingerprint of its id in the bits the handles leave free (26 bits for both: handle_bits_ for the
  // pool, the rest for the fingerprint) and its distance from its home cell (6 bits). Lookups read an
  // entry only where the distance says it shares the sought id's home and the fingerprint agrees, so
  // a miss reads no entry but rarely (with a million blocks, one in 32 of the misses that find a cell
  // of the same home; with ten thousand, one in 1,024): the entry of another block would be one more
  // cache miss on the critical path. Misses stop early, and erasing shifts the cells that follow back
  // by one without reading any entry.
  static constexpr std::uint32_t empty_cell = 0xffffffffU;
  static constexpr std::uint32_t distance_bits = 6;
  static constexpr std::uint32_t payload_bits = 32 - distance_bits;
  static constexpr std::uint32_t max_distance = (1U << distance_bits) - 2;
  static constexpr std::uint32_t distance_mask = (1U << distance_bits) - 1;
  /// Handle bits: enough for the whole pool, which holds at most twice the capacity (each entry kept
  /// for a departed parent has a resident child of its own).
  static constexpr std::uint32_t handle_bits_for(std::size_t capacity) noexcept {
    return std::min<std::uint32_t>(payload_bits, static_cast<std::uint32_t>(std::bit_width(2 * capacity + 1)));
  }
  [[nodiscard]] std::uint32_t cell_handle(std::uint32_t c) const noexcept { return c >> (distance_bits + key_bits_); }
  [[nodiscard]] std::uint32_t cell_key(block_id id) const noexcept {
    return key_bits_ == 0 ? 0 : ((id * 0xCC9E2D51U) >> (32 - key_bits_)) << distance_bits;
  }
  [[nodiscard]] std::uint32_t key_mask() const noexcept { return ((1U << key_bits_) - 1) << distance_bits; }
  [[nodiscard]] std::size_t home(block_id id) const noexcept {
    return static_cast<std::size_t>((std::uint64_t{mix(id)} * cells_) >> 32);
  }
  [[nodiscard]] std::uint32_t& cell(std::size_t i) noexcept {
    return lines_[i / cells_per_line].cell[i % cells_per_line];
  }
  [[nodiscard]] std::uint32_t cell(std::size_t i) const noexcept {
    return lines_[i / cells_per_line].cell[i % cells_per_line];
  }
  [[nodiscard]] std::size_t next_cell(std::size_t i) const noexcept { return i + 1 == cells_ ? 0 : i + 1; }
  /// The cell holding `id`, or cells_ when absent.
  [[nodiscard]] std::size_t cell_of(block_id id) const noexcept {
    std::size_t i = home(id);
    const std::uint32_t key = cell_key(id);
    for (std::uint32_t d = 0;; ++d, i = next_cell(i)) {
      const std::uint32_t c = cell(i);
      if (c == empty_cell || (c & distance_mask) < d) return cells_;
      if ((c & distance_mask) == d && (c & key_mask()) == key && entries_[cell_handle(c)].id == id) return i;
    }
  }
  [[nodiscard]] handle find(block_id id) const noexcept {
    if (cells_ == 0) return scan(id);
    const std::size_t i = cell_of(id);
    return i == cells_ ? no_handle : cell_handle(cell(i));
  }
  /// Without an index (3 and 5 blocks): the resident entry of `id` among the pool's few entries.
  [[nodiscard]] handle scan(block_id id) const noexcept {
    for (handle h = 0; h < entries_.size(); ++h) {
      if (entries_[h].id == id && (entries_[h].flags & resident_flag)) return h;
    }
    return no_handle;
  }
  [[nodiscard]] handle checked_last(block_id parent) const noexcept {
    return last_handle_ != no_handle && entries_[last_handle_].id == parent &&
                   (entries_[last_handle_].flags & resident_flag)
               ? last_handle_
               : find(parent);
  }
  void index_insert(handle h) noexcept {
    if (cells_ == 0) return;
    KVTIER_ASSERT(h < (std::uint64_t{1} << (payload_bits - key_bits_)), "pool handle outside the index's handle bits");
    std::uint32_t carried = (h << (distance_bits + key_bits_)) | cell_key(entries_[h].id);
    for (std::size_t i = home(entries_[h].id);; i = next_cell(i), ++carried) {
      KVTIER_ASSERT((carried & distance_mask) <= max_distance, "index probe distance overflow");
      const std::uint32_t c = cell(i);
      if (c == empty_cell) {
        cell(i) = carried;
        return;
      }
      if ((c & distance_mask) < (carried & distance_mask)) {  // take the richer cell's place
        cell(i) = carried;
        carried = c;
      }
    }
  }
  /// Erases resident entry `h` (of id `id`): its cell is found by handle, reading no entry.
  void index_erase(block_id id, handle h) noexcept {
    if (cells_ == 0) return;
    std::size_t hole = home(id);
    for (std::uint32_t d = 0; cell_handle(cell(hole)) != h; ++d, hole = next_cell(hole)) {
      KVTIER_ASSERT(d <= max_distance, "erasing an entry the index does not hold");
    }
    for (std::size_t i = next_cell(hole); cell(i) != empty_cell && (cell(i) & distance_mask) != 0; i = next_cell(i)) {
      cell(hole) = cell(i) - 1;
      hole = i;
    }
    cell(hole) = empty_cell;
  }

  // ---- ghosts ----
  [[nodiscard]] std::uint32_t ghost_now() const noexcept { return (now_ >> ghost_tick_shift) & ghost_time_mask; }
  /// The ghost set of `id`: the line of its home cell when there are as many lines as sets.
  [[nodiscard]] std::size_t set_index(block_id id) const noexcept {
    return static_cast<std::size_t>((std::uint64_t{mix(id)} * ghost_sets_) >> 32);
  }
  /// Set s: in line s, or past the lines among the bare sets.
  [[nodiscard]] ghost_set& set_at(std::size_t s) noexcept {
    return s < lines_.size() ? lines_[s].set : bare_sets_[s - lines_.size()];
  }
  [[nodiscard]] const ghost_set& set_at(std::size_t s) const noexcept {
    return s < lines_.size() ? lines_[s].set : bare_sets_[s - lines_.size()];
  }
  [[nodiscard]] ghost_set& set_of(block_id id) noexcept { return set_at(set_index(id)); }
  static constexpr bool pending_ghost(std::uint32_t packed) noexcept {
    return (packed & detail::ghost_pending_bit) != 0;
  }
  static constexpr context_id ghost_context(std::uint32_t packed) noexcept {
    return static_cast<context_id>((packed >> 20) & 0xffU);
  }
  /// Removes and returns what the ghost of `id` remembers (nothing when there is none).
  history take_ghost(block_id id, std::uint32_t now) noexcept {
    history known;
    if (ghost_sets_ == 0) return known;
    ghost_set& set = set_of(id);
    const unsigned matches = detail::ghost_matches(set.tag, set.packed, fingerprint(id));
    if (matches == 0) return known;
    const auto w = static_cast<std::size_t>(std::countr_zero(matches));
    const std::uint32_t packed = set.packed[w];
    const std::uint32_t age_ms = ((ghost_now() - (packed & ghost_time_mask)) & ghost_time_mask) << ghost_tick_shift;
    known.seen = true;
    known.last_ms = now - std::min(age_ms, now);
    known.context = static_cast<std::uint8_t>(ghost_context(packed));
    known.touches = static_cast<std::uint8_t>((packed >> 28) & 3U);
    known.shared = (packed >> 30) & 1U;
    known.pending = pending_ghost(packed);
    set.packed[w] = 0;
    return known;
  }
  /// Remembers a block that leaves (or is declined) in its set, replacing the set's oldest ghost;
  /// a replaced ghost still waiting for its outcome counts as not reused.
  void put_ghost(block_id id, std::uint32_t last_ms, std::uint8_t context, std::uint8_t flags) noexcept {
    if (ghost_sets_ == 0) {
      if (flags & pending_flag) observe(context, false);
      return;
    }
    ghost_set& set = set_of(id);
    const std::size_t way = detail::ghost_victim(set.packed, ghost_now(), ghost_time_mask);
    if (pending_ghost(set.packed[way])) observe(ghost_context(set.packed[way]), false);
    const std::uint32_t last_tick = (last_ms >> ghost_tick_shift) & ghost_time_mask;
    const std::uint32_t touches = std::clamp<std::uint32_t>(flags / touch_unit, 1, max_touches);
    set.tag[way] = fingerprint(id);
    set.packed[way] = last_tick | std::uint32_t{context} << 20 | touches << 28 |
                      ((flags & shared_flag) ? 1U << 30 : 0U) |
                      ((flags & pending_flag) ? detail::ghost_pending_bit : 0U);
  }

  /// Resolves outcomes that expired unseen: each access visits one ghost set and as many entries as
  /// keep both sweeps on the same period, so a block idle past the horizon is counted as not reused
  /// within one sweep (ghost_factor × capacity / 8 accesses) of its expiry.
  void sweep(std::uint32_t now) noexcept {
    const std::uint32_t tick = ghost_now();
    const std::uint32_t horizon_ticks = static_cast<std::uint32_t>(params_.horizon_ms >> ghost_tick_shift);
    if (ghost_sets_ != 0) {
      ghost_set& set = set_at(sweep_ghost_);
      for (unsigned expired = detail::ghost_expired(set.packed, tick, ghost_time_mask, horizon_ticks); expired != 0;
           expired &= expired - 1) {
        std::uint32_t& packed = set.packed[static_cast<std::size_t>(std::countr_zero(expired))];
        observe(ghost_context(packed), false);
        packed &= ~detail::ghost_pending_bit;
      }
      sweep_ghost_ = sweep_ghost_ + 1 == ghost_sets_ ? 0 : sweep_ghost_ + 1;
    }
    const std::size_t pool = entries_.size();
    if (pool == 0) return;
    std::size_t next = sweep_entry_;
    for (std::size_t left = sweep_entries_; left != 0; --left) {
      if (next >= pool) next = 0;
      entry& e = entries_[next++];
      if ((e.flags & (pending_flag | resident_flag)) == (pending_flag | resident_flag) &&
          now - e.last_ms > params_.horizon_ms) {
        observe(e.context, false);
        e.flags &= static_cast<std::uint8_t>(~pending_flag);
      }
    }
    sweep_entry_ = next;
  }

  void note_child(handle parent, block_id child, std::uint16_t session) noexcept {
    entry& p = entries_[parent];
    const std::uint16_t tag = child_tag(child);
    if (p.child == no_session_tag) {
      p.child = tag;
    } else if (p.child != tag) {
      p.flags |= shared_flag;
    }
    if (session != no_session_tag && p.session != no_session_tag && p.session != session) p.flags |= shared_flag;
  }

  void learn(std::uint8_t context, std::uint64_t gap_ms) noexcept {
    const bool reused = gap_ms <= params_.horizon_ms;
    observe(context, reused);
    if (!reused) return;
    gap_histogram& h = gaps_[context];
    const double forgetting = params_.forgetting;
    const std::size_t bins = gap_bins_;
    for (std::size_t k = 0; k < bins; ++k) h.count[k] *= forgetting;
    h.count[bin_of(gap_ms)] += 1.0;
    h.summed = false;
  }
  /// Context `context`'s gap law with its suffix sums current: they are summed again on the first read
  /// after the counts change (several reuses are often learned between two reads).
  [[nodiscard]] const gap_histogram& gaps(std::size_t context) const noexcept {
    if (!gaps_[context].summed) const_cast<predictive_policy*>(this)->refresh_gaps(context);
    return gaps_[context];
  }

  /// Suffix sums of a context's gap histogram: reuses (and their gaps) in bins k and above.
  void refresh_gaps(std::size_t context) noexcept {
    gap_histogram& h = gaps_[context];
    h.summed = true;
    double after = 0.0;
    double weighted = 0.0;
    for (std::size_t k = gap_bins_; k-- > 0;) {
      after += h.count[k];
      weighted += h.count[k] * bin_middle_ms(k);
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
  static constexpr double bin_low_ms(std::size_t k) noexcept { return bin_bounds[k].low; }
  static constexpr double bin_high_ms(std::size_t k) noexcept { return bin_bounds[k].high; }
  static constexpr double bin_middle_ms(std::size_t k) noexcept { return bin_bounds[k].middle; }
  struct bin_bound {
    double low = 0.0;
    double high = 0.0;
    double middle = 0.0;
  };
  static constexpr std::array<bin_bound, max_gap_bins> bin_bounds = [] {
    std::array<bin_bound, max_gap_bins> bounds{};
    for (std::size_t k = 1; k < max_gap_bins; ++k) {
      const auto low = static_cast<double>(std::uint64_t{1} << (k - 1));
      const auto high = static_cast<double>(std::uint64_t{1} << k);
      bounds[k] = {low, high, (low + high) / 2.0};
    }
    return bounds;
  }();

  [[nodiscard]] double density(handle h, std::uint32_t now) const noexcept {
    const entry& e = entries_[h];
    // Without departed parents every parent is resident: the parent's entry, often not in the caches,
    // is read only when some are kept.
    if (departed_parents_ != 0 && e.parent != no_handle && !(entries_[e.parent].flags & resident_flag)) {
      return unreachable;
    }
    return density_of(e.context, now - e.last_ms, e.tokens);
  }
  [[nodiscard]] double density_of(std::size_t context, std::uint32_t idle_ms, std::uint16_t tokens) const noexcept {
    const std::size_t k = bin_of(idle_ms);
    // Idle past the horizon's octave: no reuse left to expect; such blocks rank below every live
    // one and among themselves by recency (longest idle first), as LRU would order them.
    if (k >= gap_bins_) return -static_cast<double>(idle_ms);
    const gap_histogram& h = gaps(context);
    // Reuses still to come at this age: the bins above, and the part of this bin past the age
    // (gaps spread evenly within a bin), each at its bin's middle (this bin's: halfway to its end).
    const double age = static_cast<double>(idle_ms);
    const double end = bin_high_ms(k);
    const double part = k == 0 ? 1.0 : (end - age) / (end - bin_low_ms(k));
    const double later = h.after[k + 1] + h.count[k] * part;
    // Past every reuse the law holds (its prior mass decays to zero after millions of reuses): none
    // left to expect. Without this, the wait below is 0/0 and a NaN density never compares lower.
    if (!(later > 0.0)) return 0.0;
    const double later_weighted = h.weighted_after[k + 1] + h.count[k] * part * (age + end) / 2.0;
    const double survival = later / h.after[0];
    const double wait = later_weighted / later - age + 1.0;
    const double p = predictor_.predict(static_cast<context_id>(context));
    const double live = p * survival / (1.0 - p + p * survival);
    return static_cast<double>(tokens) * live / wait;
  }

  /// An outcome of `context` learned: its prediction changes, and so may its candidate's density.
  void observe(std::size_t context, bool reused) noexcept {
    predictor_.observe(static_cast<context_id>(context), reused);
    fresh_[context] = false;
    fresh_new_[context] = false;
  }
  /// The density of a block of `context` and `tokens` just touched, which admission weighs: kept per
  /// context until its prediction or law changes (a request's new blocks share context and size).
  [[nodiscard]] double new_block_density(std::size_t context, std::uint16_t tokens) noexcept {
    if (!fresh_new_[context] || new_tokens_[context] != tokens) {
      new_density_[context] = density_of(context, 0, tokens);
      new_tokens_[context] = tokens;
      fresh_new_[context] = true;
    }
    return new_density_[context];
  }
  /// The oldest block of `context` is now `h` (no_handle: none): its candidate changes.
  void set_tail(std::size_t context, handle h) noexcept {
    tail_[context] = h;
    tail_ms_[context] = h == no_handle ? 0 : entries_[h].last_ms;
    fresh_[context] = false;
    const std::uint64_t bit = std::uint64_t{1} << (context % 64);
    if (h == no_handle) {
      listing_[context / 64] &= ~bit;
    } else {
      listing_[context / 64] |= bit;
    }
  }

  /// The least dense of the contexts' oldest blocks. Only blocks that end a resident chain (no resident
  /// child) are listed, so the victim always ends its chain and chains shrink from their ends. When
  /// `resolve`, a candidate idle past the horizon with its outcome pending records it as not reused.
  /// A candidate's density depends on the time, its context's law and prediction, and its own entry
  /// and its parent's residency; the densities are kept from one decision to the next at the same time
  /// (the blocks of a request share it) and recomputed only for the contexts where one of those changed
  /// (observe, set_tail, and remove of a parent), so they are exactly the densities computed afresh.
  [[nodiscard]] handle choose_victim(std::uint32_t now, bool resolve) noexcept {
    keep_densities_at(now);
    handle best = no_handle;
    double best_density = 0.0;
    for_each_listing([&](std::size_t c) {
      const handle candidate = tail_[c];
      KVTIER_ASSERT(entries_[candidate].resident_children == 0, "only chain ends are listed");
      KVTIER_ASSERT(entries_[candidate].context == c, "a context lists its own blocks");
      KVTIER_ASSERT(entries_[candidate].last_ms == tail_ms_[c], "a candidate's last touch is kept beside it");
      if (resolve && now - tail_ms_[c] > params_.horizon_ms && (entries_[candidate].flags & pending_flag)) {
        observe(c, false);
        entries_[candidate].flags &= static_cast<std::uint8_t>(~pending_flag);
      }
      const double d = candidate_density(c, now);
      if (best == no_handle || d < best_density) {
        best = candidate;
        best_density = d;
      }
    });
    if (best == no_handle && size_ != 0) {
      best = any_resident(resolve);
      best_density = density(best, now);
    }
    victim_density_ = best_density;
    return best;
  }

  /// Kept densities are of one time: another time makes them all stale.
  void keep_densities_at(std::uint32_t now) noexcept {
    if (fresh_ms_ == now) return;
    fresh_.fill(false);
    fresh_ms_ = now;
  }
  /// The density of context `c`'s candidate (its oldest block) at the kept time, computed when stale.
  double candidate_density(std::size_t c, std::uint32_t now) noexcept {
    if (!fresh_[c]) {
      candidate_density_[c] = density(tail_[c], now);
      fresh_[c] = true;
    }
    return candidate_density_[c];
  }
  /// The densities of the contexts' candidates now, for choose_victim: computed while a home line loads.
  void weigh_candidates(std::uint32_t now) noexcept {
    keep_densities_at(now);
    for_each_listing([&](std::size_t c) { static_cast<void>(candidate_density(c, now)); });
  }
  /// Calls f(c) for each context with a listed block, in increasing order.
  template <class F>
  void for_each_listing(F&& f) const {
    for (std::size_t word = 0; word < listing_.size(); ++word) {
      for (std::uint64_t bits = listing_[word]; bits != 0; bits &= bits - 1) {
        f(word * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
      }
    }
  }

  /// A resident block, for when no block ends a chain: every resident block then has a resident child,
  /// so parent links form a cycle (a trace that repeats a block within a request, or gives a block two
  /// parents over time, can make one). The next resident entry after a rotating hand: evicting it
  /// breaks the cycle, and its parent rejoins the lists. The hand moves only when `advance`.
  [[nodiscard]] handle any_resident(bool advance) noexcept {
    std::size_t hand = cycle_hand_;
    for (std::size_t step = 0; step < entries_.size(); ++step) {
      if (++hand >= entries_.size()) hand = 0;
      if (entries_[hand].flags & resident_flag) {
        if (advance) cycle_hand_ = hand;
        return static_cast<handle>(hand);
      }
    }
    KVTIER_ASSERT(false, "a non-empty cache has a resident entry");
    return no_handle;
  }

  /// `t` has just become the oldest block of its context, a victim candidate from the next decision
  /// on. The loads that weighing and evicting a candidate need (its index cell and ghost set, its
  /// parent's entry) are started for the `candidate_lookahead` oldest blocks of the context: when one
  /// context supplies every victim, a block's lines are started that many evictions before it goes,
  /// enough to cover a DRAM miss (one eviction can take less). The window moves by one block at a time,
  /// so each call starts the block that enters it (and the entry of the one after); the walk to it
  /// reads entries an earlier call started. `t` itself was started as a block of the window or as the
  /// parent of the previous oldest (below), or was just touched (a list that was empty).
  /// A chain is cut from its end, so `t`'s parent is often the victim after `t`, and becomes a
  /// candidate only when `t` leaves: its lines are started now, one eviction ahead, and its own
  /// parent's entry, which the same start reads when that parent's turn comes.
  static constexpr std::size_t candidate_lookahead = 4;
  void prefetch_candidate(handle t) const noexcept {
    if (!next_line_) return;  // a table that stays in the caches: nothing to start
    const entry& oldest = entries_[t];
    if (oldest.parent != no_handle) {
      const entry& p = entries_[oldest.parent];
      prefetch(p.id);
      if (p.parent != no_handle) detail::prefetch_line(&entries_[p.parent]);
    }
    handle u = oldest.prev;
    for (std::size_t k = 2; k < candidate_lookahead && u != no_handle; ++k) u = entries_[u].prev;
    if (u == no_handle) return;
    const entry& entering = entries_[u];
    prefetch(entering.id);
    if (entering.parent != no_handle) detail::prefetch_line(&entries_[entering.parent]);
    if (entering.prev != no_handle) detail::prefetch_line(&entries_[entering.prev]);
  }

  /// A miss decided on and not yet written: the block admitted and the victim it displaces, if any.
  struct admission {
    handle victim = no_handle;
    block_id id = no_block;
    handle parent = no_handle;
    std::uint32_t last_ms = 0;
    std::uint32_t request = 0;
    std::uint16_t tokens = 1;
    std::uint16_t session = no_session_tag;
    std::uint8_t context = 0;
    std::uint8_t flags = 0;
  };
  /// Writes the admission decided by the last access, if not yet written. Logically const: every
  /// observer reads the policy as if it had been written by that access. Never allocates (see access).
  void settle() const noexcept {
    if (admitting_) const_cast<predictive_policy*>(this)->admit_decided();
  }
  void admit_decided() {
    admitting_ = false;
    const admission& d = admission_;
    if (d.victim != no_handle) remove(d.victim);
    const handle n = allocate();
    entry& e = entries_[n];
    e = entry{};
    e.id = d.id;
    e.parent = d.parent;
    e.last_ms = d.last_ms;
    e.tokens = d.tokens;
    e.session = d.session;
    e.context = d.context;
    e.flags = d.flags;
    if (d.parent != no_handle) add_child(d.parent);
    index_insert(n);
    ++size_;
    link(n, d.context, d.request);
    last_handle_ = n;
  }

  /// An entry from the free list (linked through `next`), or a new one.
  handle allocate() {
    if (free_ != no_handle) {
      const handle h = free_;
      free_ = entries_[h].next;
      return h;
    }
    // Only entries kept for departed parents (see remove) take the pool past capacity: grow it by an
    // eighth at a time rather than doubling it.
    if (entries_.size() == entries_.capacity()) entries_.reserve(entries_.size() + entries_.size() / 8 + 1);
    entries_.emplace_back();
    sweep_entries_ = 1 + (ghost_sets_ == 0 ? entries_.size() : entries_.size() / ghost_sets_);
    return static_cast<handle>(entries_.size() - 1);
  }
  void release(handle h) noexcept {
    entries_[h].next = free_;
    free_ = h;
  }

  /// Takes a resident block out: it becomes a ghost. An entry that still has resident children stays
  /// allocated (not resident, not indexed) until its last child leaves, so that their parent handles
  /// stay valid; those children are unreachable and go first.
  void remove(handle h) noexcept {
    entry& e = entries_[h];
    // Its resident children, unreachable from now on, may be candidates.
    if (e.resident_children != 0) {
      fresh_.fill(false);
      ++departed_parents_;
    }
    if (ghost_sets_ != 0) detail::prefetch_line(&set_of(e.id));
    if (cursor_[e.context] == h) cursor_[e.context] = e.prev;
    unlink(h);
    index_erase(e.id, h);
    e.flags &= static_cast<std::uint8_t>(~resident_flag);
    put_ghost(e.id, e.last_ms, e.context, e.flags);
    --size_;
    if (last_handle_ == h) last_handle_ = no_handle;
    release_child(e.parent);
    e.parent = no_handle;
    if (e.resident_children == 0) release(h);
  }
  /// `parent` gained a resident child: it no longer ends a chain and leaves its context's list.
  void add_child(handle parent) noexcept {
    if (entries_[parent].resident_children++ == 0) unlink(parent);
  }
  /// One resident child of `parent` left. A resident parent left with none ends its chain again and
  /// rejoins its context's list at its place in recency; a departed parent's entry is freed.
  void release_child(handle parent) noexcept {
    if (parent == no_handle) return;
    entry& p = entries_[parent];
    --p.resident_children;
    if (p.resident_children != 0) return;
    if (p.flags & resident_flag) {
      relink(parent);
    } else {
      --departed_parents_;
      release(parent);
    }
  }

  /// Lists a chain end most recent first; within one request a later block is placed just older than
  /// the previous listed one of the same context (which it usually unlists, as its child).
  void link(handle h, context_id context, std::uint32_t request) noexcept {
    entry& e = entries_[h];
    const handle anchor = cursor_[context];
    const bool after_anchor = anchor != no_handle && cursor_request_[context] == request &&
                              (entries_[anchor].flags & listed_flag) && entries_[anchor].context == context;
    if (after_anchor) {
      entry& a = entries_[anchor];
      e.prev = anchor;
      e.next = a.next;
      if (a.next != no_handle) {
        entries_[a.next].prev = h;
      } else {
        set_tail(context, h);
      }
      a.next = h;
    } else {
      e.prev = no_handle;
      e.next = head_[context];
      if (head_[context] != no_handle) {
        entries_[head_[context]].prev = h;
      } else {
        set_tail(context, h);
      }
      head_[context] = h;
    }
    e.flags |= listed_flag;
    cursor_[context] = h;
    cursor_request_[context] = request;
  }

  /// Lists `h` in its context among the blocks of its age: after every block touched later, before
  /// those touched earlier. The place is sought from both ends at once, so the walk is as long as the
  /// shorter side (a block that ends its chain again usually does so because its child, of the same
  /// request, was the victim: near the oldest end; a shared prefix touched a moment ago lies near the
  /// newest), and at most `relink_steps` from each: past that, the block goes where the walk from the
  /// newest end stopped, younger than its age, which errs towards keeping it.
  static constexpr std::size_t relink_steps = 64;
  void relink(handle h) noexcept {
    entry& e = entries_[h];
    const std::uint8_t c = e.context;
    handle newer = no_handle;  // h goes just older than this block (no_handle: at the newest end)
    handle from_oldest = tail_[c];
    handle from_newest = head_[c];
    handle passed = no_handle;  // the last block the walk from the newest end passed
    for (std::size_t step = 0;; ++step) {
      if (from_oldest == no_handle || entries_[from_oldest].last_ms >= e.last_ms) {
        newer = from_oldest;
        break;
      }
      if (from_newest == no_handle || entries_[from_newest].last_ms < e.last_ms || step == relink_steps) {
        newer = passed;
        break;
      }
      from_oldest = entries_[from_oldest].prev;
      passed = from_newest;
      from_newest = entries_[from_newest].next;
    }
    e.prev = newer;
    e.next = newer == no_handle ? head_[c] : entries_[newer].next;
    if (e.next != no_handle) {
      entries_[e.next].prev = h;
    } else {
      set_tail(c, h);
      prefetch_candidate(h);
    }
    if (newer != no_handle) {
      entries_[newer].next = h;
    } else {
      head_[c] = h;
    }
    e.flags |= listed_flag;
  }

  void unlink(handle h) noexcept {
    entry& e = entries_[h];
    if (!(e.flags & listed_flag)) return;
    e.flags &= static_cast<std::uint8_t>(~listed_flag);
    const std::uint8_t c = e.context;
    if (e.prev != no_handle) {
      entries_[e.prev].next = e.next;
    } else {
      head_[c] = e.next;
    }
    if (e.next != no_handle) {
      entries_[e.next].prev = e.prev;
    } else {
      set_tail(c, e.prev);
      if (e.prev != no_handle) prefetch_candidate(e.prev);
    }
    e.prev = no_handle;
    e.next = no_handle;
  }

  predictive_policy_params params_;
  [[no_unique_address]] Classifier classifier_;
  Predictor predictor_;
  std::vector<entry, detail::huge_page_allocator<entry>> entries_;
  handle free_ = no_handle;
  std::vector<line, detail::huge_page_allocator<line>> lines_;  ///< ghost sets and index cells
  std::vector<ghost_set> bare_sets_;                            ///< the sets past the lines, if any
  std::size_t cells_ = 0;
  /// Lines from which prefetch() also starts a block's next line, and a new victim candidate the lines
  /// of the next ones. Smaller tables stay in the caches, where the extra lines only evict lines in use
  /// (replays at 9,140 blocks, 0.6 MB of lines, were 10% slower); at a million blocks (64 MB) the next
  /// line takes a pipelined decision from about 96 to 72 ns.
  static constexpr std::size_t next_line_bytes = std::size_t{8} << 20;
  bool next_line_ = false;
  bool sets_apart_ = false;     ///< some ghost sets lie outside the lines of their blocks' home cells
  std::uint32_t key_bits_ = 0;  ///< bits of each index cell holding a fingerprint of its entry's id
  std::size_t ghost_sets_ = 0;
  std::size_t size_ = 0;
  std::size_t sweep_ghost_ = 0;
  std::size_t sweep_entry_ = 0;
  std::size_t sweep_entries_ = 1;  ///< entries swept per access: 1 + pool size / ghost sets
  std::size_t cycle_hand_ = 0;     ///< where any_resident() looks next
  std::array<handle, contexts> head_{};
  std::array<handle, contexts> tail_{};
  std::array<std::uint32_t, contexts> tail_ms_{};              ///< the last touch of each tail
  std::array<std::uint64_t, (contexts + 63) / 64> listing_{};  ///< contexts with a listed block (a tail)
  std::array<handle, contexts> cursor_{};
  std::array<std::uint32_t, contexts> cursor_request_{};
  std::array<gap_histogram, contexts> gaps_{};
  std::array<double, contexts> candidate_density_{};  ///< each context's candidate's density at fresh_ms_
  std::array<bool, contexts> fresh_{};                ///< where candidate_density_ is current
  std::uint32_t fresh_ms_ = 0;
  double victim_density_ = 0.0;                 ///< the density of the block choose_victim chose
  std::array<double, contexts> new_density_{};  ///< new_block_density of new_tokens_, where fresh_new_
  std::array<std::uint16_t, contexts> new_tokens_{};
  std::array<bool, contexts> fresh_new_{};
  std::size_t departed_parents_ = 0;  ///< entries kept for departed parents of resident blocks
  std::size_t gap_bins_ = 0;
  std::uint64_t request_gap_ms_ = touch_facts::no_gap;  ///< gap of the request's reused, unshared prefix
  std::uint32_t request_ = 0;
  bool request_started_ = false;
  admission admission_{};
  bool admitting_ = false;          ///< admission_ is decided and not yet written
  block_id last_id_ = no_block;     ///< the block of the previous access (usually the next one's parent)
  handle last_handle_ = no_handle;  ///< and its entry, when resident
  std::uint64_t origin_ms_ = 0;
  std::uint32_t now_ = 0;
  bool clock_started_ = false;
};

static_assert(prefetching_policy<predictive_policy<>>);
static_assert(prefetching_policy<predictive_policy<single_context_classifier>>);

}  // namespace kvtier
