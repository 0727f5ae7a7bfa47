#pragma once
// Tier stacks: tiers fastest first, used as one cache. A block enters at the top; a block a full
// tier pushes out moves down to the next tier (demotion) and leaves the stack from the bottom; a
// hit below the top moves the block up when the caller asks (promotion, exclusive: the block then
// lives only at the top); find looks through every tier. Every move is counted in bytes and in the
// modelled seconds of its read from one tier and its write into the other.
//
// tier_stack<T0, T1, ...> fixes the tiers at compile time (no virtual calls);
// runtime_tier_stack holds any_tier values chosen at run time. Both share one implementation.
#include <kvtier/detail/assert.hpp>
#include <kvtier/tier/any_tier.hpp>
#include <kvtier/tier/concepts.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace kvtier {

/// Whether a hit below the top tier moves the block up.
enum class promotion : std::uint8_t { no, yes };

struct stack_hit {
  std::size_t bytes = 0;  ///< the block's length
  std::size_t level = 0;  ///< the tier it was found in (0 = top), before any promotion
  friend constexpr bool operator==(const stack_hit&, const stack_hit&) = default;
};

struct stack_stats {
  std::uint64_t promotions = 0;
  std::uint64_t demotions = 0;
  std::uint64_t drops = 0;  ///< blocks pushed out of the bottom tier, or that no lower tier took
  std::uint64_t bytes_promoted = 0;
  std::uint64_t bytes_demoted = 0;
  double modelled_move_s = 0;  ///< read from the source tier plus write into the destination
  friend constexpr bool operator==(const stack_stats&, const stack_stats&) = default;
};

namespace detail {

/// The stack's behaviour over `Derived::levels()` tiers reached through `Derived::visit(level, f)`.
template <class Derived>
class stack_algorithms {
 public:
  /// Stores the block at the top, demoting what it pushes out. False when the top never fits it.
  bool insert(const block_key& key, std::span<const std::byte> bytes) {
    largest_block_bytes_ = std::max<std::uint64_t>(largest_block_bytes_, bytes.size());
    return place(0, key, bytes);
  }

  [[nodiscard]] std::optional<stack_hit> find(const block_key& key, std::span<std::byte> out,
                                              promotion promote = promotion::no) {
    for (std::size_t level = 0; level < self().levels(); ++level) {
      const std::optional<std::size_t> found = self().visit(level, [&](auto& t) { return t.find(key, out); });
      if (!found) continue;
      if (promote == promotion::yes && level > 0) promote_from(level, key, out.first(*found));
      return stack_hit{*found, level};
    }
    return std::nullopt;
  }

  /// The level holding `key`, top first.
  [[nodiscard]] std::optional<std::size_t> level_of(const block_key& key) {
    for (std::size_t level = 0; level < self().levels(); ++level) {
      if (self().visit(level, [&](auto& t) { return t.contains(key); })) return level;
    }
    return std::nullopt;
  }
  [[nodiscard]] bool contains(const block_key& key) { return level_of(key).has_value(); }

  /// Removes the block from every tier; true if any held it.
  bool erase(const block_key& key) {
    bool erased = false;
    for (std::size_t level = 0; level < self().levels(); ++level) {
      erased = self().visit(level, [&](auto& t) { return t.erase(key); }) || erased;
    }
    return erased;
  }

  [[nodiscard]] std::uint64_t used_bytes() {
    std::uint64_t total = 0;
    for (std::size_t level = 0; level < self().levels(); ++level) {
      total += self().visit(level, [](auto& t) { return t.used_bytes(); });
    }
    return total;
  }
  [[nodiscard]] std::uint64_t capacity_bytes() {
    std::uint64_t total = 0;
    for (std::size_t level = 0; level < self().levels(); ++level) {
      total += self().visit(level, [](auto& t) { return t.capacity_bytes(); });
    }
    return total;
  }
  [[nodiscard]] const stack_stats& stats() const noexcept { return stats_; }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }

  double modelled_s(std::size_t level, std::uint64_t bytes, transfer_direction direction) {
    return self().visit(level, [&](auto& t) { return transfer_time_s(t.spec(), bytes, direction); });
  }

  /// Puts the block at `level`, first demoting victims of that level one level down.
  bool place(std::size_t level, const block_key& key, std::span<const std::byte> bytes) {
    const bool fits = self().visit(level, [&](auto& t) { return bytes.size() <= t.capacity_bytes(); });
    if (!fits) return false;
    while (!self().visit(level, [&](auto& t) { return t.can_admit(bytes.size()); })) {
      const std::optional<block_key> victim = self().visit(level, [](auto& t) { return t.to_evict(); });
      if (!victim) break;
      demote(level, *victim);
    }
    return self().visit(level, [&](auto& t) { return t.try_insert(key, bytes); });
  }

