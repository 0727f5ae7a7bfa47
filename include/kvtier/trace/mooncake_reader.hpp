#pragma once
// Reads Mooncake-format JSONL block traces (FAST'25 release and the derived agent traces):
// one request per line, `{"timestamp": ms, "input_length": tokens, "output_length": tokens,
// "hash_ids": [int, ...]}` plus optional `"session_id"` (string or integer) and `"turn"`.
//
// A regular file is mapped and parsed in place; other files (pipes) are read in chunks. A line of the
// usual shape (known keys, plain unsigned integers, strings without escapes or non-ASCII bytes) is read
// by a direct scanner; any other line goes to simdjson's DOM parser (runtime-dispatched SIMD kernels,
// whole-line validation), so what a line means and every error it can raise are simdjson's. Memory
// stays at the trace itself plus the file's pages (released as parsed beyond 64 MiB) or one chunk.
// Block ids and session ids are remapped dense in first-seen order. Any malformed or truncated line, a
// missing or mistyped field, or a block count that disagrees with input_length is an input_error
// naming the file, the 1-based line and the field.
#include <kvtier/detail/json_blank.hpp>
#include <kvtier/error.hpp>
#include <kvtier/trace/block_trace.hpp>

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#if __has_include(<sys/mman.h>) && __has_include(<sys/stat.h>) && __has_include(<fcntl.h>) && __has_include(<unistd.h>)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define KVTIER_MOONCAKE_MMAP 1
#else
#define KVTIER_MOONCAKE_MMAP 0
#endif

namespace kvtier {

struct mooncake_read_options {
  std::uint32_t block_tokens = 512;  ///< tokens per hash id; hash_ids must hold ceil(input_length / block_tokens)
  std::size_t chunk_bytes = std::size_t{4} << 20;  ///< read granularity; a longer line grows the buffer
  bool map_file = true;  ///< map a regular file and parse it in place instead of reading it in chunks
  friend constexpr bool operator==(const mooncake_read_options&, const mooncake_read_options&) = default;
};

namespace detail {

class mooncake_line_parser {
 public:
  mooncake_line_parser(std::string file, const mooncake_read_options& options)
      : file_(std::move(file)), block_tokens_(options.block_tokens), builder_(file_, options.block_tokens) {}

  /// Parses one line; `readable` counts the bytes readable from `line` on. A line of the common shape
  /// is read directly (plain_line); any other goes to simdjson's validating parser, which needs
  /// simdjson::SIMDJSON_PADDING readable bytes past the line: when `readable` is short of that, the
  /// line is copied first.
  void parse(const char* line, std::size_t size, std::size_t readable, std::uint64_t line_number) {
    line_ = line_number;
    field_ = {};
    line_fields fields;
    if (!plain_line(line, line + size, fields)) parse_checked(line, size, readable, fields);
    field_ = {};
    if (!fields.has_timestamp) missing("timestamp");
    if (!fields.has_input) missing("input_length");
    if (!fields.has_hashes) missing("hash_ids");
    if (fields.input_tokens > UINT32_MAX) fail_field("input_length", "too large");
    if (fields.output_tokens > UINT32_MAX) fail_field("output_length", "too large");
    if (fields.turn > UINT32_MAX) fail_field("turn", "too large");
    const std::uint64_t expected = (fields.input_tokens + block_tokens_ - 1) / block_tokens_;
    if (hashes_.size() != expected) {
      fail_field("hash_ids", "holds " + std::to_string(hashes_.size()) + " ids but input_length " +
                                 std::to_string(fields.input_tokens) + " needs " + std::to_string(expected) +
                                 " blocks of " + std::to_string(block_tokens_) + " tokens");
    }

    // Files number turns from 1 (the derived agent traces do); trace_request::turn counts from 0.
    const auto zero_based_turn = static_cast<std::uint32_t>(fields.turn == 0 ? 0 : fields.turn - 1);
    builder_.begin_request(fields.timestamp, static_cast<std::uint32_t>(fields.input_tokens),
                           static_cast<std::uint32_t>(fields.output_tokens), fields.session, zero_based_turn);
    builder_.add_blocks(hashes_);
    ++requests_;
  }

