// kvtier size: exact KV-cache bytes of a model (a config.json or a preset), per token, per block,
// per sequence and per batch, the naive sizing beside it, and an HBM capacity plan.
#include "command.hpp"

#include <kvtier/error.hpp>
#include <kvtier/sizing/capacity_plan.hpp>
#include <kvtier/sizing/hf_config.hpp>
#include <kvtier/sizing/kv_footprint.hpp>
#include <kvtier/sizing/presets.hpp>
#include <kvtier/units.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kvtier::cli {
namespace {

struct size_options {
  std::string config;
  std::string model;
  std::string dtype = "auto";
  std::string seq;
  std::string block_tokens = "16";
  std::string tp = "1";
  std::string hbm;
  std::string weights_bytes;
  std::string reserve;
  std::string batch;
  bool json = false;
  bool list_models = false;
  bool all_models = false;
  bool markdown = false;
};

/// A positive integer option, or input_error naming the option.
std::uint64_t parse_count(const std::string& text, const std::string& option) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (!text.empty() && text.front() == '-') report_input_error({"", 0, option}, "must be positive, got " + text);
  if (ec != std::errc{} || ptr != end) report_input_error({"", 0, option}, "'" + text + "' is not a whole number");
  if (value == 0) report_input_error({"", 0, option}, "must be positive, got 0");
  return value;
}

std::uint64_t parse_size(const std::string& text, const std::string& option) {
  if (!text.empty() && text.front() == '-') report_input_error({"", 0, option}, "must not be negative, got " + text);
  return parse_bytes(text, {"", 0, option});
}

struct sized_model {
  std::string name;
  std::string source;
  std::string model_type;
  model_shape model;
  kv_format native_format = kv_format::bf16;
  std::vector<std::string> warnings;
};

sized_model load_model(const size_options& options) {
  if (!options.config.empty()) {
    auto loaded = load_hf_config(options.config);
    return {loaded.name,          options.config,
            loaded.model_type,    std::move(loaded.model),
            loaded.native_format, std::move(loaded.warnings)};
  }
  const model_preset* preset = find_preset(options.model);
  if (preset == nullptr) {
    report_input_error({"", 0, "--model"},
                       "unknown model '" + options.model + "' (kvtier size --list-models lists them)");
  }
  return {std::string(preset->name), std::string(preset->source), "preset", preset->shape(), kv_format::bf16, {}};
}

kv_format parse_format(const std::string& text, const sized_model& model) {
  if (text == "auto") return model.native_format;
  const auto format = parse_kv_format(text);
  if (!format) {
    std::string names;
    for (const auto& entry : kv_format_names) names += (names.empty() ? "" : ", ") + std::string(entry.name);
    report_input_error({"", 0, "--dtype"}, "unknown KV dtype '" + text + "' (one of: auto, " + names + ")");
  }
  if (*format == kv_format::fp8_ds_mla) {
    for (const auto& layer : model.model.layers) {
      const auto kind = kind_of(layer);
      if (kind == layer_kind::full_attention || kind == layer_kind::sliding_attention) {
        report_input_error({"", 0, "--dtype"}, "fp8_ds_mla is a layout for MLA latents and " + model.name +
                                                   " has non-MLA attention layers");
      }
    }
  }
  return *format;
}

struct size_request {
  kv_format format{};
  std::uint64_t seq_tokens{};
  std::uint64_t block_tokens{};
  std::uint32_t tp{};
  std::optional<std::uint64_t> batch;
  std::optional<capacity_request> capacity;
  bool weights_estimated = false;
};

std::uint64_t reserve_bytes(const std::string& text, std::uint64_t hbm_bytes) {
  if (text.empty()) return hbm_bytes / 10;
  if (text.back() == '%') {
    const auto percent = parse_count(text.substr(0, text.size() - 1), "--reserve");
    if (percent >= 100) report_input_error({"", 0, "--reserve"}, "a percentage must be below 100");
    return hbm_bytes / 100 * percent;
  }
  return parse_size(text, "--reserve");
}

