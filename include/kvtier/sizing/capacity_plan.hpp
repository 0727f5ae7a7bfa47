#pragma once
// Capacity planning: how many sequences of L tokens fit in one GPU's HBM once the weights and an
// activation reserve are taken out, under exact and under naive sizing, side by side.
#include <kvtier/sizing/kv_dtype.hpp>
#include <kvtier/sizing/kv_footprint.hpp>
#include <kvtier/sizing/model_shape.hpp>

#include <cstdint>

namespace kvtier {

/// What to plan for. Sizes are per GPU; the weights are the whole model's, split over `tp` ranks.
struct capacity_request {
  std::uint64_t hbm_bytes{};        ///< memory of one GPU
  std::uint64_t weights_bytes{};    ///< all weights of the model (estimate_weights_bytes when unknown)
  std::uint64_t reserve_bytes{};    ///< activations, CUDA graphs, fragmentation: kept free per GPU
  std::uint64_t sequence_tokens{};  ///< L
  std::uint64_t block_tokens{16};   ///< page size of the paged KV cache
  std::uint32_t tp{1};              ///< tensor-parallel ranks (one GPU each)
  kv_format format{kv_format::bf16};
  friend constexpr bool operator==(const capacity_request&, const capacity_request&) = default;
};

/// One sizing rule's answer.
struct capacity_side {
  std::uint64_t bytes_per_sequence{};       ///< paged bytes of one sequence of L tokens, per rank
  std::uint64_t max_sequences{};            ///< floor(kv budget / bytes_per_sequence)
  std::uint64_t max_resident_tokens{};      ///< max_sequences * L: tokens cached when full
  std::uint64_t longest_sequence_tokens{};  ///< the longest single sequence that fits (capped at 2^40)
  friend constexpr bool operator==(const capacity_side&, const capacity_side&) = default;
};

struct capacity_plan {
  std::uint64_t kv_budget_bytes{};  ///< per GPU: hbm - weights/tp - reserve, 0 when nothing is left
  capacity_side exact;
  capacity_side naive;
  friend constexpr bool operator==(const capacity_plan&, const capacity_plan&) = default;
};

/// The model's weights_bytes when known, else parameters * bytes per parameter (16-bit by default).
[[nodiscard]] constexpr std::uint64_t estimate_weights_bytes(const model_shape& model,
                                                             std::uint64_t bytes_per_parameter = 2) noexcept {
  return model.weights_bytes != 0 ? model.weights_bytes : model.parameters * bytes_per_parameter;
}

namespace detail {

inline constexpr std::uint64_t longest_planned_tokens = std::uint64_t{1} << 40;

[[nodiscard]] constexpr capacity_side plan_side(const model_shape& model, const capacity_request& request,
                                                std::uint64_t budget, sizing_rule rule) noexcept {
  const auto paged = [&](std::uint64_t tokens) {
    return paged_bytes_per_sequence(model, request.format, tokens, request.block_tokens, request.tp, rule);
  };
  capacity_side side;
  side.bytes_per_sequence = paged(request.sequence_tokens);
  side.max_sequences = side.bytes_per_sequence == 0 ? 0 : budget / side.bytes_per_sequence;
  side.max_resident_tokens = side.max_sequences * request.sequence_tokens;
  // paged() is non-decreasing in the length: binary search for the last length that fits.
  std::uint64_t low = 0;
  std::uint64_t high = longest_planned_tokens;
  if (paged(high) <= budget) {
    low = high;
  } else {
    while (high - low > 1) {
      const std::uint64_t middle = low + (high - low) / 2;
      (paged(middle) <= budget ? low : high) = middle;
    }
  }
  side.longest_sequence_tokens = low;
  return side;
}

}  // namespace detail

[[nodiscard]] constexpr capacity_plan plan_capacity(const model_shape& model,
                                                    const capacity_request& request) noexcept {
  const std::uint32_t tp = request.tp == 0 ? 1 : request.tp;
  const std::uint64_t weights_per_rank = ceil_div(request.weights_bytes, tp);
  const std::uint64_t taken = weights_per_rank + request.reserve_bytes;
  capacity_plan plan;
  plan.kv_budget_bytes = request.hbm_bytes > taken ? request.hbm_bytes - taken : 0;
  plan.exact = detail::plan_side(model, request, plan.kv_budget_bytes, sizing_rule::exact);
  plan.naive = detail::plan_side(model, request, plan.kv_budget_bytes, sizing_rule::naive);
  return plan;
}

}  // namespace kvtier
