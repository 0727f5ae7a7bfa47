#pragma once
// Beta–Bernoulli model of one reuse probability: a Beta(α, β) posterior over the Bernoulli rate,
// updated by conjugacy, with exponential forgetting of the evidence so that it follows a workload
// whose rate drifts.
//
// Forgetting decays the evidence, not the prior: before each observation
//   α ← α₀ + γ·(α − α₀),   β ← β₀ + γ·(β − β₀),
// then α += 1 on success, β += 1 on failure. With γ = 1 this is the exact conjugate posterior;
// with γ < 1 the evidence weighs at most 1/(1 − γ) observations, and after a change of rate the mean
// closes half the distance to the new rate in about ln 2 / −ln γ observations (once the evidence
// dominates the prior).
#include <kvtier/detail/assert.hpp>

#include <boost/math/distributions/beta.hpp>

namespace kvtier {

struct beta_prior {
  double alpha = 1.0;  ///< pseudo-successes; Beta(1, 1) is uniform: no opinion before data
  double beta = 1.0;   ///< pseudo-failures
  friend constexpr bool operator==(const beta_prior&, const beta_prior&) = default;
};

struct beta_bernoulli_params {
  beta_prior prior{};
  double forgetting = 1.0;  ///< γ in (0, 1]; 1 keeps all evidence
  friend constexpr bool operator==(const beta_bernoulli_params&, const beta_bernoulli_params&) = default;
};

class beta_bernoulli {
 public:
  constexpr beta_bernoulli() noexcept = default;
  constexpr explicit beta_bernoulli(const beta_bernoulli_params& params) noexcept
      : prior_(params.prior), gamma_(params.forgetting), alpha_(params.prior.alpha), beta_(params.prior.beta) {
    KVTIER_ASSERT(params.prior.alpha > 0.0 && params.prior.beta > 0.0, "Beta prior parameters must be positive");
    KVTIER_ASSERT(params.forgetting > 0.0 && params.forgetting <= 1.0, "forgetting must be in (0, 1]");
  }

  constexpr void observe(bool success) noexcept {
    alpha_ = prior_.alpha + gamma_ * (alpha_ - prior_.alpha) + (success ? 1.0 : 0.0);
    beta_ = prior_.beta + gamma_ * (beta_ - prior_.beta) + (success ? 0.0 : 1.0);
  }

  [[nodiscard]] constexpr double alpha() const noexcept { return alpha_; }
  [[nodiscard]] constexpr double beta() const noexcept { return beta_; }
  /// Evidence weight: α + β minus the prior's.
  [[nodiscard]] constexpr double evidence() const noexcept { return alpha_ + beta_ - prior_.alpha - prior_.beta; }
  [[nodiscard]] constexpr double mean() const noexcept { return alpha_ / (alpha_ + beta_); }
  [[nodiscard]] constexpr double variance() const noexcept {
    const double n = alpha_ + beta_;
    return alpha_ * beta_ / (n * n * (n + 1.0));
  }
  /// The q-quantile of the posterior (q in [0, 1]); q = 0.05 gives a pessimistic estimate.
  [[nodiscard]] double quantile(double q) const {
    KVTIER_ASSERT(q >= 0.0 && q <= 1.0, "quantile level must be in [0, 1]");
    // Computed in double throughout: Boost's default promotion to long double loses the root-finder's
    // convergence on some platforms and optimisation levels.
    using no_promotion = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
    return boost::math::quantile(boost::math::beta_distribution<double, no_promotion>(alpha_, beta_), q);
  }

  friend constexpr bool operator==(const beta_bernoulli&, const beta_bernoulli&) = default;

 private:
  beta_prior prior_{};
  double gamma_ = 1.0;
  double alpha_ = 1.0;
  double beta_ = 1.0;
};

}  // namespace kvtier
