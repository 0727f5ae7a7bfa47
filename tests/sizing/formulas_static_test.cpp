// Every sizing formula checked at compile time: if this file builds, the figures hold.
#include <kvtier/sizing/capacity_plan.hpp>
#include <kvtier/sizing/kv_footprint.hpp>
#include <kvtier/sizing/presets.hpp>

namespace kvtier {
namespace {

constexpr auto bf16 = kv_format::bf16;

// Element layouts of one 128-element head vector.
static_assert(head_vector_bytes(kv_format::fp32, 128) == 512);
static_assert(head_vector_bytes(kv_format::fp16, 128) == 256);
static_assert(head_vector_bytes(kv_format::fp8_e5m2, 128) == 128);
static_assert(head_vector_bytes(kv_format::int8_per_token_head, 128) == 132);
static_assert(head_vector_bytes(kv_format::int4_group, 128) == 64 + 4 * 2);
static_assert(head_vector_bytes(kv_format::nvfp4, 128) == 64 + 8);
static_assert(head_vector_bytes(kv_format::int4_group, 33) == 17 + 2 * 2);  // padded last group

// MHA 2*H*d*b, GQA 2*H_kv*d*b, MQA 2*d*b.
static_assert(mha_attention{32, 128}.kv_bytes_per_token(bf16) == 2 * 32 * 128 * 2);
static_assert(gqa_attention{64, 8, 128}.kv_bytes_per_token(bf16) == 2 * 8 * 128 * 2);
static_assert(mqa_attention{71, 64}.kv_bytes_per_token(bf16) == 2 * 64 * 2);
static_assert(gqa_attention{64, 8, 128}.kv_bytes_per_token(kv_format::fp32) == 2 * 8 * 128 * 4);

// Per-token-head scales add 2*H_kv*4 B per token per layer (vLLM).
static_assert(gqa_attention{64, 8, 128}.kv_bytes_per_token(kv_format::int8_per_token_head) == 2 * 8 * 128 + 2 * 8 * 4);
static_assert(gqa_attention{64, 8, 128}.kv_bytes_per_token(kv_format::fp8_per_token_head) == 2 * 8 * 128 + 2 * 8 * 4);
// One scale per tensor costs nothing per token.
static_assert(gqa_attention{64, 8, 128}.kv_bytes_per_token(kv_format::fp8_e4m3) == 2 * 8 * 128);

// MLA: (kv_lora_rank + qk_rope_head_dim) * b, one latent, no V.
constexpr mla_attention v3_layer{128, 512, 64, 128, 128, 0};
static_assert(v3_layer.kv_bytes_per_token(bf16) == 576 * 2);
// FlashMLA fp8: 512 fp8 + 4 fp32 scales + 64 bf16 = 656 B per token per layer.
static_assert(v3_layer.kv_bytes_per_token(kv_format::fp8_ds_mla) == 656);
static_assert(v3_layer.kv_bytes_per_token(kv_format::fp8_ds_mla) == 512 + 4 * 4 + 64 * 2);
// DeepSeek-V3.2 indexer: 128 fp8 + one fp32 scale = 132 B per token per layer, whatever the format.
constexpr mla_attention v32_layer{128, 512, 64, 128, 128, 128};
static_assert(v32_layer.indexer_bytes_per_token() == 132);
static_assert(v32_layer.kv_bytes_per_token(kv_format::fp8_ds_mla) == 656 + 132);
static_assert(v32_layer.kv_bytes_per_token(bf16) == 1152 + 132);
// Naive: K = H*(nope+rope), V = H*v per token per layer.
static_assert(naive_kv_bytes_per_token(v3_layer, bf16) == 128 * (192 + 128) * 2);
static_assert(naive_kv_bytes_per_token(v3_layer, kv_format::fp8_ds_mla) == 128 * (192 + 128));

// Published figures (DeepSeek-V3 hardware paper, ISCA '25): bytes per token, bf16.
static_assert(kv_bytes_per_token(presets::deepseek_v3(), bf16) == 70'272);
static_assert(kv_bytes_per_token(presets::llama_3_1_70b(), bf16) == 327'680);
static_assert(kv_bytes_per_token(presets::llama_3_1_405b(), bf16) == 516'096);
static_assert(kv_bytes_per_token(presets::qwen2_5_72b(), bf16) == 327'680);
// 57x against the DeepSeek-V2 paper's MHA-128 baseline: 2*128*128 / 576 = 56.9.
static_assert(static_cast<int>(*mha128_ratio(presets::deepseek_v3()) * 10 + 0.5) == 569);
static_assert(!mha128_ratio(presets::llama_3_1_8b()).has_value());
// 71x against naive sizing: 81,920 / 1,152.
static_assert(naive_kv_bytes_per_token(presets::deepseek_v3(), bf16) == 61 * 81'920);
static_assert(naive_kv_bytes_per_token(presets::deepseek_v3(), bf16) /
                  kv_bytes_per_token(presets::deepseek_v3(), bf16) ==
              71);
// Naive equals exact for everything but MLA.
static_assert(naive_kv_bytes_per_token(presets::gemma_2_9b(), bf16) == kv_bytes_per_token(presets::gemma_2_9b(), bf16));

// Sliding windows hold min(L, window) tokens; per-token bytes count every layer before the cap.
static_assert(kv_bytes_per_token(presets::gemma_2_9b(), bf16) == 42 * 8192);
static_assert(bytes_per_sequence(presets::gemma_2_9b(), bf16, 32768) == 21 * 8192 * 32768ULL + 21 * 8192 * 4096ULL);
static_assert(bytes_per_sequence(presets::gemma_2_9b(), bf16, 1000) == 42 * 8192 * 1000ULL);
static_assert(bytes_per_sequence(presets::gemma_3_27b(), bf16, 131072) == 10 * 8192 * 131072ULL + 52 * 8192 * 1024ULL);
static_assert(bytes_per_sequence(presets::gpt_oss_120b(), bf16, 131072) == 18 * 2048 * 131072ULL + 18 * 2048 * 128ULL);
static_assert(bytes_per_sequence(presets::mistral_7b_v0_1(), bf16, 32768) == 32 * 4096 * 4096ULL);

// Mamba-1 (Jamba): d_inner*(d_conv-1) + d_inner*d_state elements per layer per sequence.
static_assert(mamba1_state{8192, 16, 4, 0}.state_bytes_per_sequence(bf16) == (8192 * 3 + 8192 * 16) * 2);
static_assert(mamba1_state{8192, 16, 4, 4}.state_bytes_per_sequence(bf16) == (8192 * 3 + 8192 * 16) * 4);
static_assert(state_bytes_per_sequence(presets::jamba_v0_1(), bf16) == 28ULL * 155'648 * 2);
static_assert(kv_bytes_per_token(presets::jamba_v0_1(), bf16) == 4 * 4096);
static_assert(bytes_per_sequence(presets::jamba_v0_1(), bf16, 0) == 28ULL * 155'648 * 2);
// Mamba-2: (d_inner + 2*G*d_state)*(d_conv-1) + d_inner*d_state elements.
static_assert(mamba2_state{5120, 128, 4, 1, 64, 0}.state_bytes_per_sequence(bf16) ==
              ((5120 + 2 * 128) * 3 + 5120 * 128) * 2);
static_assert(mamba2_state{5120, 128, 4, 8, 64, 0}.state_bytes_per_sequence_per_rank(bf16, 8) ==
              ((640 + 2 * 128) * 3 + 640 * 128) * 2);
static_assert(mamba2_state{5120, 128, 4, 1, 64, 0}.state_bytes_per_sequence_per_rank(bf16, 8) ==
              ((640 + 2 * 128) * 3 + 640 * 128) * 2);  // one group replicated on each rank

// Tensor parallelism: GQA heads split until TP exceeds H_kv, then replicate; MLA and MQA replicate.
static_assert(kv_bytes_per_token(presets::llama_3_1_70b(), bf16, 8) == 327'680 / 8);
static_assert(kv_bytes_per_token(presets::llama_3_1_70b(), bf16, 16) == 327'680 / 8);
static_assert(kv_bytes_per_token(presets::llama_3_1_70b(), bf16, 2) == 327'680 / 2);
static_assert(kv_bytes_per_token(presets::deepseek_v3(), bf16, 8) == 70'272);
static_assert(kv_bytes_per_token(presets::falcon_7b(), bf16, 4) == kv_bytes_per_token(presets::falcon_7b(), bf16));
static_assert(mha_attention{32, 128}.kv_bytes_per_token_per_rank(bf16, 4) == 2 * 8 * 128 * 2);
static_assert(mamba1_state{8192, 16, 4, 0}.state_bytes_per_sequence_per_rank(bf16, 8) == (1024 * 3 + 1024 * 16) * 2);

// Paged blocks: a window of W tokens may straddle a block boundary: ceil((W-1)/N)+1 blocks.
static_assert(blocks_held(sliding_window<gqa_attention>{{32, 8, 128}, 4096}, 1'000'000, 16) == 257);
static_assert(blocks_held(sliding_window<gqa_attention>{{32, 8, 128}, 4096}, 100, 16) == 7);
static_assert(blocks_held(gqa_attention{32, 8, 128}, 100, 16) == 7);
static_assert(blocks_held(mamba1_state{8192, 16, 4, 0}, 100, 16) == 0);
static_assert(paged_bytes_per_sequence(presets::llama_3_1_8b(), bf16, 100, 16) == 112 * 131'072ULL);

// Batches.
static_assert(bytes_per_batch(presets::llama_3_1_8b(), bf16, 1000, 3) == 3 * 1000 * 131'072ULL);

// Impossible shapes are named.
static_assert(gqa_attention{32, 8, 128}.invalid_reason().empty());
static_assert(gqa_attention{32, 5, 128}.invalid_reason() == "attention heads are not a multiple of key/value heads");
static_assert(gqa_attention{8, 32, 128}.invalid_reason() == "more key/value heads than attention heads");
static_assert(!sliding_window<gqa_attention>{{32, 8, 128}, 0}.invalid_reason().empty());
static_assert(!mamba2_state{5000, 128, 4, 1, 64, 0}.invalid_reason().empty());

// Capacity: 80 GB, 16 GB of weights, 4 GB reserve, Llama-3.1-8B at 32K: 60 GB / 4 GiB per sequence.
constexpr capacity_plan llama8_plan =
    plan_capacity(presets::llama_3_1_8b(), {80'000'000'000, 16'000'000'000, 4'000'000'000, 32768, 16, 1, bf16});
static_assert(llama8_plan.kv_budget_bytes == 60'000'000'000);
static_assert(llama8_plan.exact.bytes_per_sequence == 32768ULL * 131'072);
static_assert(llama8_plan.exact.max_sequences == 60'000'000'000 / (32768ULL * 131'072));
static_assert(llama8_plan.exact == llama8_plan.naive);
static_assert(llama8_plan.exact.longest_sequence_tokens == 60'000'000'000 / 131'072 / 16 * 16);
// Weights that do not fit leave no budget.
static_assert(plan_capacity(presets::deepseek_v3(), {80'000'000'000, 671'000'000'000, 0, 4096, 16, 1, bf16})
                  .exact.max_sequences == 0);
// DeepSeek-V3 on 16 ranks: exact replicates the latent (70,272 B/token per rank); naive splits
// 128 MHA heads into 8 per rank (61 * 8 * 640 = 312,320 B/token per rank).
constexpr capacity_plan v3_plan =
    plan_capacity(presets::deepseek_v3(), {80'000'000'000, 671'000'000'000, 4'000'000'000, 32768, 64, 16, bf16});
static_assert(v3_plan.kv_budget_bytes == 80'000'000'000 - 671'000'000'000 / 16 - 4'000'000'000);
static_assert(v3_plan.exact.bytes_per_sequence == 32768ULL * 70'272);
static_assert(v3_plan.naive.bytes_per_sequence == 32768ULL * 312'320);
static_assert(v3_plan.exact.max_sequences == 14 && v3_plan.naive.max_sequences == 3);

}  // namespace
}  // namespace kvtier
