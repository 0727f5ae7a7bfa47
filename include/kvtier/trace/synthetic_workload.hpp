#pragma once
// A seeded synthetic workload: the embedded default of `kvtier replay`.
//
// Three kinds of session arrive uniformly at random over `duration_s` and interleave in time:
//   chat       a shared system prompt (Zipf-popular among `system_prompts`), then turns of a user
//              message and an assistant answer; every turn re-sends the whole history;
//   document   a system prompt, a shared document (Zipf-popular among `documents`), then questions
//              about it, each re-sending the history (RAG and long-document QA);
//   agent      a shared agent system prompt, a task, then a tool loop: each step the model emits an
//              action, a tool returns an observation a few seconds later, and the model re-reads the
//              whole growing history (the cyclic pattern on which LRU thrashes).
// Every LLM call is one request; its prompt is every message before the answer it produces.
// Message lengths are log-normal with the stated means; counts of turns and steps are geometric
// with the stated means. Default values and their sources are in docs/traces.md ("Synthetic
// workload"); none is fitted to a trace that kvtier tests against.
//
// Block identity: each message is a segment (a unique content id and a length in tokens); a block
// hashes the (segment, first token, last token) ranges it covers, chained like real blocks
// (block_hasher.hpp), so equal prefixes share blocks exactly as they would with text. A block's
// type is that of the segment covering most of its tokens (the earliest on a tie), as in
// chat_reader.hpp.
//
// Randomness: std::mt19937_64 (its output sequence is fixed by the C++ standard) with the
// distributions written out here rather than std::*_distribution (whose algorithms differ between
// standard libraries), so a seed gives the same trace with every compiler; only a libm that rounds
// log/exp differently could move a rare value by one token.
#include <kvtier/detail/assert.hpp>
#include <kvtier/trace/block_hasher.hpp>
#include <kvtier/trace/block_trace.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace kvtier {

struct synthetic_workload_params {
  std::uint64_t seed = 1;
  std::uint32_t block_tokens = 512;
  std::uint32_t sessions = 800;
  double duration_s = 1'800;  ///< session arrivals are uniform over this window

  double chat_share = 0.70;      ///< of sessions; the rest split between documents and agents
  double document_share = 0.25;  ///< agent share = 1 - chat_share - document_share

  std::uint32_t system_prompts = 16;
  double system_prompt_zipf = 1.0;  ///< popularity exponent over system prompts
  double system_prompt_mean_tokens = 1'500;

  double chat_mean_turns = 2.0;            ///< LMSYS-Chat-1M: 2.0 turns per conversation
  double chat_prompt_mean_tokens = 69.5;   ///< LMSYS-Chat-1M: 69.5 tokens per prompt
  double chat_answer_mean_tokens = 214.5;  ///< LMSYS-Chat-1M: 214.5 tokens per response
  double chat_turn_gap_mean_s = 60;        ///< human think time between turns (assumption)

  std::uint32_t documents = 64;
  double document_zipf = 0.8;
  double document_mean_tokens = 8'000;
  double document_mean_questions = 3.0;

  double agent_task_mean_tokens = 1'500;       ///< SWE-bench task statement with instructions
  double agent_mean_steps = 80;                ///< mini-swe-agent on SWE-bench: 80.8 calls per run
  std::uint32_t agent_max_steps = 250;         ///< step limit of the agent framework
  double agent_action_mean_tokens = 60;        ///< model output per step (61 measured)
  double agent_observation_mean_tokens = 200;  ///< tool output per step (204 measured)
  double agent_step_gap_median_s = 4.6;        ///< time from one call to the next (median 4.6 s)
  double agent_step_gap_sigma = 1.2;           ///< log-normal shape (mean 9.3 s with median 4.6 s)

  double length_sigma = 1.0;  ///< log-normal shape of every message length

  friend constexpr bool operator==(const synthetic_workload_params&, const synthetic_workload_params&) = default;
};

/// Which kind of session produced a request (index by trace_request::session).
enum class synthetic_session_kind : std::uint8_t { chat, document, agent };

struct synthetic_workload {
  block_trace trace;
  std::vector<synthetic_session_kind> session_kinds;  ///< one per session id
};

namespace detail {

/// The random draws of the generator, each written out so that it is the same everywhere.
class workload_random {
 public:
  explicit workload_random(std::uint64_t seed) : engine_(seed) {}

