#pragma once
// Context classifiers: from what is known when a block is touched (touch_facts) to a context id.
//
// taxonomy_classifier: the 16 (block type × transition type) contexts of DESIGN.md §5.
//   Transition, first match wins:
//     end           the block is the last of its request's chain. Under append-only histories the
//                   last block is usually partial, and the next turn rewrites it under a new hash.
//     cross_session the block was seen under two or more distinct continuations (different next
//                   blocks, or different sessions where the trace names them): a shared prefix.
//     tool_return   the conversation came back within `tool_gap_ms` of its previous touch: a machine
//                   in the loop (agent tool call), not a human.
//     next_turn     otherwise (a human-scale gap, or a chain never seen before).
//   Block type: the trace's own type when it has one (roles from typed transcripts); otherwise
//   inferred from sharing and history, as hash-only traces allow:
//     system        shared prefix (as cross_session above);
//     tool          new content arriving within `tool_gap_ms` of the chain's previous touch;
//     user          other new content (first touch of the block);
//     assistant     content carried from an earlier request into this one (seen before, not shared).
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
      type = shared               ? block_type::system
             : !facts.first_touch ? block_type::assistant
             : quick              ? block_type::tool
                                  : block_type::user;
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
