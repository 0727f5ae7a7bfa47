#pragma once
// read_trace: any trace file kvtier reads, its format named or detected, plain or gzip.
//   mooncake                          JSON Lines with "hash_ids" (mooncake_reader.hpp)
//   sharegpt, openai, lmsys, agent    chat transcripts, converted to blocks (chat_reader.hpp)
// Detection looks at the first record: a JSON object line holding "hash_ids" is a Mooncake trace;
// anything else goes to the chat reader, which tells its shapes apart (and reports what it could
// not recognise with the file and line).
#include <kvtier/error.hpp>
#include <kvtier/trace/block_trace.hpp>
#include <kvtier/trace/chat_reader.hpp>
#include <kvtier/trace/mooncake_reader.hpp>

#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kvtier {

enum class trace_format : std::uint8_t { detect, mooncake, sharegpt, openai, lmsys, agent };

[[nodiscard]] constexpr std::string_view to_string(trace_format format) noexcept {
  switch (format) {
    case trace_format::detect:
      return "auto";
    case trace_format::mooncake:
      return "mooncake";
    case trace_format::sharegpt:
      return "sharegpt";
    case trace_format::openai:
      return "openai";
    case trace_format::lmsys:
      return "lmsys";
    case trace_format::agent:
      return "agent";
  }
  return "auto";
}

/// nullopt when `name` is none of: auto mooncake sharegpt openai lmsys agent.
[[nodiscard]] constexpr std::optional<trace_format> parse_trace_format(std::string_view name) noexcept {
  for (const auto format : {trace_format::detect, trace_format::mooncake, trace_format::sharegpt, trace_format::openai,
                            trace_format::lmsys, trace_format::agent}) {
    if (to_string(format) == name) return format;
  }
  return std::nullopt;
}

struct trace_read_options {
  trace_format format = trace_format::detect;
  std::uint32_t block_tokens = 512;
  friend constexpr bool operator==(const trace_read_options&, const trace_read_options&) = default;
};

namespace detail {

/// Whether the file's first bytes are the gzip magic.
[[nodiscard]] inline bool is_gzip(const std::string& path) {
  const std::unique_ptr<std::FILE, file_closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) report_input_error({path, 0, ""}, std::string("cannot open: ") + std::strerror(errno));
  std::array<unsigned char, 2> magic{};
  return std::fread(magic.data(), 1, 2, file.get()) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

/// Mooncake when the first non-blank line is a JSON object naming "hash_ids" (or the file is blank);
/// else a chat format.
[[nodiscard]] inline trace_format detect_trace_format(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) report_input_error({path, 0, ""}, "cannot open for reading");
  std::string head(1u << 16, '\0');
  const int n = gzread(file, head.data(), static_cast<unsigned>(head.size()));
  gzclose(file);
  head.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  const std::size_t first = head.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return trace_format::mooncake;  // blank: the Mooncake reader names it empty
  if (head[first] != '{') return trace_format::detect;
  const std::string_view line = std::string_view(head).substr(first, head.find('\n', first) - first);
  return line.find("\"hash_ids\"") != std::string_view::npos ? trace_format::mooncake : trace_format::detect;
}

/// A gzip-compressed Mooncake trace, decompressed in memory and parsed line by line.
[[nodiscard]] inline block_trace read_gzip_mooncake_trace(const std::string& path,
                                                          const mooncake_read_options& options) {
  std::size_t size = 0;
  const std::string text = read_padded_file(path, size);
  mooncake_line_parser parser(path, options);
  reserve_for_file(parser, size);
  parse_lines(parser, text.data(), size, text.size(), 0, [](std::size_t) {});
  return std::move(parser).finish();
}

}  // namespace detail

/// Reads any supported trace; the returned trace's `source` is the path.
[[nodiscard]] inline block_trace read_trace(const std::string& path, const trace_read_options& options = {}) {
  trace_format format = options.format;
  if (format == trace_format::detect) format = detail::detect_trace_format(path);
  if (format == trace_format::mooncake) {
    const mooncake_read_options mooncake{.block_tokens = options.block_tokens};
    return detail::is_gzip(path) ? detail::read_gzip_mooncake_trace(path, mooncake)
                                 : read_mooncake_trace(path, mooncake);
  }
  chat_reader_options chat;
  chat.block_tokens = options.block_tokens;
  chat.format = *parse_chat_format(format == trace_format::detect ? "detect" : to_string(format));
  block_trace trace = read_chat_trace(path, chat).trace;
  if (trace.requests.empty())
    report_input_error({path, 0, ""}, "empty trace: no LLM call (no assistant turn to answer)");
  return trace;
}

}  // namespace kvtier
