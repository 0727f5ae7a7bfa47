// kvtier replay: run a block trace through one or more eviction policies at one or more cache
// capacities and report block, prefix and token hit rates (DESIGN.md §5), as a table, as JSON,
// and for a sweep as CSV and an SVG plot of hit rate against capacity.
#include "command.hpp"
#include "policy_table.hpp"

#include <kvtier/error.hpp>
#include <kvtier/trace.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace kvtier::cli {
namespace {

struct replay_options {
  std::string trace;
  std::string format = "mooncake";
  std::uint32_t block_tokens = 512;
  std::vector<std::string> capacities;
  std::string policies = "lru";
  bool json = false;
  bool sweep = false;
  std::string out;
  std::string plot;
};

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

void run_replay(const replay_options& o) {
  if (o.trace.empty()) {
    report_input_error({"--trace", 0, ""},
                       "no trace given: pass --trace FILE (a Mooncake JSONL block trace); this build has no built-in "
                       "synthetic workload yet");
  }
  if (o.format != "mooncake") {
    report_input_error({"--format", 0, ""}, "unknown trace format '" + o.format + "' (known: mooncake)");
  }
  if (!o.sweep && (!o.out.empty() || !o.plot.empty())) {
    report_input_error({"--out", 0, ""}, "--out and --plot need --sweep");
  }
  if (!o.sweep && o.capacities.empty()) {
    report_input_error({"--capacity-blocks", 0, ""}, "required (or use --sweep)");
  }
  const std::vector<const policy_entry*> policies = chosen_policies(o.policies);
  const block_trace trace = read_mooncake_trace(o.trace, {.block_tokens = o.block_tokens});

  std::vector<std::size_t> capacities;
  for (const std::string& text : o.capacities) capacities.push_back(parse_capacity(text, trace.unique_blocks));
  if (capacities.empty()) {
    for (const double fraction : default_sweep_fractions) {
      capacities.push_back(
          std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(fraction * trace.unique_blocks))));
    }
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
    } else {
      nlohmann::json list = nlohmann::json::array();
      for (const replay_result& r : results) list.push_back(to_json(r));
      doc["results"] = std::move(list);
    }
    fmt::print("{}\n", doc.dump(2));
    return;
  }
  fmt::print("trace {}: {} requests, {} block references, {} unique blocks of {} tokens; infinite cache {:.1f}%\n\n",
             trace.source, trace.requests.size(), trace.block_refs(), trace.unique_blocks, trace.block_tokens,
             100.0 * ceiling);
  fmt::print("{:<18} {:>10} {:>8} {:>8} {:>8} {:>11} {:>11}\n", "policy", "capacity", "block%", "prefix%", "token%",
             "evictions", "M refs/s");
  for (const replay_result& r : results) {
    fmt::print("{:<18} {:>10} {:>8.2f} {:>8.2f} {:>8.2f} {:>11} {:>11.1f}\n", r.policy, r.capacity_blocks,
               100.0 * r.stats.block_hit_rate(), 100.0 * r.stats.prefix_hit_rate(), 100.0 * r.stats.token_hit_rate(),
               r.stats.evictions, r.seconds > 0 ? static_cast<double>(r.stats.block_refs) / r.seconds / 1e6 : 0.0);
  }
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
      "Replay a block trace through eviction policies and report block, prefix and token hit rates.\n"
      "Block hit rate: references found cached / references. Prefix hit rate: references that hit\n"
      "with every earlier block of their request (what an engine can reuse). Token hit rate: prefix\n"
      "hits weighted by tokens. Cold misses count. One cache measured in blocks (--capacity-blocks),\n"
      "the setting of libCacheSim with one object per block.");
  cmd->add_option("--trace", options->trace, "Block trace file (Mooncake JSONL: hash_ids per request)");
  cmd->add_option("--format", options->format, "Trace format")->default_val("mooncake");
  cmd->add_option("--block-tokens", options->block_tokens, "Tokens per block of the trace")->default_val(512);
  cmd->add_option("--capacity-blocks", options->capacities,
                  "Cache capacity in blocks, or a percentage of the trace's unique blocks ('1%'); repeat or "
                  "comma-separate for several")
      ->delimiter(',');
  cmd->add_option("--policy", options->policies, policy_help)->default_val("lru");
  cmd->add_flag("--json", options->json, "Print one JSON object on stdout (rates are fractions in [0, 1])");
  cmd->add_flag("--sweep", options->sweep,
                "Run every capacity given, or by default 0.25%, 0.5%, 1%, 2%, 5%, 10% and 25% of the unique blocks");
  cmd->add_option("--out", options->out, "With --sweep: write the results as CSV to this file");
  cmd->add_option("--plot", options->plot, "With --sweep: write an SVG plot of hit rate against capacity");
  cmd->callback([options] { run_replay(*options); });
}

const register_command registration{&add_replay_command};

}  // namespace
}  // namespace kvtier::cli
