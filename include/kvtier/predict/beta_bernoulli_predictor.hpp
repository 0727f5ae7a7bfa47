#pragma once
// beta_bernoulli_predictor<Contexts>: one Beta–Bernoulli posterior per context (16 by default: the
// block-type × transition-type taxonomy of predict/concepts.hpp). The posterior means are cached so
// that `predict` is one load; `observe` is a handful of flops.
#include <kvtier/detail/assert.hpp>
#include <kvtier/predict/beta_bernoulli.hpp>
#include <kvtier/predict/concepts.hpp>

#include <array>
#include <cstddef>

namespace kvtier {

template <std::size_t Contexts = taxonomy_context_count>
class beta_bernoulli_predictor {
  static_assert(Contexts >= 1, "a predictor needs at least one context");

 public:
  static constexpr std::size_t context_count = Contexts;

  constexpr beta_bernoulli_predictor() noexcept : beta_bernoulli_predictor(beta_bernoulli_params{}) {}
  constexpr explicit beta_bernoulli_predictor(const beta_bernoulli_params& params) noexcept {
    models_.fill(beta_bernoulli{params});
    for (std::size_t c = 0; c < Contexts; ++c) means_[c] = models_[c].mean();
  }

  [[nodiscard]] constexpr double predict(context_id context) const noexcept {
    KVTIER_ASSERT(context < Contexts, "context outside the predictor");
    return means_[context];
  }
  constexpr void observe(context_id context, bool reused) noexcept {
    KVTIER_ASSERT(context < Contexts, "context outside the predictor");
    models_[context].observe(reused);
    means_[context] = models_[context].mean();
  }
  /// A pessimistic estimate: the q-quantile of context's posterior (Boost.Math; microseconds, not for hot paths).
  [[nodiscard]] double lower_bound(context_id context, double q = 0.05) const { return models_[context].quantile(q); }
  [[nodiscard]] constexpr const beta_bernoulli& model(context_id context) const noexcept { return models_[context]; }

 private:
  std::array<beta_bernoulli, Contexts> models_{};
  std::array<double, Contexts> means_{};
};

static_assert(reuse_predictor<beta_bernoulli_predictor<>>);
static_assert(reuse_predictor<beta_bernoulli_predictor<1>>);

}  // namespace kvtier
