#pragma once
// The eviction-decision stream of bench_predict's decision benchmarks, shared with
// decision_instructions, which counts its instructions instead of timing it.
//
// Eviction decisions with one million resident blocks (by default): every access but the first of
// each request is a miss that evicts one block. Requests of 16-block chains, 100 ms apart, sharing
// their first block. Isolated: each decision finds its block's lines cold, as a caller that knows one
// reference at a time sees them. Pipelined: the policy is told of each reference
// kvtier::prefetch_distance references ahead (prefetching_policy), as an engine that knows a
// request's block list, or a replay, can do.
#include <kvtier/detail/prefetch.hpp>
#include <kvtier/policy/concepts.hpp>
#include <kvtier/policy/predictive_policy.hpp>
#include <kvtier/policy/simulator.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kvtier::bench {

enum class decisions { isolated, pipelined };

class decision_stream {
 public:
  static constexpr std::uint32_t request_blocks = 16;

  /// Issues requests until the policy is full: the steady state the decisions are measured in.
  template <decisions Mode, class Policy>
  void fill(Policy& policy) {
    while (policy.size() < policy.capacity()) issue<Mode>(policy);
  }
  /// One request: 16 accesses, the first a hit on the shared block, the others misses that evict.
  template <decisions Mode, class Policy>
  void issue(Policy& policy) {
    const auto request = static_cast<std::uint32_t>(n_ / request_blocks);
    access_.request = request;
    access_.time_ms = (std::uint64_t{request} + 1) * 100;
    access_.request_blocks = request_blocks;
    access_.parent = no_block;
    for (std::uint32_t p = 0; p < request_blocks; ++p, ++n_) {
      if constexpr (Mode == decisions::pipelined) policy.prefetch(id_of(n_ + prefetch_distance));
      access_.id = id_of(n_);
      access_.position = p;
      access_.tokens = 512;
      hits_ += policy.access(access_, evicted_) ? 1 : 0;
      access_.parent = access_.id;
    }
  }
  [[nodiscard]] std::uint64_t accesses() const noexcept { return n_; }
  [[nodiscard]] std::uint64_t hits() const noexcept { return hits_; }

 private:
  /// Reference n: block n % 16 of request n / 16; block 0 is shared, the others are new ids.
  static block_id id_of(std::uint64_t n) noexcept {
    const std::uint64_t position = n % request_blocks;
    return position == 0 ? block_id{0} : static_cast<block_id>((request_blocks - 1) * (n / request_blocks) + position);
  }
  std::vector<block_id> evicted_;
  block_access access_;
  std::uint64_t n_ = 0;
  std::uint64_t hits_ = 0;
};

/// The predictive policy as the decision benchmarks run it: admission off, so that every miss
/// evicts and the decision is measured, not the filter.
[[nodiscard]] inline predictive_policy_params decision_params(std::size_t capacity) {
  predictive_policy_params params{capacity};
  params.admission = false;
  return params;
}

/// The honest baseline beside the predictive policy: an LRU of the same capacity over flat arrays
/// (intrusive list by id).
class flat_lru {
 public:
  static constexpr std::string_view name = "lru";
  explicit flat_lru(std::size_t capacity) : capacity_(capacity) {}
  bool access(const block_access& a, std::vector<block_id>& evicted) {
    evicted.clear();
    if (a.id >= prev_.size()) {
      const std::size_t n = std::max<std::size_t>(a.id + 1, prev_.size() * 2);
      prev_.resize(n, no_block);
      next_.resize(n, no_block);
      resident_.resize(n, false);
    }
    const bool hit = resident_[a.id];
    if (hit) {
      unlink(a.id);
    } else {
      if (size_ == capacity_) {
        const block_id victim = tail_;
        unlink(victim);
        resident_[victim] = false;
        evicted.push_back(victim);
        --size_;
      }
      resident_[a.id] = true;
      ++size_;
    }
    prev_[a.id] = no_block;
    next_[a.id] = head_;
    if (head_ != no_block) prev_[head_] = a.id;
    head_ = a.id;
    if (tail_ == no_block) tail_ = a.id;
    return hit;
  }
  void prefetch(block_id id) const noexcept {
    if (id >= prev_.size()) return;
    detail::prefetch_line(&prev_[id]);
    detail::prefetch_line(&next_[id]);
  }
  bool erase(block_id) { return false; }
  [[nodiscard]] bool contains(block_id id) const { return id < resident_.size() && resident_[id]; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

 private:
  void unlink(block_id id) {
    if (prev_[id] != no_block) {
      next_[prev_[id]] = next_[id];
    } else {
      head_ = next_[id];
    }
    if (next_[id] != no_block) {
      prev_[next_[id]] = prev_[id];
    } else {
      tail_ = prev_[id];
    }
  }
  std::size_t capacity_;
  std::size_t size_ = 0;
  block_id head_ = no_block;
  block_id tail_ = no_block;
  std::vector<block_id> prev_, next_;
  std::vector<bool> resident_;
};
static_assert(prefetching_policy<flat_lru>);

}  // namespace kvtier::bench