nlohmann::json layer_json(std::size_t index, const layer_spec& layer, kv_format format) {
  nlohmann::json out;
  out["index"] = index;
  out["kind"] = std::string(to_string(kind_of(layer)));
  out["description"] = describe(layer);
  std::visit(
      [&](const auto& l) {
        out["kv_bytes_per_token"] = l.kv_bytes_per_token(format);
        out["state_bytes_per_sequence"] = state_bytes_per_sequence(l, format);
        const auto window = window_tokens(l);
        out["window_tokens"] = window == unbounded_tokens ? nlohmann::json() : nlohmann::json(window);
      },
      layer);
  return out;
}

nlohmann::json capacity_json(const capacity_plan& plan) {
  const auto side = [](const capacity_side& s) {
    return nlohmann::json{{"bytes_per_sequence", s.bytes_per_sequence},
                          {"max_sequences", s.max_sequences},
                          {"max_resident_tokens", s.max_resident_tokens},
                          {"longest_sequence_tokens", s.longest_sequence_tokens}};
  };
  return {{"kv_budget_bytes", plan.kv_budget_bytes}, {"exact", side(plan.exact)}, {"naive", side(plan.naive)}};
}

nlohmann::json report_json(const sized_model& m, const size_request& r) {
  const auto& model = m.model;
  nlohmann::json out;
  out["model"] = m.name;
  out["source"] = m.source;
  out["model_type"] = m.model_type;
  out["dtype"] = std::string(to_string(r.format));
  out["seq_tokens"] = r.seq_tokens;
  out["context_tokens"] = model.context_tokens;
  out["num_layers"] = model.layers.size();
  out["tp"] = r.tp;
  out["block_tokens"] = r.block_tokens;
  out["kv_bytes_per_token"] = kv_bytes_per_token(model, r.format);
  out["state_bytes_per_sequence"] = state_bytes_per_sequence(model, r.format);
  out["bytes_per_sequence"] = bytes_per_sequence(model, r.format, r.seq_tokens);
  out["naive_bytes_per_token"] = naive_kv_bytes_per_token(model, r.format);
  out["naive_bytes_per_sequence"] = naive_bytes_per_sequence(model, r.format, r.seq_tokens);
  out["kv_bytes_per_token_per_rank"] = kv_bytes_per_token(model, r.format, r.tp);
  out["bytes_per_sequence_per_rank"] = bytes_per_sequence(model, r.format, r.seq_tokens, r.tp);
  out["paged_bytes_per_sequence_per_rank"] =
      paged_bytes_per_sequence(model, r.format, r.seq_tokens, r.block_tokens, r.tp);
  const auto ratio = mha128_ratio(model);
  out["mha128_ratio"] = ratio ? nlohmann::json(*ratio) : nlohmann::json();
  out["weights_bytes"] = estimate_weights_bytes(model);
  if (r.batch) {
    out["batch"] = {{"sequences", *r.batch}, {"bytes", bytes_per_batch(model, r.format, r.seq_tokens, *r.batch)}};
  }
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& group : layer_groups(model)) {
    groups.push_back({{"description", describe(group.layer)},
                      {"kind", std::string(to_string(kind_of(group.layer)))},
                      {"layers", group.layers},
                      {"first_layer", group.first_layer},
                      {"bytes_per_block_per_rank", bytes_per_block(group, r.format, r.block_tokens, r.tp)}});
  }
  out["layer_groups"] = std::move(groups);
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t i = 0; i < model.layers.size(); ++i) layers.push_back(layer_json(i, model.layers[i], r.format));
  out["layers"] = std::move(layers);
  if (r.capacity) {
    out["capacity"] = capacity_json(plan_capacity(model, *r.capacity));
    out["capacity"]["hbm_bytes"] = r.capacity->hbm_bytes;
    out["capacity"]["weights_bytes"] = r.capacity->weights_bytes;
    out["capacity"]["weights_estimated"] = r.weights_estimated;
    out["capacity"]["reserve_bytes"] = r.capacity->reserve_bytes;
  }
  out["warnings"] = m.warnings;
  return out;
}

std::string ratio_text(std::uint64_t naive, std::uint64_t exact) {
  return exact == 0 ? "-" : fmt::format("{:.1f}x", static_cast<double>(naive) / static_cast<double>(exact));
}