  void reserve(std::size_t requests, std::size_t blocks) { builder_.reserve(requests, blocks); }
  /// The trace read; a file without any request line is an input_error.
  [[nodiscard]] block_trace finish() && {
    if (requests_ == 0) report_input_error({file_, 0, ""}, "empty trace: no request lines");
    return std::move(builder_).finish();
  }

 private:
  /// One line's fields; the block hashes go to hashes_.
  struct line_fields {
    std::uint64_t timestamp = 0, input_tokens = 0, output_tokens = 0, turn = 0;
    session_id session = no_session;
    bool has_timestamp = false, has_input = false, has_hashes = false;
  };
  enum field_index : std::uint8_t {
    timestamp_field,
    input_field,
    output_field,
    hashes_field,
    session_field,
    turn_field
  };

  /// The common shape of a line, read without simdjson: one object of distinct known keys whose values
  /// are plain unsigned integers (at most 19 digits, no fraction or exponent), one array of them
  /// (hash_ids) and, for session_id, an integer or a string without escapes, control or non-ASCII
  /// bytes. Such a line is valid JSON and means what the validating parser would read. Anything else
  /// returns false having changed nothing but hashes_, and the line goes to parse_checked.
  bool plain_line(const char* p, const char* end, line_fields& out) {
    hashes_.clear();
    if (p == end || *p != '{') return false;
    ++p;
    unsigned seen = 0;
    std::uint64_t values[6] = {};
    std::string_view session_text;
    bool session_is_text = false;
    for (;;) {
      skip_blanks(p, end);
      std::string_view key;
      if (!plain_string(p, end, key)) return false;
      skip_blanks(p, end);
      if (p == end || *p != ':') return false;
      ++p;
      skip_blanks(p, end);
      const int field = known_field(key);
      if (field < 0 || (seen & (1u << field)) != 0) return false;
      seen |= 1u << field;
      if (field == hashes_field) {
        if (!plain_array(p, end)) return false;
      } else if (field == session_field && p != end && *p == '"') {
        if (!plain_string(p, end, session_text)) return false;
        session_is_text = true;
      } else if (!plain_count(p, end, values[field])) {
        return false;
      }
      skip_blanks(p, end);
      if (p == end) return false;
      if (*p == '}') break;
      if (*p != ',') return false;
      ++p;
    }
    ++p;
    skip_blanks(p, end);
    if (p != end) return false;
    out.timestamp = values[timestamp_field];
    out.input_tokens = values[input_field];
    out.output_tokens = values[output_field];
    out.turn = values[turn_field];
    out.has_timestamp = (seen & (1u << timestamp_field)) != 0;
    out.has_input = (seen & (1u << input_field)) != 0;
    out.has_hashes = (seen & (1u << hashes_field)) != 0;
    if ((seen & (1u << session_field)) != 0) {
      out.session = session_is_text ? session_of('"', session_text) : session_of('#', values[session_field]);
    }
    return true;
  }
  /// The keys a line may hold, in field_index order; both parsers name fields through this one list.
  static constexpr std::string_view field_names[] = {"timestamp", "input_length", "output_length",
                                                     "hash_ids",  "session_id",   "turn"};
  /// The field_index of `key`, or -1 for a key the format does not define.
  static int known_field(std::string_view key) noexcept {
    for (std::size_t i = 0; i < std::size(field_names); ++i) {
      if (key == field_names[i]) return static_cast<int>(i);
    }
    return -1;
  }
  static void skip_blanks(const char*& p, const char* end) noexcept {
    while (p != end && json_blank(*p)) ++p;
  }
  /// A string from its opening quote, without escapes, control or non-ASCII bytes.
  static bool plain_string(const char*& p, const char* end, std::string_view& out) noexcept {
    if (p == end || *p != '"') return false;
    const char* const start = ++p;
    for (; p != end; ++p) {
      const auto c = static_cast<unsigned char>(*p);
      if (c == '"') {
        out = {start, static_cast<std::size_t>(p - start)};
        ++p;
        return true;
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
    }
    return false;
  }
  /// An unsigned integer of JSON's grammar with at most 19 digits (so below 2^64), not followed by a
  /// fraction or an exponent.
  static bool plain_count(const char*& p, const char* end, std::uint64_t& out) noexcept {
    const char* const start = p;
    std::uint64_t value = 0;
    if (end - p >= 8 && eight_digits_or_fewer(p, value)) {
      p += static_cast<std::ptrdiff_t>(value >> 56);  // the digit count, in the top byte
      value &= (std::uint64_t{1} << 56) - 1;
    } else {
      while (p != end && static_cast<unsigned char>(*p - '0') < 10)
        value = value * 10 + static_cast<unsigned>(*p++ - '0');
    }
    const auto digits = static_cast<std::size_t>(p - start);
    if (digits == 0 || digits > 19 || (digits > 1 && *start == '0')) return false;
    if (p != end && (*p == '.' || *p == 'e' || *p == 'E')) return false;
    out = value;
    return true;
  }
  /// When p[0, 8) holds at most 7 leading digits, their value with their count in the top byte
  /// (SWAR: one load, a mask of the non-digit bytes, the digits combined pairwise).
  static bool eight_digits_or_fewer(const char* p, std::uint64_t& out) noexcept {
    std::uint64_t chunk = 0;
    std::memcpy(&chunk, p, sizeof chunk);
    if constexpr (std::endian::native != std::endian::little) return false;
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    const std::uint64_t digits = chunk - 0x30 * ones;
    // A byte below '0' wraps (and borrows only into later bytes), one above '9' carries into its top
    // bit: the first such byte marks the end of the number.
    const std::uint64_t stop = (digits | (chunk + 0x46 * ones)) & (0x80 * ones);
    if (stop == 0) return false;  // eight digits or more
    const int count = std::countr_zero(stop) / 8;
    if (count == 0) {
      out = 0;
      return true;
    }
    std::uint64_t v = (digits << (64 - 8 * count)) & (0x0F * ones);  // leading zero bytes before the digits
    v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFULL;
    v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFULL;
    v = (v * 10000 + (v >> 32)) & 0xFFFFFFFFULL;
    out = v | (static_cast<std::uint64_t>(count) << 56);
    return true;
  }
  bool plain_array(const char*& p, const char* end) {
    if (p == end || *p != '[') return false;
    ++p;
    skip_blanks(p, end);
    if (p != end && *p == ']') {
      ++p;
      return true;
    }
    for (;;) {
      std::uint64_t id = 0;
      if (!plain_count(p, end, id)) return false;
      hashes_.push_back(id);
      if (end - p >= 2 && p[0] == ',' && p[1] == ' ') {  // the usual separator, as json.dumps writes it
        p += 2;
        skip_blanks(p, end);
        continue;
      }
      skip_blanks(p, end);
      if (p == end) return false;
      if (*p == ']') {
        ++p;
        return true;
      }
      if (*p != ',') return false;
      ++p;
      skip_blanks(p, end);
    }
  }

  /// The line through simdjson's DOM parser, which validates all of it and names what is wrong.
  void parse_checked(const char* line, std::size_t size, std::size_t readable, line_fields& out) {
    if (readable < size + simdjson::SIMDJSON_PADDING) {
      padded_.assign(line, size);
      padded_.resize(size + simdjson::SIMDJSON_PADDING, '\0');
      line = padded_.data();
    }
    simdjson::dom::element doc;
    check(parser_.parse(reinterpret_cast<const std::uint8_t*>(line), size, false).get(doc));
    simdjson::dom::object object;
    check(doc.get_object().get(object));
    hashes_.clear();
    for (const auto [key, value] : object) {
      field_ = key;
      switch (known_field(key)) {
        case timestamp_field:
          out.timestamp = read_count(value);
          out.has_timestamp = true;
          break;
        case input_field:
          out.input_tokens = read_count(value);
          out.has_input = true;
          break;
        case output_field:
          out.output_tokens = read_count(value);
          break;
        case hashes_field: {
          simdjson::dom::array array;
          check(value.get_array().get(array));
          for (const simdjson::dom::element element : array) {
            std::uint64_t id = 0;
            check(element.get_uint64().get(id));
            hashes_.push_back(id);
          }
          out.has_hashes = true;
          break;
        }
        case session_field:
          out.session = read_session(value);
          break;
        case turn_field:
          out.turn = read_count(value);
          break;
        default:  // a key the format does not define is ignored
          break;
      }
    }
  }

  void check(simdjson::error_code error) const {
    if (error != simdjson::SUCCESS) fail(simdjson::error_message(error));
  }
  std::uint64_t read_count(simdjson::dom::element value) const {
    std::uint64_t out = 0;
    if (value.get_uint64().get(out) == simdjson::SUCCESS) return out;
    double real = 0;
    check(value.get_double().get(real));
    if (!(real >= 0 && real < 1.8e19)) fail("must be a non-negative number");
    return static_cast<std::uint64_t>(real);
  }
  session_id read_session(simdjson::dom::element value) {
    std::uint64_t number = 0;
    std::string_view text;
    if (value.get_uint64().get(number) == simdjson::SUCCESS) return session_of('#', number);
    check(value.get_string().get(text));
    return session_of('"', text);
  }
  session_id session_of(char kind, std::uint64_t number) {
    char digits[20];
    const auto [end, error] = std::to_chars(std::begin(digits), std::end(digits), number);
    return session_of(kind, std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  /// Keys are tagged by kind so that the number 7 and the string "7" stay distinct sessions.
  session_id session_of(char kind, std::string_view text) {
    session_key_.assign(1, kind);
    session_key_.append(text);
    const auto it = sessions_.find(session_key_);
    if (it != sessions_.end()) return it->second;
    return sessions_.emplace(session_key_, static_cast<session_id>(sessions_.size())).first->second;
  }
  [[noreturn]] void fail(std::string_view what) const { report_input_error({file_, line_, std::string(field_)}, what); }
  [[noreturn]] void fail_field(std::string_view field, std::string_view what) const {
    report_input_error({file_, line_, std::string(field)}, what);
  }
  [[noreturn]] void missing(std::string_view field) const { fail_field(field, "missing"); }

  std::string file_;
  std::uint32_t block_tokens_;
  simdjson::dom::parser parser_;
  block_trace_builder builder_;
  std::unordered_map<std::string, session_id> sessions_;
  std::string session_key_;
  std::string padded_;  ///< a line copied for simdjson, with its padding
  std::vector<std::uint64_t> hashes_;
  std::uint64_t line_ = 0;
  std::uint64_t requests_ = 0;
  std::string_view field_;
};

/// Parses text[start, end) as one request line (it holds no line feed), blanks around it trimmed and
/// blank lines skipped; `readable` counts the bytes readable from `text` (simdjson padding included).
inline void parse_trimmed_line(mooncake_line_parser& parser, const char* text, std::size_t start, std::size_t end,
                               std::size_t readable, std::uint64_t line) {
  while (start < end && json_blank(text[start])) ++start;
  while (end > start && json_blank(text[end - 1])) --end;
  if (end > start) parser.parse(text + start, end - start, readable - start, line);
}

struct file_closer {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

/// Reserves the trace for a file of `bytes`: JSONL spends about 10 bytes an id and over 128 bytes a
/// request line; an underestimate costs a reallocation, an overestimate only address space.
inline void reserve_for_file(mooncake_line_parser& parser, std::uintmax_t bytes) {
  parser.reserve(static_cast<std::size_t>(bytes / 128), static_cast<std::size_t>(bytes / 10));
}

/// Parses every line of text[0, size) (readable up to `readable`), counting lines from `line`.
/// `consumed(offset)` is told, now and then, that the text before `offset` is no longer needed.
template <class Consumed>
std::uint64_t parse_lines(mooncake_line_parser& parser, const char* text, std::size_t size, std::size_t readable,
                          std::uint64_t line, Consumed&& consumed) {
  constexpr std::size_t report_every = std::size_t{32} << 20;
  std::size_t next_report = report_every;
  for (std::size_t start = 0; start < size;) {
    const void* found = std::memchr(text + start, '\n', size - start);
    const std::size_t end = found != nullptr ? static_cast<std::size_t>(static_cast<const char*>(found) - text) : size;
    parse_trimmed_line(parser, text, start, end, readable, ++line);
    start = end + 1;
    if (start >= next_report) {
      consumed(start);
      next_report = start + report_every;
    }
  }
  return line;
}

#if KVTIER_MOONCAKE_MMAP
/// A regular file mapped read-only, or nothing (the file is then read in chunks).
class mapped_file {
 public:
  /// Files up to this size are faulted in at once; larger ones page in as read and out once parsed.
  static constexpr std::size_t populate_bytes = std::size_t{64} << 20;

  explicit mapped_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
      size_ = static_cast<std::size_t>(info.st_size);
      int flags = MAP_PRIVATE;
#if defined(MAP_POPULATE)
      if (size_ <= populate_bytes) flags |= MAP_POPULATE;
#endif
      void* p = ::mmap(nullptr, size_, PROT_READ, flags, fd, 0);
      if (p == MAP_FAILED) {
        size_ = 0;
      } else {
        data_ = static_cast<const char*>(p);
        if (size_ > populate_bytes) static_cast<void>(::madvise(p, size_, MADV_SEQUENTIAL));
      }
    }
    ::close(fd);
  }
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }

  [[nodiscard]] const char* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Lets the pages wholly before `offset` go (they are re-read from the file if touched again).
  void release_before(std::size_t offset) const noexcept {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t bytes = offset / page * page;
    if (bytes > 0 && size_ > populate_bytes)
      static_cast<void>(::madvise(const_cast<char*>(data_), bytes, MADV_DONTNEED));
  }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};
#endif

}  // namespace detail

/// Reads a whole Mooncake JSONL trace. Blank lines are skipped; a file without any request is an error.
/// A regular file is mapped and parsed in place (where the system can map files); anything else, or
/// with `options.map_file` false, is read in chunks of `options.chunk_bytes`.
[[nodiscard]] inline block_trace read_mooncake_trace(const std::string& path,
                                                     const mooncake_read_options& options = {}) {
  if (options.block_tokens == 0) report_input_error({path, 0, "block_tokens"}, "must be at least 1");
#if KVTIER_MOONCAKE_MMAP
  if (options.map_file) {
    const detail::mapped_file mapped(path);
    if (mapped.data() != nullptr) {
      detail::mooncake_line_parser parser(path, options);
      detail::reserve_for_file(parser, mapped.size());
      detail::parse_lines(parser, mapped.data(), mapped.size(), mapped.size(), 0,
                          [&](std::size_t offset) { mapped.release_before(offset); });
      return std::move(parser).finish();
    }
  }
#endif
  const std::unique_ptr<std::FILE, detail::file_closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) report_input_error({path, 0, ""}, std::string("cannot open: ") + std::strerror(errno));

