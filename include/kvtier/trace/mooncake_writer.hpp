#pragma once
// Writes a block_trace as Mooncake JSONL, the format read by mooncake_reader.hpp and by other
// simulators (libCacheSim's Mooncake reader, Mooncake's own tools): one request per line with
// timestamp, input_length, output_length and hash_ids (the dense block ids), plus session_id and
// turn when the trace has sessions. Needs no JSON library.
#include <kvtier/trace/block_trace.hpp>

#include <charconv>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace kvtier {

namespace detail {
inline void append_integer(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}
/// Appends `text` as a JSON string literal (quotes, backslashes and control characters escaped).
inline void append_json_string(std::string& out, std::string_view text) {
  constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}
}  // namespace detail

/// Appends one request as a JSON line (with its trailing newline) to `out`. A session is written as
/// its name from `session_names` where it has a non-empty one, else as its number; turns count from
/// 1 in the file, as in the shared derived traces.
inline void append_mooncake_line(std::string& out, const block_trace& trace, const trace_request& request,
                                 std::span<const std::string> session_names = {}) {
  out += "{\"timestamp\": ";
  detail::append_integer(out, request.timestamp_ms);
  out += ", \"input_length\": ";
  detail::append_integer(out, request.input_tokens);
  out += ", \"output_length\": ";
  detail::append_integer(out, request.output_tokens);
  out += ", \"hash_ids\": [";
  bool first = true;
  for (const block_id id : trace.blocks(request)) {
    if (!first) out += ", ";
    first = false;
    detail::append_integer(out, id);
  }
  out += ']';
  if (request.session != no_session) {
    out += ", \"session_id\": ";
    if (request.session < session_names.size() && !session_names[request.session].empty()) {
      detail::append_json_string(out, session_names[request.session]);
    } else {
      detail::append_integer(out, request.session);
    }
    out += ", \"turn\": ";
    detail::append_integer(out, std::uint64_t{request.turn} + 1);
  }
  out += "}\n";
}

/// The whole trace as Mooncake JSONL text.
[[nodiscard]] inline std::string to_mooncake_jsonl(const block_trace& trace,
                                                   std::span<const std::string> session_names = {}) {
  std::string out;
  out.reserve(trace.requests.size() * 64 + trace.block_ids.size() * 8);
  for (const trace_request& request : trace.requests) append_mooncake_line(out, trace, request, session_names);
  return out;
}

/// Streams the trace to `out` as Mooncake JSONL; returns whether the stream is still good.
inline bool write_mooncake_jsonl(std::ostream& out, const block_trace& trace) {
  std::string line;
  for (const trace_request& request : trace.requests) {
    line.clear();
    append_mooncake_line(line, trace, request);
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
  }
  return static_cast<bool>(out);
}

}  // namespace kvtier