  /// Moves a block found at `level` to the top. It leaves `level` first, so that the demotions
  /// making room above cannot push a second copy of it down; if the top refuses it, it goes back.
  void promote_from(std::size_t level, const block_key& key, std::span<const std::byte> bytes) {
    const double moved_s = modelled_s(level, bytes.size(), transfer_direction::read) +
                           modelled_s(0, bytes.size(), transfer_direction::write);
    self().visit(level, [&](auto& t) { return t.erase(key); });
    if (place(0, key, bytes)) {
      ++stats_.promotions;
      stats_.bytes_promoted += bytes.size();
      stats_.modelled_move_s += moved_s;
    } else if (!place(level, key, bytes)) {
      ++stats_.drops;
    }
  }

  /// Moves `victim` from `level` one level down (out of the stack from the bottom tier).
  void demote(std::size_t level, const block_key& victim) {
    if (level + 1 == self().levels()) {
      self().visit(level, [&](auto& t) { return t.erase(victim); });
      ++stats_.drops;
      return;
    }
    if (staging_.size() < self().levels()) staging_.resize(self().levels());
    std::vector<std::byte>& buffer = staging_[level];
    if (buffer.size() < largest_block_bytes_) buffer.resize(static_cast<std::size_t>(largest_block_bytes_));
    std::optional<std::size_t> length;
    self().visit(level, [&](auto& t) {
      length = t.find(victim, buffer);
      t.erase(victim);
    });
    if (!length) {
      ++stats_.drops;
      return;
    }
    const double moved_s = modelled_s(level, *length, transfer_direction::read) +
                           modelled_s(level + 1, *length, transfer_direction::write);
    if (place(level + 1, victim, std::span<const std::byte>(buffer).first(*length))) {
      ++stats_.demotions;
      stats_.bytes_demoted += *length;
      stats_.modelled_move_s += moved_s;
    } else {
      ++stats_.drops;  // the level below never takes a block this large
    }
  }

  std::vector<std::vector<std::byte>> staging_;  ///< one buffer per level: demotions cascade
  std::uint64_t largest_block_bytes_ = 0;
  stack_stats stats_;
};

}  // namespace detail

/// `Tiers` are tier types (the stack owns them, each built from one constructor argument, e.g.
/// `tier_stack<simulated_tier, simulated_tier> s(hbm_spec, dram_spec)`) or references to tiers the
/// caller owns (`tier_stack<host_memory_tier&, file_tier<>&> s(host, files)`).
template <class... Tiers>
requires(evicting_tier<std::remove_reference_t<Tiers>>&&...) class tier_stack
    : public detail::stack_algorithms<tier_stack<Tiers...>> {
  static_assert(sizeof...(Tiers) >= 1, "a tier_stack needs at least one tier");

 public:
  template <class... Args>
  requires(sizeof...(Args) == sizeof...(Tiers)) explicit tier_stack(Args&&... args)
      : tiers_(std::forward<Args>(args)...) {}

  [[nodiscard]] static constexpr std::size_t levels() noexcept { return sizeof...(Tiers); }

  template <std::size_t Level>
  [[nodiscard]] auto& tier() noexcept {
    return std::get<Level>(tiers_);
  }

  /// Calls `f(tier)` on the tier at `level`; every tier's result converts to the first one's.
  template <class F>
  decltype(auto) visit(std::size_t level, F&& f) {
    KVTIER_ASSERT(level < levels(), "stack level out of range");
    return visit_from<0>(level, f);
  }

 private:
  template <std::size_t Level, class F>
  decltype(auto) visit_from(std::size_t level, F& f) {
    if constexpr (Level + 1 == sizeof...(Tiers)) {
      return f(std::get<Level>(tiers_));
    } else {
      if (level == Level) return f(std::get<Level>(tiers_));
      return visit_from<Level + 1>(level, f);
    }
  }

  std::tuple<Tiers...> tiers_;
};

class runtime_tier_stack : public detail::stack_algorithms<runtime_tier_stack> {
 public:
  runtime_tier_stack() = default;
  explicit runtime_tier_stack(std::vector<any_tier> tiers) : tiers_(std::move(tiers)) {}

  void push_back(any_tier tier) { tiers_.push_back(std::move(tier)); }
  [[nodiscard]] std::size_t levels() const noexcept { return tiers_.size(); }
  [[nodiscard]] any_tier& tier(std::size_t level) { return tiers_.at(level); }

  template <class F>
  decltype(auto) visit(std::size_t level, F&& f) {
    KVTIER_ASSERT(level < levels(), "stack level out of range");
    return f(tiers_[level]);
  }

 private:
  std::vector<any_tier> tiers_;
};

}  // namespace kvtier
