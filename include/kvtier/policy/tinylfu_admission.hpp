#pragma once
// W-TinyLFU (Einziger, Friedman and Manes, ACM ToS 2017; Caffeine; the frequency-based admission
// of Dynamo KVBM): every miss enters a small LRU window (1% of the capacity); the block the window
// pushes out competes with the main policy's next victim, and enters the main part only if the
// frequency sketch (count-min + doorkeeper, periodically halved) estimates it more popular.
// Otherwise the candidate leaves. Every reference is recorded in the sketch.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/frequency_sketch.hpp>
#include <kvtier/detail/policy_name.hpp>
#include <kvtier/policy/concepts.hpp>
#include <kvtier/policy/lru_policy.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace kvtier {

/// A policy that can say, without changing anything, which block its next eviction would remove.
template <class P>
concept victim_peeking_policy = eviction_policy<P> && requires(const P& policy) {
  { policy.victim() } -> std::same_as<std::optional<block_id>>;
};

struct tinylfu_params {
  double window_fraction = 0.01;   ///< share of the capacity for the LRU window (at least one block)
  std::size_t sample_factor = 10;  ///< sketch reset period, in multiples of the capacity
  friend constexpr bool operator==(const tinylfu_params&, const tinylfu_params&) = default;
};

namespace detail {
inline constexpr std::string_view tinylfu_prefix = "tinylfu-";
}

template <victim_peeking_policy Main = lru_policy>
class tinylfu_admission {
 public:
  static constexpr std::string_view name = detail::joined_name<detail::tinylfu_prefix, Main::name>::value;

  explicit tinylfu_admission(std::size_t capacity_blocks, const tinylfu_params& params = {})
      : capacity_(capacity_blocks),
        window_(window_size(capacity_blocks, params.window_fraction)),
        main_limit_(capacity_blocks - window_.capacity()),
        main_(std::max<std::size_t>(main_limit_, 1)),
        sketch_(capacity_blocks, params.sample_factor) {}

  bool access(const block_access& a, std::vector<block_id>& evicted) {
    evicted.clear();
    sketch_.record(a.id);
    if (window_.contains(a.id)) return window_.access(a, evicted);
    if (main_.contains(a.id)) return main_.access(a, evicted);
    (void)window_.access(a, scratch_);
    for (const block_id candidate : scratch_) admit_or_drop(a, candidate, evicted);
    return false;
  }

  bool erase(block_id id) { return window_.erase(id) || main_.erase(id); }
  [[nodiscard]] bool contains(block_id id) const noexcept { return window_.contains(id) || main_.contains(id); }
  [[nodiscard]] std::size_t size() const noexcept { return window_.size() + main_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::uint32_t estimated_frequency(block_id id) const { return sketch_.estimate(id); }

 private:
  /// At least one block, and at least one left for the main part when the capacity allows.
  static std::size_t window_size(std::size_t capacity, double fraction) {
    KVTIER_ASSERT(capacity >= 1, "capacity must be at least one block");
    KVTIER_ASSERT(fraction > 0 && fraction < 1, "window_fraction must be in (0, 1)");
    const auto blocks = static_cast<std::size_t>(static_cast<double>(capacity) * fraction);
    return std::clamp<std::size_t>(blocks, 1, capacity > 1 ? capacity - 1 : 1);
  }

  void admit_or_drop(const block_access& a, block_id candidate, std::vector<block_id>& evicted) {
    block_access moved = a;
    moved.id = candidate;
    if (main_limit_ == 0) {  // a one-block cache is all window
      evicted.push_back(candidate);
      return;
    }
    if (main_.size() < main_limit_) {
      (void)main_.access(moved, main_evicted_);
      evicted.insert(evicted.end(), main_evicted_.begin(), main_evicted_.end());
      return;
    }
    const std::optional<block_id> victim = main_.victim();
    if (victim && sketch_.estimate(candidate) > sketch_.estimate(*victim)) {
      (void)main_.access(moved, main_evicted_);
      evicted.insert(evicted.end(), main_evicted_.begin(), main_evicted_.end());
    } else {
      evicted.push_back(candidate);
    }
  }

  std::size_t capacity_;
  lru_policy window_;
  std::size_t main_limit_;
  Main main_;
  detail::frequency_sketch sketch_;
  std::vector<block_id> scratch_, main_evicted_;
};

static_assert(eviction_policy<tinylfu_admission<lru_policy>>);

}  // namespace kvtier
