#include <kvtier/detail/ghost_ways.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace {

using kvtier::detail::ghost_expired;
using kvtier::detail::ghost_expired_scalar;
using kvtier::detail::ghost_matches;
using kvtier::detail::ghost_matches_scalar;
using kvtier::detail::ghost_pending_bit;
using kvtier::detail::ghost_states;
using kvtier::detail::ghost_tags;
using kvtier::detail::ghost_victim;
using kvtier::detail::ghost_victim_scalar;

constexpr std::uint32_t time_mask = (1U << 20) - 1;

/// A state in use, last touched at `tick`, waiting for its outcome when `pending`.
constexpr std::uint32_t state(std::uint32_t tick, bool pending, std::uint32_t context = 3) {
  return (tick & time_mask) | context << 20 | 1U << 28 | (pending ? ghost_pending_bit : 0U);
}

TEST(GhostWays, MatchesFindUsedWaysWithTheTagOnly) {
  ghost_tags tags{7, 9, 7, 7, 1, 2, 3, 7};
  ghost_states states{state(1, false), state(1, false), 0, state(2, true), state(3, false), 0, 0, state(4, true)};
  EXPECT_EQ(ghost_matches(tags, states, 7), 0b1000'1001U);  // way 2 holds tag 7 but is free
  EXPECT_EQ(ghost_matches(tags, states, 5), 0U);
  EXPECT_EQ(ghost_matches_scalar(tags, states, 7), 0b1000'1001U);
}

TEST(GhostWays, VictimIsTheFirstFreeWayElseTheLastOfTheOldest) {
  ghost_states states{state(10, false), state(3, true), 0, state(3, false), 0, 0, 0, 0};
  EXPECT_EQ(ghost_victim(states, 20, time_mask), 2U);
  states = {state(10, false), state(3, true),  state(12, false), state(3, false),
            state(19, false), state(4, false), state(20, false), state(5, false)};
  EXPECT_EQ(ghost_victim(states, 20, time_mask), 3U);  // ways 1 and 3 are the oldest: the later one
  // Ages wrap: at tick 2, a ghost touched at tick time_mask (three ticks ago) is older than one at tick 1.
  states = {state(1, false), state(time_mask, false), state(2, false), state(2, false),
            state(2, false), state(2, false),         state(2, false), state(2, false)};
  EXPECT_EQ(ghost_victim(states, 2, time_mask), 1U);
}

TEST(GhostWays, ExpiredAreThePendingGhostsPastTheHorizon) {
  const ghost_states states{state(90, true),  state(89, true), state(80, false),          state(0, true), 0,
                            state(100, true), state(50, true), state(time_mask - 5, true)};
  // At tick 100 with a horizon of 10 ticks, the ages are 10 (not past it), 11, 20 (resolved already),
  // 100, a free way, 0, 50 and 106 (wrapped).
  EXPECT_EQ(ghost_expired(states, 100, time_mask, 10), 0b1100'1010U);
  EXPECT_EQ(ghost_expired(states, 100, time_mask, time_mask), 0U);
  EXPECT_EQ(ghost_expired(states, 100, time_mask, 0xFFFF'FFFFU), 0U);  // a horizon past every age
  EXPECT_EQ(ghost_expired(ghost_states{}, 100, time_mask, 0), 0U);
}

/// The vector paths give the scalar definitions' ways on random sets: free ways, ties, wrapped ages,
/// horizons at and around the ages present.
TEST(GhostWays, VectorPathsAgreeWithTheDefinitions) {
  std::mt19937 random(20261202);
  for (int round = 0; round < 200'000; ++round) {
    ghost_tags tags{};
    ghost_states states{};
    const std::uint32_t tick = random() & time_mask;
    const std::uint32_t spread = 1U << (random() % 21);  // ages from all equal to the whole range
    for (std::size_t w = 0; w < tags.size(); ++w) {
      tags[w] = static_cast<std::uint16_t>(random() % 4);
      if (random() % 4 == 0) continue;  // a free way
      states[w] = state(tick - static_cast<std::uint32_t>(random() % spread), random() % 2 == 0,
                        static_cast<std::uint32_t>(random() % 16));
    }
    const auto tag = static_cast<std::uint16_t>(random() % 4);
    const std::uint32_t horizon =
        random() % 8 == 0 ? 0xFFFF'FFFFU : static_cast<std::uint32_t>(random() % (spread + 1));
    ASSERT_EQ(ghost_matches(tags, states, tag), ghost_matches_scalar(tags, states, tag)) << "round " << round;
    ASSERT_EQ(ghost_victim(states, tick, time_mask), ghost_victim_scalar(states, tick, time_mask)) << "round " << round;
    ASSERT_EQ(ghost_expired(states, tick, time_mask, horizon), ghost_expired_scalar(states, tick, time_mask, horizon))
        << "round " << round;
  }
}

}  // namespace
