// Plugging kvtier into an engine: the calls an inference engine makes on its prefill path, with
// real bytes in two host-memory tiers, two requests running at once, and checks that every byte
// the manager delivers is the KV the engine computed for that block. docs/manager.md walks through it.
#include <kvtier/manager/cache_manager.hpp>
#include <kvtier/sizing/presets.hpp>
#include <kvtier/tier/host_memory_tier.hpp>
#include <kvtier/tier/presets.hpp>
#include <kvtier/tier/tier_stack.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <span>
#include <thread>
#include <vector>

namespace {

constexpr std::uint32_t block_tokens = 16;

// A small GQA model: 2 layers, 4 query heads, 2 KV heads of 32, with fp8 KV and one fp32 scale per
// (token, head): the scales are part of every block's bytes.
kvtier::model_shape tiny_model() {
  return kvtier::presets::uniform(2, kvtier::gqa_attention{4, 2, 32}, 4096, 1'000'000);
}

// The engine's "compute": KV that depends only on the block's key, so a wrong block is visible.
void compute_kv(const kvtier::block_key& key, std::span<std::byte> out) {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::byte>((key.lo >> (8 * (i % 8))) + i);
}

bool same_as_computed(const kvtier::block_key& key, std::span<const std::byte> bytes) {
  std::vector<std::byte> expected(bytes.size());
  compute_kv(key, expected);
  return std::equal(bytes.begin(), bytes.end(), expected.begin());
}

}  // namespace

int main() {
  // 1. Size blocks from the model; build the hierarchy (the "DRAM" tier takes 8 blocks, the
  //    "CXL" tier 32). The tiers live here; the manager's stack refers to them.
  const kvtier::model_block_sizer sizer(tiny_model(), kvtier::kv_format::fp8_per_token_head);
  const std::uint64_t block_bytes = sizer.block_bytes(block_tokens);
  kvtier::tier_spec dram = kvtier::presets::dram_pcie5;
  dram.capacity_bytes = 8 * block_bytes;
  kvtier::tier_spec cxl = kvtier::presets::cxl2_expander;
  cxl.capacity_bytes = 32 * block_bytes;
  const kvtier::host_memory_options memory{.max_block_bytes = block_bytes, .chunk_bytes = 1 << 20};
  kvtier::host_memory_tier dram_tier(dram, memory);
  kvtier::host_memory_tier cxl_tier(cxl, memory);
  using stack = kvtier::tier_stack<kvtier::host_memory_tier&, kvtier::host_memory_tier&>;
  kvtier::cache_manager_options options;
  options.block_tokens = block_tokens;
  options.grid = {2, 2};  // layers x KV heads the scorer tracks
  options.salt = kvtier::block_hash_of("tiny-model/fp8");
  kvtier::cache_manager<stack> manager(sizer, options, dram_tier, cxl_tier);

  std::atomic<int> wrong{0};
  std::atomic<std::uint64_t> reused_tokens{0};
  const auto serve = [&](std::uint32_t user, int turns) {
    std::vector<std::uint32_t> prompt(100, 7);  // a shared system prompt of 100 tokens
    for (int turn = 0; turn < turns; ++turn) {
      for (std::uint32_t t = 0; t < 40; ++t) prompt.push_back(user * 1000 + static_cast<std::uint32_t>(turn) * 50 + t);
      // 2. Each request: hash its prompt into blocks, match the cached prefix (bytes go straight
      //    into the engine's pages), compute the rest and admit it, then release.
      const std::vector<kvtier::block_ref> blocks = manager.chain_tokens(prompt, kvtier::block_type::user);
      const kvtier::request_handle request =
          manager.begin_request({static_cast<std::uint64_t>(turn) * 1000, kvtier::session_id{user}});
      std::vector<std::vector<std::byte>> pages(blocks.size(), std::vector<std::byte>(block_bytes));
      const kvtier::prefix_match match =
          manager.match_prefix(request, blocks, [&](std::size_t i, std::size_t, std::span<const std::byte> bytes) {
            if (!same_as_computed(blocks[i].key, bytes)) ++wrong;
            std::copy(bytes.begin(), bytes.end(), pages[i].begin());
          });
      reused_tokens += match.tokens;
      for (std::size_t i = match.blocks; i < blocks.size(); ++i) {
        const std::span<std::byte> kv(pages[i].data(), sizer.block_bytes(blocks[i].tokens));
        compute_kv(blocks[i].key, kv);
        static_cast<void>(manager.admit(request, i, blocks[i], kv));
      }
      // 3. During decode, report attention mass per (layer, KV head) of the blocks read.
      const std::vector<float> mass{0.9F, 0.1F, 0.8F, 0.2F};
      manager.record_attention(blocks.front().key, mass, static_cast<double>(turn));
      // 4. Before the next step, ask what to bring up from lower tiers and how to overlap it.
      const std::vector<double> compute_s(2, 1e-4);
      const kvtier::prefetch_plan plan = manager.plan_prefetch(blocks, compute_s);
      static_cast<void>(plan);
      static_cast<void>(manager.release(request));
    }
  };
  std::thread first(serve, 1, 6);
  std::thread second(serve, 2, 6);
  first.join();
  second.join();

  const kvtier::manager_stats stats = manager.stats();
  std::printf("block of %u tokens: %llu bytes (fp8 with per-token-head scales)\n", block_tokens,
              static_cast<unsigned long long>(block_bytes));
  for (std::size_t level = 0; level < stats.levels.size(); ++level) {
    std::printf("level %zu: %llu hits, %llu bytes read, %llu bytes written\n", level,
                static_cast<unsigned long long>(stats.levels[level].hits),
                static_cast<unsigned long long>(stats.levels[level].bytes_read),
                static_cast<unsigned long long>(stats.levels[level].bytes_written));
  }
  std::printf("reused %llu prompt tokens; %llu evictions, %llu demotions, %llu promotions, %llu drops\n",
              static_cast<unsigned long long>(reused_tokens.load()), static_cast<unsigned long long>(stats.evictions),
              static_cast<unsigned long long>(stats.demotions), static_cast<unsigned long long>(stats.promotions),
              static_cast<unsigned long long>(stats.drops));
  if (wrong != 0 || reused_tokens == 0 || stats.levels[1].hits + stats.demotions == 0) {
    std::printf("FAILED: %d blocks delivered with bytes that were not theirs\n", wrong.load());
    return 1;
  }
  return 0;
}