  /// Uniform in [0, 1) from the top 53 bits.
  [[nodiscard]] double uniform() noexcept { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  [[nodiscard]] double standard_normal() noexcept {  // Box-Muller, one of the pair
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  /// Log-normal with the given mean and shape, rounded to a whole count of at least 1.
  [[nodiscard]] std::uint32_t lognormal_tokens(double mean, double sigma) noexcept {
    const double mu = std::log(mean) - 0.5 * sigma * sigma;
    const double value = std::exp(mu + sigma * standard_normal());
    return static_cast<std::uint32_t>(std::clamp(std::llround(value), 1LL, 4'000'000LL));
  }

  [[nodiscard]] double lognormal_median(double median, double sigma) noexcept {
    return median * std::exp(sigma * standard_normal());
  }

  [[nodiscard]] double exponential(double mean) noexcept { return -mean * std::log(1.0 - uniform()); }

  /// Geometric on {1, 2, ...} with the given mean (>= 1).
  [[nodiscard]] std::uint32_t geometric(double mean, std::uint32_t cap) noexcept {
    if (mean <= 1.0) return 1;
    const double p = 1.0 / mean;
    const double draw = std::floor(std::log(1.0 - uniform()) / std::log(1.0 - p));
    return static_cast<std::uint32_t>(std::min<double>(draw + 1.0, cap));
  }

 private:
  std::mt19937_64 engine_;
};

/// Draws an index in [0, n) with probability proportional to 1 / (i + 1)^s.
class zipf_table {
 public:
  zipf_table(std::uint32_t n, double s) : cdf_(std::max<std::uint32_t>(n, 1)) {
    double total = 0;
    for (std::size_t i = 0; i < cdf_.size(); ++i) cdf_[i] = total += 1.0 / std::pow(static_cast<double>(i + 1), s);
    for (auto& c : cdf_) c /= total;
  }
  [[nodiscard]] std::uint32_t draw(workload_random& random) const noexcept {
    const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), random.uniform());
    return static_cast<std::uint32_t>(std::min<std::size_t>(it - cdf_.begin(), cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
};

struct workload_segment {
  std::uint64_t content = 0;  ///< unique id of the message's content
  std::uint32_t tokens = 0;
  block_type type = block_type::unknown;
};

struct workload_call {
  double time_s = 0;
  std::uint32_t session = 0;
  std::uint32_t turn = 0;
  std::uint32_t output_tokens = 0;
  std::size_t first_segment = 0;  ///< the prompt is history[first_segment .. first_segment + segments)
  std::size_t segments = 0;
};

/// Appends the chain of a prompt made of `segments` (see the header comment).
inline void hash_segment_prompt(std::span<const workload_segment> segments, std::uint32_t block_tokens,
                                std::vector<block_key>& hashes, std::vector<block_type>& types) {
  block_key previous{};
  std::array<std::uint64_t, 3> record{};
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  std::size_t segment = 0;
  std::uint32_t offset = 0;  // tokens of `segment` already in earlier blocks
  while (segment < segments.size()) {
    XXH3_128bits_reset(&state);
    const auto prefix = block_hash_bytes(previous);
    XXH3_128bits_update(&state, prefix.data(), prefix.size());
    std::uint32_t room = block_tokens;
    block_type best = block_type::unknown;
    std::uint32_t best_tokens = 0;
    while (room > 0 && segment < segments.size()) {
      const std::uint32_t take = std::min(room, segments[segment].tokens - offset);
      record = {segments[segment].content, offset, take};
      std::array<unsigned char, 24> bytes{};
      for (std::size_t i = 0; i < record.size(); ++i) store_le64(record[i], bytes.data() + 8 * i);
      XXH3_128bits_update(&state, bytes.data(), bytes.size());
      if (take > best_tokens) {
        best_tokens = take;
        best = segments[segment].type;
      }
      room -= take;
      offset += take;
      if (offset == segments[segment].tokens) {
        ++segment;
        offset = 0;
      }
    }
    const XXH128_hash_t digest = XXH3_128bits_digest(&state);
    previous = {digest.high64, digest.low64};
    hashes.push_back(previous);
    types.push_back(best);
  }
}

}  // namespace detail

/// Generates the workload described by `params` (the same params give the same trace).
[[nodiscard]] inline synthetic_workload generate_synthetic_workload(const synthetic_workload_params& params = {}) {
  KVTIER_ASSERT(params.block_tokens > 0, "block_tokens must be positive");
  KVTIER_ASSERT(params.chat_share >= 0 && params.document_share >= 0 && params.chat_share + params.document_share <= 1,
                "session shares must be fractions summing to at most 1");
  using detail::workload_segment;
  detail::workload_random random(params.seed);
  const detail::zipf_table system_popularity(params.system_prompts, params.system_prompt_zipf);
  const detail::zipf_table document_popularity(params.documents, params.document_zipf);
  const double sigma = params.length_sigma;

  // Content ids: shared contents first (their lengths fixed per id), then one fresh id per message.
  std::vector<std::uint32_t> system_tokens(std::max<std::uint32_t>(params.system_prompts, 1) + 1);
  for (auto& tokens : system_tokens) tokens = random.lognormal_tokens(params.system_prompt_mean_tokens, sigma);
  std::vector<std::uint32_t> document_tokens(std::max<std::uint32_t>(params.documents, 1));
  for (auto& tokens : document_tokens) tokens = random.lognormal_tokens(params.document_mean_tokens, sigma);
  const std::uint64_t agent_system_id = system_tokens.size() - 1;  // one agent framework prompt
  const std::uint64_t document_base = system_tokens.size();
  std::uint64_t next_content = document_base + document_tokens.size();

  std::vector<workload_segment> history;  // all sessions' messages, each session contiguous
  std::vector<detail::workload_call> calls;
  synthetic_workload result;
  result.session_kinds.reserve(params.sessions);

  for (std::uint32_t session = 0; session < params.sessions; ++session) {
    const double kind_draw = random.uniform();
    const auto kind = kind_draw < params.chat_share                           ? synthetic_session_kind::chat
                      : kind_draw < params.chat_share + params.document_share ? synthetic_session_kind::document
                                                                              : synthetic_session_kind::agent;
    result.session_kinds.push_back(kind);
    double time_s = random.uniform() * params.duration_s;
    const std::size_t first = history.size();
    std::uint32_t turn = 0;
    const auto add_call = [&](std::uint32_t output_tokens) {
      calls.push_back({time_s, session, turn++, output_tokens, first, history.size() - first});
    };

    if (kind == synthetic_session_kind::agent) {
      history.push_back({agent_system_id, system_tokens[agent_system_id], block_type::system});
      history.push_back(
          {next_content++, random.lognormal_tokens(params.agent_task_mean_tokens, sigma), block_type::user});
      const std::uint32_t steps = random.geometric(params.agent_mean_steps, params.agent_max_steps);
      for (std::uint32_t step = 0; step < steps; ++step) {
        const std::uint32_t action = random.lognormal_tokens(params.agent_action_mean_tokens, sigma);
        add_call(action);
        history.push_back({next_content++, action, block_type::assistant});
        history.push_back(
            {next_content++, random.lognormal_tokens(params.agent_observation_mean_tokens, sigma), block_type::tool});
        time_s += random.lognormal_median(params.agent_step_gap_median_s, params.agent_step_gap_sigma);
      }
    } else {
      const std::uint32_t prompt = system_popularity.draw(random);
      history.push_back({prompt, system_tokens[prompt], block_type::system});
      double mean_turns = params.chat_mean_turns;
      if (kind == synthetic_session_kind::document) {
        const std::uint32_t document = document_popularity.draw(random);
        history.push_back({document_base + document, document_tokens[document], block_type::user});
        mean_turns = params.document_mean_questions;
      }
      const std::uint32_t turns = random.geometric(mean_turns, 1'000);
      for (std::uint32_t k = 0; k < turns; ++k) {
        history.push_back(
            {next_content++, random.lognormal_tokens(params.chat_prompt_mean_tokens, sigma), block_type::user});
        const std::uint32_t answer = random.lognormal_tokens(params.chat_answer_mean_tokens, sigma);
        add_call(answer);
        history.push_back({next_content++, answer, block_type::assistant});
        time_s += random.exponential(params.chat_turn_gap_mean_s);
      }
    }
  }

  std::vector<std::size_t> order(calls.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return calls[a].time_s < calls[b].time_s; });

  block_trace_builder builder("synthetic workload (seed " + std::to_string(params.seed) + ")", params.block_tokens);
  block_hash_numbering numbering;
  std::vector<block_key> hashes;
  std::vector<block_type> types;
  for (const std::size_t index : order) {
    const auto& call = calls[index];
    const std::span<const workload_segment> prompt(history.data() + call.first_segment, call.segments);
    std::uint64_t input_tokens = 0;
    for (const auto& segment : prompt) input_tokens += segment.tokens;
    hashes.clear();
    types.clear();
    detail::hash_segment_prompt(prompt, params.block_tokens, hashes, types);
    builder.begin_request(static_cast<std::uint64_t>(std::llround(call.time_s * 1000.0)),
                          static_cast<std::uint32_t>(std::min<std::uint64_t>(input_tokens, UINT32_MAX)),
                          call.output_tokens, call.session, call.turn);
    for (std::size_t b = 0; b < hashes.size(); ++b) builder.add_block(numbering(hashes[b]), types[b]);
  }
  result.trace = std::move(builder).finish();
  return result;
}

}  // namespace kvtier
