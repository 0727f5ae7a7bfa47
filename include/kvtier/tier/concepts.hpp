#pragma once
// Tiers: where KV blocks live. The vocabulary (block keys, tier specs, batch requests) and the
// ladder of concepts tier -> evicting_tier -> async_tier. A tier stores bytes (or, when simulated,
// only accounts for them) and knows its capacity and the modelled time of a transfer; which block
// leaves is decided by a policy (policy/concepts.hpp) or, by default, by the tier's own order.
#include <kvtier/block_key.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace kvtier {

/// The six kinds of memory a node offers for KV (docs/tiers.md), fastest first.
enum class tier_kind : std::uint8_t { hbm, dram, cxl, nvme, rdma, pfs };
inline constexpr std::array<tier_kind, 6> tier_kinds{tier_kind::hbm,  tier_kind::dram, tier_kind::cxl,
                                                     tier_kind::nvme, tier_kind::rdma, tier_kind::pfs};

[[nodiscard]] constexpr std::string_view to_string(tier_kind kind) noexcept {
  switch (kind) {
    case tier_kind::hbm:
      return "hbm";
    case tier_kind::dram:
      return "dram";
    case tier_kind::cxl:
      return "cxl";
    case tier_kind::nvme:
      return "nvme";
    case tier_kind::rdma:
      return "rdma";
    case tier_kind::pfs:
      return "pfs";
  }
  return "hbm";
}

[[nodiscard]] constexpr std::optional<tier_kind> parse_tier_kind(std::string_view name) noexcept {
  for (const tier_kind kind : tier_kinds) {
    if (to_string(kind) == name) return kind;
  }
  return std::nullopt;
}

/// What a tier is, as published figures: capacity, bandwidth each way, latency of one access,
/// hourly cost, and the smallest transfer that reaches the bandwidth. `name` and `source` point
/// to static text (presets) or to text the caller keeps alive.
struct tier_spec {
  std::string_view name;
  tier_kind kind = tier_kind::dram;
  std::uint64_t capacity_bytes = 0;
  double read_bytes_per_s = 0;   ///< tier -> consumer (a load, a promotion)
  double write_bytes_per_s = 0;  ///< consumer -> tier (a store, a demotion)
  double latency_s = 0;          ///< fixed cost of one access, added to every transfer
  double cost_per_gb_hour = 0;   ///< US dollars per 10^9 bytes held for an hour
  std::uint64_t granularity_bytes = 1;
  std::string_view source;  ///< where the figures come from
  friend constexpr bool operator==(const tier_spec&, const tier_spec&) = default;
};

enum class transfer_direction : std::uint8_t { read, write };

/// Modelled seconds to move `bytes` in one access: latency + bytes / bandwidth, with the size
/// rounded up to the tier's granularity.
[[nodiscard]] constexpr double transfer_time_s(const tier_spec& spec, std::uint64_t bytes,
                                               transfer_direction direction) noexcept {
  const std::uint64_t granule = spec.granularity_bytes == 0 ? 1 : spec.granularity_bytes;
  const std::uint64_t moved = (bytes + granule - 1) / granule * granule;
  const double bandwidth = direction == transfer_direction::read ? spec.read_bytes_per_s : spec.write_bytes_per_s;
  return spec.latency_s + static_cast<double>(moved) / bandwidth;
}

/// Counters every tier keeps; a stack sums them to account every move.
struct tier_stats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t inserts = 0;
  std::uint64_t rejected_inserts = 0;  ///< try_insert returned false (full or the store failed)
  std::uint64_t evictions = 0;
  std::uint64_t erases = 0;
  std::uint64_t corrupt_blocks = 0;  ///< stored blocks found damaged and dropped (file tiers)
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_written = 0;
  double modelled_read_s = 0;
  double modelled_write_s = 0;
  friend constexpr bool operator==(const tier_stats&, const tier_stats&) = default;
};

