// kvtier replay: run a block trace (or the embedded synthetic workload) through eviction policies
// at one or more cache capacities and report block, prefix and token hit rates (docs/policies.md), as
// a table, as JSON, and for a sweep as CSV and an SVG plot of hit rate against capacity; with
// --tiers, through the cache manager over a simulated tier hierarchy, with hits and bytes moved per
// tier and the TTFT, throughput and cost projections against the baselines (projection.hpp).
#include "command.hpp"
#include "policy_table.hpp"

#include <kvtier/error.hpp>
#include <kvtier/manager/projection.hpp>
#include <kvtier/sizing/hf_config.hpp>
#include <kvtier/sizing/presets.hpp>
#include <kvtier/tier/presets.hpp>
#include <kvtier/tier/stack_spec.hpp>
#include <kvtier/trace.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace kvtier::cli {
namespace {

struct replay_options {
  std::string trace;
  std::string format = "auto";
  std::uint32_t block_tokens = 512;
  std::vector<std::string> capacities;
  std::string policies;  ///< empty: predictive, or the comparison set when nothing else is asked
  bool json = false;
  bool sweep = false;
  std::string out;
  std::string plot;
  std::string tiers;
  std::string model = "llama-3.1-8b";
  std::string config;
  std::string dtype = "auto";
};

/// What the bare command compares: kvtier's policy beside the baselines and the optimum.
constexpr const char* comparison_policies = "predictive,lru,arc,s3fifo,belady";
/// Capacities of the bare command, as fractions of the unique blocks.
constexpr double comparison_fractions[] = {0.005, 0.02, 0.10};
/// The hierarchy of the bare command's projection.
constexpr const char* default_tiers = "six-tier-node";

struct replay_result {
  std::string policy;
  std::size_t capacity_blocks = 0;
  hit_stats stats;
  double seconds = 0;
};

/// The fractions of the trace's unique blocks a sweep uses when no capacity is given (those of
/// the reference tables in the shared traces' README).
constexpr double default_sweep_fractions[] = {0.0025, 0.005, 0.01, 0.02, 0.05, 0.10, 0.25};

std::size_t parse_capacity(const std::string& text, std::uint32_t unique_blocks) {
  const input_location where{"--capacity-blocks", 0, ""};
  if (text.empty()) report_input_error(where, "empty capacity");
  try {
    std::size_t used = 0;
    if (text.back() == '%') {
      const double percent = std::stod(text.substr(0, text.size() - 1), &used);
      if (used != text.size() - 1 || !(percent > 0))
        report_input_error(where, "'" + text + "' is not a positive percentage");
      return std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(percent / 100.0 * unique_blocks)));
    }
    const unsigned long long blocks = std::stoull(text, &used);
    if (used != text.size() || blocks == 0 || text.front() == '-') {
      report_input_error(where, "'" + text + "' is not a positive number of blocks");
    }
    return static_cast<std::size_t>(blocks);
  } catch (const std::logic_error&) {
    report_input_error(where, "'" + text + "' is not a number of blocks or a percentage");
  }
}

std::vector<const policy_entry*> chosen_policies(const std::string& names) {
  std::vector<const policy_entry*> chosen;
  std::size_t start = 0;
  while (start <= names.size()) {
    const std::size_t comma = std::min(names.find(',', start), names.size());
    const std::string name = names.substr(start, comma - start);
    start = comma + 1;
    if (name == "all") {
      for (const policy_entry& entry : policy_table()) {
        if (entry.in_all) chosen.push_back(&entry);
      }
      continue;
    }
    const auto table = policy_table();
    const auto it = std::find_if(table.begin(), table.end(), [&](const policy_entry& e) { return e.name == name; });
    if (it == table.end()) {
      std::string known;
      for (const policy_entry& entry : table) known += (known.empty() ? "" : ", ") + std::string(entry.name);
      report_input_error({"--policy", 0, ""}, fmt::format("unknown policy '{}' (known: {}, all)", name, known));
    }
    chosen.push_back(&*it);
  }
  return chosen;
}

nlohmann::json to_json(const replay_result& r) {
  return {{"policy", r.policy},
          {"capacity_blocks", r.capacity_blocks},
          {"block_hit_rate", r.stats.block_hit_rate()},
          {"prefix_hit_rate", r.stats.prefix_hit_rate()},
          {"token_hit_rate", r.stats.token_hit_rate()},
          {"block_hits", r.stats.block_hits},
          {"prefix_hits", r.stats.prefix_hits},
          {"tokens", r.stats.tokens},
          {"token_hits", r.stats.token_hits},
          {"evictions", r.stats.evictions},
          {"seconds", r.seconds},
          {"block_refs_per_s", r.seconds > 0 ? static_cast<double>(r.stats.block_refs) / r.seconds : 0.0}};
}

