// kvtier tiers: the tier presets and custom stacks, with totals of capacity, bandwidth and cost.
#include "command.hpp"

#include <kvtier/error.hpp>
#include <kvtier/tier/concepts.hpp>
#include <kvtier/tier/presets.hpp>
#include <kvtier/tier/stack_spec.hpp>
#include <kvtier/units.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kvtier::cli {
namespace {

struct tiers_options {
  std::string preset;
  std::string stack;
  bool list = false;
  bool json = false;
};

struct stack_row {
  std::uint32_t count = 1;
  tier_spec spec;  ///< combined over `count` devices
};

std::string format_rate(double bytes_per_s) { return format_bytes(static_cast<std::uint64_t>(bytes_per_s)) + "/s"; }

std::string format_latency(double seconds) {
  if (seconds < 1e-6) return fmt::format("{:.0f} ns", seconds * 1e9);
  if (seconds < 1e-3) return fmt::format("{:.1f} us", seconds * 1e6);
  return fmt::format("{:.1f} ms", seconds * 1e3);
}

double cost_per_hour(const tier_spec& spec) {
  return static_cast<double>(spec.capacity_bytes) / 1e9 * spec.cost_per_gb_hour;
}

void print_stack(const std::string& title, const std::vector<stack_row>& rows, bool json) {
  std::uint64_t capacity = 0;
  double read = 0;
  double write = 0;
  double cost = 0;
  for (const stack_row& row : rows) {
    capacity += row.spec.capacity_bytes;
    read += row.spec.read_bytes_per_s;
    write += row.spec.write_bytes_per_s;
    cost += cost_per_hour(row.spec);
  }
  if (json) {
    nlohmann::json out;
    out["name"] = title;
    out["tiers"] = nlohmann::json::array();
    for (const stack_row& row : rows) {
      out["tiers"].push_back({{"kind", to_string(row.spec.kind)},
                              {"preset", row.spec.name},
                              {"count", row.count},
                              {"capacity_bytes", row.spec.capacity_bytes},
                              {"read_bytes_per_s", row.spec.read_bytes_per_s},
                              {"write_bytes_per_s", row.spec.write_bytes_per_s},
                              {"latency_s", row.spec.latency_s},
                              {"granularity_bytes", row.spec.granularity_bytes},
                              {"cost_per_gb_hour", row.spec.cost_per_gb_hour},
                              {"cost_per_hour", cost_per_hour(row.spec)},
                              {"source", row.spec.source}});
    }
    out["total_capacity_bytes"] = capacity;
    out["total_read_bytes_per_s"] = read;
    out["total_write_bytes_per_s"] = write;
    out["total_cost_per_hour"] = cost;
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("{}\n\n", title);
  fmt::print("{:<5} {:<20} {:>5} {:>10} {:>12} {:>12} {:>9} {:>10}\n", "kind", "preset", "count", "capacity", "read",
             "write", "latency", "$/hour");
  for (const stack_row& row : rows) {
    fmt::print("{:<5} {:<20} {:>5} {:>10} {:>12} {:>12} {:>9} {:>10.2f}\n", to_string(row.spec.kind), row.spec.name,
               row.count, format_bytes(row.spec.capacity_bytes), format_rate(row.spec.read_bytes_per_s),
               format_rate(row.spec.write_bytes_per_s), format_latency(row.spec.latency_s), cost_per_hour(row.spec));
  }
  fmt::print("{:<5} {:<20} {:>5} {:>10} {:>12} {:>12} {:>9} {:>10.2f}\n", "total", "", "", format_bytes(capacity),
             format_rate(read), format_rate(write), "", cost);
  fmt::print("\nsources:\n");
  for (const stack_row& row : rows) fmt::print("  {}: {}\n", row.spec.name, row.spec.source);
}

void print_list(bool json) {
  if (json) {
    nlohmann::json out;
    out["nodes"] = nlohmann::json::array();
    for (const presets::node_preset& node : presets::nodes) {
      out["nodes"].push_back({{"name", node.name}, {"description", node.description}});
    }
    out["tiers"] = nlohmann::json::array();
    for (const tier_spec& spec : presets::tiers) {
      out["tiers"].push_back({{"name", spec.name}, {"kind", to_string(spec.kind)}, {"source", spec.source}});
    }
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("node presets (all six tiers):\n");
  for (const presets::node_preset& node : presets::nodes) fmt::print("  {:<20} {}\n", node.name, node.description);
  fmt::print("\ntier presets (one device each; use with --preset, or as <name>=<capacity> in --stack):\n");
  for (const tier_spec& spec : presets::tiers) {
    fmt::print("  {:<20} {:<5} {:>10} {:>12}\n", spec.name, to_string(spec.kind), format_bytes(spec.capacity_bytes),
               format_rate(spec.read_bytes_per_s));
  }
}

void run_tiers(const tiers_options& options) {
  const int chosen = (options.preset.empty() ? 0 : 1) + (options.stack.empty() ? 0 : 1) + (options.list ? 1 : 0);
  if (chosen != 1) {
    report_input_error({"kvtier tiers", 0, ""}, "give exactly one of --preset <name>, --stack <description>, --list");
  }
  if (options.list) {
    print_list(options.json);
    return;
  }
  std::vector<stack_row> rows;
  if (!options.stack.empty()) {
    for (const tier_spec& spec : parse_stack_spec(options.stack, "--stack")) rows.push_back({1, spec});
    print_stack("custom stack", rows, options.json);
    return;
  }
  if (const auto node = presets::find_node(options.preset)) {
    for (const presets::node_tier& tier : node->tiers) rows.push_back({tier.count, tier.combined()});
    print_stack(std::string(node->name) + ": " + std::string(node->description), rows, options.json);
  } else if (const auto spec = presets::find_tier(options.preset)) {
    rows.push_back({1, *spec});
    print_stack(std::string(spec->name), rows, options.json);
  } else {
    report_input_error({"--preset", 0, ""},
                       "unknown preset '" + options.preset + "' (run 'kvtier tiers --list' for the names)");
  }
}

void add_tiers_command(CLI::App& app) {
  auto options = std::make_shared<tiers_options>();
  CLI::App* command = app.add_subcommand(
      "tiers",
      "Show the memory tiers of a preset or of a custom stack: capacity, read and write bandwidth, latency and "
      "hourly cost of each tier, with totals and the published source of every figure.");
  command->add_option("--preset", options->preset,
                      "A node preset (six-tier-node, gh200-node) or a single-tier preset (see --list)");
  command->add_option("--stack", options->stack,
                      "A custom stack, fastest first: <kind or preset>=<capacity>,... e.g. "
                      "\"hbm=40GB,dram=2TiB,cxl=512GiB,nvme=30TB,rdma=2TB,pfs=1PB\". Kinds: hbm dram cxl nvme rdma "
                      "pfs. kB MB GB TB PB are powers of 10, KiB MiB GiB TiB PiB powers of 2.");
  command->add_flag("--list", options->list, "Name the presets");
  command->add_flag("--json", options->json,
                    "Print one JSON object: tiers (kind, capacity_bytes, read_bytes_per_s, write_bytes_per_s, "
                    "latency_s, ...) and total_capacity_bytes");
  command->callback([options] { run_tiers(*options); });
}

const register_command registration{&add_tiers_command};

}  // namespace
}  // namespace kvtier::cli
