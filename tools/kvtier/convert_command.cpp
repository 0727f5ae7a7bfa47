// `kvtier convert`: chat transcripts -> Mooncake-format block trace (JSON Lines).
// `kvtier synth`: the synthetic default workload in the same format.
#include "command.hpp"

#include <kvtier/error.hpp>
#include <kvtier/trace/chat_reader.hpp>
#include <kvtier/trace/mooncake_writer.hpp>
#include <kvtier/trace/synthetic_workload.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace kvtier::cli {
namespace {

void report(const block_trace& trace, std::size_t sessions, const std::string& output, bool json) {
  const double ceiling = trace.block_refs() == 0
                             ? 0.0
                             : 1.0 - static_cast<double>(trace.unique_blocks) / static_cast<double>(trace.block_refs());
  if (json) {
    const nlohmann::json summary = {{"output", output},
                                    {"source", trace.source},
                                    {"requests", trace.requests.size()},
                                    {"sessions", sessions},
                                    {"block_tokens", trace.block_tokens},
                                    {"block_refs", trace.block_refs()},
                                    {"unique_blocks", trace.unique_blocks},
                                    {"infinite_cache_hit_rate", ceiling}};
    fmt::print("{}\n", summary.dump());
    return;
  }
  fmt::print("{:<24}{}\n", "wrote", output);
  fmt::print("{:<24}{}\n", "source", trace.source);
  fmt::print("{:<24}{}\n", "requests", trace.requests.size());
  fmt::print("{:<24}{}\n", "sessions", sessions);
  fmt::print("{:<24}{}\n", "block tokens", trace.block_tokens);
  fmt::print("{:<24}{}\n", "block references", trace.block_refs());
  fmt::print("{:<24}{}\n", "unique blocks", trace.unique_blocks);
  fmt::print("{:<24}{:.1f}%\n", "infinite-cache hits", 100.0 * ceiling);
}

struct convert_options {
  std::string input;
  std::string output;
  std::string format = "detect";
  std::uint32_t block_tokens = 512;
  std::string salt;
  bool json = false;
};

void add_convert_command(CLI::App& app) {
  auto options = std::make_shared<convert_options>();
  auto* command = app.add_subcommand(
      "convert",
      "Convert chat transcripts (ShareGPT, OpenAI/LMSYS-Chat-1M, agent runs; JSON array or JSON Lines, plain or "
      "gzip) into a Mooncake-format block trace: one line per LLM call with timestamp, input_length, "
      "output_length, prefix-chained hash_ids, session_id and turn. Every assistant message is a call whose prompt "
      "is every message before it, rendered '<|role|>\\n' + content + '<|end|>\\n' at 4 bytes per token "
      "(docs/traces.md).");
  command->add_option("--input", options->input, "Transcript file")->required();
  command->add_option("--output", options->output, "Block trace to write (JSON Lines, written atomically)")->required();
  command->add_option("--format", options->format, "sharegpt, openai, lmsys, agent, or detect (any of them)")
      ->capture_default_str();
  command->add_option("--block-tokens", options->block_tokens, "Tokens per KV block")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--salt", options->salt,
                      "Name hashed into every block identity (model, adapter or tenant); default none");
  command->add_flag("--json", options->json, "Print one JSON summary object instead of a table");
  command->callback([options] {
    const auto format = parse_chat_format(options->format);
    if (!format) {
      report_input_error({"--format", 0, ""},
                         "'" + options->format + "' is not one of sharegpt, openai, lmsys, agent, detect");
    }
    chat_reader_options reader;
    reader.format = *format;
    reader.block_tokens = options->block_tokens;
    if (!options->salt.empty()) reader.salt = block_hash_of(options->salt);
    const chat_trace converted = read_chat_trace(options->input, reader);
    write_file_atomically(options->output, to_mooncake_jsonl(converted.trace, converted.session_names));
    report(converted.trace, converted.session_names.size(), options->output, options->json);
  });
}

struct synth_options {
  std::string output;
  synthetic_workload_params params;
  bool json = false;
};

void add_synth_command(CLI::App& app) {
  auto options = std::make_shared<synth_options>();
  auto& p = options->params;
  auto* command = app.add_subcommand(
      "synth",
      "Write the synthetic workload (the default of 'kvtier replay') as a Mooncake-format block trace: chat sessions "
      "with shared system prompts, questions over shared documents and agent tool loops, calibrated to published "
      "workload statistics (docs/traces.md). The same options and seed always give the same file.");
  command->add_option("--out", options->output, "Block trace to write (JSON Lines, written atomically)")->required();
  command->add_option("--seed", p.seed, "Random seed")->capture_default_str();
  command->add_option("--sessions", p.sessions, "Number of sessions")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--duration", p.duration_s, "Seconds over which sessions arrive")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--block-tokens", p.block_tokens, "Tokens per KV block")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--chat-share", p.chat_share, "Fraction of chat sessions")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  command->add_option("--document-share", p.document_share, "Fraction of document sessions (rest: agents)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  command->add_option("--agent-steps", p.agent_mean_steps, "Mean LLM calls per agent run")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e6));
  command->add_flag("--json", options->json, "Print one JSON summary object instead of a table");
  command->callback([options] {
    if (options->params.chat_share + options->params.document_share > 1.0) {
      report_input_error({"--chat-share", 0, ""}, "chat and document shares add up to more than 1");
    }
    const synthetic_workload workload = generate_synthetic_workload(options->params);
    write_file_atomically(options->output, to_mooncake_jsonl(workload.trace));
    report(workload.trace, workload.session_kinds.size(), options->output, options->json);
  });
}

}  // namespace

static const register_command convert_registration{&add_convert_command};
static const register_command synth_registration{&add_synth_command};

}  // namespace kvtier::cli
