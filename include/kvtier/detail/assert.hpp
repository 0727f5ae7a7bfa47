#pragma once
// KVTIER_ASSERT(cond, message): an invariant of kvtier itself, never a check of user input.
// On when NDEBUG is not defined or KVTIER_ENABLE_ASSERTS is defined (the dev and asan presets);
// otherwise the condition is not evaluated.
#include <cstdio>
#include <cstdlib>

#if !defined(NDEBUG) || defined(KVTIER_ENABLE_ASSERTS)
#define KVTIER_ASSERTS_ON 1
#else
#define KVTIER_ASSERTS_ON 0
#endif

namespace kvtier::detail {

[[noreturn]] [[gnu::cold]] inline void assertion_failed(const char* condition, const char* message, const char* file,
                                                        int line) noexcept {
  std::fprintf(stderr, "%s:%d: kvtier invariant violated: %s (%s)\n", file, line, message, condition);
  std::abort();
}

}  // namespace kvtier::detail

#if KVTIER_ASSERTS_ON
#define KVTIER_ASSERT(condition, message) \
  ((condition) ? static_cast<void>(0) : ::kvtier::detail::assertion_failed(#condition, message, __FILE__, __LINE__))
#else
#define KVTIER_ASSERT(condition, message) static_cast<void>(0)
#endif
