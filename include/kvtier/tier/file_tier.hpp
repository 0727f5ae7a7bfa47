#pragma once
// file_tier: blocks in files in a directory (a local NVMe drive or a parallel filesystem mount).
//
// Layout: segment files `segment-NNNNN.kvt`, each a run of fixed-size slots; a block takes one slot:
// a header page (64 bytes used: magic, key, length, write sequence, XXH3 of the payload, XXH3 of
// the header) followed by the payload, page-aligned so that O_DIRECT moves page-aligned blocks
// straight from and to the caller's buffer. A store is one vectored write of header and payload.
// A `kvtier-file-tier` file records the slot geometry; it is written whole through a rename, and
// one that is not a complete line is an error.
//
// What can go wrong and what happens:
// - a torn, truncated or corrupted block: its header or payload checksum, key or sequence does not
//   match; find reports a miss and drops the block. Bytes of another key are never returned. A
//   buffered load reads the payload alone and checks it against the payload checksum the index
//   kept from the header (written by this process, or read when the directory was opened).
// - EIO, ENOSPC, a short write: the insert returns false and the block was never published; the
//   slot's header is cleared (best effort) and the slot reused.
// - a restart (or a killed writer): opening the directory rebuilds the index from the headers; of
//   two copies of a key the later sequence wins. An erased or evicted block has its header cleared,
//   and so have the older copies of its key still on disk, so none comes back. A replaced copy is
//   left as it is (the later sequence beats it) until its slot is written again or its key leaves:
//   a store that replaces a block is one write.
// Concurrency: the index is guarded by a mutex held only for bookkeeping (and for clearing the
// headers of a leaving key's older copies, which are free slots no writer may take meanwhile);
// transfers run outside it on slots that are reserved (writes) or pinned (reads), so threads do
// I/O in parallel. Batches: with an async_file_io layer (uring_io) submit_* returns once the
// requests are with the kernel; poll and wait complete the batch (publish the blocks written,
// check the blocks read, write the results). Batches still in flight complete in the destructor.
#include <kvtier/detail/assert.hpp>
#include <kvtier/detail/checksum.hpp>
#include <kvtier/detail/tier_index.hpp>
#include <kvtier/detail/tier_verbs.hpp>
#include <kvtier/error.hpp>
#include <kvtier/tier/concepts.hpp>
#include <kvtier/tier/file_tier_io.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kvtier {

struct file_tier_options {
  std::uint64_t max_block_bytes = 256 * 1024;            ///< slot payload: the largest block the tier takes
  std::uint64_t segment_bytes = std::uint64_t{1} << 30;  ///< slots are grouped into files of about this size
  /// O_DIRECT (bypasses the page cache). Blocks whose buffer is 4096-aligned and whose length is a
  /// multiple of 4096 move without a copy; others go through a pooled aligned staging buffer.
  bool direct_io = false;
  friend bool operator==(const file_tier_options&, const file_tier_options&) = default;
};

namespace detail {

/// The on-disk header of a slot. Little-endian, as the machines kvtier runs on.
struct file_block_header {
  static constexpr std::uint64_t magic_value = 0x314B4C4254564B00ull;  // "\0KVTBLK1"
  std::uint64_t magic = 0;
  std::uint32_t version = 0;
  std::uint32_t slot_pages = 0;  ///< slot size / 4096: a slot read with another geometry never matches
  std::uint64_t key_hi = 0;
  std::uint64_t key_lo = 0;
  std::uint64_t length = 0;
  std::uint64_t sequence = 0;
  std::uint64_t payload_checksum = 0;
  std::uint64_t header_checksum = 0;

  [[nodiscard]] std::uint64_t compute_header_checksum() const noexcept {
    return XXH3_64bits(this, offsetof(file_block_header, header_checksum));
  }
  [[nodiscard]] bool valid(std::uint32_t expected_slot_pages, std::uint64_t max_length) const noexcept {
    return magic == magic_value && version == 1 && slot_pages == expected_slot_pages && length <= max_length &&
           header_checksum == compute_header_checksum();
  }
};
static_assert(sizeof(file_block_header) == 64);

inline constexpr std::uint64_t file_page_bytes = 4096;

struct aligned_free {
  void operator()(std::byte* p) const noexcept { std::free(p); }
};
using aligned_buffer = std::unique_ptr<std::byte, aligned_free>;

[[nodiscard]] inline aligned_buffer allocate_aligned(std::uint64_t bytes) {
  return aligned_buffer(static_cast<std::byte*>(std::aligned_alloc(file_page_bytes, bytes)));
}

}  // namespace detail

template <file_io IO = uring_io>
class file_tier : public detail::tier_verbs<file_tier<IO>> {
 public:
  static constexpr bool stores_bytes = true;
  static constexpr bool thread_safe = true;