/// RFC 4180 quoting for a field that may hold commas or quotes (a file name).
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string to_csv(const block_trace& trace, const std::vector<replay_result>& results) {
  std::string csv =
      "trace,policy,capacity_blocks,requests,block_refs,unique_blocks,block_hits,prefix_hits,tokens,token_hits,"
      "evictions,block_hit_rate,prefix_hit_rate,token_hit_rate\n";
  for (const replay_result& r : results) {
    const hit_stats& s = r.stats;
    csv +=
        fmt::format("{},{},{},{},{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f}\n", csv_field(trace.source), r.policy,
                    r.capacity_blocks, s.requests, s.block_refs, s.unique_blocks, s.block_hits, s.prefix_hits, s.tokens,
                    s.token_hits, s.evictions, s.block_hit_rate(), s.prefix_hit_rate(), s.token_hit_rate());
  }
  return csv;
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// Prefix hit rate (solid) and block hit rate (dashed) against capacity (log scale), one colour a
/// policy, with the infinite-cache ceiling dotted.
std::string to_svg(const block_trace& trace, const std::vector<replay_result>& results, double ceiling) {
  constexpr double width = 860, height = 520, left = 70, right = 220, top = 50, bottom = 60;
  constexpr const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::size_t low = SIZE_MAX, high = 0;
  for (const replay_result& r : results) {
    low = std::min(low, r.capacity_blocks);
    high = std::max(high, r.capacity_blocks);
  }
  const double log_low = std::log10(static_cast<double>(low));
  const double log_high = std::max(std::log10(static_cast<double>(high)), log_low + 1e-9);
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  const auto x_of = [&](std::size_t capacity) {
    return low == high ? left + plot_w / 2
                       : left + (std::log10(static_cast<double>(capacity)) - log_low) / (log_high - log_low) * plot_w;
  };
  const auto y_of = [&](double rate) { return top + (1.0 - rate) * plot_h; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"24\" font-size=\"15\">Hit rate against cache capacity: {}</text>\n",
      width, height, left, xml_escape(trace.source));
  for (int tick = 0; tick <= 10; ++tick) {
    const double y = y_of(tick / 10.0);
    svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#e0e0e0\"/>\n", left, y,
                       left + plot_w, y);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}%</text>\n", left - 6, y + 4, tick * 10);
  }
  std::vector<std::size_t> capacities;
  for (const replay_result& r : results) capacities.push_back(r.capacity_blocks);
  std::sort(capacities.begin(), capacities.end());
  capacities.erase(std::unique(capacities.begin(), capacities.end()), capacities.end());
  for (const std::size_t c : capacities) {
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x_of(c), top + plot_h + 18, c);
  }
  svg += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n"
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">capacity (blocks, log scale)</text>\n"
      "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"black\" stroke-dasharray=\"2,3\"/>\n",
      left, top, plot_w, plot_h, left + plot_w / 2, height - 20, left, y_of(ceiling), left + plot_w, y_of(ceiling));

  std::vector<std::string> order;
  for (const replay_result& r : results) {
    if (std::find(order.begin(), order.end(), r.policy) == order.end()) order.push_back(r.policy);
  }
  for (std::size_t p = 0; p < order.size(); ++p) {
    const char* colour = colours[p % std::size(colours)];
    std::vector<const replay_result*> points;
    for (const replay_result& r : results) {
      if (r.policy == order[p]) points.push_back(&r);
    }
    std::sort(points.begin(), points.end(),
              [](const replay_result* a, const replay_result* b) { return a->capacity_blocks < b->capacity_blocks; });
    std::string prefix_line, block_line;
    for (const replay_result* r : points) {
      prefix_line += fmt::format("{:.1f},{:.1f} ", x_of(r->capacity_blocks), y_of(r->stats.prefix_hit_rate()));
      block_line += fmt::format("{:.1f},{:.1f} ", x_of(r->capacity_blocks), y_of(r->stats.block_hit_rate()));
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", x_of(r->capacity_blocks),
                         y_of(r->stats.prefix_hit_rate()), colour);
    }
    svg +=
        fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", prefix_line, colour);
    svg += fmt::format(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1\" stroke-dasharray=\"5,4\"/>\n",
        block_line, colour);
    const double ly = top + 10 + 20.0 * static_cast<double>(p);
    svg += fmt::format(
        "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"2\"/>\n"
        "<text x=\"{}\" y=\"{:.1f}\">{}</text>\n",
        left + plot_w + 12, ly, left + plot_w + 36, ly, colour, left + plot_w + 42, ly + 4, xml_escape(order[p]));
  }
  const double ly = top + 10 + 20.0 * static_cast<double>(order.size()) + 10;
  svg += fmt::format(
      "<text x=\"{0}\" y=\"{1:.1f}\">solid: prefix hit rate</text>\n"
      "<text x=\"{0}\" y=\"{2:.1f}\">dashed: block hit rate</text>\n"
      "<text x=\"{0}\" y=\"{3:.1f}\">dotted: infinite cache</text>\n</svg>\n",
      left + plot_w + 12, ly, ly + 18, ly + 36);
  return svg;
}

