#pragma once
// Store on second sight: a missing block is admitted only if it was already seen (and declined)
// recently, so blocks used once never displace anything. The history is a FIFO of declined ids,
// `history_factor` times the capacity long. CDN
// caches know it as "cache on second hit". Hits and evictions are the inner policy's.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/id_lists.hpp>
#include <kvtier/detail/policy_name.hpp>
#include <kvtier/policy/concepts.hpp>
#include <kvtier/policy/lru_policy.hpp>

#include <cstddef>
#include <string_view>
#include <vector>

namespace kvtier {

struct second_sight_params {
  double history_factor = 1.0;  ///< declined ids remembered, as a multiple of the capacity
  friend constexpr bool operator==(const second_sight_params&, const second_sight_params&) = default;
};

namespace detail {
inline constexpr std::string_view second_sight_prefix = "second-sight-";
}

template <eviction_policy Inner = lru_policy>
class second_sight_admission {
 public:
  static constexpr std::string_view name = detail::joined_name<detail::second_sight_prefix, Inner::name>::value;
  static constexpr bool needs_future = offline_policy<Inner>;

  explicit second_sight_admission(std::size_t capacity_blocks, const second_sight_params& params = {})
      : inner_(capacity_blocks),
        history_blocks_(static_cast<std::size_t>(static_cast<double>(capacity_blocks) * params.history_factor)) {
    KVTIER_ASSERT(params.history_factor >= 0, "history_factor must be non-negative");
  }

  bool access(const block_access& a, std::vector<block_id>& evicted) {
    if (inner_.contains(a.id)) return inner_.access(a, evicted);
    history_.ensure(a.id);
    if (history_.list_of(a.id) == 0) {
      history_.remove(a.id);
      return inner_.access(a, evicted);
    }
    evicted.clear();
    if (history_blocks_ == 0) return inner_.access(a, evicted);
    if (history_.size(0) >= history_blocks_) history_.pop_back(0);
    history_.push_front(0, a.id);
    return false;
  }

  bool erase(block_id id) { return inner_.erase(id); }
  [[nodiscard]] bool contains(block_id id) const noexcept { return inner_.contains(id); }
  [[nodiscard]] std::size_t size() const noexcept { return inner_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return inner_.capacity(); }
  [[nodiscard]] const Inner& inner() const noexcept { return inner_; }

 private:
  Inner inner_;
  std::size_t history_blocks_;
  detail::id_lists history_{1};
};

static_assert(eviction_policy<second_sight_admission<lru_policy>>);

}  // namespace kvtier
