#pragma once
// Writes a block_trace as Mooncake JSONL, the format read by mooncake_reader.hpp and by other
// simulators (libCacheSim's Mooncake reader, Mooncake's own tools): one request per line with
// timestamp, input_length, output_length and hash_ids (the dense block ids), plus session_id and
// turn when the trace has sessions. Needs no JSON library: every value is an integer.
#include <kvtier/trace/block_trace.hpp>

#include <charconv>
#include <cstdint>
#include <ostream>
#include <string>

namespace kvtier {

namespace detail {
inline void append_integer(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}
}  // namespace detail

/// Appends one request as a JSON line (with its trailing newline) to `out`.
inline void append_mooncake_line(std::string& out, const block_trace& trace, const trace_request& request) {
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
    detail::append_integer(out, request.session);
    out += ", \"turn\": ";
    detail::append_integer(out, request.turn);
  }
  out += "}\n";
}

/// The whole trace as Mooncake JSONL text.
[[nodiscard]] inline std::string to_mooncake_jsonl(const block_trace& trace) {
  std::string out;
  out.reserve(trace.requests.size() * 64 + trace.block_ids.size() * 8);
  for (const trace_request& request : trace.requests) append_mooncake_line(out, trace, request);
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