block_trace load_trace(const replay_options& o) {
  if (o.trace.empty()) {
    synthetic_workload_params params;
    params.block_tokens = o.block_tokens;
    return generate_synthetic_workload(params).trace;
  }
  const std::optional<trace_format> format = parse_trace_format(o.format);
  if (!format) {
    report_input_error({"--format", 0, ""}, "unknown trace format '" + o.format +
                                                "' (known: auto, mooncake, sharegpt, openai, lmsys, agent)");
  }
  return read_trace(o.trace, {*format, o.block_tokens});
}

/// The model being served, as the projection and the block size need it.
struct served_model {
  std::string name;
  kv_format format = kv_format::bf16;
  std::uint64_t kv_bytes_per_token = 0;
  model_spec spec;
};

/// Query heads × head dimension of the first attention layer (0 when the model has none: the
/// attention term of the prefill FLOPs is then left out).
double attention_dim(const model_shape& model) {
  for (const layer_spec& layer : model.layers) {
    const double dim = std::visit(
        [](const auto& l) -> double {
          if constexpr (requires { l.heads + l.head_dim; }) {
            return static_cast<double>(l.heads) * l.head_dim;
          } else if constexpr (requires { l.qk_nope_head_dim; }) {
            return static_cast<double>(l.heads) * (l.qk_nope_head_dim + l.qk_rope_head_dim);
          } else if constexpr (requires { l.inner.heads + l.inner.head_dim; }) {
            return static_cast<double>(l.inner.heads) * l.inner.head_dim;
          } else {
            return 0.0;
          }
        },
        layer);
    if (dim > 0) return dim;
  }
  return 0.0;
}

served_model load_served_model(const replay_options& o) {
  served_model served;
  model_shape shape;
  kv_format native = kv_format::bf16;
  if (!o.config.empty()) {
    hf_config loaded = load_hf_config(o.config);
    for (const std::string& warning : loaded.warnings) fmt::print(stderr, "kvtier: warning: {}\n", warning);
    served.name = loaded.name;
    shape = std::move(loaded.model);
    native = loaded.native_format;
  } else {
    const model_preset* preset = find_preset(o.model);
    if (preset == nullptr) {
      report_input_error({"--model", 0, ""}, "unknown model '" + o.model + "' (kvtier size --list-models lists them)");
    }
    served.name = std::string(preset->name);
    shape = preset->shape();
  }
  if (o.dtype == "auto") {
    served.format = native;
  } else if (const auto format = parse_kv_format(o.dtype)) {
    served.format = *format;
  } else {
    report_input_error({"--dtype", 0, ""}, "unknown KV dtype '" + o.dtype + "' (kvtier size --help lists them)");
  }
  served.kv_bytes_per_token = kv_bytes_per_token(shape, served.format);
  if (served.kv_bytes_per_token == 0) {
    report_input_error({"--model", 0, ""}, served.name + " keeps no KV per token: there is nothing to replay");
  }
  const double weights = static_cast<double>(estimate_weights_bytes(shape));
  served.spec.parameters = shape.parameters != 0 ? static_cast<double>(shape.parameters) : weights / 2.0;
  served.spec.weight_bytes = weights;
  served.spec.layers = static_cast<std::uint32_t>(shape.layers.size());
  served.spec.attention_dim = attention_dim(shape);
  served.spec.kv_bytes_per_token = static_cast<double>(served.kv_bytes_per_token);
  return served;
}

/// Share of the GPU's HBM an engine may use (vLLM's default gpu_memory_utilization); the KV budget
/// is that share less the weights.
constexpr double hbm_utilisation = 0.9;

/// The hierarchy one GPU's engine sees. A node preset is shared by its GPUs: each sees its own
/// HBM (KV budget = 90% of it less the weights) and 1/gpus of every other tier's capacity, at one
/// device's bandwidth. A stack written out is taken as one GPU's, its HBM capacity as the KV budget.
struct tier_plan {
  std::string description;
  std::vector<tier_spec> specs;
  gpu_spec gpu;
};

