// decision_instructions: the eviction decisions of bench_predict's decision benchmarks
// (decision_stream.hpp), counted in instructions instead of timed. The count does not drift with the
// machine's load as times do. Under callgrind, which counts only between the start and stop requests
// around the steady state (after the fill):
//
//   valgrind --tool=callgrind --instr-atstart=no build/release/bench/predict/decision_instructions --pipelined
//
// then divide the "I refs" callgrind prints by the accesses this program reports.
#include "decision_stream.hpp"

#include <kvtier/policy/predictive_policy.hpp>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define KVTIER_BENCH_CALLGRIND 1
#else
#define KVTIER_BENCH_CALLGRIND 0
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdint>
#include <string>

namespace {

using kvtier::bench::decisions;

struct run_options {
  std::string policy = "predictive";
  bool pipelined = false;
  std::size_t capacity = 1'000'000;
  std::uint64_t requests = 10'000;
};

template <decisions Mode, class Policy>
void run(Policy& policy, const run_options& options, const char* policy_name) {
  kvtier::bench::decision_stream stream;
  stream.fill<Mode>(policy);
  const std::uint64_t before = stream.accesses();
  const std::uint64_t hits_before = stream.hits();
  CALLGRIND_START_INSTRUMENTATION;
  for (std::uint64_t r = 0; r < options.requests; ++r) stream.issue<Mode>(policy);
  CALLGRIND_STOP_INSTRUMENTATION;
  fmt::print("{} {}, {} resident blocks: {} accesses counted ({} hits, the other {} misses each evicting one block)\n",
             policy_name, Mode == decisions::pipelined ? "pipelined" : "isolated", policy.size(),
             stream.accesses() - before, stream.hits() - hits_before,
             stream.accesses() - before - (stream.hits() - hits_before));
  if (!KVTIER_BENCH_CALLGRIND) {
    fmt::print("built without valgrind/callgrind.h: callgrind counts the whole process, fill included\n");
  }
}

template <decisions Mode>
void run(const run_options& options) {
  if (options.policy == "lru") {
    kvtier::bench::flat_lru policy{options.capacity};
    run<Mode>(policy, options, "lru");
  } else {
    kvtier::predictive_policy<> policy{kvtier::bench::decision_params(options.capacity)};
    run<Mode>(policy, options, "predictive");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "The eviction decisions of bench_predict's decision benchmarks, for counting their instructions "
      "under valgrind --tool=callgrind --instr-atstart=no (only the steady state after the fill is counted)."};
  run_options options;
  app.add_option("--policy", options.policy, "predictive (the default) or lru (the flat LRU baseline)")
      ->check(CLI::IsMember({"predictive", "lru"}));
  app.add_flag("--pipelined", options.pipelined,
               "tell the policy of each reference kvtier::prefetch_distance references ahead (default: isolated)");
  app.add_option("--capacity", options.capacity, "resident blocks (default 1,000,000)")
      ->check(CLI::Range(std::size_t{16}, std::size_t{1} << 30));
  app.add_option("--requests", options.requests, "requests of 16 accesses counted after the fill (default 10,000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32));
  CLI11_PARSE(app, argc, argv);
  if (options.pipelined) {
    run<decisions::pipelined>(options);
  } else {
    run<decisions::isolated>(options);
  }
  return 0;
}
