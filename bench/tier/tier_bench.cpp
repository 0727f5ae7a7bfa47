// Store and load throughput of host_memory_tier and file_tier, each beside its baseline in the
// same binary: memcpy into and out of an arena of the same size for memory; raw pwrite and pread
// of the same sizes at the same offsets of a file in the same directory for files (buffered and
// O_DIRECT). File benchmarks report wall-clock time and the CPU time of all the process's threads:
// a tier that used a second core would show CPU time above wall-clock time. Keys rotate over a
// 128 MiB working set, so stores after the first round replace. The paired file benchmarks time a
// raw and a tier transfer in each iteration, the steadier comparison on a shared machine.
#include <kvtier/io.hpp>
#include <kvtier/tier/presets.hpp>

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr std::uint64_t working_set_bytes = std::uint64_t{128} << 20;
const std::filesystem::path bench_directory = KVTIER_BENCH_DIR;

struct aligned_buffer {
  explicit aligned_buffer(std::uint64_t bytes)
      : data(static_cast<std::byte*>(std::aligned_alloc(4096, bytes))), size(bytes) {
    for (std::uint64_t i = 0; i < bytes; ++i) data[i] = static_cast<std::byte>(i * 131 + 7);
  }
  ~aligned_buffer() { std::free(data); }
  aligned_buffer(const aligned_buffer&) = delete;
  aligned_buffer& operator=(const aligned_buffer&) = delete;
  std::byte* data;
  std::uint64_t size;
};

kvtier::block_key key_of(std::uint64_t i) { return kvtier::block_key{i * 0x9E3779B97F4A7C15ull, i}; }

std::uint64_t block_count(std::uint64_t block_bytes) { return working_set_bytes / block_bytes; }

void finish(benchmark::State& state, std::uint64_t block_bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * block_bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Memory --------------------------------------------------------------------------------------

void BM_tier_memcpy_store(benchmark::State& state) {
  const auto block = static_cast<std::uint64_t>(state.range(0));
  aligned_buffer arena(working_set_bytes);
  aligned_buffer source(block);
  std::uint64_t i = 0;
  for (auto _ : state) {
    std::memcpy(arena.data + (i++ % block_count(block)) * block, source.data, block);
    benchmark::ClobberMemory();
  }
  finish(state, block);
}

void BM_tier_memcpy_load(benchmark::State& state) {
  const auto block = static_cast<std::uint64_t>(state.range(0));
  aligned_buffer arena(working_set_bytes);
  aligned_buffer destination(block);
  std::uint64_t i = 0;
  for (auto _ : state) {
    std::memcpy(destination.data, arena.data + (i++ % block_count(block)) * block, block);
    benchmark::ClobberMemory();
  }
  finish(state, block);
}

std::unique_ptr<kvtier::host_memory_tier> make_host(std::uint64_t block) {
  kvtier::tier_spec spec = kvtier::presets::dram_pcie5;
  spec.capacity_bytes = working_set_bytes;
  return std::make_unique<kvtier::host_memory_tier>(spec,
                                                    kvtier::host_memory_options{block, -1, std::uint64_t{1} << 30});
}

void BM_tier_host_store(benchmark::State& state) {
  const auto block = static_cast<std::uint64_t>(state.range(0));
  const auto tier = make_host(block);
  aligned_buffer source(block);
  const std::span<const std::byte> bytes(source.data, block);
  for (std::uint64_t k = 0; k < block_count(block); ++k) (void)tier->try_insert(key_of(k), bytes);
  std::uint64_t i = 0;
  for (auto _ : state) {
    if (!tier->try_insert(key_of(i++ % block_count(block)), bytes)) state.SkipWithError("insert failed");
  }
  finish(state, block);
}

void BM_tier_host_load(benchmark::State& state) {
  const auto block = static_cast<std::uint64_t>(state.range(0));
  const auto tier = make_host(block);
  aligned_buffer source(block);
  for (std::uint64_t k = 0; k < block_count(block); ++k) {
    (void)tier->try_insert(key_of(k), std::span<const std::byte>(source.data, block));
  }
  aligned_buffer destination(block);
  const std::span<std::byte> out(destination.data, block);
  std::uint64_t i = 0;
  for (auto _ : state) {
    if (!tier->find(key_of(i++ % block_count(block)), out)) state.SkipWithError("miss");
  }
  finish(state, block);
}

// Files ---------------------------------------------------------------------------------------

/// The file tier's slot geometry: a header page, then the block rounded up to pages.
std::uint64_t slot_bytes(std::uint64_t block) { return 4096 + (block + 4095) / 4096 * 4096; }

/// Where the raw baselines move block `i`: the payload offset of the tier's slot `i`.
off_t raw_offset(std::uint64_t i, std::uint64_t block) {
  return static_cast<off_t>((i % block_count(block)) * slot_bytes(block) + 4096);
}

/// A file laid out as the file tier's segment (one slot per block), for the raw baselines, written
/// once before timing: by default with the timed loop's own writes (a block at each slot's payload
/// offset), as the tier fills its file; with `fill_chunk_bytes`, by larger sequential writes, which
/// on a kernel with large page-cache folios (ext4 since Linux 6.16) makes reads of it cheaper.
struct raw_file {
  raw_file(const std::string& name, bool direct, std::uint64_t block, std::uint64_t fill_chunk_bytes = 0)
      : path(bench_directory / name) {
    std::filesystem::create_directories(bench_directory);
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | (direct ? O_DIRECT : 0), 0644);
    if (fill_chunk_bytes == 0) {
      aligned_buffer fill(block);
      for (std::uint64_t i = 0; i < block_count(block); ++i) {
        if (::pwrite(fd, fill.data, block, raw_offset(i, block)) < 0) break;
      }
      return;
    }
    aligned_buffer fill(fill_chunk_bytes);
    for (std::uint64_t offset = 0; offset < block_count(block) * slot_bytes(block); offset += fill.size) {
      if (::pwrite(fd, fill.data, fill.size, static_cast<off_t>(offset)) < 0) break;
    }
  }
  ~raw_file() {
    ::close(fd);
    std::filesystem::remove(path);
  }
  raw_file(const raw_file&) = delete;
  raw_file& operator=(const raw_file&) = delete;
  std::filesystem::path path;
  int fd = -1;
};