tier_plan resolve_tiers(const std::string& text, const served_model& model) {
  tier_plan plan;
  if (const auto node = presets::find_node(text)) {
    const double gpus = node->tiers[0].count;
    const tier_spec hbm = node->tiers[0].unit;
    const double budget = hbm_utilisation * static_cast<double>(hbm.capacity_bytes) - model.spec.weight_bytes;
    if (budget <= static_cast<double>(model.kv_bytes_per_token) * 512) {
      report_input_error({"--tiers", 0, ""},
                         fmt::format("{}'s weights leave no KV budget on one {} of {:.0f} GB", model.name, hbm.name,
                                     static_cast<double>(hbm.capacity_bytes) / 1e9));
    }
    for (const presets::node_tier& tier : node->tiers) {
      tier_spec spec = tier.unit;
      spec.capacity_bytes =
          tier.unit.kind == tier_kind::hbm
              ? static_cast<std::uint64_t>(budget)
              : static_cast<std::uint64_t>(static_cast<double>(tier.combined().capacity_bytes) / gpus);
      plan.specs.push_back(spec);
    }
    plan.description = fmt::format("{} per GPU (1/{:.0f} of each shared tier; HBM KV budget {:.1f} GB)", node->name,
                                   gpus, budget / 1e9);
    plan.gpu.kv_budget_bytes = budget;
  } else {
    plan.specs = parse_stack_spec(text, "--tiers");
    plan.description = text;
    if (plan.specs.front().kind == tier_kind::hbm) {
      plan.gpu.kv_budget_bytes = static_cast<double>(plan.specs.front().capacity_bytes);
    }
  }
  plan.gpu.hbm_bytes_per_s = plan.specs.front().read_bytes_per_s;
  return plan;
}

/// One row of the projection: a serving setup and what the model projects for it.
struct projection_row {
  std::string name;
  std::string policy;
  std::vector<tier_spec> specs;
  std::optional<tiered_replay_stats> replay;  ///< empty for recompute
  double mean_ttft_s = 0;
  throughput_projection throughput;
  double cost_per_million = 0;              ///< GPU plus each lower tier's peak occupancy
  double cost_per_million_provisioned = 0;  ///< GPU plus each lower tier's whole capacity
};

void project(projection_row& row, const block_trace& trace, const served_model& model, const gpu_spec& gpu,
             const tiered_function tiered, const simulate_options& options) {
  projection_params params;
  params.gpu = gpu;
  params.model = model.spec;
  double ttft_sum = 0, input_sum = 0, output_sum = 0;
  std::vector<tier_load> loads;
  const auto observe = [&](const trace_request& request, std::span<const std::uint64_t> hit_tokens) {
    loads.clear();
    for (std::size_t level = 0; level < hit_tokens.size(); ++level) {
      loads.push_back(
          {static_cast<double>(hit_tokens[level]), row.specs[level].read_bytes_per_s, row.specs[level].latency_s});
    }
    ttft_sum += project_ttft(params, request.input_tokens, loads).ttft_s;
    input_sum += request.input_tokens;
    output_sum += request.output_tokens;
  };
  if (tiered == nullptr) {
    for (const trace_request& request : trace.requests) observe(request, {});
  } else {
    row.replay = tiered(trace, {row.specs, model.kv_bytes_per_token, params}, options, observe);
  }
  const double n = std::max<double>(1.0, static_cast<double>(trace.requests.size()));
  row.mean_ttft_s = ttft_sum / n;
  row.throughput = project_throughput(params, input_sum / n, std::max(1.0, output_sum / n), row.mean_ttft_s);
  std::vector<tier_cost> held, provisioned;
  for (std::size_t level = 1; level < row.specs.size(); ++level) {
    const double peak = static_cast<double>(row.replay->manager.levels[level].peak_used_bytes);
    held.push_back({peak, row.specs[level].cost_per_gb_hour});
    provisioned.push_back({static_cast<double>(row.specs[level].capacity_bytes), row.specs[level].cost_per_gb_hour});
  }
  row.cost_per_million = cost_per_million_tokens(gpu, held, row.throughput.tokens_per_s);
  row.cost_per_million_provisioned = cost_per_million_tokens(gpu, provisioned, row.throughput.tokens_per_s);
}

