// Parse + convert throughput of chat transcripts (MB/s of JSON), beside its baselines in the same
// binary: simdjson's own on-demand walk over every string of the same bytes (the parse floor), and
// block hashing alone (the hashing floor). The synthetic generator reports requests/s.
#include <kvtier/trace/block_hasher.hpp>
#include <kvtier/trace/chat_reader.hpp>
#include <kvtier/trace/synthetic_workload.hpp>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

const std::string agent_messages = std::string(KVTIER_SHARED_DIR) + "/traces/agent_swebench_train_messages.jsonl.gz";

/// The agent transcripts, gunzipped once (nullptr when the shared traces are absent).
const std::string* agent_jsonl() {
  static const std::string text = [] {
    std::string out;
    if (!std::filesystem::exists(agent_messages)) return out;
    std::size_t size = 0;
    out = kvtier::detail::read_padded_file(agent_messages, size);
    out.resize(size);
    return out;
  }();
  return text.empty() ? nullptr : &text;
}

void BM_trace_convert_agent_jsonl(benchmark::State& state) {
  const std::string* text = agent_jsonl();
  if (text == nullptr) {
    state.SkipWithError("shared traces absent");
    return;
  }
  for (auto _ : state) {
    auto converted = kvtier::parse_chat_trace(*text, "agent.jsonl");
    benchmark::DoNotOptimize(converted.trace.block_ids.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text->size()));
}
BENCHMARK(BM_trace_convert_agent_jsonl)->Unit(benchmark::kMillisecond);

// Baseline: simdjson on-demand visiting every message string of the same JSON Lines, no conversion.
void BM_trace_simdjson_walk_agent_jsonl(benchmark::State& state) {
  const std::string* text = agent_jsonl();
  if (text == nullptr) {
    state.SkipWithError("shared traces absent");
    return;
  }
  const simdjson::padded_string padded(*text);
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    std::size_t bytes = 0;
    std::size_t start = 0;
    while (start < text->size()) {
      const std::size_t end = std::min(text->find('\n', start), text->size());
      if (end > start) {
        auto doc =
            parser.iterate(padded.data() + start, end - start, padded.size() + simdjson::SIMDJSON_PADDING - start);
        for (auto message : doc["messages"].get_array())
          bytes += std::string_view(message["content"].get_string()).size();
      }
      start = end + 1;
    }
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text->size()));
}
BENCHMARK(BM_trace_simdjson_walk_agent_jsonl)->Unit(benchmark::kMillisecond);

// Baseline: chained XXH3-128 over 2 KiB blocks of in-memory bytes.
void BM_trace_hash_block_chain(benchmark::State& state) {
  const std::string stream(std::size_t{1} << 24, 'x');
  std::vector<kvtier::block_key> chain;
  for (auto _ : state) {
    chain.clear();
    benchmark::DoNotOptimize(kvtier::hash_block_chain(stream, {}, chain));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_trace_hash_block_chain)->Unit(benchmark::kMillisecond);

void BM_trace_generate_synthetic_workload(benchmark::State& state) {
  std::size_t requests = 0;
  for (auto _ : state) {
    const auto workload = kvtier::generate_synthetic_workload();
    requests += workload.trace.requests.size();
    benchmark::DoNotOptimize(workload.trace.block_ids.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(requests));
}
BENCHMARK(BM_trace_generate_synthetic_workload)->Unit(benchmark::kMillisecond);

}  // namespace