void BM_tier_raw_pwrite(benchmark::State& state) {
  const auto block = static_cast<std::uint64_t>(state.range(0));
  const bool direct = state.range(1) != 0;
  raw_file file(direct ? "raw-direct.bin" : "raw.bin", direct, block);
  aligned_buffer source(block);
  std::uint64_t i = 0;
  for (auto _ : state) {
    if (::pwrite(file.fd, source.data, block, raw_offset(i++, block)) != static_cast<ssize_t>(block)) {
      state.SkipWithError("pwrite");
    }
  }
  finish(state, block);
}

void raw_pread(benchmark::State& state, std::uint64_t fill_chunk_bytes) {
  const auto block = static_cast<std::uint64_t>(state.range(0));
  const bool direct = state.range(1) != 0;
  raw_file file(direct ? "raw-direct.bin" : "raw.bin", direct, block, fill_chunk_bytes);
  aligned_buffer destination(block);
  std::uint64_t i = 0;
  for (auto _ : state) {
    if (::pread(file.fd, destination.data, block, raw_offset(i++, block)) != static_cast<ssize_t>(block)) {
      state.SkipWithError("pread");
    }
  }
  finish(state, block);
}

void BM_tier_raw_pread(benchmark::State& state) { raw_pread(state, 0); }
void BM_tier_raw_pread_1mib_filled(benchmark::State& state) { raw_pread(state, std::uint64_t{1} << 20); }

