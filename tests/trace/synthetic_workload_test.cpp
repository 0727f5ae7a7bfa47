// The synthetic workload: determinism, its statistics against its parameters, and its structure.
#include <kvtier/trace/synthetic_workload.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <vector>

namespace kvtier {
namespace {

TEST(SyntheticWorkload, SameSeedSameTraceOtherSeedOtherTrace) {
  synthetic_workload_params params;
  params.sessions = 200;
  const auto a = generate_synthetic_workload(params);
  const auto b = generate_synthetic_workload(params);
  EXPECT_EQ(a.trace.requests, b.trace.requests);
  EXPECT_EQ(a.trace.block_ids, b.trace.block_ids);
  EXPECT_EQ(a.trace.block_types, b.trace.block_types);
  params.seed = 2;
  const auto c = generate_synthetic_workload(params);
  EXPECT_NE(a.trace.requests, c.trace.requests);
}

TEST(SyntheticWorkload, StableAcrossStandardLibraries) {
  // Pinned summary of the default workload: a change of generator, distributions or hashing shows here.
  const auto workload = generate_synthetic_workload();
  const auto& trace = workload.trace;
  EXPECT_EQ(trace.requests.size(), 4'713u);
  EXPECT_EQ(trace.block_refs(), 128'640u);
  EXPECT_EQ(trace.unique_blocks, 9'117u);
}

TEST(SyntheticWorkload, TraceIsWellFormed) {
  const auto workload = generate_synthetic_workload();
  const auto& trace = workload.trace;
  ASSERT_FALSE(trace.requests.empty());
  EXPECT_EQ(trace.block_ids.size(), trace.block_types.size());
  std::uint64_t next_block = 0;
  for (std::size_t i = 0; i < trace.requests.size(); ++i) {
    const auto& request = trace.requests[i];
    if (i > 0) {
      ASSERT_LE(trace.requests[i - 1].timestamp_ms, request.timestamp_ms);
    }
    EXPECT_EQ(request.block_count, (request.input_tokens + trace.block_tokens - 1) / trace.block_tokens);
    EXPECT_EQ(request.first_block, next_block);
    next_block += request.block_count;
    EXPECT_LT(request.session, workload.session_kinds.size());
  }
  const auto max_id = *std::max_element(trace.block_ids.begin(), trace.block_ids.end());
  EXPECT_EQ(max_id + 1, trace.unique_blocks) << "ids are dense";
  std::set<block_type> seen(trace.block_types.begin(), trace.block_types.end());
  EXPECT_EQ(seen,
            (std::set<block_type>{block_type::system, block_type::user, block_type::assistant, block_type::tool}));
}

TEST(SyntheticWorkload, StatisticsFollowTheParameters) {
  synthetic_workload_params params;
  params.sessions = 3'000;
  const auto workload = generate_synthetic_workload(params);
  const auto& trace = workload.trace;
  std::map<session_id, std::uint32_t> calls_per_session;
  double chat_output = 0;
  std::uint64_t chat_calls = 0;
  for (const auto& request : trace.requests) {
    ++calls_per_session[request.session];
    if (workload.session_kinds[request.session] == synthetic_session_kind::chat) {
      chat_output += request.output_tokens;
      ++chat_calls;
    }
  }
  std::map<synthetic_session_kind, std::pair<double, double>> turns;  // kind -> (sessions, calls)
  for (const auto& [session, calls] : calls_per_session) {
    auto& [sessions, total] = turns[workload.session_kinds[session]];
    sessions += 1;
    total += calls;
  }
  const auto mean_calls = [&](synthetic_session_kind kind) { return turns[kind].second / turns[kind].first; };
  EXPECT_NEAR(mean_calls(synthetic_session_kind::chat), params.chat_mean_turns, 0.15);
  EXPECT_NEAR(mean_calls(synthetic_session_kind::document), params.document_mean_questions, 0.25);
  EXPECT_NEAR(mean_calls(synthetic_session_kind::agent), params.agent_mean_steps, 10.0);
  EXPECT_NEAR(chat_output / static_cast<double>(chat_calls), params.chat_answer_mean_tokens,
              0.1 * params.chat_answer_mean_tokens);
  const double chat_fraction = turns[synthetic_session_kind::chat].first / params.sessions;
  EXPECT_NEAR(chat_fraction, params.chat_share, 0.03);
}

TEST(SyntheticWorkload, AgentLoopsReReadTheirHistoryAndPromptsAreShared) {
  const auto workload = generate_synthetic_workload();
  const auto& trace = workload.trace;
  std::map<session_id, const trace_request*> previous;
  std::uint64_t agent_steps = 0;
  for (const auto& request : trace.requests) {
    if (workload.session_kinds[request.session] != synthetic_session_kind::agent) continue;
    if (const auto it = previous.find(request.session); it != previous.end()) {
      const auto before = trace.blocks(*it->second);
      const auto now = trace.blocks(request);
      ASSERT_GE(now.size(), before.size());
      const std::size_t full = it->second->input_tokens / trace.block_tokens;
      EXPECT_TRUE(std::equal(before.begin(), before.begin() + static_cast<std::ptrdiff_t>(full), now.begin()))
          << "an agent step must re-read every full block of the previous step";
      EXPECT_GT(request.timestamp_ms, it->second->timestamp_ms);
      ++agent_steps;
    }
    previous[request.session] = &request;
  }
  EXPECT_GT(agent_steps, 1'000u);
  // Shared system prompts: some first block is used by many sessions.
  std::map<block_id, std::set<session_id>> first_block_sessions;
  for (const auto& request : trace.requests) first_block_sessions[trace.blocks(request)[0]].insert(request.session);
  std::size_t widest = 0;
  for (const auto& [block, sessions] : first_block_sessions) widest = std::max(widest, sessions.size());
  EXPECT_GT(widest, 50u);
}

TEST(SyntheticWorkload, BlockSizeChangesBlocksNotTokens) {
  synthetic_workload_params params;
  params.sessions = 50;
  const auto big = generate_synthetic_workload(params);
  params.block_tokens = 16;
  const auto small = generate_synthetic_workload(params);
  ASSERT_EQ(big.trace.requests.size(), small.trace.requests.size());
  for (std::size_t i = 0; i < big.trace.requests.size(); ++i) {
    EXPECT_EQ(big.trace.requests[i].input_tokens, small.trace.requests[i].input_tokens);
  }
  EXPECT_GT(small.trace.block_refs(), big.trace.block_refs());
}

}  // namespace
}  // namespace kvtier
