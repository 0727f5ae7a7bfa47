#pragma once
// Reuse prediction: the probability that a KV block is read again within a horizon, learned online
// per context. A context is a small integer naming what is known about a block when it is touched
// (docs/policies-predictive.md: block type × transition type); classifiers assign it, predictors learn from it.
#include <kvtier/trace/block_trace.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kvtier {

/// What the request that touched a block did with it, as far as can be known at that moment.
enum class transition_type : std::uint8_t {
  next_turn,      ///< the same conversation came back after a human-scale gap (or a new chain began)
  tool_return,    ///< the same conversation came back after a tool-scale gap (an agent loop)
  cross_session,  ///< the block is a prefix shared by two or more distinct continuations
  end,            ///< the block ends its request's chain: nothing in that request followed it
};
inline constexpr std::size_t transition_type_count = 4;

[[nodiscard]] constexpr std::string_view to_string(transition_type transition) noexcept {
  switch (transition) {
    case transition_type::next_turn:
      return "next_turn";
    case transition_type::tool_return:
      return "tool_return";
    case transition_type::cross_session:
      return "cross_session";
    case transition_type::end:
      return "end";
  }
  return "end";
}

/// Index of a context: 0..Contexts-1 of the predictor that learns it.
using context_id = std::uint16_t;

/// The (block type, transition type) context of the 16-context taxonomy: type-major.
/// `unknown` block types share the `user` row (the classifiers never produce it once they infer).
[[nodiscard]] constexpr context_id make_context(block_type type, transition_type transition) noexcept {
  const auto row =
      type == block_type::unknown ? static_cast<std::size_t>(block_type::user) : static_cast<std::size_t>(type);
  return static_cast<context_id>(row * transition_type_count + static_cast<std::size_t>(transition));
}
[[nodiscard]] constexpr block_type context_block_type(context_id context) noexcept {
  return static_cast<block_type>(context / transition_type_count);
}
[[nodiscard]] constexpr transition_type context_transition(context_id context) noexcept {
  return static_cast<transition_type>(context % transition_type_count);
}
inline constexpr std::size_t taxonomy_context_count = 4 * transition_type_count;

/// A learner of per-context reuse probabilities.
///
/// Semantic requirements (checked by tests/predict law tests for every model):
/// 1. `predict(c)` is in [0, 1] for every context c < `context_count`, before and after any observations.
/// 2. `observe(c, true)` never lowers `predict(c)`; `observe(c, false)` never raises it.
/// 3. Observing context c leaves `predict(d)` unchanged for every d != c.
/// 4. Repeated `observe(c, x)` drives `predict(c)` towards 1 (x true) or 0 (x false): after n equal
///    observations, |predict(c) - x| is non-increasing in n.
/// 5. `context_count` is at least 1 and is a compile-time constant.
template <class P>
concept reuse_predictor = requires(P& predictor, const P& const_predictor, context_id context, bool reused) {
  { P::context_count } -> std::convertible_to<std::size_t>;
  { const_predictor.predict(context) } -> std::same_as<double>;
  predictor.observe(context, reused);
}
&&(P::context_count >= 1);

/// Facts about one touch of a block, from which a classifier derives the context.
struct touch_facts {
  block_type type = block_type::unknown;  ///< from the trace; unknown for hash-only traces
  bool first_touch = true;                ///< the block was never seen before
  std::uint8_t earlier_touches = 0;       ///< touches before this one, saturating at 3
  bool shared = false;                    ///< two or more distinct continuations (children or sessions) seen
  bool chain_end = false;                 ///< last block of the touching request
  bool same_session = true;               ///< previous touch came from the same session (true when unknown)
  std::uint64_t gap_ms = 0;               ///< since the previous touch of the block (or of its parent when new);
                                          ///< `no_gap` when neither was ever touched
  static constexpr std::uint64_t no_gap = ~std::uint64_t{0};
  friend constexpr bool operator==(const touch_facts&, const touch_facts&) = default;
};

/// Assigns a context to a touch.
///
/// Semantic requirements (checked by tests/predict law tests for every model):
/// 1. `classify(f) < context_count` for every f.
/// 2. `classify` is a pure function of its argument.
template <class C>
concept context_classifier = requires(const C& classifier, const touch_facts& facts) {
  { C::context_count } -> std::convertible_to<std::size_t>;
  { classifier.classify(facts) } -> std::same_as<context_id>;
}
&&(C::context_count >= 1);

}  // namespace kvtier