struct file_tier_fixture {
  file_tier_fixture(std::uint64_t block, bool direct) : directory(bench_directory / (direct ? "tier-direct" : "tier")) {
    std::filesystem::remove_all(directory);
    kvtier::tier_spec spec = kvtier::presets::nvme_gen5;
    spec.capacity_bytes = working_set_bytes;
    tier = std::make_unique<kvtier::file_tier<>>(directory, spec,
                                                 kvtier::file_tier_options{block, std::uint64_t{1} << 30, direct});
  }
  ~file_tier_fixture() {
    tier.reset();
    std::filesystem::remove_all(directory);
  }
  file_tier_fixture(const file_tier_fixture&) = delete;
  file_tier_fixture& operator=(const file_tier_fixture&) = delete;
  /// Stores `bytes` under every key but one, leaving the spare slot, so that each later store
  /// replaces a block as in steady state. Returns the number of keys stored.
  std::uint64_t fill(std::span<const std::byte> bytes) {
    const std::uint64_t keys = block_count(bytes.size()) - 1;
    for (std::uint64_t k = 0; k < keys; ++k) (void)tier->try_insert(key_of(k), bytes);
    return keys;
  }
  std::filesystem::path directory;
  std::unique_ptr<kvtier::file_tier<>> tier;
};

void BM_tier_file_store(benchmark::State& state) {
  const auto block = static_cast<std::uint64_t>(state.range(0));
  file_tier_fixture fixture(block, state.range(1) != 0);
  aligned_buffer source(block);
  const std::span<const std::byte> bytes(source.data, block);
  const std::uint64_t keys = fixture.fill(bytes);
  std::uint64_t i = 0;
  for (auto _ : state) {
    if (!fixture.tier->try_insert(key_of(i++ % keys), bytes)) state.SkipWithError("insert failed");
  }
  finish(state, block);
}

void BM_tier_file_load(benchmark::State& state) {
  const auto block = static_cast<std::uint64_t>(state.range(0));
  file_tier_fixture fixture(block, state.range(1) != 0);
  aligned_buffer source(block);
  const std::uint64_t keys = fixture.fill(std::span<const std::byte>(source.data, block));
  aligned_buffer destination(block);
  const std::span<std::byte> out(destination.data, block);
  std::uint64_t i = 0;
  for (auto _ : state) {
    if (!fixture.tier->find(key_of(i++ % keys), out)) state.SkipWithError("miss");
  }
  finish(state, block);
}

void BM_tier_checksum(benchmark::State& state) {
  const auto block = static_cast<std::uint64_t>(state.range(0));
  aligned_buffer source(block);
  for (auto _ : state) benchmark::DoNotOptimize(kvtier::detail::block_checksum({source.data, block}));
  finish(state, block);
  state.SetLabel(std::string(kvtier::detail::selected_checksum_path().name));
}

void BM_tier_file_load_batch(benchmark::State& state) {
  const auto block = static_cast<std::uint64_t>(state.range(0));
  constexpr std::uint64_t batch = 16;
  file_tier_fixture fixture(block, state.range(1) != 0);
  aligned_buffer source(block);
  const std::uint64_t keys = fixture.fill(std::span<const std::byte>(source.data, block));
  aligned_buffer destination(block * batch);
  std::vector<kvtier::block_read> reads(batch);
  std::vector<std::optional<std::size_t>> found(batch);
  std::uint64_t i = 0;
  for (auto _ : state) {
    for (std::uint64_t b = 0; b < batch; ++b) {
      reads[b] = {key_of(i++ % keys), std::span<std::byte>(destination.data + b * block, block)};
    }
    fixture.tier->wait(fixture.tier->submit_reads(reads, found));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * block * batch));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

// Paired: each iteration makes one raw transfer and one tier transfer of the same size, in the same
// directory, and times each on its own, so that both see the same moment of the machine (writeback,
// another process on the core) and the ratio no longer swings with what ran between two benchmarks.
// The raw file is filled as the tier fills its segment (one write of header page and payload per
// slot), so that both are read from page-cache folios of the same sizes. Counters: microseconds per
// raw and per tier transfer, and raw / tier (the tier's throughput as a share of the raw one).

using paired_clock = std::chrono::steady_clock;