/// A tier: a keyed store of blocks with a byte capacity.
///
/// Semantic requirements (tests/tier/tier_laws_test.cpp checks them for every model):
/// 1. `try_insert(k, b)` returns true iff `can_admit(b.size())` held (counting the space `k` itself
///    frees when it is replaced) and the backing store accepted the bytes; on false the tier's
///    contents are as before the call (never a partly visible block).
/// 2. After `try_insert(k, b)` returned true, `contains(k)` is true and `find(k, out)` with
///    `out.size() >= b.size()` returns `b.size()`; if `T::stores_bytes`, `out` then starts with
///    exactly the bytes of `b`. A later `try_insert` of the same key replaces the block.
/// 3. `find(k, out)` returns nullopt on a miss, when `out` is too small for the block (nothing is
///    copied), and when the stored block is found damaged (it is then dropped). It never returns
///    bytes of another key.
/// 4. `used_bytes()` is the sum of the lengths of the resident blocks and never exceeds
///    `capacity_bytes()`, which is fixed at construction and equals `spec().capacity_bytes`.
/// 5. `erase(k)` returns whether `k` was resident; afterwards `!contains(k)` and `used_bytes()`
///    dropped by its length.
/// 6. `can_admit(n)` is false when `n > capacity_bytes()`; on an empty tier it is true for every
///    `n` up to the largest block the tier takes.
/// 7. Calls from several threads are safe if `T::thread_safe`; each call then takes effect at one
///    instant between its start and its return.
template <class T>
concept tier = requires(T& t, const T& ct, const block_key& key, std::span<const std::byte> bytes,
                        std::span<std::byte> out, std::uint64_t size) {
  { ct.contains(key) } -> std::same_as<bool>;
  { t.find(key, out) } -> std::same_as<std::optional<std::size_t>>;
  { ct.can_admit(size) } -> std::same_as<bool>;
  { t.try_insert(key, bytes) } -> std::same_as<bool>;
  { t.erase(key) } -> std::same_as<bool>;
  { ct.used_bytes() } -> std::same_as<std::uint64_t>;
  { ct.capacity_bytes() } -> std::same_as<std::uint64_t>;
  { ct.spec() } -> std::convertible_to<tier_spec>;
  { ct.stats() } -> std::convertible_to<tier_stats>;
  { T::stores_bytes } -> std::convertible_to<bool>;
  { T::thread_safe } -> std::convertible_to<bool>;
};

/// A tier that can make room by itself, in its own replacement order (least recently inserted or
/// found first), for users without a policy. A cache manager with a policy calls `erase` instead.
///
/// Semantic requirements (numbered after tier's):
/// 8. `to_evict()` is empty iff the tier is empty; otherwise it names a resident block and does
///    not change the tier.
/// 9. `evict()` removes exactly the block `to_evict()` named, returns its key, and returns nullopt
///    on an empty tier.
/// 10. `insert(k, b, evicted)` appends to `evicted` the keys it removed, in `to_evict()` order,
///     until `can_admit(b.size())`, then behaves as `try_insert`; it removes nothing and returns
///     false when `b.size() > capacity_bytes()`.
template <class T>
concept evicting_tier = tier<T> && requires(T& t, const T& ct, const block_key& key, std::span<const std::byte> bytes,
                                            std::vector<block_key>& evicted) {
  { ct.to_evict() } -> std::same_as<std::optional<block_key>>;
  { t.evict() } -> std::same_as<std::optional<block_key>>;
  { t.insert(key, bytes, evicted) } -> std::same_as<bool>;
};

/// One block to store in a batch; `bytes` must stay valid until the batch completes.
struct block_write {
  block_key key;
  std::span<const std::byte> bytes;
};

/// One block to load in a batch; `out` must stay valid until the batch completes.
struct block_read {
  block_key key;
  std::span<std::byte> out;
};

/// Identifies a submitted batch until it completes.
struct batch_ticket {
  std::uint64_t id = 0;
  friend constexpr bool operator==(const batch_ticket&, const batch_ticket&) = default;
};

/// A tier that takes batches and completes them later: how a file tier uses io_uring, a device tier
/// uses a CUDA stream, a remote tier pipelines requests.
///
/// Semantic requirements (numbered after evicting_tier's):
/// 11. `submit_writes(w, inserted)` and `submit_reads(r, found)` need `inserted.size() == w.size()`,
///     `found.size() == r.size()`; the requests, their buffers and the result spans stay valid and
///     untouched by the caller until the batch completes.
/// 12. A batch completes when `poll(t)` returns true or `wait(t)` returns; from then on each result
///     is what `try_insert` (resp. `find`) would have returned for that request, with the requests
///     of one batch applied in order.
/// 13. `poll` and `wait` on a completed ticket return at once; every batch completes before the
///     tier is destroyed.
template <class T>
concept async_tier = evicting_tier<T> &&
    requires(T& t, std::span<const block_write> writes, std::span<bool> inserted, std::span<const block_read> reads,
             std::span<std::optional<std::size_t>> found, batch_ticket ticket) {
  { t.submit_writes(writes, inserted) } -> std::same_as<batch_ticket>;
  { t.submit_reads(reads, found) } -> std::same_as<batch_ticket>;
  { t.poll(ticket) } -> std::same_as<bool>;
  { t.wait(ticket) } -> std::same_as<void>;
};

}  // namespace kvtier
