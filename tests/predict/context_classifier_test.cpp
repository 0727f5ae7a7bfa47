#include <kvtier/predict/context_classifier.hpp>

#include <gtest/gtest.h>

namespace {

using kvtier::block_type;
using kvtier::make_context;
using kvtier::touch_facts;
using kvtier::transition_type;

TEST(ContextTaxonomy, IndexRoundTrips) {
  for (const auto type : {block_type::system, block_type::user, block_type::assistant, block_type::tool}) {
    for (const auto transition : {transition_type::next_turn, transition_type::tool_return,
                                  transition_type::cross_session, transition_type::end}) {
      const auto c = make_context(type, transition);
      EXPECT_LT(c, kvtier::taxonomy_context_count);
      EXPECT_EQ(kvtier::context_block_type(c), type);
      EXPECT_EQ(kvtier::context_transition(c), transition);
    }
  }
}

touch_facts facts(bool first, bool shared, bool end, std::uint64_t gap_ms, block_type type = block_type::unknown,
                  std::uint8_t earlier_touches = 1) {
  touch_facts f;
  f.type = type;
  f.first_touch = first;
  f.earlier_touches = first ? 0 : earlier_touches;
  f.shared = shared;
  f.chain_end = end;
  f.gap_ms = gap_ms;
  return f;
}

TEST(TaxonomyClassifier, InfersFromHashOnlyFacts) {
  const kvtier::taxonomy_classifier c;  // tool gap 10 s
  EXPECT_EQ(c.classify(facts(true, false, false, touch_facts::no_gap)),
            make_context(block_type::user, transition_type::next_turn));
  EXPECT_EQ(c.classify(facts(true, false, true, touch_facts::no_gap)),
            make_context(block_type::user, transition_type::end));
  EXPECT_EQ(c.classify(facts(true, false, false, 3'000)), make_context(block_type::user, transition_type::tool_return));
  EXPECT_EQ(c.classify(facts(false, false, false, 60'000)),
            make_context(block_type::assistant, transition_type::next_turn));
  EXPECT_EQ(c.classify(facts(false, false, false, 2'000)),
            make_context(block_type::assistant, transition_type::tool_return));
  // Read twice or more before: the third row (hash-only traces name rows by read count, not role).
  EXPECT_EQ(c.classify(facts(false, false, false, 60'000, block_type::unknown, 2)),
            make_context(block_type::tool, transition_type::next_turn));
  EXPECT_EQ(c.classify(facts(false, false, true, 2'000, block_type::unknown, 3)),
            make_context(block_type::tool, transition_type::end));
  EXPECT_EQ(c.classify(facts(false, true, false, 500)),
            make_context(block_type::system, transition_type::cross_session));
  touch_facts other_session = facts(false, false, false, 500);
  other_session.same_session = false;
  EXPECT_EQ(c.classify(other_session), make_context(block_type::system, transition_type::cross_session));
}

TEST(TaxonomyClassifier, TypedTracesKeepTheirRoles) {
  const kvtier::taxonomy_classifier c;
  EXPECT_EQ(c.classify(facts(true, false, false, 2'000, block_type::assistant)),
            make_context(block_type::assistant, transition_type::tool_return));
  EXPECT_EQ(c.classify(facts(false, true, false, 2'000, block_type::user)),
            make_context(block_type::user, transition_type::cross_session));
}

TEST(TaxonomyClassifier, ToolGapIsAParameter) {
  const kvtier::taxonomy_classifier c{kvtier::taxonomy_classifier_params{60'000}};
  EXPECT_EQ(c.classify(facts(false, false, false, 30'000)),
            make_context(block_type::assistant, transition_type::tool_return));
}

TEST(TaxonomyClassifier, NothingInferableDegradesToTwoContexts) {
  // No parents, sessions or times: every touch is a first touch with no gap.
  const kvtier::taxonomy_classifier c;
  EXPECT_EQ(c.classify(facts(true, false, false, touch_facts::no_gap)),
            make_context(block_type::user, transition_type::next_turn));
  EXPECT_EQ(c.classify(facts(true, false, true, touch_facts::no_gap)),
            make_context(block_type::user, transition_type::end));
}

// Laws of context_classifier: 1 (range) and 2 (purity), for every model.
template <class C>
class ClassifierLaws : public ::testing::Test {};
using classifiers = ::testing::Types<kvtier::taxonomy_classifier, kvtier::single_context_classifier>;
TYPED_TEST_SUITE(ClassifierLaws, classifiers);

TYPED_TEST(ClassifierLaws, Law1And2InRangeAndPure) {
  const TypeParam c{};
  for (int type = 0; type < 5; ++type) {
    for (int bits = 0; bits < 16; ++bits) {
      for (const std::uint64_t gap :
           {std::uint64_t{0}, std::uint64_t{9'999}, std::uint64_t{10'000}, touch_facts::no_gap}) {
        touch_facts f = facts(bits & 1, bits & 2, bits & 4, gap, static_cast<block_type>(type));
        f.same_session = (bits & 8) != 0;
        EXPECT_LT(c.classify(f), TypeParam::context_count);
        EXPECT_EQ(c.classify(f), c.classify(f));
      }
    }
  }
}

}  // namespace
