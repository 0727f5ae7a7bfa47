#include <kvtier/predict/beta_bernoulli.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace {

using kvtier::beta_bernoulli;
using kvtier::beta_bernoulli_params;
using kvtier::beta_prior;

TEST(BetaBernoulli, ConjugateUpdateCountsSuccessesAndFailures) {
  beta_bernoulli model{beta_bernoulli_params{beta_prior{2.0, 3.0}, 1.0}};
  model.observe(true);
  model.observe(true);
  model.observe(false);
  EXPECT_DOUBLE_EQ(model.alpha(), 4.0);
  EXPECT_DOUBLE_EQ(model.beta(), 4.0);
  EXPECT_DOUBLE_EQ(model.mean(), 0.5);
  EXPECT_DOUBLE_EQ(model.evidence(), 3.0);
  EXPECT_DOUBLE_EQ(model.variance(), 16.0 / (64.0 * 9.0));
}

TEST(BetaBernoulli, PosteriorConvergesToTheTrueRate) {
  std::mt19937_64 rng(7);
  for (const double rate : {0.05, 0.3, 0.8}) {
    std::bernoulli_distribution coin(rate);
    beta_bernoulli model;
    for (int i = 0; i < 20'000; ++i) model.observe(coin(rng));
    // Standard error of a rate from 20,000 draws is at most 0.0036; 5 of them bound a failure to 1e-6.
    EXPECT_NEAR(model.mean(), rate, 5.0 * std::sqrt(rate * (1.0 - rate) / 20'000.0)) << rate;
    EXPECT_LT(model.quantile(0.05), rate + 0.01);
    EXPECT_GT(model.quantile(0.95), rate - 0.01);
  }
}

TEST(BetaBernoulli, QuantilesMatchKnownValues) {
  // Beta(1, 1) is uniform: quantile q is q. Beta(2, 1) has CDF x^2: quantile sqrt(q).
  // Beta(1, 3) has CDF 1 - (1 - x)^3: quantile 1 - (1 - q)^(1/3).
  EXPECT_NEAR(beta_bernoulli{}.quantile(0.3), 0.3, 1e-12);
  beta_bernoulli two_one{beta_bernoulli_params{beta_prior{2.0, 1.0}, 1.0}};
  EXPECT_NEAR(two_one.quantile(0.25), 0.5, 1e-12);
  beta_bernoulli one_three{beta_bernoulli_params{beta_prior{1.0, 3.0}, 1.0}};
  EXPECT_NEAR(one_three.quantile(0.5), 1.0 - std::cbrt(0.5), 1e-12);
  // Beta(5, 5) is symmetric: the median is 0.5 and the quantiles mirror.
  beta_bernoulli five{beta_bernoulli_params{beta_prior{5.0, 5.0}, 1.0}};
  EXPECT_NEAR(five.quantile(0.5), 0.5, 1e-12);
  EXPECT_NEAR(five.quantile(0.1) + five.quantile(0.9), 1.0, 1e-12);
}

TEST(BetaBernoulli, ForgettingFollowsARateChangeWithinTheHalfLife) {
  constexpr double gamma = 1.0 - 1.0 / 256.0;
  const double half_life = std::log(2.0) / -std::log(gamma);  // about 177 observations
  beta_bernoulli model{beta_bernoulli_params{beta_prior{}, gamma}};
  for (int i = 0; i < 5'000; ++i) model.observe(true);
  EXPECT_GT(model.mean(), 0.99);
  int steps = 0;
  while (model.mean() > 0.5) {
    model.observe(false);
    ++steps;
  }
  // Deterministic: the evidence decays geometrically, so the mean crosses 1/2 within a half-life (+1).
  EXPECT_LE(steps, static_cast<int>(std::ceil(half_life)) + 1);
  EXPECT_GE(steps, static_cast<int>(std::floor(half_life)) - 1);
  // Without forgetting the same change takes as many observations as there were before it.
  beta_bernoulli stubborn;
  for (int i = 0; i < 5'000; ++i) stubborn.observe(true);
  for (int i = 0; i < 4'000; ++i) stubborn.observe(false);
  EXPECT_GT(stubborn.mean(), 0.5);
}

TEST(BetaBernoulli, ForgettingKeepsThePrior) {
  beta_bernoulli model{beta_bernoulli_params{beta_prior{3.0, 7.0}, 0.5}};
  for (int i = 0; i < 200; ++i) model.observe(true);
  EXPECT_NEAR(model.alpha(), 3.0 + 2.0, 1e-9);  // evidence saturates at 1 / (1 - γ) = 2
  EXPECT_NEAR(model.beta(), 7.0, 1e-9);
}

}  // namespace
