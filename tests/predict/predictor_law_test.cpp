// Laws of reuse_predictor (predict/concepts.hpp), numbered as there, for every model.
#include <kvtier/predict/beta_bernoulli_predictor.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace {

template <class P>
class PredictorLaws : public ::testing::Test {};
using models = ::testing::Types<kvtier::beta_bernoulli_predictor<>, kvtier::beta_bernoulli_predictor<1>,
                                kvtier::beta_bernoulli_predictor<3>>;
TYPED_TEST_SUITE(PredictorLaws, models);

TYPED_TEST(PredictorLaws, Law1PredictionsAreProbabilities) {
  TypeParam predictor{kvtier::beta_bernoulli_params{kvtier::beta_prior{0.5, 2.0}, 0.9}};
  for (int i = 0; i < 100; ++i) {
    for (kvtier::context_id c = 0; c < TypeParam::context_count; ++c) {
      const double p = predictor.predict(c);
      EXPECT_GE(p, 0.0);
      EXPECT_LE(p, 1.0);
      predictor.observe(c, (i + c) % 3 == 0);
    }
  }
}

TYPED_TEST(PredictorLaws, Law2OutcomesMoveThePredictionTheirWay) {
  TypeParam predictor{kvtier::beta_bernoulli_params{kvtier::beta_prior{}, 0.95}};
  for (int i = 0; i < 50; ++i) {
    const double before = predictor.predict(0);
    const bool outcome = i % 4 != 0;
    predictor.observe(0, outcome);
    if (outcome) {
      EXPECT_GE(predictor.predict(0), before);
    } else {
      EXPECT_LE(predictor.predict(0), before);
    }
  }
}

TYPED_TEST(PredictorLaws, Law3ContextsAreIndependent) {
  TypeParam predictor;
  if constexpr (TypeParam::context_count > 1) {
    const double other = predictor.predict(1);
    for (int i = 0; i < 20; ++i) predictor.observe(0, true);
    EXPECT_EQ(predictor.predict(1), other);
  }
  SUCCEED();
}

TYPED_TEST(PredictorLaws, Law4RepeatedOutcomesConverge) {
  for (const bool outcome : {true, false}) {
    TypeParam predictor;
    double distance = 1.0;
    for (int i = 0; i < 100; ++i) {
      predictor.observe(0, outcome);
      const double now = std::abs(predictor.predict(0) - (outcome ? 1.0 : 0.0));
      EXPECT_LE(now, distance);
      distance = now;
    }
    EXPECT_LT(distance, 0.02);
  }
}

TYPED_TEST(PredictorLaws, Law5HasContexts) { static_assert(TypeParam::context_count >= 1); }

}  // namespace
