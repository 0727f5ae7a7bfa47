#pragma once
// huge_page_allocator: a std::allocator for large tables read at random (policy metadata with a
// million blocks). Allocations of at least 2 MiB are aligned to 2 MiB and, on Linux, advised to be
// backed by transparent huge pages, so that a random lookup costs a cache miss but no TLB miss (with
// 4 KiB pages every lookup in a 32 MiB table also walks the page table). Smaller allocations, and
// systems without transparent huge pages, get ordinary memory.
#include <cstddef>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace kvtier::detail {

template <class T>
class huge_page_allocator {
 public:
  using value_type = T;
  static constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

  huge_page_allocator() noexcept = default;
  template <class U>
  explicit huge_page_allocator(const huge_page_allocator<U>&) noexcept {}

  [[nodiscard]] T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    if (bytes < huge_page_bytes) return static_cast<T*>(::operator new (bytes, std::align_val_t{alignment()}));
    void* p = ::operator new (bytes, std::align_val_t{huge_page_bytes});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    // Advice only: without transparent huge pages the memory stays ordinary and correct.
    static_cast<void>(::madvise(p, bytes, MADV_HUGEPAGE));
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    ::operator delete (p, std::align_val_t{bytes < huge_page_bytes ? alignment() : huge_page_bytes});
  }

  friend constexpr bool operator==(const huge_page_allocator&, const huge_page_allocator&) noexcept { return true; }

 private:
  static constexpr std::size_t alignment() noexcept {
    return alignof(T) > __STDCPP_DEFAULT_NEW_ALIGNMENT__ ? alignof(T) : __STDCPP_DEFAULT_NEW_ALIGNMENT__;
  }
};

}  // namespace kvtier::detail
