#pragma once
// The I/O layer under file_tier: a batch of positioned vectored reads and writes. file_tier takes
// it as a template parameter, so tests substitute a layer that fails (EIO, ENOSPC, short writes)
// and the tool uses io_uring where the kernel allows it. A layer that can also leave a batch in
// flight (async_file_io) lets file_tier's submit_reads and submit_writes return before the
// transfers are done.
#include <kvtier/detail/assert.hpp>

#include <liburing.h>

#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <concepts>
#include <cstdint>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

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

/// A batch left in flight by an async_file_io layer. It must stay at one address, with its
/// requests and their buffers, until the layer reports it complete.
struct io_batch {
  explicit io_batch(std::vector<io_request> batch_requests) : requests(std::move(batch_requests)) {}
  io_batch(const io_batch&) = delete;
  io_batch& operator=(const io_batch&) = delete;

  std::vector<io_request> requests;
  std::size_t outstanding = 0;  ///< requests whose completion the layer has not yet reaped
  bool finished = false;        ///< every request's `result` is final
};

/// A file I/O layer that can also leave a batch in flight.
///
/// Semantic requirements (after file_io's):
/// 3. `submit(batch)` starts every request and returns; it may wait for room in its queue, never
///    for the batch. Requests and buffers stay untouched by the caller until the batch finishes.
/// 4. `poll(batch)` returns whether the batch finished, reaping what has completed, and never
///    waits; `wait(batch)` returns when it finished. From then on `batch.finished` is true and each
///    `result` is what `run` would have set (short transfers continued as far as they go).
/// 5. All three may be called from several threads at once, for different batches.
template <class IO>
concept async_file_io = file_io<IO> && requires(IO& io, io_batch& batch) {
  { io.submit(batch) } -> std::same_as<void>;
  { io.poll(batch) } -> std::same_as<bool>;
  { io.wait(batch) } -> std::same_as<void>;
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

/// io_uring: a batch goes to the kernel in one submission. `run` waits for it; `submit` leaves it
/// in flight, and `poll` and `wait` reap completions, of any thread's batches, into their requests.
/// Single requests given to `run`, and every request when the kernel refuses a ring (old kernels,
/// seccomp, io_uring_disabled), take the posix_io path; `submit` then completes the batch at once.
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
    io_batch in_flight(std::vector<io_request>(batch.begin(), batch.end()));
    submit(in_flight);
    wait(in_flight);
    std::copy(in_flight.requests.begin(), in_flight.requests.end(), batch.begin());
  }

  void submit(io_batch& batch) {
    if (!available_) {  // no ring: the transfers run here, outside the lock, as posix_io runs them
      posix_io{}.run(batch.requests);
      batch.finished = true;
      return;
    }
    {
      const std::scoped_lock lock(mutex_);
      batch.outstanding = batch.requests.size();
      for (io_request& request : batch.requests) {
        request.result = -ECANCELED;
        // At most depth_ requests in flight, so that completions never outnumber the queue.
        while (available_ && in_flight_ >= depth_) {
          flush();
          if (const int reaped = available_ ? reap_one(true) : 0; reaped < 0 && reaped != -EINTR && reaped != -EAGAIN) {
            fail_in_flight(reaped);
          }
        }
        io_uring_sqe* sqe = available_ ? io_uring_get_sqe(&ring_) : nullptr;
        if (sqe == nullptr) {  // no ring, or no room even so: this one moves here and now
          posix_io::perform(request, 0);
          --batch.outstanding;
          continue;
        }
        const auto iov_count = static_cast<unsigned>(request.iov_count);
        if (request.write) {
          io_uring_prep_writev(sqe, request.fd, request.iov.data(), iov_count, request.offset);
        } else {
          io_uring_prep_readv(sqe, request.fd, request.iov.data(), iov_count, request.offset);
        }
        io_uring_sqe_set_data(sqe, &request);
        owner_.emplace_back(&request, &batch);
        ++in_flight_;
      }
      flush();
      if (batch.outstanding > 0) return;
    }
    finish(batch);
  }

  /// Never waits: if another thread holds the ring (reaping, maybe for this batch), reports not
  /// yet finished.
  bool poll(io_batch& batch) {
    if (batch.finished) return true;
    {
      const std::unique_lock lock(mutex_, std::try_to_lock);
      if (!lock.owns_lock()) return false;
      while (batch.outstanding > 0 && reap_one(false) > 0) {
      }
      if (batch.outstanding > 0) return false;
    }
    finish(batch);
    return true;
  }

  void wait(io_batch& batch) {
    if (batch.finished) return;
    {
      const std::scoped_lock lock(mutex_);
      while (batch.outstanding > 0) {
        if (const int reaped = reap_one(true); reaped < 0 && reaped != -EINTR && reaped != -EAGAIN) {
          fail_in_flight(reaped);  // the ring itself failed: nothing more will complete
        }
      }
    }
    finish(batch);
  }

 private:
  /// Under the lock: hands every queued request to the kernel.
  void flush() {
    while (available_ && io_uring_sq_ready(&ring_) > 0) {
      const int submitted = io_uring_submit(&ring_);
      if (submitted < 0 && submitted != -EINTR && submitted != -EAGAIN && submitted != -EBUSY) {
        fail_in_flight(submitted);
        return;
      }
    }
  }

  /// Under the lock: takes one completion, waiting for it if `block`, into its request. Returns 1,
  /// or 0 when none was ready, or -errno.
  int reap_one(bool block) {
    io_uring_cqe* cqe = nullptr;
    const int error = block ? io_uring_wait_cqe(&ring_, &cqe) : io_uring_peek_cqe(&ring_, &cqe);
    if (error == -EAGAIN && !block) return 0;
    if (error != 0 || cqe == nullptr) return error != 0 ? error : 0;
    auto* request = static_cast<io_request*>(io_uring_cqe_get_data(cqe));
    request->result = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    const auto found =
        std::find_if(owner_.begin(), owner_.end(), [&](const auto& owned) { return owned.first == request; });
    KVTIER_ASSERT(found != owner_.end(), "every completion belongs to a request in flight");
    --found->second->outstanding;
    *found = owner_.back();
    owner_.pop_back();
    --in_flight_;
    return 1;
  }

  /// Under the lock, when the kernel refuses the ring for good (it does not for a ring it set up,
  /// short of running out of memory): every request in flight fails with `error`, and requests
  /// from here on take the posix_io path.
  void fail_in_flight(int error) {
    for (const auto& [request, batch] : owner_) {
      request->result = error;
      --batch->outstanding;
    }
    owner_.clear();
    in_flight_ = 0;
    io_uring_queue_exit(&ring_);
    available_ = false;
  }

  /// Outside the lock, once every completion of `batch` is in: continues short transfers.
  static void finish(io_batch& batch) {
    for (io_request& request : batch.requests) {
      if (request.result > 0 && !request.complete()) {
        posix_io::perform(request, static_cast<std::uint64_t>(request.result));
      }
    }
    batch.finished = true;
  }

  unsigned depth_;
  std::atomic<bool> available_ = false;
  io_uring ring_{};
  std::mutex mutex_;
  unsigned in_flight_ = 0;
  std::vector<std::pair<io_request*, io_batch*>> owner_;  ///< the batch of each request in flight
};

static_assert(file_io<posix_io>);
static_assert(file_io<uring_io>);
static_assert(async_file_io<uring_io>);

}  // namespace kvtier