/// The baselines and kvtier's stack, each replayed over its own hierarchy; kvtier's is last.
std::vector<projection_row> run_projection(const block_trace& trace, const served_model& model, const tier_plan& plan,
                                           const policy_entry& policy, bool progress) {
  const policy_entry& lru = *std::find_if(policy_table().begin(), policy_table().end(),
                                          [](const policy_entry& e) { return e.name == "lru"; });
  std::vector<projection_row> rows;
  const auto setup = [](std::string name, std::string policy_name, std::vector<tier_spec> specs) {
    projection_row row;
    row.name = std::move(name);
    row.policy = std::move(policy_name);
    row.specs = std::move(specs);
    return row;
  };
  rows.push_back(setup("recompute", "none", {plan.specs.front()}));
  rows.push_back(setup("hbm-lru", "lru", {plan.specs.front()}));
  const auto dram = std::find_if(plan.specs.begin() + 1, plan.specs.end(),
                                 [](const tier_spec& spec) { return spec.kind == tier_kind::dram; });
  if (dram != plan.specs.end()) rows.push_back(setup("hbm+dram-lru", "lru", {plan.specs.front(), *dram}));
  rows.push_back(setup("kvtier", std::string(policy.name), plan.specs));
  for (projection_row& row : rows) {
    simulate_options options;
    if (progress) {
      options.progress = [&row](std::uint64_t done, std::uint64_t total) {
        fmt::print(stderr, "\rtiered replay {} ({}): {:5.1f}%{}", row.name, row.policy,
                   100.0 * static_cast<double>(done) / static_cast<double>(std::max<std::uint64_t>(total, 1)),
                   done == total ? "\n" : "");
      };
    }
    const tiered_function tiered = row.policy == "none" ? nullptr : row.policy == "lru" ? lru.tiered : policy.tiered;
    project(row, trace, model, plan.gpu, tiered, options);
  }
  return rows;
}

nlohmann::json tiers_json(const projection_row& row) {
  nlohmann::json tiers = nlohmann::json::array();
  const manager_stats& m = row.replay->manager;
  for (std::size_t level = 0; level < row.specs.size(); ++level) {
    const level_stats& l = m.levels[level];
    tiers.push_back({{"level", level},
                     {"tier", std::string(row.specs[level].name)},
                     {"kind", std::string(to_string(row.specs[level].kind))},
                     {"capacity_bytes", row.specs[level].capacity_bytes},
                     {"hits", l.hits},
                     {"hit_tokens", l.hit_tokens},
                     {"bytes_read", l.bytes_read},
                     {"bytes_written", l.bytes_written},
                     {"failed_reads", l.failed_reads},
                     {"peak_used_bytes", l.peak_used_bytes}});
  }
  return tiers;
}

nlohmann::json projection_json(const std::vector<projection_row>& rows, const served_model& model,
                               const tier_plan& plan) {
  const projection_row& ours = rows.back();
  nlohmann::json baselines = nlohmann::json::array();
  for (const projection_row& row : rows) {
    nlohmann::json entry = {{"name", row.name},
                            {"policy", row.policy},
                            {"mean_ttft_s", row.mean_ttft_s},
                            {"tokens_per_s", row.throughput.tokens_per_s},
                            {"batch", row.throughput.batch},
                            {"cost_per_million_tokens", row.cost_per_million},
                            {"cost_per_million_tokens_provisioned", row.cost_per_million_provisioned},
                            {"ttft_speedup", row.mean_ttft_s / ours.mean_ttft_s},
                            {"throughput_ratio", ours.throughput.tokens_per_s / row.throughput.tokens_per_s},
                            {"cost_ratio", ours.cost_per_million / row.cost_per_million}};
    entry["prefix_hit_rate"] = row.replay ? row.replay->hits.prefix_hit_rate() : 0.0;
    entry["token_hit_rate"] = row.replay ? row.replay->hits.token_hit_rate() : 0.0;
    baselines.push_back(std::move(entry));
  }
  return {{"model", model.name},
          {"dtype", std::string(to_string(model.format))},
          {"kv_bytes_per_token", model.kv_bytes_per_token},
          {"tiers", plan.description},
          {"gpu",
           {{"peak_flops_per_s", plan.gpu.peak_flops_per_s},
            {"prefill_utilisation", plan.gpu.prefill_utilisation},
            {"hbm_bytes_per_s", plan.gpu.hbm_bytes_per_s},
            {"kv_budget_bytes", plan.gpu.kv_budget_bytes},
            {"cost_per_hour", plan.gpu.cost_per_hour}}},
          {"baselines", std::move(baselines)}};
}

