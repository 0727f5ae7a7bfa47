#pragma once
// Context classifiers: from what is known when a block is touched (touch_facts) to a context id.
//
// taxonomy_classifier: the 16 (block type × transition type) contexts of docs/policies-predictive.md.
//   Transition, first match wins:
//     end           the block is the last of its request's chain. Under append-only histories the
//                   last block is usually partial, and the next turn rewrites it under a new hash.
//     cross_session the block was seen under two or more distinct continuations (different next
//                   blocks, or different sessions where the trace names them): a shared prefix.
//     tool_return   the conversation came back within `tool_gap_ms` of its previous touch: a machine
//                   in the loop (agent tool call), not a human.
//     next_turn     otherwise (a human-scale gap, or a chain never seen before).
//   Block type: the trace's own type when it has one (roles from typed transcripts). Hash-only traces
//   carry no roles; there the row is chosen by what the block's history shows, and the rows name
//   history classes rather than roles (the machine-versus-human distinction is the transition's):
//     system        shared prefix (as cross_session above): what a system prompt or template is;
//     user          new content: first touch of the block;
//     assistant     read once before and carried into this prompt (history of one earlier turn);
//     tool          read twice or more before. A block that came back once is more likely to come
//                   back again than a new one (the reuse of a block rises with its past reuse: on the
//                   shared Mooncake trace 26%, 42% and 62% for first, second and third-or-later
//                   touches), which merging the last two rows hides.
//   When nothing can be inferred (no parents, no sessions, no times) every touch is a first touch
//   with no gap: the classifier degrades to the two contexts (user, next_turn) and (user, end).
//
// single_context_classifier: one context for everything (the ablation, and traces with no structure).
#include <kvtier/predict/concepts.hpp>

#include <cstdint>

namespace kvtier {

struct taxonomy_classifier_params {
  /// Gaps shorter than this are machine turns (tool calls), longer ones human turns. An agent step is
  /// an LLM decode of a few hundred tokens at tens of tokens/s plus a tool run: seconds; a human reads
  /// the answer and types the next message: tens of seconds or more. 10 s separates the two.
  std::uint64_t tool_gap_ms = 10'000;
  friend constexpr bool operator==(const taxonomy_classifier_params&, const taxonomy_classifier_params&) = default;
};

class taxonomy_classifier {
 public:
  static constexpr std::size_t context_count = taxonomy_context_count;

  constexpr taxonomy_classifier() noexcept = default;
  constexpr explicit taxonomy_classifier(const taxonomy_classifier_params& params) noexcept : params_(params) {}

  [[nodiscard]] constexpr context_id classify(const touch_facts& facts) const noexcept {
    const bool quick = facts.gap_ms < params_.tool_gap_ms;
    const bool shared = facts.shared || !facts.same_session;
    const transition_type transition = facts.chain_end ? transition_type::end
                                       : shared        ? transition_type::cross_session
                                       : quick         ? transition_type::tool_return
                                                       : transition_type::next_turn;
    block_type type = facts.type;
    if (type == block_type::unknown) {
      type = shared                       ? block_type::system
             : facts.earlier_touches == 0 ? block_type::user
             : facts.earlier_touches == 1 ? block_type::assistant
                                          : block_type::tool;
    }
    return make_context(type, transition);
  }
  [[nodiscard]] constexpr const taxonomy_classifier_params& params() const noexcept { return params_; }

 private:
  taxonomy_classifier_params params_{};
};

class single_context_classifier {
 public:
  static constexpr std::size_t context_count = 1;
  [[nodiscard]] constexpr context_id classify(const touch_facts&) const noexcept { return 0; }
};

static_assert(context_classifier<taxonomy_classifier>);
static_assert(context_classifier<single_context_classifier>);

}  // namespace kvtier
