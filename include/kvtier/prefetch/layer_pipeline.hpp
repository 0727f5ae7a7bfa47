#pragma once
// layer_pipeline_planner: overlap of KV loads with compute, layer by layer (KVDrive's idea).
//
// Layer l needs its KV before it computes. Each tier's link streams its bytes in layer order, so the
// load of layer l from tier t completes at f(t, l) = latency_t + Σ_{k ≤ l} bytes(t, k) / bandwidth_t
// and layer l's KV is ready at f(l) = max_t f(t, l) (made non-decreasing in l). Compute runs as soon
// as it can: s(0) = f(0), s(l) = max(s(l − 1) + compute(l − 1), f(l)); this is the earliest finish any
// schedule achieves on these links. The plan reports
//   stall_s      = finish − Σ compute: the time compute waits (start-up load plus any later waits);
//   layers_ahead = the most layers whose KV is loaded and waiting when a layer starts: the staging
//                  depth (in layers) the loader must be allowed to run ahead to achieve that finish.
#include <kvtier/detail/assert.hpp>
#include <kvtier/prefetch/concepts.hpp>

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <vector>

namespace kvtier {

class layer_pipeline_planner {
 public:
  [[nodiscard]] layer_plan plan(const layer_workload& work) const {
    const std::size_t layers = work.compute_s.size();
    KVTIER_ASSERT(work.load_bytes.size() == work.tiers.size() * layers, "load_bytes must be tiers × layers");
    std::vector<double> ready(layers, 0.0);
    bool any_load = false;
    for (std::size_t t = 0; t < work.tiers.size(); ++t) {
      const tier_link& link = work.tiers[t];
      KVTIER_ASSERT(link.bandwidth_bytes_per_s > 0.0, "tier bandwidth must be positive");
      double done = link.latency_s;
      for (std::size_t l = 0; l < layers; ++l) {
        const double bytes = work.load_bytes[t * layers + l];
        if (bytes > 0.0) any_load = true;
        done += bytes / link.bandwidth_bytes_per_s;
        if (bytes > 0.0) ready[l] = std::max(ready[l], done);
      }
    }
    for (std::size_t l = 1; l < layers; ++l) ready[l] = std::max(ready[l], ready[l - 1]);

    layer_plan result;
    result.load_order.resize(layers);
    std::iota(result.load_order.begin(), result.load_order.end(), std::size_t{0});
    result.compute_s = std::accumulate(work.compute_s.begin(), work.compute_s.end(), 0.0);
    if (!any_load || layers == 0) {
      result.total_s = result.compute_s;
      return result;
    }
    double start = 0.0;
    std::size_t loaded = 0;
    for (std::size_t l = 0; l < layers; ++l) {
      start = std::max(start, ready[l]);
      while (loaded < layers && ready[loaded] <= start) ++loaded;
      result.layers_ahead = std::max(result.layers_ahead, loaded - l);
      start += work.compute_s[l];
    }
    result.total_s = start;
    result.stall_s = start - result.compute_s;
    return result;
  }
};

static_assert(prefetch_planner<layer_pipeline_planner>);

}  // namespace kvtier
