#pragma once
// A CPU stand-in for a CUDA launch: calls a per-thread body for every (block, thread) of the grid,
// so the kernels' own bodies (transfer_thread) are tested on a machine without a GPU.
//
// What it covers: the index math, the grid-stride loop, the vector widths, the re-rotation, and
// that the result does not depend on the order threads run in (with a shuffle seed, blocks and
// threads run in a random order). What it cannot cover: warp-level behaviour (shuffles, divergence,
// coalescing), data races between threads running at the same time, the CUDA memory model
// (visibility, fences, stream and event ordering), alignment faults of misaligned vector accesses,
// and performance. bench/cuda and the GPU test binary (cuda/tests) cover those on a GPU.
#include <kvtier/copy/detail/transfer_thread.hpp>
#include <kvtier/copy/launch_shape.hpp>
#include <kvtier/detail/assert.hpp>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace kvtier::detail {

/// Calls body(block, thread) for every block and thread of `shape`; with a nonzero
/// `shuffle_seed`, in a random order of blocks and of threads within each block.
template <class ThreadBody>
void emulate_launch(const launch_shape& shape, ThreadBody&& body, std::uint64_t shuffle_seed = 0) {
  std::vector<std::uint32_t> blocks(shape.grid_blocks);
  std::vector<std::uint32_t> threads(shape.block_threads);
  std::iota(blocks.begin(), blocks.end(), 0u);
  std::iota(threads.begin(), threads.end(), 0u);
  std::mt19937_64 random{shuffle_seed};
  if (shuffle_seed != 0) std::shuffle(blocks.begin(), blocks.end(), random);
  for (const std::uint32_t block : blocks) {
    if (shuffle_seed != 0) std::shuffle(threads.begin(), threads.end(), random);
    for (const std::uint32_t thread : threads) body(block, thread);
  }
}

/// Runs the copy kernel's body over the grid `shape`, exactly as cuda/src/transfer.cu launches it.
inline void emulate_transfer(const transfer_plan& plan, const launch_shape& shape, std::uint64_t shuffle_seed = 0) {
  KVTIER_ASSERT(shape.block_threads % 32 == 0, "copy kernels run whole warps: block_threads must be a multiple of 32");
  const std::uint64_t thread_count = std::uint64_t{shape.grid_blocks} * shape.block_threads;
  emulate_launch(
      shape,
      [&](std::uint32_t block, std::uint32_t thread) {
        const std::uint64_t index = std::uint64_t{block} * shape.block_threads + thread;
        if (plan.rope.enabled) {
          transfer_thread<true>(plan, index, thread_count);
        } else {
          transfer_thread<false>(plan, index, thread_count);
        }
      },
      shuffle_seed);
}

}  // namespace kvtier::detail
