#pragma once
// Cost-aware EWMA admission, in the manner of LMCache's cost-aware caching: a block is worth what
// recomputing it would cost times how often it is reused. Each block keeps an exponentially
// weighted moving average of its reuse rate (references per reference of the trace, updated at
// every reference from the gap since its previous one) and its recompute cost (its tokens times
// 1 + position_tokens / attention_parity_tokens: the linear layers cost the same for every token,
// attention grows with the prefix in front). A miss is admitted when the inner policy has room or
// when its value is at least the value of the inner policy's next victim (a block never seen
// before has value 0, so it displaces only victims that were never reused); the rate of an idle block is
// capped by 1 / (time since its last reference), so stale popularity fades.
//
// The constants are not fitted to any trace: alpha = 0.25 weighs the last four gaps; the parity
// length 6 * d_model = 24,576 tokens (for d_model = 4096) is where a layer's attention FLOPs per
// token (about 4 * d_model * context) equal its linear FLOPs (about 24 * d_model^2).
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/policy_name.hpp>
#include <kvtier/policy/concepts.hpp>
#include <kvtier/policy/lru_policy.hpp>
#include <kvtier/policy/tinylfu_admission.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace kvtier {

struct cost_aware_ewma_params {
  double alpha = 0.25;                       ///< weight of the newest gap in the rate average
  double attention_parity_tokens = 24576.0;  ///< prefix length at which attention doubles the cost
  std::uint32_t block_tokens = 512;          ///< tokens per full block, to turn positions into tokens
  friend constexpr bool operator==(const cost_aware_ewma_params&, const cost_aware_ewma_params&) = default;
};

namespace detail {
inline constexpr std::string_view cost_aware_prefix = "ewma-";
}

template <victim_peeking_policy Inner = lru_policy>
class cost_aware_ewma_admission {
 public:
  static constexpr std::string_view name = detail::joined_name<detail::cost_aware_prefix, Inner::name>::value;

  explicit cost_aware_ewma_admission(std::size_t capacity_blocks, const cost_aware_ewma_params& params = {})
      : inner_(capacity_blocks), params_(params) {
    KVTIER_ASSERT(params.alpha > 0 && params.alpha <= 1, "alpha must be in (0, 1]");
    KVTIER_ASSERT(params.attention_parity_tokens > 0, "attention_parity_tokens must be positive");
  }

  bool access(const block_access& a, std::vector<block_id>& evicted) {
    observe(a);
    if (inner_.contains(a.id) || inner_.size() < inner_.capacity()) return inner_.access(a, evicted);
    const std::optional<block_id> victim = inner_.victim();
    if (victim && value(a.id, a.ref_index) < value(*victim, a.ref_index)) {
      evicted.clear();
      return false;
    }
    return inner_.access(a, evicted);
  }

  bool erase(block_id id) { return inner_.erase(id); }
  [[nodiscard]] bool contains(block_id id) const noexcept { return inner_.contains(id); }
  [[nodiscard]] std::size_t size() const noexcept { return inner_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return inner_.capacity(); }
  /// Recompute cost times reuse rate of a block as of reference `now` (0 for an unseen block).
  [[nodiscard]] double value(block_id id, std::uint64_t now) const noexcept {
    if (id >= state_.size() || state_[id].last == never) return 0.0;
    const block_state& s = state_[id];
    const double idle = static_cast<double>(now > s.last ? now - s.last : 1);
    return static_cast<double>(s.cost) * std::min(static_cast<double>(s.rate), 1.0 / idle);
  }

 private:
  struct block_state {
    std::uint64_t last = never;  ///< ref_index of the latest reference
    float rate = 0;              ///< EWMA of 1 / gap
    float cost = 0;              ///< recompute cost, in token-equivalents
  };

  void observe(const block_access& a) {
    if (a.id >= state_.size()) state_.resize(std::max<std::size_t>(std::size_t{a.id} + 1, state_.size() * 2));
    block_state& s = state_[a.id];
    const double position_tokens = static_cast<double>(a.position) * params_.block_tokens;
    s.cost =
        static_cast<float>(static_cast<double>(a.tokens) * (1.0 + position_tokens / params_.attention_parity_tokens));
    if (s.last != never && a.ref_index > s.last) {
      const double gap = static_cast<double>(a.ref_index - s.last);
      s.rate = static_cast<float>(params_.alpha / gap + (1.0 - params_.alpha) * s.rate);
    }
    s.last = a.ref_index;
  }

  Inner inner_;
  cost_aware_ewma_params params_;
  std::vector<block_state> state_;
};

static_assert(eviction_policy<cost_aware_ewma_admission<lru_policy>>);

}  // namespace kvtier