void print_table(const sized_model& m, const size_request& r) {
  const auto& model = m.model;
  fmt::print("model        {} ({}), {} layers, context {} tokens\n", m.name, m.source, model.layers.size(),
             model.context_tokens);
  fmt::print("kv dtype     {}   sequence {} tokens   block {} tokens   tp {}\n\n", to_string(r.format), r.seq_tokens,
             r.block_tokens, r.tp);
  fmt::print("{:<44} {:>7} {:>14} {:>16}\n", "layer group", "layers", "B/token/layer", "B/block (rank)");
  for (const auto& group : layer_groups(model)) {
    const auto per_layer = std::visit([&](const auto& l) { return l.kv_bytes_per_token(r.format); }, group.layer);
    fmt::print("{:<44} {:>7} {:>14} {:>16}\n", describe(group.layer), group.layers, per_layer,
               bytes_per_block(group, r.format, r.block_tokens, r.tp));
  }
  const auto exact_token = kv_bytes_per_token(model, r.format);
  const auto naive_token = naive_kv_bytes_per_token(model, r.format);
  const auto exact_seq = bytes_per_sequence(model, r.format, r.seq_tokens);
  const auto naive_seq = naive_bytes_per_sequence(model, r.format, r.seq_tokens);
  fmt::print("\n{:<34} {:>18} {:>18} {:>8}\n", "", "exact", "naive", "naive/exact");
  fmt::print("{:<34} {:>18} {:>18} {:>8}\n", "KV bytes per token", exact_token, naive_token,
             ratio_text(naive_token, exact_token));
  fmt::print("{:<34} {:>18} {:>18}\n", "state bytes per sequence", state_bytes_per_sequence(model, r.format),
             state_bytes_per_sequence(model, r.format));
  fmt::print("{:<34} {:>18} {:>18} {:>8}\n", fmt::format("bytes per sequence of {}", r.seq_tokens),
             format_bytes(exact_seq), format_bytes(naive_seq), ratio_text(naive_seq, exact_seq));
  if (r.batch) {
    fmt::print("{:<34} {:>18}\n", fmt::format("bytes for a batch of {}", *r.batch),
               format_bytes(bytes_per_batch(model, r.format, r.seq_tokens, *r.batch)));
  }
  if (r.tp > 1) {
    fmt::print("{:<34} {:>18}\n", fmt::format("KV bytes per token per rank (tp {})", r.tp),
               kv_bytes_per_token(model, r.format, r.tp));
  }
  if (const auto ratio = mha128_ratio(model)) fmt::print("MHA-128 baseline / MLA latent: {:.1f}x\n", *ratio);
  if (r.capacity) {
    const auto plan = plan_capacity(model, *r.capacity);
    fmt::print("\ncapacity per GPU: HBM {}, weights {}{} / tp {}, reserve {}: KV budget {}\n",
               format_bytes(r.capacity->hbm_bytes), format_bytes(r.capacity->weights_bytes),
               r.weights_estimated ? " (estimated: 2 B per parameter)" : "", r.tp,
               format_bytes(r.capacity->reserve_bytes), format_bytes(plan.kv_budget_bytes));
    fmt::print("{:<34} {:>18} {:>18} {:>8}\n", "", "exact", "naive", "gain");
    fmt::print("{:<34} {:>18} {:>18} {:>8}\n", "max concurrent sequences", plan.exact.max_sequences,
               plan.naive.max_sequences, ratio_text(plan.exact.max_sequences, plan.naive.max_sequences));
    fmt::print("{:<34} {:>18} {:>18}\n", "max resident tokens", plan.exact.max_resident_tokens,
               plan.naive.max_resident_tokens);
    fmt::print("{:<34} {:>18} {:>18}\n", "longest single sequence (tokens)", plan.exact.longest_sequence_tokens,
               plan.naive.longest_sequence_tokens);
  }
}

void list_models(bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& preset : model_presets) {
      const auto model = preset.shape();
      out.push_back({{"name", preset.name},
                     {"source", preset.source},
                     {"num_layers", model.layers.size()},
                     {"context_tokens", model.context_tokens},
                     {"kv_bytes_per_token_bf16", kv_bytes_per_token(model, kv_format::bf16)}});
    }
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("{:<20} {:<32} {:>7} {:>9} {:>14}\n", "name", "source (config.json)", "layers", "context", "B/token bf16");
  for (const auto& preset : model_presets) {
    const auto model = preset.shape();
    fmt::print("{:<20} {:<32} {:>7} {:>9} {:>14}\n", preset.name, preset.source, model.layers.size(),
               model.context_tokens, kv_bytes_per_token(model, kv_format::bf16));
  }
}