/// Runs `raw(i)` then `tier(i)` in each iteration, timing each; both return whether they succeeded.
template <class Raw, class Tier>
void run_paired(benchmark::State& state, std::uint64_t block, Raw&& raw, Tier&& tier) {
  paired_clock::duration raw_time{};
  paired_clock::duration tier_time{};
  std::uint64_t i = 0;
  for (auto _ : state) {
    const auto start = paired_clock::now();
    const bool raw_ok = raw(i);
    const auto raw_done = paired_clock::now();
    const bool tier_ok = tier(i);
    const auto tier_done = paired_clock::now();
    if (!raw_ok || !tier_ok) state.SkipWithError("transfer failed");
    raw_time += raw_done - start;
    tier_time += tier_done - raw_done;
    ++i;
  }
  finish(state, block);
  const double n = static_cast<double>(state.iterations());
  const double raw_us = std::chrono::duration<double, std::micro>(raw_time).count() / n;
  const double tier_us = std::chrono::duration<double, std::micro>(tier_time).count() / n;
  state.counters["raw_us"] = raw_us;
  state.counters["tier_us"] = tier_us;
  state.counters["raw_over_tier"] = tier_us > 0 ? raw_us / tier_us : 0;
}

/// A raw transfer and a tier transfer of the same block size, store or load, side by side.
void file_paired(benchmark::State& state, bool load) {
  const auto block = static_cast<std::uint64_t>(state.range(0));
  const bool direct = state.range(1) != 0;
  raw_file file(direct ? "paired-direct.bin" : "paired.bin", direct, block, slot_bytes(block));
  file_tier_fixture fixture(block, direct);
  aligned_buffer source(block);
  const std::span<const std::byte> bytes(source.data, block);
  const std::uint64_t keys = fixture.fill(bytes);
  aligned_buffer destination(block);
  const std::span<std::byte> out(destination.data, block);
  const auto expected = static_cast<ssize_t>(block);
  if (load) {
    run_paired(
        state, block,
        [&](std::uint64_t i) { return ::pread(file.fd, out.data(), block, raw_offset(i, block)) == expected; },
        [&](std::uint64_t i) { return fixture.tier->find(key_of(i % keys), out).has_value(); });
  } else {
    run_paired(
        state, block,
        [&](std::uint64_t i) { return ::pwrite(file.fd, bytes.data(), block, raw_offset(i, block)) == expected; },
        [&](std::uint64_t i) { return fixture.tier->try_insert(key_of(i % keys), bytes); });
  }
}

void BM_tier_file_store_paired(benchmark::State& state) { file_paired(state, false); }
void BM_tier_file_load_paired(benchmark::State& state) { file_paired(state, true); }

void memory_sizes(benchmark::internal::Benchmark* b) { b->Arg(16 << 10)->Arg(256 << 10)->Arg(2 << 20); }
void file_sizes(benchmark::internal::Benchmark* b) {
  for (const std::int64_t direct : {0, 1}) {
    for (const std::int64_t size : {16 << 10, 256 << 10, 2 << 20}) b->Args({size, direct});
  }
  b->ArgNames({"bytes", "direct"});
  b->UseRealTime();            // I/O waits for the device: wall-clock time is what a caller sees
  b->MeasureProcessCPUTime();  // CPU time of every thread, kernel I/O workers included
}

BENCHMARK(BM_tier_memcpy_store)->Apply(memory_sizes);
BENCHMARK(BM_tier_host_store)->Apply(memory_sizes);
BENCHMARK(BM_tier_memcpy_load)->Apply(memory_sizes);
BENCHMARK(BM_tier_host_load)->Apply(memory_sizes);
BENCHMARK(BM_tier_checksum)->Apply(memory_sizes);
BENCHMARK(BM_tier_raw_pwrite)->Apply(file_sizes);
BENCHMARK(BM_tier_file_store)->Apply(file_sizes);
BENCHMARK(BM_tier_raw_pread)->Apply(file_sizes);
BENCHMARK(BM_tier_raw_pread_1mib_filled)->Apply(file_sizes);
BENCHMARK(BM_tier_file_load)->Apply(file_sizes);
BENCHMARK(BM_tier_file_load_batch)->Apply(file_sizes);
BENCHMARK(BM_tier_file_store_paired)->Apply(file_sizes);
BENCHMARK(BM_tier_file_load_paired)->Apply(file_sizes);

}  // namespace