void print_projection(const std::vector<projection_row>& rows, const served_model& model, const tier_plan& plan,
                      std::uint32_t block_tokens) {
  const projection_row& ours = rows.back();
  const manager_stats& m = ours.replay->manager;
  fmt::print("\ntiered replay through the cache manager, policy {}: {}\n", ours.policy, plan.description);
  fmt::print("model {} ({}), {} bytes of KV per token, {:.1f} MiB per {}-token block\n", model.name,
             to_string(model.format), model.kv_bytes_per_token,
             static_cast<double>(model.kv_bytes_per_token * block_tokens) / 1048576.0, block_tokens);
  fmt::print("{:<6} {:<16} {:>12} {:>10} {:>8} {:>12} {:>12}\n", "level", "tier", "capacity GB", "hits", "hit%",
             "read GB", "written GB");
  const double refs = static_cast<double>(std::max<std::uint64_t>(ours.replay->hits.block_refs, 1));
  for (std::size_t level = 0; level < ours.specs.size(); ++level) {
    const level_stats& l = m.levels[level];
    fmt::print("{:<6} {:<16} {:>12.1f} {:>10} {:>8.2f} {:>12.1f} {:>12.1f}\n", level, ours.specs[level].name,
               static_cast<double>(ours.specs[level].capacity_bytes) / 1e9, l.hits,
               100.0 * static_cast<double>(l.hits) / refs, static_cast<double>(l.bytes_read) / 1e9,
               static_cast<double>(l.bytes_written) / 1e9);
  }
  fmt::print(
      "prefix hit rate {:.2f}%, token hit rate {:.2f}%; evictions {}, demotions {}, promotions {}, drops {} "
      "(unlikely drops {})\n",
      100.0 * ours.replay->hits.prefix_hit_rate(), 100.0 * ours.replay->hits.token_hit_rate(), m.evictions, m.demotions,
      m.promotions, m.drops, m.unlikely_drops);
  fmt::print(
      "\nprojection (docs/results.md: H100 SXM at {:.0f}% of {:.0f} TFLOP/s in prefill, KV budget {:.1f} GB, "
      "${:.2f}/GPU-hour)\n",
      100.0 * plan.gpu.prefill_utilisation, plan.gpu.peak_flops_per_s / 1e12, plan.gpu.kv_budget_bytes / 1e9,
      plan.gpu.cost_per_hour);
  fmt::print("{:<14} {:<11} {:>8} {:>11} {:>10} {:>10} {:>14} {:>14} {:>12}\n", "setup", "policy", "prefix%", "TTFT ms",
             "tokens/s", "$/M tok", "kvtier TTFT x", "kvtier thr x", "kvtier cost x");
  for (const projection_row& row : rows) {
    fmt::print("{:<14} {:<11} {:>8.2f} {:>11.1f} {:>10.0f} {:>10.4f} {:>14.2f} {:>14.2f} {:>12.2f}\n", row.name,
               row.policy, row.replay ? 100.0 * row.replay->hits.prefix_hit_rate() : 0.0, 1e3 * row.mean_ttft_s,
               row.throughput.tokens_per_s, row.cost_per_million, row.mean_ttft_s / ours.mean_ttft_s,
               ours.throughput.tokens_per_s / row.throughput.tokens_per_s,
               ours.cost_per_million / row.cost_per_million);
  }
  fmt::print(
      "kvtier TTFT x: the setup's mean TTFT over kvtier's (above 1: kvtier is faster); thr x: kvtier's throughput "
      "over the setup's;\ncost x: kvtier's cost per token over the setup's (below 1: cheaper). Tiers below HBM are "
      "billed for their peak occupancy\n(--json also gives the cost with every tier's whole capacity paid for).\n");
}

