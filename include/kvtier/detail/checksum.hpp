#pragma once
// XXH3-64 of a block payload, with the widest vector unit the CPU has (AVX-512, AVX2, else the
// baseline SSE2 build) chosen once at run time. Every path computes the same function: XXH3's
// result does not depend on the vector width, so blocks written on one machine verify on another.
//
// xxhash.h must come through this header in a translation unit that uses kvtier: the AVX2 and
// AVX-512 kernels are compiled only when the dispatch macros below are set at its first inclusion.
#if defined(XXH_INLINE_ALL_31684351384) && !defined(KVTIER_XXH3_DISPATCH)
#error "xxhash.h was included before kvtier/detail/checksum.hpp; include kvtier headers first"
#endif

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define KVTIER_XXH3_DISPATCH 1
#include <immintrin.h>
#define XXH_X86DISPATCH
#define XXH_DISPATCH_AVX2 1
#define XXH_DISPATCH_AVX512 1
#define XXH_TARGET_AVX2 __attribute__((__target__("avx2")))
#define XXH_TARGET_AVX512 __attribute__((__target__("avx512f")))
#else
#define KVTIER_XXH3_DISPATCH 0
#endif

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace kvtier::detail {

using checksum_function = std::uint64_t (*)(const void*, std::size_t) noexcept;

inline std::uint64_t xxh3_64_baseline(const void* data, std::size_t bytes) noexcept { return XXH3_64bits(data, bytes); }

#if KVTIER_XXH3_DISPATCH
// The long-input loop of XXH3_64bits with the default secret, as xxHash's own x86 dispatcher
// compiles it; inputs up to XXH3_MIDSIZE_MAX take the scalar code, which has no vector loop.
__attribute__((__target__("avx2"))) inline std::uint64_t xxh3_64_avx2(const void* data, std::size_t bytes) noexcept {
  if (bytes <= XXH3_MIDSIZE_MAX) return XXH3_64bits(data, bytes);
  return XXH3_hashLong_64b_internal(data, bytes, XXH3_kSecret, sizeof(XXH3_kSecret), XXH3_accumulate_512_avx2,
                                    XXH3_scrambleAcc_avx2);
}

// GCC 12 reports _mm512_undefined_epi32's self-initialisation as maybe-uninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
__attribute__((__target__("avx512f"))) inline std::uint64_t xxh3_64_avx512(const void* data,
                                                                           std::size_t bytes) noexcept {
  if (bytes <= XXH3_MIDSIZE_MAX) return XXH3_64bits(data, bytes);
  return XXH3_hashLong_64b_internal(data, bytes, XXH3_kSecret, sizeof(XXH3_kSecret), XXH3_accumulate_512_avx512,
                                    XXH3_scrambleAcc_avx512);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

struct checksum_path {
  std::string_view name;
  checksum_function function;
  bool (*supported)() noexcept;
};

inline bool always_supported() noexcept { return true; }
#if KVTIER_XXH3_DISPATCH
inline bool cpu_has_avx512f() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") != 0;
}
inline bool cpu_has_avx2() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}
#endif

/// Every path compiled in, widest first; the last is the baseline build, which every CPU runs.
inline constexpr std::array checksum_paths {
#if KVTIER_XXH3_DISPATCH
  checksum_path{"avx512", &xxh3_64_avx512, &cpu_has_avx512f}, checksum_path{"avx2", &xxh3_64_avx2, &cpu_has_avx2},
#endif
      checksum_path{"baseline", &xxh3_64_baseline, &always_supported},
};

/// The widest path this CPU runs: the one `block_checksum` takes.
[[nodiscard]] inline const checksum_path& selected_checksum_path() noexcept {
  for (const checksum_path& path : checksum_paths) {
    if (path.supported()) return path;
  }
  return checksum_paths.back();
}

/// XXH3-64 (seed 0) of `bytes`.
[[nodiscard]] inline std::uint64_t block_checksum(std::span<const std::byte> bytes) noexcept {
  static const checksum_function function = selected_checksum_path().function;
  return function(bytes.data(), bytes.size());
}

}  // namespace kvtier::detail