/// Smallest power-of-two tensor-parallel degree (up to 64) that splits the model's KV heads evenly
/// and leaves room for at least one sequence of `tokens` tokens beside the weights and the reserve.
std::uint32_t smallest_tp(const model_shape& model, capacity_request request) {
  for (request.tp = 1; request.tp < 64; request.tp *= 2) {
    bool even = true;
    for (const auto& layer : model.layers) even = even && tensor_parallel_issue(layer, request.tp).empty();
    if (even && plan_capacity(model, request).exact.max_sequences > 0) return request.tp;
  }
  return request.tp;
}

void all_models(const size_options& options) {
  const std::uint64_t hbm = options.hbm.empty() ? 80'000'000'000 : parse_size(options.hbm, "--hbm");
  const std::uint64_t reserve = reserve_bytes(options.reserve, hbm);
  const std::uint64_t block = parse_count(options.block_tokens, "--block-tokens");
  const std::string row = options.markdown ? "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n"
                                           : "{:<18} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7} {:>3} {:>7} {:>7}\n";
  const auto print_row = [&](const auto&... cells) { fmt::print(fmt::runtime(row), cells...); };
  print_row("model", "B/token", "seq 32K", "seq 128K", "naive B/token", "naive/exact", "MHA-128", "TP", "seqs 32K",
            "naive seqs 32K");
  if (options.markdown) fmt::print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
  for (const auto& preset : model_presets) {
    const auto model = preset.shape();
    const sized_model named{std::string(preset.name), "", "", model, kv_format::bf16, {}};
    const auto format = parse_format(options.dtype, named);
    const auto weights = estimate_weights_bytes(model);
    capacity_request request{hbm, weights, reserve, 32768, block, 1, format};
    request.tp = smallest_tp(model, request);
    const auto plan = plan_capacity(model, request);
    const auto exact = kv_bytes_per_token(model, format);
    const auto naive = naive_kv_bytes_per_token(model, format);
    const auto ratio = mha128_ratio(model);
    print_row(preset.name, exact, format_bytes(bytes_per_sequence(model, format, 32768)),
              format_bytes(bytes_per_sequence(model, format, 131072)), naive, ratio_text(naive, exact),
              ratio ? fmt::format("{:.1f}x", *ratio) : std::string("-"), request.tp, plan.exact.max_sequences,
              plan.naive.max_sequences);
  }
}

void run_size(const size_options& options) {
  if (options.list_models) return list_models(options.json);
  if (options.all_models) return all_models(options);
  if (options.config.empty() == options.model.empty()) {
    report_input_error({"", 0, "--config"}, "give exactly one of --config <config.json> or --model <preset>");
  }
  sized_model model = load_model(options);
  size_request request;
  request.format = parse_format(options.dtype, model);
  request.seq_tokens = options.seq.empty() ? model.model.context_tokens : parse_count(options.seq, "--seq");
  if (request.seq_tokens == 0) report_input_error({"", 0, "--seq"}, "the model names no context length: give --seq");
  if (model.model.context_tokens != 0 && request.seq_tokens > model.model.context_tokens) {
    model.warnings.push_back(fmt::format("--seq {} exceeds the context length of {} ({} tokens)", request.seq_tokens,
                                         model.name, model.model.context_tokens));
  }
  request.block_tokens = parse_count(options.block_tokens, "--block-tokens");
  const auto tp = parse_count(options.tp, "--tp");
  if (tp > 1024) report_input_error({"", 0, "--tp"}, "must be at most 1024");
  request.tp = static_cast<std::uint32_t>(tp);
  for (const auto& layer : model.model.layers) {
    if (const auto issue = tensor_parallel_issue(layer, request.tp); !issue.empty()) {
      report_input_error({"", 0, "--tp"}, std::string(issue) + " (" + describe(layer) + ")");
    }
  }
  if (!options.batch.empty()) request.batch = parse_count(options.batch, "--batch");
  if (!options.hbm.empty()) {
    capacity_request capacity;
    capacity.hbm_bytes = parse_size(options.hbm, "--hbm");
    if (capacity.hbm_bytes == 0) report_input_error({"", 0, "--hbm"}, "must be positive, got 0");
    // --weights-bytes wins; else the preset's known weight size; else 2 B per parameter.
    request.weights_estimated = options.weights_bytes.empty() && model.model.weights_bytes == 0;
    capacity.weights_bytes = options.weights_bytes.empty() ? estimate_weights_bytes(model.model)
                                                           : parse_size(options.weights_bytes, "--weights-bytes");
    capacity.reserve_bytes = reserve_bytes(options.reserve, capacity.hbm_bytes);
    capacity.sequence_tokens = request.seq_tokens;
    capacity.block_tokens = request.block_tokens;
    capacity.tp = request.tp;
    capacity.format = request.format;
    request.capacity = capacity;
    const std::uint64_t weights_per_gpu = capacity.weights_bytes / std::max<std::uint64_t>(capacity.tp, 1);
    if (weights_per_gpu + capacity.reserve_bytes >= capacity.hbm_bytes) {
      model.warnings.push_back(fmt::format(
          "weights ({} per GPU at --tp {}) and the reserve leave no room for KV in {} of HBM; raise --tp or --hbm",
          format_bytes(weights_per_gpu), capacity.tp, format_bytes(capacity.hbm_bytes)));
    }
  }
  for (const auto& warning : model.warnings) fmt::print(stderr, "kvtier: warning: {}\n", warning);
  if (options.json) {
    fmt::print("{}\n", report_json(model, request).dump(2));
  } else {
    print_table(model, request);
  }
}

