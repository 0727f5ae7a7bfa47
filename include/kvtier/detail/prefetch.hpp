#pragma once
// prefetch_line: starts loading the cache line that holds an address, without waiting for it.
//
// A bare __builtin_prefetch has no side effect in GCC's model of the program: a function made only of
// prefetches (and of the loads that compute their addresses) is found pure and, returning nothing,
// its calls are deleted as dead code before it is ever inlined. The empty volatile asm beside the
// prefetch is a side effect, so every call that is written is kept; it emits no instruction.

namespace kvtier::detail {

inline void prefetch_line(const void* address) noexcept {
  __builtin_prefetch(address);
  __asm__ volatile("" : : "r"(address));
}

}  // namespace kvtier::detail