void run_replay(const replay_options& o) {
  const bool tiered = !o.tiers.empty();
  const bool comparison = o.capacities.empty() && !o.sweep && !tiered;
  if (!o.sweep && (!o.out.empty() || !o.plot.empty())) {
    report_input_error({"--out", 0, ""}, "--out and --plot need --sweep");
  }
  const std::string policy_names = !o.policies.empty() ? o.policies : comparison ? comparison_policies : "predictive";
  const std::vector<const policy_entry*> policies = chosen_policies(policy_names);
  if (tiered && policies.size() != 1) {
    report_input_error({"--policy", 0, ""}, "--tiers replays one policy through the cache manager");
  }
  // The policy of kvtier's stack in the projection: the first chosen one that can run online.
  const auto online = std::find_if(policies.begin(), policies.end(), [](const policy_entry* p) { return p->tiered; });
  if (tiered && online == policies.end()) {
    report_input_error({"--policy", 0, ""}, std::string(policies.front()->name) +
                                                " needs the future and cannot drive the cache manager (--tiers)");
  }
  const block_trace trace = load_trace(o);
  const served_model model = load_served_model(o);

  std::vector<std::size_t> capacities;
  for (const std::string& text : o.capacities) capacities.push_back(parse_capacity(text, trace.unique_blocks));
  const auto fraction_of_unique = [&](double fraction) {
    return std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(fraction * trace.unique_blocks)));
  };
  if (capacities.empty() && o.sweep) {
    for (const double fraction : default_sweep_fractions) capacities.push_back(fraction_of_unique(fraction));
  }
  if (comparison) {
    for (const double fraction : comparison_fractions) capacities.push_back(fraction_of_unique(fraction));
  }

  const bool show_progress = trace.block_refs() * policies.size() * capacities.size() >= (std::uint64_t{1} << 25);
  std::vector<replay_result> results;
  for (const policy_entry* policy : policies) {
    for (const std::size_t capacity : capacities) {
      simulate_options options;
      if (show_progress) {
        options.progress = [&](std::uint64_t done, std::uint64_t total) {
          fmt::print(stderr, "\rreplay {} at {} blocks: {:5.1f}%{}", policy->name, capacity,
                     100.0 * static_cast<double>(done) / static_cast<double>(std::max<std::uint64_t>(total, 1)),
                     done == total ? "\n" : "");
        };
      }
      const auto start = std::chrono::steady_clock::now();
      const hit_stats stats = policy->replay(trace, capacity, options);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      results.push_back({std::string(policy->name), capacity, stats, seconds});
    }
  }

  std::optional<tier_plan> plan;
  std::vector<projection_row> projection;
  if ((tiered || comparison) && online != policies.end()) {
    plan = resolve_tiers(tiered ? o.tiers : default_tiers, model);
    projection = run_projection(trace, model, *plan, **online, trace.block_refs() * 4 >= (std::uint64_t{1} << 24));
  }

  const double ceiling = trace.block_refs() == 0
                             ? 0.0
                             : 1.0 - static_cast<double>(trace.unique_blocks) / static_cast<double>(trace.block_refs());
  if (o.sweep && !o.out.empty()) write_file_atomically(o.out, to_csv(trace, results));
  if (o.sweep && !o.plot.empty()) write_file_atomically(o.plot, to_svg(trace, results, ceiling));

  if (o.json) {
    nlohmann::json doc = {{"trace", trace.source},
                          {"requests", trace.requests.size()},
                          {"block_refs", trace.block_refs()},
                          {"unique_blocks", trace.unique_blocks},
                          {"block_tokens", trace.block_tokens},
                          {"infinite_cache_hit_rate", ceiling}};
    if (results.size() == 1) {
      doc.update(to_json(results.front()));
    } else if (!results.empty()) {
      nlohmann::json list = nlohmann::json::array();
      for (const replay_result& r : results) list.push_back(to_json(r));
      doc["results"] = std::move(list);
    }
    if (!projection.empty()) {
      const projection_row& ours = projection.back();
      if (results.empty()) {
        doc["policy"] = ours.policy;
        doc["block_hit_rate"] = ours.replay->hits.block_hit_rate();
        doc["prefix_hit_rate"] = ours.replay->hits.prefix_hit_rate();
        doc["token_hit_rate"] = ours.replay->hits.token_hit_rate();
      }
      doc["tiers"] = tiers_json(ours);
      doc["evictions_top"] = ours.replay->manager.evictions;
      doc["demotions"] = ours.replay->manager.demotions;
      doc["promotions"] = ours.replay->manager.promotions;
      doc["drops"] = ours.replay->manager.drops;
      doc["unlikely_drops"] = ours.replay->manager.unlikely_drops;
      doc["projection"] = projection_json(projection, model, *plan);
    }
    fmt::print("{}\n", doc.dump(2));
    return;
  }
  fmt::print("trace {}: {} requests, {} block references, {} unique blocks of {} tokens; infinite cache {:.1f}%\n",
             trace.source, trace.requests.size(), trace.block_refs(), trace.unique_blocks, trace.block_tokens,
             100.0 * ceiling);
  if (!results.empty()) {
    fmt::print("\n{:<18} {:>10} {:>8} {:>8} {:>8} {:>11} {:>11}\n", "policy", "capacity", "block%", "prefix%", "token%",
               "evictions", "M refs/s");
    // The comparison groups its rows by capacity, one block of policies each.
    std::vector<const replay_result*> ordered;
    for (const replay_result& r : results) ordered.push_back(&r);
    if (comparison) {
      std::stable_sort(ordered.begin(), ordered.end(), [](const replay_result* a, const replay_result* b) {
        return a->capacity_blocks < b->capacity_blocks;
      });
    }
    for (std::size_t i = 0; i < ordered.size(); ++i) {
      const replay_result* r = ordered[i];
      if (comparison && i > 0 && r->capacity_blocks != ordered[i - 1]->capacity_blocks) fmt::print("\n");
      fmt::print("{:<18} {:>10} {:>8.2f} {:>8.2f} {:>8.2f} {:>11} {:>11.1f}\n", r->policy, r->capacity_blocks,
                 100.0 * r->stats.block_hit_rate(), 100.0 * r->stats.prefix_hit_rate(),
                 100.0 * r->stats.token_hit_rate(), r->stats.evictions,
                 r->seconds > 0 ? static_cast<double>(r->stats.block_refs) / r->seconds / 1e6 : 0.0);
    }
  }
  if (!projection.empty()) print_projection(projection, model, *plan, trace.block_tokens);
  if (!o.out.empty()) fmt::print("\nwrote {}\n", o.out);
  if (!o.plot.empty()) fmt::print("wrote {}\n", o.plot);
}