void add_size_command(CLI::App& app) {
  auto options = std::make_shared<size_options>();
  auto* command = app.add_subcommand(
      "size",
      "Exact KV-cache bytes of a model: per token, per paged block of each layer group, per sequence and\n"
      "batch (sliding windows capped, SSM state counted), naive sizing (MLA counted as MHA) beside it,\n"
      "per tensor-parallel rank, and with --hbm how many sequences fit on one GPU.\n"
      "Examples:\n"
      "  kvtier size --model deepseek-v3 --seq 32768 --hbm 80GB --tp 16\n"
      "  kvtier size --config path/config.json --dtype fp8 --seq 131072 --json\n"
      "  kvtier size --all-models --markdown");
  auto* config = command->add_option("--config", options->config, "Hugging Face config.json of the model");
  auto* model = command->add_option("--model", options->model, "a preset (see --list-models)");
  config->excludes(model);
  command
      ->add_option("--dtype", options->dtype,
                   "KV dtype: auto (the checkpoint's 16-bit dtype; float32 checkpoints are served in bf16), fp32, "
                   "fp16, bf16, fp8 (= fp8_e4m3, per-tensor scale), fp8_e5m2, int8_per_token_head, "
                   "fp8_per_token_head, int4_group, nvfp4, fp8_ds_mla (MLA only)")
      ->capture_default_str();
  command->add_option("--seq", options->seq, "sequence length L in tokens (default: the model's context length)");
  command->add_option("--block-tokens", options->block_tokens, "tokens per paged KV block")->capture_default_str();
  command->add_option("--tp", options->tp, "tensor-parallel degree (bytes are given per rank too)")
      ->capture_default_str();
  command->add_option("--hbm", options->hbm, "HBM of one GPU (80GB, 141GB, 96GiB): adds a capacity plan");
  command->add_option("--weights-bytes", options->weights_bytes,
                      "bytes of all weights (default: estimated from the parameter count, 16-bit unless known)");
  command->add_option("--reserve", options->reserve,
                      "bytes kept free per GPU for activations (a size or a percentage; default 10%)");
  command->add_option("--batch", options->batch, "also size a batch of this many sequences of --seq tokens");
  command->add_flag("--json", options->json, "print one JSON object on stdout");
  command->add_flag("--list-models", options->list_models, "list the presets");
  command->add_flag("--all-models", options->all_models,
                    "one row per preset: bytes per token, per sequence at 32K and 128K, naive ratio, and sequences "
                    "of 32K tokens on a GPU of --hbm (default 80GB) at the smallest TP that holds the weights");
  command->add_flag("--markdown", options->markdown, "with --all-models: a Markdown table");
  command->callback([options] { run_size(*options); });
}

const register_command registration{&add_size_command};

}  // namespace
}  // namespace kvtier::cli
