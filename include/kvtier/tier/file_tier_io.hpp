#pragma once
// The I/O layer under file_tier: a batch of positioned vectored reads and writes. file_tier takes
// it as a template parameter, so tests substitute a layer that fails (EIO, ENOSPC, short writes)
// and the tool uses io_uring where the kernel allows it.
#include <kvtier/detail/assert.hpp>

#include <liburing.h>

#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <concepts>
#include <cstdint>
#include <mutex>
#include <span>

namespace kvtier {

/// One positioned transfer of up to two buffers (a block's header and its payload).
struct io_request {
  int fd = -1;
  std::uint64_t offset = 0;
  std::array<iovec, 2> iov{};
  int iov_count = 0;
  bool write = false;
  std::int64_t result = 0;  ///< bytes moved, or -errno

  [[nodiscard]] std::uint64_t expected_bytes() const noexcept {
    std::uint64_t total = 0;
    for (int i = 0; i < iov_count; ++i) total += iov[static_cast<std::size_t>(i)].iov_len;
    return total;
  }
  [[nodiscard]] bool complete() const noexcept {
    return result >= 0 && static_cast<std::uint64_t>(result) == expected_bytes();
  }
};

/// A file I/O layer.
///
/// Semantic requirements:
/// 1. `run(batch)` performs every request of the batch and sets its `result` to the bytes moved or
///    to -errno. A transfer shorter than asked (end of file, a full device) is reported as such,
///    never as complete: the caller treats anything but `complete()` as a failure.
/// 2. `run` may be called from several threads at once.
template <class IO>
concept file_io = requires(IO& io, std::span<io_request> batch) {
  { io.run(batch) } -> std::same_as<void>;
};

/// preadv/pwritev, one request after another; short transfers are continued until done, the end
/// of the file, or an error.
class posix_io {
 public:
  void run(std::span<io_request> batch) const noexcept {
    for (io_request& request : batch) perform(request, 0);
  }

  /// Completes `request`, of which `done` bytes have already moved.
  static void perform(io_request& request, std::uint64_t done) noexcept {
    const std::uint64_t expected = request.expected_bytes();
    while (done < expected) {
      std::array<iovec, 2> rest{};
      int count = 0;
      std::uint64_t skip = done;
      for (int i = 0; i < request.iov_count; ++i) {
        const iovec& part = request.iov[static_cast<std::size_t>(i)];
        if (skip >= part.iov_len) {
          skip -= part.iov_len;
          continue;
        }
        rest[static_cast<std::size_t>(count++)] = iovec{static_cast<char*>(part.iov_base) + skip, part.iov_len - skip};
        skip = 0;
      }
      const auto offset = static_cast<off_t>(request.offset + done);
      const ssize_t moved = request.write ? ::pwritev(request.fd, rest.data(), count, offset)
                                          : ::preadv(request.fd, rest.data(), count, offset);
      if (moved < 0) {
        if (errno == EINTR) continue;
        request.result = -errno;
        return;
      }
      if (moved == 0) break;
      done += static_cast<std::uint64_t>(moved);
    }
    request.result = static_cast<std::int64_t>(done);
  }
};

/// io_uring: a batch goes to the kernel in one submission. Single requests, and every request when
/// the kernel refuses a ring (old kernels, seccomp, io_uring_disabled), take the posix_io path.
class uring_io {
 public:
  explicit uring_io(unsigned queue_depth = 64) : depth_(queue_depth) {
    available_ = io_uring_queue_init(queue_depth, &ring_, 0) == 0;
  }
  ~uring_io() {
    if (available_) io_uring_queue_exit(&ring_);
  }
  uring_io(const uring_io&) = delete;
  uring_io& operator=(const uring_io&) = delete;

  [[nodiscard]] bool available() const noexcept { return available_; }

  void run(std::span<io_request> batch) {
    if (!available_ || batch.size() < 2) {
      posix_io{}.run(batch);
      return;
    }
    const std::scoped_lock lock(mutex_);
    while (!batch.empty()) {
      const std::size_t count = std::min<std::size_t>(batch.size(), depth_);
      for (std::size_t i = 0; i < count; ++i) {
        io_request& request = batch[i];
        request.result = -ECANCELED;
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        KVTIER_ASSERT(sqe != nullptr, "the ring has room for one chunk of requests");
        const auto iov_count = static_cast<unsigned>(request.iov_count);
        if (request.write) {
          io_uring_prep_writev(sqe, request.fd, request.iov.data(), iov_count, request.offset);
        } else {
          io_uring_prep_readv(sqe, request.fd, request.iov.data(), iov_count, request.offset);
        }
        io_uring_sqe_set_data64(sqe, i);
      }
      const int submitted = io_uring_submit_and_wait(&ring_, static_cast<unsigned>(count));
      if (submitted < 0) {
        for (std::size_t i = 0; i < count; ++i) batch[i].result = submitted;
      } else {
        for (int reaped = 0; reaped < submitted; ++reaped) {
          io_uring_cqe* cqe = nullptr;
          if (io_uring_wait_cqe(&ring_, &cqe) != 0) break;
          batch[io_uring_cqe_get_data64(cqe)].result = cqe->res;
          io_uring_cqe_seen(&ring_, cqe);
        }
      }
      for (std::size_t i = 0; i < count; ++i) {
        io_request& request = batch[i];
        if (request.result > 0 && !request.complete())
          posix_io::perform(request, static_cast<std::uint64_t>(request.result));
      }
      batch = batch.subspan(count);
    }
  }

 private:
  unsigned depth_;
  bool available_ = false;
  io_uring ring_{};
  std::mutex mutex_;
};

static_assert(file_io<posix_io>);
static_assert(file_io<uring_io>);

}  // namespace kvtier
