#pragma once
// Published figures for the six tiers (docs/tiers.md), one tier_spec each with its source, and node
// presets that combine them. Capacities are per device (one GPU, one module, one drive, one NIC's
// share, one client) unless the name says otherwise; node presets multiply them.
//
// Costs are US dollars per GB·hour. The hourly figures are CachedAttention's AWS-based ones
// (GPU $5/h, DRAM $0.0088/GB·h, SSD $0.000082/GB·h); HBM's is the GPU's hour over its HBM.
// Memory latencies are as seen by a GPU consumer (a DMA over the link), order of magnitude only.
#include <kvtier/tier/concepts.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace kvtier::presets {

inline constexpr double gb = 1e9;
inline constexpr double gib = 1073741824.0;
inline constexpr double gpu_dollars_per_hour = 5.0;  // CachedAttention (AWS-based)
inline constexpr double dram_dollars_per_gb_hour = 0.0088;
inline constexpr double ssd_dollars_per_gb_hour = 0.000082;

// HBM --------------------------------------------------------------------------------------------
inline constexpr tier_spec h100_sxm_hbm{
    "h100-sxm-hbm3",
    tier_kind::hbm,
    80'000'000'000,
    3.35e12,
    3.35e12,
    1e-9,
    gpu_dollars_per_hour / 80.0,
    32,
    "NVIDIA H100 SXM datasheet: 80 GB HBM3, 3.35 TB/s; ~40 GB KV budget after weights; cost = $5/GPU-h / 80 GB"};
inline constexpr tier_spec h200_hbm{"h200-hbm3e",
                                    tier_kind::hbm,
                                    141'000'000'000,
                                    4.8e12,
                                    4.8e12,
                                    1e-9,
                                    gpu_dollars_per_hour / 141.0,
                                    32,
                                    "NVIDIA H200 datasheet: 141 GB HBM3e, 4.8 TB/s; cost = $5/GPU-h / 141 GB"};
inline constexpr tier_spec gh200_hbm3{
    "gh200-hbm3",
    tier_kind::hbm,
    96'000'000'000,
    4.0e12,
    4.0e12,
    1e-9,
    gpu_dollars_per_hour / 96.0,
    32,
    "NVIDIA GH200 Grace Hopper datasheet: 96 GB HBM3, 4 TB/s; cost = $5/GPU-h / 96 GB"};
inline constexpr tier_spec gh200_hbm3e{
    "gh200-hbm3e",
    tier_kind::hbm,
    144'000'000'000,
    4.9e12,
    4.9e12,
    1e-9,
    gpu_dollars_per_hour / 144.0,
    32,
    "NVIDIA GH200 datasheet: 144 GB HBM3e, 4.9 TB/s (the HBM of Fang et al.'s GH200 model); cost = $5/GPU-h / 144 GB"};

// Host memory ------------------------------------------------------------------------------------
inline constexpr tier_spec dram_pcie5{
    "dram-pcie5",
    tier_kind::dram,
    2'000'000'000'000,
    64 * gb,
    64 * gb,
    1e-6,
    dram_dollars_per_gb_hour,
    64,
    "PCIe Gen5 x16: 64 GB/s per direction (measured 38-50 GB/s); 1-2 TB DRAM per node; cost: CachedAttention"};
inline constexpr tier_spec dram_pcie5_measured{
    "dram-pcie5-measured",
    tier_kind::dram,
    2'000'000'000'000,
    44 * gb,
    44 * gb,
    1e-6,
    dram_dollars_per_gb_hour,
    64,
    "PCIe Gen5 x16 as measured for host-device copies: 38-50 GB/s (44 GB/s, the middle); cost: CachedAttention"};
inline constexpr tier_spec gh200_lpddr5x{
    "gh200-lpddr5x-c2c",
    tier_kind::dram,
    480'000'000'000,
    450 * gb,
    450 * gb,
    1e-6,
    dram_dollars_per_gb_hour,
    64,
    "NVIDIA GH200: 480 GB LPDDR5X over NVLink-C2C, 900 GB/s bidirectional (450 GB/s each way); cost: CachedAttention"};

