#pragma once
// What libnuma says about this machine's memory nodes. A CXL memory expander appears to Linux as a
// NUMA node with memory and no CPUs; host_memory_tier binds to such a node when asked.
#include <numa.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kvtier {

struct numa_node_info {
  int node = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t free_bytes = 0;
  int cpus = 0;
  /// Memory without CPUs: how a CXL expander (or other far memory) shows up.
  [[nodiscard]] bool memory_only() const noexcept { return cpus == 0 && memory_bytes > 0; }
  friend bool operator==(const numa_node_info&, const numa_node_info&) = default;
};

/// Every configured node with memory; empty when the kernel has no NUMA support.
[[nodiscard]] inline std::vector<numa_node_info> numa_nodes() {
  std::vector<numa_node_info> nodes;
  if (numa_available() < 0) return nodes;
  bitmask* cpus = numa_allocate_cpumask();
  for (int node = 0; node <= numa_max_node(); ++node) {
    long long free_bytes = 0;
    const long long memory = numa_node_size64(node, &free_bytes);
    if (memory <= 0) continue;
    numa_node_info info{node, static_cast<std::uint64_t>(memory), static_cast<std::uint64_t>(free_bytes), 0};
    if (numa_node_to_cpus(node, cpus) == 0) info.cpus = static_cast<int>(numa_bitmask_weight(cpus));
    nodes.push_back(info);
  }
  numa_free_cpumask(cpus);
  return nodes;
}

/// The memory-only nodes (CXL expander candidates), in node order.
[[nodiscard]] inline std::vector<numa_node_info> memory_only_numa_nodes() {
  std::vector<numa_node_info> nodes = numa_nodes();
  std::erase_if(nodes, [](const numa_node_info& info) { return !info.memory_only(); });
  return nodes;
}

}  // namespace kvtier