  detail::mooncake_line_parser parser(path, options);
  std::error_code size_error;
  const std::uintmax_t file_bytes = std::filesystem::file_size(path, size_error);
  if (!size_error) detail::reserve_for_file(parser, file_bytes);
  // A file smaller than a chunk is read whole into a buffer of its size (one more byte to see its end):
  // a larger buffer would only be zeroed and faulted in.
  std::size_t chunk = options.chunk_bytes < 4096 ? 4096 : options.chunk_bytes;
  if (!size_error && file_bytes < chunk) chunk = std::max<std::size_t>(4096, static_cast<std::size_t>(file_bytes) + 1);
  std::vector<char> buffer(chunk + simdjson::SIMDJSON_PADDING);
  std::size_t filled = 0;  // bytes of [0, filled) not yet consumed
  std::uint64_t line = 0;
  bool eof = false;
  while (!eof) {
    if (buffer.size() - filled < chunk / 2 + simdjson::SIMDJSON_PADDING) buffer.resize(buffer.size() * 2);
    const std::size_t room = buffer.size() - simdjson::SIMDJSON_PADDING - filled;
    const std::size_t got = std::fread(buffer.data() + filled, 1, room, file.get());
    if (got < room) {
      if (std::ferror(file.get())) report_input_error({path, line + 1, ""}, "read error");
      eof = true;
    }
    filled += got;
    std::size_t start = 0;
    while (start < filled) {
      const void* found = std::memchr(buffer.data() + start, '\n', filled - start);
      if (found == nullptr && !eof) break;  // incomplete line: read more
      const std::size_t end =
          found != nullptr ? static_cast<std::size_t>(static_cast<const char*>(found) - buffer.data()) : filled;
      detail::parse_trimmed_line(parser, buffer.data(), start, end, buffer.size(), ++line);
      start = end + 1;
    }
    if (start < filled) {
      std::memmove(buffer.data(), buffer.data() + start, filled - start);
      filled -= start;
    } else {
      filled = 0;
    }
  }
  return std::move(parser).finish();
}

}  // namespace kvtier