void add_replay_command(CLI::App& app) {
  auto options = std::make_shared<replay_options>();
  std::string policy_help = "Policy name, a comma-separated list, or 'all' (every policy below). Known:";
  for (const policy_entry& entry : policy_table())
    policy_help += fmt::format("\n  {:<18} {}", entry.name, entry.summary);
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "Replay a trace through eviction policies and report block, prefix and token hit rates.\n"
      "Block hit rate: references found cached / references. Prefix hit rate: references that hit\n"
      "with every earlier block of their request (what an engine can reuse). Token hit rate: prefix\n"
      "hits weighted by tokens. Cold misses count. Modes:\n"
      "  --capacity-blocks N   one cache measured in blocks (comparable with libCacheSim);\n"
      "  --sweep               hit rate against capacity, as CSV and an SVG plot;\n"
      "  --tiers S             the cache manager over a simulated hierarchy (a node preset such as\n"
      "                        six-tier-node, or hbm=40GB,dram=256GB,...): hits and bytes per tier, and\n"
      "                        TTFT, throughput and cost projected against no reuse, an HBM-only LRU\n"
      "                        prefix cache and HBM+DRAM LRU offload;\n"
      "  none of these         predictive, LRU, ARC, S3-FIFO and Belady at 0.5%, 2% and 10% of the\n"
      "                        unique blocks, then the projection over six-tier-node.\n"
      "Without --trace, the embedded synthetic workload (seed 1: chat, documents, agents) is replayed.");
  cmd->add_option("--trace", options->trace,
                  "Trace file: Mooncake JSONL, ShareGPT, OpenAI/LMSYS or agent messages (JSON or JSON Lines, "
                  "plain or gzip); default: the embedded synthetic workload");
  cmd->add_option("--format", options->format, "Trace format: auto, mooncake, sharegpt, openai, lmsys, agent")
      ->default_val("auto");
  cmd->add_option("--block-tokens", options->block_tokens, "Tokens per block of the trace")->default_val(512);
  cmd->add_option("--capacity-blocks", options->capacities,
                  "Cache capacity in blocks, or a percentage of the trace's unique blocks ('1%'); repeat or "
                  "comma-separate for several")
      ->delimiter(',');
  cmd->add_option("--policy", options->policies, policy_help + "\nDefault: predictive.");
  cmd->add_flag("--json", options->json, "Print one JSON object on stdout (rates are fractions in [0, 1])");
  cmd->add_flag("--sweep", options->sweep,
                "Run every capacity given, or by default 0.25%, 0.5%, 1%, 2%, 5%, 10% and 25% of the unique blocks");
  cmd->add_option("--out", options->out, "With --sweep: write the results as CSV to this file");
  cmd->add_option("--plot", options->plot, "With --sweep: write an SVG plot of hit rate against capacity");
  cmd->add_option("--tiers", options->tiers,
                  "Replay through the cache manager over this hierarchy: a node preset (kvtier tiers --list) or a "
                  "stack such as hbm=40GB,dram=256GB,nvme=4TB");
  cmd->add_option("--model", options->model, "Model preset for block sizes (kvtier size --list-models)")
      ->default_val("llama-3.1-8b");
  cmd->add_option("--config", options->config, "Hugging Face config.json to size instead of --model");
  cmd->add_option("--dtype", options->dtype, "KV storage format (auto: the checkpoint's 16-bit type)")
      ->default_val("auto");
  cmd->callback([options] { run_replay(*options); });
}

const register_command registration{&add_replay_command};

}  // namespace
}  // namespace kvtier::cli
