#pragma once
// make_policy<P>(capacity_blocks): builds any eviction policy for a capacity in blocks, whether it
// takes the capacity itself (the baselines) or a parameter aggregate (the predictive policy), so
// that the cache manager and the replay tool construct every policy alike.
#include <kvtier/policy/concepts.hpp>
#include <kvtier/policy/predictive_policy.hpp>

#include <concepts>
#include <cstddef>

namespace kvtier {

template <eviction_policy P>
[[nodiscard]] P make_policy(std::size_t capacity_blocks, predictive_policy_params params = {}) {
  if constexpr (std::constructible_from<P, std::size_t>) {
    return P(capacity_blocks);
  } else {
    static_assert(std::constructible_from<P, predictive_policy_params>,
                  "a policy is built from a capacity in blocks or from predictive_policy_params");
    params.capacity_blocks = capacity_blocks;
    return P(params);
  }
}

}  // namespace kvtier