// CXL --------------------------------------------------------------------------------------------
inline constexpr tier_spec cxl2_expander{
    "cxl2-expander",
    tier_kind::cxl,
    512'000'000'000,
    36 * gb,
    36 * gb,
    1.1e-6,
    dram_dollars_per_gb_hour,
    64,
    "CXL 2.0 memory expander (x8): 128-512 GB, ~36 GB/s, +~100 ns over DRAM; hourly cost taken as DRAM's "
    "(capital $5-10/GB)"};

// NVMe -------------------------------------------------------------------------------------------
inline constexpr tier_spec nvme_gen4{
    "nvme-gen4",
    tier_kind::nvme,
    3'840'000'000'000,
    7 * gb,
    7 * gb,
    80e-6,
    ssd_dollars_per_gb_hour,
    4096,
    "NVMe PCIe Gen4 drive: 7 GB/s, 70-90 us; 3.84 TB; through a host bounce buffer; cost: CachedAttention SSD"};
inline constexpr tier_spec nvme_gen5{
    "nvme-gen5",
    tier_kind::nvme,
    3'840'000'000'000,
    14.5 * gb,
    13 * gb,
    80e-6,
    ssd_dollars_per_gb_hour,
    4096,
    "NVMe PCIe Gen5 drive: 13-14.5 GB/s (reads at the top, writes at the bottom of the range), 70-90 us; 3.84 TB; "
    "cost: CachedAttention SSD"};
inline constexpr tier_spec nvme_gen4_gds{
    "nvme-gen4-gds",
    tier_kind::nvme,
    4 * 3'840'000'000'000ull,
    24 * gib,
    24 * gib,
    80e-6,
    ssd_dollars_per_gb_hour,
    4096,
    "4 NVMe Gen4 drives per GPU through GPUDirect Storage: 4 x 7 GB/s capped by GDS at ~24 GiB/s per GPU; 70-90 us; "
    "cost: CachedAttention SSD"};
inline constexpr tier_spec nvme_gen5_gds{
    "nvme-gen5-gds",
    tier_kind::nvme,
    4 * 3'840'000'000'000ull,
    24 * gib,
    24 * gib,
    80e-6,
    ssd_dollars_per_gb_hour,
    4096,
    "4 NVMe Gen5 drives per GPU through GPUDirect Storage: 4 x 13-14.5 GB/s capped by GDS at ~24 GiB/s per GPU; "
    "70-90 us; cost: CachedAttention SSD"};

// RDMA -------------------------------------------------------------------------------------------
inline constexpr tier_spec rdma_connectx7{
    "rdma-connectx7",
    tier_kind::rdma,
    2'000'000'000'000,
    50 * gb,
    50 * gb,
    3e-6,
    dram_dollars_per_gb_hour,
    4096,
    "NVIDIA ConnectX-7: 400 Gb/s (50 GB/s), ~3 us; other nodes' pooled DRAM (2 TB share per NIC); cost: "
    "CachedAttention DRAM"};
inline constexpr tier_spec rdma_connectx8{
    "rdma-connectx8",
    tier_kind::rdma,
    2'000'000'000'000,
    100 * gb,
    100 * gb,
    3e-6,
    dram_dollars_per_gb_hour,
    4096,
    "NVIDIA ConnectX-8 SuperNIC: 800 Gb/s (100 GB/s), ~3 us; other nodes' pooled DRAM (2 TB share); cost: "
    "CachedAttention DRAM"};

// Parallel filesystems ---------------------------------------------------------------------------
inline constexpr tier_spec pfs_3fs{
    "pfs-3fs",
    tier_kind::pfs,
    100'000'000'000'000,
    40 * gib,
    40 * gib,
    1e-3,
    ssd_dollars_per_gb_hour,
    1 << 20,
    "DeepSeek 3FS: ~40 GiB/s per client (KVCache lookups); ms latency; capacity effectively unbounded (a 100 TB "
    "share); cost: CachedAttention SSD"};
inline constexpr tier_spec pfs_weka{
    "pfs-weka",
    tier_kind::pfs,
    100'000'000'000'000,
    113 * gb,
    113 * gb,
    1e-3,
    ssd_dollars_per_gb_hour,
    1 << 20,
    "WekaFS 3.8 + GPUDirect Storage: 113.1 GB/s to one DGX-2 client (Microsoft Research, Blocks and Files, "
    "2020-10-12); ms latency; 100 TB share; cost: CachedAttention SSD"};