  /// Opens (creating if needed) the tier in `directory`, rebuilding the index from what is there.
  /// Throws input_error if the directory cannot be used or holds a tier of another geometry.
  file_tier(std::filesystem::path directory, const tier_spec& spec, const file_tier_options& options,
            IO io = IO{}) requires std::move_constructible<IO>
      : file_tier(std::move(directory), spec, options, std::make_unique<IO>(std::move(io))) {}

  file_tier(std::filesystem::path directory, const tier_spec& spec,
            const file_tier_options& options) requires(!std::move_constructible<IO>)
      : file_tier(std::move(directory), spec, options, std::make_unique<IO>()) {}

  ~file_tier() {
    std::vector<std::uint64_t> tickets;
    {
      const std::scoped_lock lock(batches_mutex_);
      for (const auto& [ticket, batch] : in_flight_) tickets.push_back(ticket);
    }
    for (const std::uint64_t ticket : tickets) wait(batch_ticket{ticket});
    for (const int fd : fds_) ::close(fd);
  }
  file_tier(const file_tier&) = delete;
  file_tier& operator=(const file_tier&) = delete;

  [[nodiscard]] bool contains(const block_key& key) const {
    const std::scoped_lock lock(mutex_);
    return index_.contains(key);
  }

  [[nodiscard]] std::optional<std::size_t> find(const block_key& key, std::span<std::byte> out) {
    std::array<std::optional<std::size_t>, 1> found;
    const std::array<block_read, 1> read{block_read{key, out}};
    run_now(*begin_reads(read, found));
    return found[0];
  }

  [[nodiscard]] bool can_admit(std::uint64_t bytes) const {
    const std::scoped_lock lock(mutex_);
    return admits(bytes, 0) && free_slot_count() > 1;
  }

  [[nodiscard]] bool try_insert(const block_key& key, std::span<const std::byte> bytes) {
    std::array<bool, 1> inserted{};
    const std::array<block_write, 1> write{block_write{key, bytes}};
    run_now(*begin_writes(write, inserted));
    return inserted[0];
  }

  bool erase(const block_key& key) {
    std::unique_lock lock(mutex_);
    const auto removed = index_.remove(key);
    if (!removed) return false;
    ++stats_.erases;
    clear_older_copies(key);
    release(lock, removed->slot);
    return true;
  }

  [[nodiscard]] std::optional<block_key> to_evict() const {
    const std::scoped_lock lock(mutex_);
    return index_.oldest();
  }

  std::optional<block_key> evict() {
    std::unique_lock lock(mutex_);
    const auto victim = index_.oldest();
    if (!victim) return std::nullopt;
    const std::uint64_t slot = index_.remove(*victim)->slot;
    ++stats_.evictions;
    clear_older_copies(*victim);
    release(lock, slot);
    return victim;
  }

  /// With an async_file_io layer (uring_io on a kernel that allows it) the batch goes to the
  /// kernel in one submission and this returns; `poll` and `wait` complete it: written blocks are
  /// published, and read blocks checked, then. Slots are reserved and sequences drawn here, so the
  /// requests of a batch apply in order. With a synchronous layer the batch is complete on return.
  batch_ticket submit_writes(std::span<const block_write> writes, std::span<bool> inserted) {
    return start(begin_writes(writes, inserted));
  }
  batch_ticket submit_reads(std::span<const block_read> reads, std::span<std::optional<std::size_t>> found) {
    return start(begin_reads(reads, found));
  }
  [[nodiscard]] bool poll(batch_ticket ticket) { return complete(ticket, false); }
  void wait(batch_ticket ticket) { (void)complete(ticket, true); }

