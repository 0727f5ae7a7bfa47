#pragma once
// Reads Mooncake-format JSONL block traces (FAST'25 release and the derived agent traces):
// one request per line, `{"timestamp": ms, "input_length": tokens, "output_length": tokens,
// "hash_ids": [int, ...]}` plus optional `"session_id"` (string or integer) and `"turn"`.
//
// The file is read in chunks and each line parsed with simdjson's DOM parser (runtime-dispatched
// SIMD kernels, whole-line validation), so memory stays at one chunk plus the trace itself. Block ids and session ids
// are remapped dense in first-seen order. Any malformed or truncated line, a missing or mistyped field, or a block
// count that disagrees with input_length is an input_error naming the file, the 1-based line and the field.
#include <kvtier/error.hpp>
#include <kvtier/trace/block_trace.hpp>

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kvtier {

struct mooncake_read_options {
  std::uint32_t block_tokens = 512;  ///< tokens per hash id; hash_ids must hold ceil(input_length / block_tokens)
  std::size_t chunk_bytes = std::size_t{4} << 20;  ///< read granularity; a longer line grows the buffer
  friend constexpr bool operator==(const mooncake_read_options&, const mooncake_read_options&) = default;
};

namespace detail {

class mooncake_line_parser {
 public:
  mooncake_line_parser(std::string file, const mooncake_read_options& options)
      : file_(std::move(file)), block_tokens_(options.block_tokens), builder_(file_, options.block_tokens) {}

  /// Parses one line; `capacity` counts the readable bytes from `line` on (at least size + padding).
  void parse(const char* line, std::size_t size, [[maybe_unused]] std::size_t capacity, std::uint64_t line_number) {
    line_ = line_number;
    field_ = {};
    KVTIER_ASSERT(capacity >= size + simdjson::SIMDJSON_PADDING, "line buffer without simdjson padding");
    simdjson::dom::element doc;
    check(parser_.parse(reinterpret_cast<const std::uint8_t*>(line), size, false).get(doc));
    simdjson::dom::object object;
    check(doc.get_object().get(object));

    std::uint64_t timestamp = 0, input_tokens = 0, output_tokens = 0, turn = 0;
    session_id session = no_session;
    bool has_timestamp = false, has_input = false, has_hashes = false;
    hashes_.clear();
    for (const auto [key, value] : object) {
      field_ = key;
      if (key == "timestamp") {
        timestamp = read_count(value);
        has_timestamp = true;
      } else if (key == "input_length") {
        input_tokens = read_count(value);
        has_input = true;
      } else if (key == "output_length") {
        output_tokens = read_count(value);
      } else if (key == "hash_ids") {
        simdjson::dom::array array;
        check(value.get_array().get(array));
        for (const simdjson::dom::element element : array) {
          std::uint64_t id = 0;
          check(element.get_uint64().get(id));
          hashes_.push_back(id);
        }
        has_hashes = true;
      } else if (key == "session_id") {
        session = read_session(value);
      } else if (key == "turn") {
        turn = read_count(value);
      }
    }
    field_ = {};
    if (!has_timestamp) missing("timestamp");
    if (!has_input) missing("input_length");
    if (!has_hashes) missing("hash_ids");
    if (input_tokens > UINT32_MAX) fail_field("input_length", "too large");
    if (output_tokens > UINT32_MAX) fail_field("output_length", "too large");
    if (turn > UINT32_MAX) fail_field("turn", "too large");
    const std::uint64_t expected = (input_tokens + block_tokens_ - 1) / block_tokens_;
    if (hashes_.size() != expected) {
      fail_field("hash_ids", "holds " + std::to_string(hashes_.size()) + " ids but input_length " +
                                 std::to_string(input_tokens) + " needs " + std::to_string(expected) + " blocks of " +
                                 std::to_string(block_tokens_) + " tokens");
    }

    // Files number turns from 1 (the derived agent traces do); trace_request::turn counts from 0.
    const auto zero_based_turn = static_cast<std::uint32_t>(turn == 0 ? 0 : turn - 1);
    builder_.begin_request(timestamp, static_cast<std::uint32_t>(input_tokens),
                           static_cast<std::uint32_t>(output_tokens), session, zero_based_turn);
    for (const std::uint64_t id : hashes_) builder_.add_block(id);
    ++requests_;
  }

  void reserve(std::size_t requests, std::size_t blocks) { builder_.reserve(requests, blocks); }
  [[nodiscard]] std::uint64_t requests() const noexcept { return requests_; }
  [[nodiscard]] block_trace finish() && { return std::move(builder_).finish(); }

 private:
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
    // Keys are tagged by kind so that the number 7 and the string "7" stay distinct sessions.
    std::string key;
    std::uint64_t number = 0;
    std::string_view text;
    if (value.get_uint64().get(number) == simdjson::SUCCESS) {
      key.push_back('#');
      key.append(std::to_string(number));
    } else {
      check(value.get_string().get(text));
      key.push_back('"');
      key.append(text);
    }
    const auto [it, inserted] = sessions_.try_emplace(std::move(key), static_cast<session_id>(sessions_.size()));
    return it->second;
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
  std::vector<std::uint64_t> hashes_;
  std::uint64_t line_ = 0;
  std::uint64_t requests_ = 0;
  std::string_view field_;
};

/// Parses text[start, end) as one request line, blanks around it trimmed and blank lines skipped;
/// `readable` counts the bytes readable from `text` (simdjson padding included).
inline void parse_trimmed_line(mooncake_line_parser& parser, const char* text, std::size_t start, std::size_t end,
                               std::size_t readable, std::uint64_t line) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (start < end && blank(text[start])) ++start;
  while (end > start && blank(text[end - 1])) --end;
  if (end > start) parser.parse(text + start, end - start, readable - start, line);
}

struct file_closer {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

}  // namespace detail

/// Reads a whole Mooncake JSONL trace. Blank lines are skipped; a file without any request is an error.
[[nodiscard]] inline block_trace read_mooncake_trace(const std::string& path,
                                                     const mooncake_read_options& options = {}) {
  if (options.block_tokens == 0) report_input_error({path, 0, "block_tokens"}, "must be at least 1");
  const std::unique_ptr<std::FILE, detail::file_closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) report_input_error({path, 0, ""}, std::string("cannot open: ") + std::strerror(errno));

  detail::mooncake_line_parser parser(path, options);
  std::error_code size_error;
  const std::uintmax_t file_bytes = std::filesystem::file_size(path, size_error);
  if (!size_error) parser.reserve(file_bytes / 256, file_bytes / 10);  // JSONL spends about 10 bytes an id
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
  if (parser.requests() == 0) report_input_error({path, 0, ""}, "empty trace: no request lines");
  return std::move(parser).finish();
}

}  // namespace kvtier