inline constexpr tier_spec pfs_lustre{
    "pfs-lustre",
    tier_kind::pfs,
    100'000'000'000'000,
    50 * gb,
    50 * gb,
    1e-3,
    ssd_dollars_per_gb_hour,
    1 << 20,
    "Lustre: a client is bounded by its fabric link (one 400 Gb/s ConnectX-7 port, 50 GB/s); ms latency; 100 TB "
    "share; cost: CachedAttention SSD"};

inline constexpr std::array<tier_spec, 17> tiers{
    h100_sxm_hbm,   h200_hbm,       gh200_hbm3, gh200_hbm3e, dram_pcie5,    dram_pcie5_measured,
    gh200_lpddr5x,  cxl2_expander,  nvme_gen4,  nvme_gen5,   nvme_gen4_gds, nvme_gen5_gds,
    rdma_connectx7, rdma_connectx8, pfs_3fs,    pfs_weka,    pfs_lustre};

/// `count` devices of one kind seen as one tier: capacities and bandwidths add up, latency, cost
/// per GB and granularity stay.
struct node_tier {
  std::uint32_t count = 1;
  tier_spec unit;
  [[nodiscard]] constexpr tier_spec combined() const noexcept {
    tier_spec spec = unit;
    spec.capacity_bytes = unit.capacity_bytes * count;
    spec.read_bytes_per_s = unit.read_bytes_per_s * count;
    spec.write_bytes_per_s = unit.write_bytes_per_s * count;
    return spec;
  }
  friend constexpr bool operator==(const node_tier&, const node_tier&) = default;
};

struct node_preset {
  std::string_view name;
  std::string_view description;
  std::array<node_tier, 6> tiers;  ///< fastest first, one per tier_kind
  friend constexpr bool operator==(const node_preset&, const node_preset&) = default;
};

/// An 8 x H100 SXM node: 640 GB HBM, 2 TB DRAM, 4 CXL expanders, 8 NVMe Gen5 drives, a ConnectX-7
/// per GPU into other nodes' pooled memory, and a 3FS client: 151.4 TB, of which 51.4 TB without
/// the parallel filesystem (docs/tiers.md: "> 38 TB per node").
inline constexpr node_preset six_tier_node{
    "six-tier-node",
    "8 x H100 SXM node: HBM, DRAM over PCIe Gen5, 4 CXL 2.0 expanders, 8 NVMe Gen5, 8 ConnectX-7 RDMA, 3FS",
    {{{8, h100_sxm_hbm}, {1, dram_pcie5}, {4, cxl2_expander}, {8, nvme_gen5}, {8, rdma_connectx7}, {1, pfs_3fs}}}};

/// A GH200 superchip: the configuration of Fang et al.'s model (HBM3e + LPDDR5X over NVLink-C2C).
inline constexpr node_preset gh200_node{
    "gh200-node",
    "GH200 superchip: 144 GB HBM3e, 480 GB LPDDR5X over NVLink-C2C, CXL, 4 NVMe Gen5 via GDS, ConnectX-8, 3FS",
    {{{1, gh200_hbm3e},
      {1, gh200_lpddr5x},
      {1, cxl2_expander},
      {1, nvme_gen5_gds},
      {1, rdma_connectx8},
      {1, pfs_3fs}}}};

inline constexpr std::array<node_preset, 2> nodes{six_tier_node, gh200_node};

/// The spec of a single-tier preset by name; nullopt when there is none.
[[nodiscard]] constexpr std::optional<tier_spec> find_tier(std::string_view name) noexcept {
  for (const tier_spec& spec : tiers) {
    if (!spec.name.empty() && spec.name == name) return spec;
  }
  return std::nullopt;
}

[[nodiscard]] constexpr std::optional<node_preset> find_node(std::string_view name) noexcept {
  for (const node_preset& node : nodes) {
    if (node.name == name) return node;
  }
  return std::nullopt;
}

/// The preset a bare kind names in a stack description ("nvme=30TB"): the node preset's choice.
[[nodiscard]] constexpr tier_spec default_for(tier_kind kind) noexcept {
  for (const node_tier& entry : six_tier_node.tiers) {
    if (entry.unit.kind == kind) return entry.unit;
  }
  return dram_pcie5;
}

}  // namespace kvtier::presets