  [[nodiscard]] std::uint64_t used_bytes() const {
    const std::scoped_lock lock(mutex_);
    return index_.used_bytes();
  }
  [[nodiscard]] std::uint64_t capacity_bytes() const noexcept { return spec_.capacity_bytes; }
  [[nodiscard]] std::uint64_t max_block_bytes() const noexcept { return max_block_bytes_; }
  [[nodiscard]] std::size_t block_count() const {
    const std::scoped_lock lock(mutex_);
    return index_.size();
  }
  [[nodiscard]] const tier_spec& spec() const noexcept { return spec_; }
  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }
  [[nodiscard]] IO& io() noexcept { return *io_; }
  [[nodiscard]] tier_stats stats() const {
    const std::scoped_lock lock(mutex_);
    return stats_;
  }

 private:
  using header = detail::file_block_header;
  static constexpr std::uint64_t header_bytes = sizeof(header);
  static constexpr std::uint64_t payload_offset = detail::file_page_bytes;

  /// A slot's first page: the header, then zeros.
  struct alignas(detail::file_page_bytes) header_page {
    header h{};
    std::array<std::byte, detail::file_page_bytes - sizeof(header)> padding{};
  };

  file_tier(std::filesystem::path directory, const tier_spec& spec, const file_tier_options& options,
            std::unique_ptr<IO> io)
      : directory_(std::move(directory)),
        spec_(spec),
        direct_io_(options.direct_io),
        max_block_bytes_(std::max<std::uint64_t>(1, options.max_block_bytes)),
        slot_bytes_(payload_offset + round_to_page(max_block_bytes_)),
        slot_count_(std::max<std::uint64_t>(1, spec.capacity_bytes / max_block_bytes_) + 1),
        segment_slots_(std::max<std::uint64_t>(1, options.segment_bytes / slot_bytes_)),
        io_(std::move(io)),
        payload_checksums_(slot_count_, 0) {
    open_directory();
    rebuild_index();
  }

  [[nodiscard]] std::uint32_t slot_pages() const noexcept {
    return static_cast<std::uint32_t>(slot_bytes_ / detail::file_page_bytes);
  }
  [[nodiscard]] int fd_of(std::uint64_t slot) const { return fds_[slot / segment_slots_]; }
  [[nodiscard]] std::uint64_t offset_of(std::uint64_t slot) const { return (slot % segment_slots_) * slot_bytes_; }

  /// Whether `bytes` more fit, counting blocks being written and the `freed` bytes of the copy the
  /// new block replaces.
  [[nodiscard]] bool admits(std::uint64_t bytes, std::uint64_t freed) const {
    return bytes <= max_block_bytes_ && bytes + index_.used_bytes() + reserved_bytes_ <= spec_.capacity_bytes + freed;
  }

  void open_directory() {
    std::error_code ec;
    std::filesystem::create_directories(directory_, ec);
    if (ec) report_input_error({directory_.string(), 0, ""}, "cannot create the tier directory: " + ec.message());
    check_or_write_geometry();
    const std::uint64_t segments = (slot_count_ + segment_slots_ - 1) / segment_slots_;
    const int flags = O_RDWR | O_CREAT | O_CLOEXEC | (direct_io_ ? O_DIRECT : 0);
    for (std::uint64_t segment = 0; segment < segments; ++segment) {
      std::string name = std::to_string(segment);
      name = "segment-" + std::string(name.size() < 5 ? 5 - name.size() : 0, '0') + name + ".kvt";
      const std::filesystem::path path = directory_ / name;
      const int fd = ::open(path.c_str(), flags, 0644);
      if (fd < 0) {
        const std::string reason = std::string("cannot open: ") + std::strerror(errno);
        for (const int opened : fds_) ::close(opened);  // the destructor does not run for a throwing constructor
        report_input_error({path.string(), 0, ""}, reason);
      }
      fds_.push_back(fd);
    }
  }

  /// The geometry file names the slot layout. It is written whole or not at all (a temporary file,
  /// fsync, rename, fsync of the directory), so a crash leaves either no file or a complete one; a
  /// file that is not one complete line of the expected form (damaged, or from a writer without
  /// that guarantee) is an error, never read as some other geometry.
  void check_or_write_geometry() {
    const std::filesystem::path path = directory_ / "kvtier-file-tier";
    const std::string geometry = "kvtier-file-tier 1 slot_bytes=" + std::to_string(slot_bytes_) +
                                 " segment_slots=" + std::to_string(segment_slots_) + "\n";
    if (std::ifstream in(path, std::ios::binary); in) {
      const std::string found((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (found == geometry) return;
      const std::string line = found.substr(0, found.find('\n'));
      if (!well_formed_geometry(found)) {
        report_input_error({path.string(), 1, ""}, "the tier geometry file is torn or damaged ('" + line +
                                                       "'); it must be one line 'kvtier-file-tier 1 slot_bytes=N "
                                                       "segment_slots=M'; remove the directory's tier files");
      }
      report_input_error({path.string(), 1, ""},
                         "the directory holds a tier with another geometry ('" + line + "', expected '" +
                             geometry.substr(0, geometry.size() - 1) +
                             "'); use the same max_block_bytes and segment_bytes or another directory");
    }
    const std::filesystem::path temporary = directory_ / ("kvtier-file-tier.tmp." + std::to_string(::getpid()));
    const auto fail = [&](const std::filesystem::path& where, const char* what) {
      const std::string reason = std::string(what) + ": " + std::strerror(errno);
      ::unlink(temporary.c_str());
      report_input_error({where.string(), 0, ""}, reason);
    };
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(temporary, "cannot create the tier geometry file");
    io_request request{fd, 0, {iovec{const_cast<char*>(geometry.data()), geometry.size()}}, 1, true, 0};
    posix_io::perform(request, 0);
    if (!request.complete() || ::fsync(fd) != 0) {
      if (request.result < 0) errno = static_cast<int>(-request.result);
      ::close(fd);
      fail(temporary, "cannot write the tier geometry file");
    }
    ::close(fd);
    if (::rename(temporary.c_str(), path.c_str()) != 0) fail(path, "cannot put the tier geometry file in place");
    const int directory_fd = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory_fd < 0 || ::fsync(directory_fd) != 0) {
      if (directory_fd >= 0) ::close(directory_fd);
      fail(directory_, "cannot make the tier geometry file durable");
    }
    ::close(directory_fd);
  }

  /// Whether `text` is one complete geometry line: the fields in order, numbers, a final newline.
  [[nodiscard]] static bool well_formed_geometry(const std::string& text) {
    constexpr std::string_view prefix = "kvtier-file-tier 1 slot_bytes=";
    constexpr std::string_view middle = " segment_slots=";
    if (text.empty() || text.back() != '\n' || !text.starts_with(prefix)) return false;
    const auto digits_from = [&](std::size_t at) {
      std::size_t end = at;
      while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
      return end;
    };
    const std::size_t slot_end = digits_from(prefix.size());
    if (slot_end == prefix.size() || text.compare(slot_end, middle.size(), middle) != 0) return false;
    const std::size_t segment_start = slot_end + middle.size();
    const std::size_t segment_end = digits_from(segment_start);
    return segment_end > segment_start && segment_end + 1 == text.size();
  }

  /// Reads every slot's header and keeps the valid ones: of two copies of a key the later sequence;
  /// within the byte budget, the most recently written. Headers of the copies left out are cleared.
  void rebuild_index() {
    const detail::aligned_buffer buffer = detail::allocate_aligned(detail::file_page_bytes);
    std::unordered_map<block_key, detail::tier_entry, block_key_hash> latest;
    std::vector<std::uint64_t> superseded;
    for (std::uint64_t segment = 0; segment < fds_.size(); ++segment) {
      struct stat info {};
      if (::fstat(fds_[segment], &info) != 0) continue;
      const auto file_bytes = static_cast<std::uint64_t>(info.st_size);
      const std::uint64_t first = segment * segment_slots_;
      const std::uint64_t last = std::min(slot_count_, first + segment_slots_);
      for (std::uint64_t slot = first; slot < last && offset_of(slot) + header_bytes <= file_bytes; ++slot) {
        io_request request{fds_[segment], offset_of(slot), {iovec{buffer.get(), detail::file_page_bytes}}, 1, false, 0};
        posix_io::perform(request, 0);
        if (request.result < static_cast<std::int64_t>(header_bytes)) continue;
        header h{};
        std::memcpy(&h, buffer.get(), header_bytes);
        if (!h.valid(slot_pages(), max_block_bytes_)) continue;
        payload_checksums_[slot] = h.payload_checksum;
        const detail::tier_entry entry{slot, h.length, h.sequence};
        const auto [position, added] = latest.try_emplace(block_key{h.key_hi, h.key_lo}, entry);
        if (!added) {
          superseded.push_back(std::min(position->second, entry, by_sequence).slot);
          position->second = std::max(position->second, entry, by_sequence);
        }
        next_sequence_ = std::max(next_sequence_, h.sequence + 1);
      }
    }
    std::vector<std::pair<block_key, detail::tier_entry>> kept(latest.begin(), latest.end());
    std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return by_sequence(a.second, b.second); });
    std::vector<bool> used(slot_count_, false);
    for (const auto& [key, entry] : kept) {
      index_.put(key, entry);
      used[entry.slot] = true;
    }
    while (index_.used_bytes() > spec_.capacity_bytes) {
      const std::uint64_t slot = index_.remove(*index_.oldest())->slot;
      used[slot] = false;
      superseded.push_back(slot);
    }
    for (const std::uint64_t slot : superseded) clear_header(slot);
    next_unused_slot_ = slot_count_;
    while (next_unused_slot_ > 0 && !used[next_unused_slot_ - 1]) --next_unused_slot_;
    for (std::uint64_t slot = next_unused_slot_; slot-- > 0;) {
      if (!used[slot]) free_slots_.push_back(slot);
    }
  }

  static bool by_sequence(const detail::tier_entry& a, const detail::tier_entry& b) noexcept {
    return a.sequence < b.sequence;
  }

  /// Slots free now; the last one is kept for replacing a resident key (its new copy is written
  /// before the old one is let go, so a full tier needs one spare slot to replace a block).
  [[nodiscard]] std::uint64_t free_slot_count() const noexcept {
    return free_slots_.size() + (slot_count_ - next_unused_slot_);
  }

  std::optional<std::uint64_t> take_slot(bool replacing) {
    if (free_slot_count() <= (replacing ? 0u : 1u)) return std::nullopt;
    if (!free_slots_.empty()) {
      const std::uint64_t slot = free_slots_.back();
      free_slots_.pop_back();
      forget_older_copy(slot);
      return slot;
    }
    return next_unused_slot_++;
  }

  /// Under the lock: `slot` held a copy of `key` that a later copy replaced. Its header stays valid
  /// (the later sequence wins on reopen) and the slot is free at once, without a write to clear it;
  /// the header is cleared only if `key` leaves the tier before the slot is written again.
  void keep_as_older_copy(const block_key& key, std::uint64_t slot) {
    if (const auto pinned = pins_.find(slot); pinned != pins_.end()) {
      pinned->second.retired = true;  // its last reader frees it, clearing the header
      return;
    }
    older_copies_[key].push_back(slot);
    older_copy_key_.emplace(slot, key);
    free_slots_.push_back(slot);
  }

  /// Under the lock, for a free slot about to be written: its header is about to be replaced.
  void forget_older_copy(std::uint64_t slot) {
    const auto found = older_copy_key_.find(slot);
    if (found == older_copy_key_.end()) return;
    const auto copies = older_copies_.find(found->second);
    std::erase(copies->second, slot);
    if (copies->second.empty()) older_copies_.erase(copies);
    older_copy_key_.erase(found);
  }

  /// Under the lock, when `key` leaves the tier: clears the headers of its older copies, so that a
  /// restart does not bring one back. The slots stay in the free list: holding the lock, no writer
  /// can take one meanwhile.
  void clear_older_copies(const block_key& key) {
    const auto copies = older_copies_.find(key);
    if (copies == older_copies_.end()) return;
    for (const std::uint64_t slot : copies->second) {
      clear_header(slot);
      older_copy_key_.erase(slot);
    }
    older_copies_.erase(copies);
  }

  /// Frees a slot no index entry names: at once if no reader holds it, else when the last leaves.
  /// Clears its header first so that a restart does not bring the block back. Unlocks `lock`.
  void release(std::unique_lock<std::mutex>& lock, std::uint64_t slot) {
    if (const auto pinned = pins_.find(slot); pinned != pins_.end()) {
      pinned->second.retired = true;
      lock.unlock();
      return;
    }
    lock.unlock();
    clear_header(slot);
    lock.lock();
    free_slots_.push_back(slot);
    lock.unlock();
  }

  void clear_header(std::uint64_t slot) {
    alignas(detail::file_page_bytes) static constexpr std::array<std::byte, detail::file_page_bytes> zeros{};
    std::array<io_request, 1> request{
        io_request{fd_of(slot),
                   offset_of(slot),
                   {iovec{const_cast<std::byte*>(zeros.data()), direct_io_ ? detail::file_page_bytes : header_bytes}},
                   1,
                   true,
                   0}};
    io_->run(request);
  }

  struct pending_write {
    std::uint64_t slot = 0;
    std::uint64_t sequence = 0;
  };

  /// Whether O_DIRECT can move `length` bytes at `data` without a staging copy.
  [[nodiscard]] static bool direct_ready(const std::byte* data, std::uint64_t length) noexcept {
    return reinterpret_cast<std::uintptr_t>(data) % detail::file_page_bytes == 0 &&
           length % detail::file_page_bytes == 0;
  }

  detail::aligned_buffer acquire_staging() {
    {
      const std::scoped_lock lock(mutex_);
      if (!staging_pool_.empty()) {
        detail::aligned_buffer buffer = std::move(staging_pool_.back());
        staging_pool_.pop_back();
        return buffer;
      }
    }
    return detail::allocate_aligned(slot_bytes_);
  }

  void release_staging(std::vector<detail::aligned_buffer>& buffers) {
    const std::scoped_lock lock(mutex_);
    for (detail::aligned_buffer& buffer : buffers) {
      if (buffer) staging_pool_.push_back(std::move(buffer));
    }
  }

  /// A batch between submission and completion: its requests, the headers and staging buffers
  /// they move, and where its results go.
  struct batch_state {
    explicit batch_state(std::size_t size) : io(std::vector<io_request>()), request_of(size, size) {}
    io_batch io;
    std::vector<std::size_t> request_of;  ///< index into io.requests, or the batch size: no transfer
    std::vector<header_page> pages;
    std::vector<detail::aligned_buffer> staging;
    // Writes
    std::span<const block_write> writes;
    std::span<bool> inserted;
    std::vector<pending_write> pending;  ///< slot and sequence of each admitted write
    // Reads
    std::span<const block_read> reads;
    std::span<std::optional<std::size_t>> found;
    std::vector<detail::tier_entry> entries;  ///< the index entry each read found
    std::vector<std::uint64_t> checksums;     ///< and the payload checksum of its header
    std::vector<bool> payload_only;           ///< read without the header (buffered I/O)
    bool writing = false;
    std::mutex completion;  ///< held by the thread completing the batch
    bool completed = false;
  };

  /// Reserves slots, builds headers and requests. Results are written when the batch completes.
  std::unique_ptr<batch_state> begin_writes(std::span<const block_write> writes, std::span<bool> inserted) {
    KVTIER_ASSERT(writes.size() == inserted.size(), "one result per write request");
    auto batch = std::make_unique<batch_state>(writes.size());
    batch->writing = true;
    batch->writes = writes;
    batch->inserted = inserted;
    batch->pending.resize(writes.size());
    batch->pages.resize(writes.size());
    batch->staging.resize(writes.size());
    std::vector<io_request>& requests = batch->io.requests;
    std::vector<pending_write>& pending = batch->pending;
    std::vector<bool> admitted(writes.size(), false);
    {
      const std::scoped_lock lock(mutex_);
      // A key written twice in one batch: the later copy replaces the earlier one.
      std::unordered_map<block_key, std::uint64_t, block_key_hash> earlier_length;
      for (std::size_t i = 0; i < writes.size(); ++i) {
        const auto previous = index_.get(writes[i].key);
        const auto earlier = earlier_length.find(writes[i].key);
        const std::uint64_t freed = earlier != earlier_length.end() ? earlier->second : previous ? previous->length : 0;
        const bool replacing = earlier != earlier_length.end() || previous.has_value();
        const std::uint64_t length = writes[i].bytes.size();
        const std::optional<std::uint64_t> slot = admits(length, freed) ? take_slot(replacing) : std::nullopt;
        if (!slot) {
          ++stats_.rejected_inserts;
          continue;
        }
        admitted[i] = true;
        reserved_bytes_ += length;
        if (writes.size() > 1) earlier_length[writes[i].key] = length;
        pending[i].slot = *slot;
        pending[i].sequence = next_sequence_++;
      }
    }
    for (std::size_t i = 0; i < writes.size(); ++i) {
      if (!admitted[i]) continue;
      const std::span<const std::byte> bytes = writes[i].bytes;
      header_page& page = batch->pages[i];
      page.h = header{header::magic_value,
                      1,
                      slot_pages(),
                      writes[i].key.hi,
                      writes[i].key.lo,
                      bytes.size(),
                      pending[i].sequence,
                      detail::block_checksum(bytes),
                      0};
      page.h.header_checksum = page.h.compute_header_checksum();
      io_request request{fd_of(pending[i].slot), offset_of(pending[i].slot), {}, 1, true, 0};
      request.iov[0] = iovec{&page, payload_offset};
      if (!direct_io_ || direct_ready(bytes.data(), bytes.size())) {
        request.iov[1] = iovec{const_cast<std::byte*>(bytes.data()), bytes.size()};
        request.iov_count = bytes.empty() ? 1 : 2;
      } else {
        batch->staging[i] = acquire_staging();
        std::byte* buffer = batch->staging[i].get();
        const std::uint64_t total = payload_offset + round_to_page(bytes.size());
        std::memcpy(buffer, &page, payload_offset);
        std::memcpy(buffer + payload_offset, bytes.data(), bytes.size());
        std::memset(buffer + payload_offset + bytes.size(), 0, total - payload_offset - bytes.size());
        request.iov[0] = iovec{buffer, total};
      }
      batch->request_of[i] = requests.size();
      requests.push_back(request);
    }
    return batch;
  }

  /// Publishes the writes that landed, in request order, and frees the slots of those that did not.
  void finish_writes(batch_state& batch) {
    release_staging(batch.staging);
    const std::span<const block_write> writes = batch.writes;
    std::vector<std::uint64_t> to_release;
    {
      const std::scoped_lock lock(mutex_);
      for (std::size_t i = 0; i < writes.size(); ++i) {
        batch.inserted[i] = false;
        if (batch.request_of[i] == writes.size()) continue;
        const std::uint64_t length = writes[i].bytes.size();
        const pending_write& pending = batch.pending[i];
        reserved_bytes_ -= length;
        if (!batch.io.requests[batch.request_of[i]].complete()) {
          ++stats_.rejected_inserts;
          to_release.push_back(pending.slot);  // its header may be whole: clear it
          continue;
        }
        batch.inserted[i] = true;
        payload_checksums_[pending.slot] = batch.pages[i].h.payload_checksum;
        const auto previous = index_.get(writes[i].key);
        if (previous && previous->sequence > pending.sequence) {
          to_release.push_back(pending.slot);  // a later write of the same key already landed
        } else if (const auto replaced =
                       index_.put(writes[i].key, detail::tier_entry{pending.slot, length, pending.sequence})) {
          keep_as_older_copy(writes[i].key, replaced->slot);
        }
        ++stats_.inserts;
        stats_.bytes_written += length;
        stats_.modelled_write_s += transfer_time_s(spec_, length, transfer_direction::write);
      }
    }
    release_all(to_release);
  }

  /// Pins the slots of the blocks found in the index and builds the requests.
  std::unique_ptr<batch_state> begin_reads(std::span<const block_read> reads,
                                           std::span<std::optional<std::size_t>> found) {
    KVTIER_ASSERT(reads.size() == found.size(), "one result per read request");
    auto batch = std::make_unique<batch_state>(reads.size());
    batch->reads = reads;
    batch->found = found;
    batch->entries.resize(reads.size());
    batch->checksums.resize(reads.size());
    batch->payload_only.resize(reads.size());
    batch->staging.resize(reads.size());
    std::vector<io_request>& requests = batch->io.requests;
    {
      const std::scoped_lock lock(mutex_);
      for (std::size_t i = 0; i < reads.size(); ++i) {
        const auto entry = index_.touch(reads[i].key);
        if (!entry || entry->length > reads[i].out.size()) {
          ++stats_.misses;
          continue;
        }
        batch->entries[i] = *entry;
        batch->checksums[i] = payload_checksums_[entry->slot];
        ++pins_[entry->slot].readers;
        batch->request_of[i] = requests.size();
        requests.push_back(io_request{fd_of(entry->slot), offset_of(entry->slot), {}, 1, false, 0});
      }
    }
    for (std::size_t i = 0; i < reads.size(); ++i) {
      if (batch->request_of[i] == reads.size()) continue;
      io_request& request = requests[batch->request_of[i]];
      const std::uint64_t length = batch->entries[i].length;
      if (!direct_io_ && length > 0) {  // the payload alone, checked against the checksum kept
        request.offset += payload_offset;
        request.iov[0] = iovec{reads[i].out.data(), length};
        batch->payload_only[i] = true;
      } else if (!direct_io_ || direct_ready(reads[i].out.data(), length)) {
        if (batch->pages.empty()) batch->pages.resize(reads.size());  // only reads with the header need them
        request.iov[0] = iovec{&batch->pages[i], payload_offset};
        request.iov[1] = iovec{reads[i].out.data(), length};
        request.iov_count = length == 0 ? 1 : 2;
      } else {
        batch->staging[i] = acquire_staging();
        request.iov[0] = iovec{batch->staging[i].get(), payload_offset + round_to_page(length)};
      }
    }
    return batch;
  }

  /// Checks each block read against its header and checksum, drops the damaged ones, unpins.
  void finish_reads(batch_state& batch) {
    const std::span<const block_read> reads = batch.reads;
    std::vector<bool> intact(reads.size(), false);
    for (std::size_t i = 0; i < reads.size(); ++i) {
      if (batch.request_of[i] == reads.size()) continue;
      const std::uint64_t length = batch.entries[i].length;
      const io_request& request = batch.io.requests[batch.request_of[i]];
      if (batch.payload_only[i]) {
        intact[i] = request.complete() && detail::block_checksum({reads[i].out.data(), length}) == batch.checksums[i];
        continue;
      }
      if (request.result < static_cast<std::int64_t>(payload_offset + length)) continue;
      const std::byte* payload = reads[i].out.data();
      header h{};
      if (batch.staging[i]) {
        std::memcpy(&h, batch.staging[i].get(), header_bytes);
        payload = batch.staging[i].get() + payload_offset;
      } else {
        h = batch.pages[i].h;
      }
      if (!h.valid(slot_pages(), max_block_bytes_) || h.key_hi != reads[i].key.hi || h.key_lo != reads[i].key.lo ||
          h.length != length || h.sequence != batch.entries[i].sequence ||
          detail::block_checksum({payload, length}) != h.payload_checksum) {
        continue;
      }
      if (batch.staging[i] && length > 0) std::memcpy(reads[i].out.data(), payload, length);
      intact[i] = true;
    }
    release_staging(batch.staging);
    std::vector<std::uint64_t> to_release;
    {
      const std::scoped_lock lock(mutex_);
      for (std::size_t i = 0; i < reads.size(); ++i) {
        batch.found[i].reset();
        if (batch.request_of[i] == reads.size()) continue;
        const std::uint64_t slot = batch.entries[i].slot;
        pin_state& pin = pins_[slot];
        --pin.readers;
        if (intact[i]) {
          batch.found[i] = static_cast<std::size_t>(batch.entries[i].length);
          ++stats_.hits;
          stats_.bytes_read += batch.entries[i].length;
          stats_.modelled_read_s += transfer_time_s(spec_, batch.entries[i].length, transfer_direction::read);
        } else {
          ++stats_.misses;
          const auto current = index_.get(reads[i].key);
          if (current && current->slot == slot && current->sequence == batch.entries[i].sequence) {
            index_.remove(reads[i].key);
            clear_older_copies(reads[i].key);
            ++stats_.corrupt_blocks;
            pin.retired = true;
          }
        }
        if (pin.readers == 0) {
          if (pin.retired) to_release.push_back(slot);
          pins_.erase(slot);
        }
      }
    }
    release_all(to_release);
  }

  void finish(batch_state& batch) {
    if (batch.writing) {
      finish_writes(batch);
    } else {
      finish_reads(batch);
    }
    batch.completed = true;
  }

  /// The synchronous path of single calls, and of batches when the I/O layer has no asynchronous one.
  void run_now(batch_state& batch) {
    io_->run(batch.io.requests);
    finish(batch);
  }

  /// Starts `batch`'s transfers and returns its ticket; with an I/O layer that only runs batches
  /// to the end, the batch is complete at once.
  batch_ticket start(std::unique_ptr<batch_state> batch) {
    const batch_ticket ticket{next_ticket_.fetch_add(1, std::memory_order_relaxed)};
    if constexpr (async_file_io<IO>) {
      io_->submit(batch->io);
      const std::scoped_lock lock(batches_mutex_);
      in_flight_.emplace(ticket.id, std::move(batch));
    } else {
      run_now(*batch);
    }
    return ticket;
  }

  /// Completes the batch of `ticket` if its transfers are done (or, with `block`, once they are);
  /// returns whether it is complete. One thread completes a batch; others see it complete after.
  bool complete(batch_ticket ticket, bool block) {
    std::shared_ptr<batch_state> batch;
    {
      const std::scoped_lock lock(batches_mutex_);
      const auto found = in_flight_.find(ticket.id);
      if (found == in_flight_.end()) return true;  // completed, or never in flight
      batch = found->second;
    }
    {
      std::unique_lock completing(batch->completion, std::defer_lock);
      if (block) {
        completing.lock();
      } else if (!completing.try_lock()) {
        return false;
      }
      if (!batch->completed) {
        if constexpr (async_file_io<IO>) {
          if (block) {
            io_->wait(batch->io);
          } else if (!io_->poll(batch->io)) {
            return false;
          }
        }
        finish(*batch);
      }
    }
    const std::scoped_lock lock(batches_mutex_);
    in_flight_.erase(ticket.id);
    return true;
  }

  void release_all(const std::vector<std::uint64_t>& slots) {
    if (slots.empty()) return;
    for (const std::uint64_t slot : slots) clear_header(slot);
    const std::scoped_lock lock(mutex_);
    free_slots_.insert(free_slots_.end(), slots.begin(), slots.end());
  }

  [[nodiscard]] static std::uint64_t round_to_page(std::uint64_t bytes) noexcept {
    return (bytes + detail::file_page_bytes - 1) / detail::file_page_bytes * detail::file_page_bytes;
  }

  std::filesystem::path directory_;
  tier_spec spec_;
  bool direct_io_;
  std::uint64_t max_block_bytes_;
  std::uint64_t slot_bytes_;
  std::uint64_t slot_count_;
  std::uint64_t segment_slots_;
  std::unique_ptr<IO> io_;
  std::vector<int> fds_;
  mutable std::mutex mutex_;
  detail::tier_index index_;
  std::vector<std::uint64_t> free_slots_;
  std::uint64_t next_unused_slot_ = 0;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t reserved_bytes_ = 0;
  /// Slots being read; a slot that leaves the index meanwhile is retired and freed by the last reader.
  struct pin_state {
    std::uint32_t readers = 0;
    bool retired = false;
  };
  std::unordered_map<std::uint64_t, pin_state> pins_;
  /// Free slots whose header still holds a replaced copy of a resident key, and the reverse.
  std::unordered_map<block_key, std::vector<std::uint64_t>, block_key_hash> older_copies_;
  std::unordered_map<std::uint64_t, block_key> older_copy_key_;
  /// The payload checksum in each resident block's header, kept so that a buffered load need not
  /// read the header again: the payload read is checked against it.
  std::vector<std::uint64_t> payload_checksums_;
  std::vector<detail::aligned_buffer> staging_pool_;  ///< O_DIRECT staging buffers, one slot each
  tier_stats stats_;
  std::atomic<std::uint64_t> next_ticket_{1};
  std::mutex batches_mutex_;
  std::unordered_map<std::uint64_t, std::shared_ptr<batch_state>> in_flight_;  ///< submitted, not yet completed
};

static_assert(async_tier<file_tier<>>);
static_assert(async_tier<file_tier<posix_io>>);

}  // namespace kvtier
