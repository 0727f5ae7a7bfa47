#pragma once
// ema_scorer: head-granular eviction scores, one exponential moving average of attention mass per
// (block slot, layer, KV head), stored as one Eigen float array (cells × slots, column per slot).
//
//   ema ← α·mass + (1 − α)·ema               (α = 0.2)
//   priority = (1 − ema)·(1 − e^(−λ·age))    (λ = 0.001 per second of age: higher = evict sooner)
//   block priority = max over (layer, head), so a block goes when its least useful head does;
//   head priorities let a caller demote some heads' KV to a lower tier and keep others.
// Without attention from the engine, `touch` applies the update with mass 1 to every cell (an access
// says the block was read, not by which head), which reduces the scorer to a recency order.
#include <kvtier/detail/assert.hpp>
#include <kvtier/score/concepts.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

namespace kvtier {

struct ema_scorer_params {
  float alpha = 0.2F;          ///< weight of the newest observation
  double decay_per_s = 0.001;  ///< λ of the age term
  friend constexpr bool operator==(const ema_scorer_params&, const ema_scorer_params&) = default;
};

class ema_scorer {
 public:
  ema_scorer(head_grid grid, std::size_t slots, const ema_scorer_params& params = {})
      : grid_(grid),
        params_(params),
        ema_(Eigen::ArrayXXf::Zero(static_cast<Eigen::Index>(grid.cells()), static_cast<Eigen::Index>(slots))),
        last_s_(slots, 0.0) {
    KVTIER_ASSERT(grid.cells() >= 1, "a head grid has at least one cell");
    KVTIER_ASSERT(params.alpha > 0.0F && params.alpha <= 1.0F, "EMA weight must be in (0, 1]");
  }

  [[nodiscard]] head_grid grid() const noexcept { return grid_; }
  [[nodiscard]] std::size_t slots() const noexcept { return last_s_.size(); }

  /// Attention mass per (layer, head), layer-major, each in [0, 1], observed at `now_s`.
  void observe(std::size_t slot, std::span<const float> mass, double now_s) {
    KVTIER_ASSERT(slot < slots(), "slot outside the scorer");
    KVTIER_ASSERT(mass.size() == grid_.cells(), "attention mass must have one value per (layer, head)");
    const Eigen::Map<const Eigen::ArrayXf> m(mass.data(), static_cast<Eigen::Index>(mass.size()));
    auto column = ema_.col(static_cast<Eigen::Index>(slot));
    column = params_.alpha * m.min(1.0F).max(0.0F) + (1.0F - params_.alpha) * column;
    last_s_[slot] = now_s;
  }
  /// Access-driven fallback: the block was read (mass 1 in every cell).
  void touch(std::size_t slot, double now_s) {
    KVTIER_ASSERT(slot < slots(), "slot outside the scorer");
    auto column = ema_.col(static_cast<Eigen::Index>(slot));
    column = params_.alpha + (1.0F - params_.alpha) * column;
    last_s_[slot] = now_s;
  }
  /// Forgets a slot (its block left the tier).
  void reset(std::size_t slot) {
    ema_.col(static_cast<Eigen::Index>(slot)).setZero();
    last_s_[slot] = 0.0;
  }

  [[nodiscard]] float ema(std::size_t slot, std::size_t layer, std::size_t head) const {
    return ema_(static_cast<Eigen::Index>(layer * grid_.kv_heads + head), static_cast<Eigen::Index>(slot));
  }
  [[nodiscard]] double head_priority(std::size_t slot, std::size_t layer, std::size_t head, double now_s) const {
    return (1.0 - static_cast<double>(ema(slot, layer, head))) * age_factor(slot, now_s);
  }
  [[nodiscard]] double block_priority(std::size_t slot, double now_s) const {
    const float least = ema_.col(static_cast<Eigen::Index>(slot)).minCoeff();
    return (1.0 - static_cast<double>(least)) * age_factor(slot, now_s);
  }
  /// Priority of one KV head across all layers (max over layers): which heads to demote first.
  [[nodiscard]] double kv_head_priority(std::size_t slot, std::size_t head, double now_s) const {
    const auto column = ema_.col(static_cast<Eigen::Index>(slot));
    float least = 1.0F;
    for (std::size_t layer = 0; layer < grid_.layers; ++layer) {
      least = std::min(least, column(static_cast<Eigen::Index>(layer * grid_.kv_heads + head)));
    }
    return (1.0 - static_cast<double>(least)) * age_factor(slot, now_s);
  }

 private:
  [[nodiscard]] double age_factor(std::size_t slot, double now_s) const {
    const double age = std::max(0.0, now_s - last_s_[slot]);
    return 1.0 - std::exp(-params_.decay_per_s * age);
  }

  head_grid grid_;
  ema_scorer_params params_;
  Eigen::ArrayXXf ema_;
  std::vector<double> last_s_;
};

static_assert(scorer<ema_scorer>);

}  // namespace kvtier
