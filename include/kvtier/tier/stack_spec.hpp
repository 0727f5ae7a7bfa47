#pragma once
// Tier stacks described in one line, as the command line and config files take them:
//   "hbm=40GB,dram=2TiB,cxl=512GiB,nvme=30TB,rdma=2TB,pfs=1PB"
// Each item is `<kind or preset>=<capacity>`, fastest tier first. A kind (hbm dram cxl nvme rdma
// pfs) takes its figures from the six-tier-node preset; a preset name (nvme-gen4, h200-hbm3e, ...)
// takes that preset's. Capacities use kvtier::parse_bytes: kB MB GB TB PB are powers of 10,
// KiB MiB GiB TiB PiB powers of 2.
#include <kvtier/error.hpp>
#include <kvtier/tier/concepts.hpp>
#include <kvtier/tier/presets.hpp>
#include <kvtier/units.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvtier {

/// The tiers `text` describes; throws input_error naming `source` and the item's key.
[[nodiscard]] inline std::vector<tier_spec> parse_stack_spec(std::string_view text,
                                                             std::string_view source = "--stack") {
  std::vector<tier_spec> stack;
  const std::string where(source);
  std::size_t index = 0;
  while (true) {
    const std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    ++index;
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) {
      report_input_error({where, 0, "item " + std::to_string(index)},
                         "'" + std::string(item) + "' is not <kind>=<capacity> (for example nvme=30TB)");
    }
    std::string_view name = item.substr(0, equals);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    const input_location location{where, 0, std::string(name)};
    std::optional<tier_spec> spec;
    if (const auto kind = parse_tier_kind(name)) {
      spec = presets::default_for(*kind);
    } else {
      spec = presets::find_tier(name);
    }
    if (!spec) {
      report_input_error(location,
                         "unknown tier kind (kinds: hbm dram cxl nvme rdma pfs; or a preset such as nvme-gen4, "
                         "see 'kvtier tiers --list')");
    }
    spec->capacity_bytes = parse_bytes(item.substr(equals + 1), location);
    if (spec->capacity_bytes == 0) report_input_error(location, "a tier needs a capacity above zero");
    stack.push_back(*spec);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return stack;
}

}  // namespace kvtier
