#pragma once
// Chat transcripts as block traces: ShareGPT, OpenAI-style / LMSYS-Chat-1M, and agent runs.
//
// Accepted shapes (a JSON array of records, or JSON Lines with one record a line; gzip-compressed
// or plain, detected from the bytes):
//   ShareGPT      {"id", "conversations": [{"from", "value"}]}
//   OpenAI/LMSYS  {"conversation_id"?, "conversation" | "messages": [{"role", "content"}]}
//   agent         {"instance_id", "messages": [{"role", "content", "timestamp" (s, may be null)}]}
//
// Conversion rules (docs/traces.md has the reasoning):
//   * Every assistant message is one LLM call; its prompt is every message before it. An assistant
//     message with nothing before it is not a call. A conversation whose last message is a user
//     message ends with one more call, awaiting its answer (output_tokens 0): single-turn prompt
//     collections are such files. Other messages after the last assistant (the agent runs' final
//     "exit") belong to no call.
//   * A message renders as "<|role|>\n" + content + "<|end|>\n" with the normalised role (system,
//     user, assistant, tool), is appended to the conversation's token stream by the tokenizer, and
//     the prompt's chain is hashed per block (block_hasher.hpp). input_tokens = tokens of the prompt
//     stream; output_tokens = tokens of the rendered assistant message.
//   * A block's type is the role of the message that contributes most of its stream bytes (the
//     earliest such message on a tie). A role kvtier does not know (the agent runs end with an
//     "exit" message) keeps its own name in the rendering and gives block_type::unknown.
//   * A call's time is the timestamp of the message just before it, else its own, else the nearest
//     timed call of the same conversation; times are ms from the earliest timed call. Conversations
//     without any timestamp get a synthetic schedule: conversation i starts at i * session_gap_ms,
//     its turn k at start + k * turn_gap_ms. Requests are then sorted by time (stable).
//   * Block ids are dense in the order the sorted requests first reference them.
// Bad input (invalid JSON, a missing or mistyped field) throws input_error with the file, the
// 1-based line of the offending value (of its object when a member is missing) and the field.
#include <kvtier/detail/json_blank.hpp>
#include <kvtier/error.hpp>
#include <kvtier/trace/block_hasher.hpp>
#include <kvtier/trace/block_trace.hpp>
#include <kvtier/trace/tokenizer.hpp>

#include <simdjson.h>

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvtier {

enum class chat_format : std::uint8_t { detect, sharegpt, openai, lmsys, agent };

[[nodiscard]] constexpr std::string_view to_string(chat_format format) noexcept {
  switch (format) {
    case chat_format::detect:
      return "detect";
    case chat_format::sharegpt:
      return "sharegpt";
    case chat_format::openai:
      return "openai";
    case chat_format::lmsys:
      return "lmsys";
    case chat_format::agent:
      return "agent";
  }
  return "detect";
}

/// nullopt when `name` is not one of the format names above.
[[nodiscard]] constexpr std::optional<chat_format> parse_chat_format(std::string_view name) noexcept {
  for (const auto format :
       {chat_format::detect, chat_format::sharegpt, chat_format::openai, chat_format::lmsys, chat_format::agent}) {
    if (to_string(format) == name) return format;
  }
  return std::nullopt;
}

struct chat_reader_options {
  chat_format format = chat_format::detect;  ///< anything but detect requires that format's records
  std::uint32_t block_tokens = 512;
  block_key salt{};
  std::uint64_t session_gap_ms = 1'000;  ///< untimed files: arrival spacing of conversations
  std::uint64_t turn_gap_ms = 30'000;    ///< untimed files: spacing of one conversation's turns
  friend constexpr bool operator==(const chat_reader_options&, const chat_reader_options&) = default;
};

/// A converted transcript file: the block trace plus each session's name from the file
/// ("instance_id", "id" or "conversation_id"; empty where the record has none).
struct chat_trace {
  block_trace trace;
  std::vector<std::string> session_names;
};

/// The block type of a role name; nullopt for a role kvtier does not know.
[[nodiscard]] constexpr std::optional<block_type> chat_role_type(std::string_view role) noexcept {
  constexpr std::pair<std::string_view, block_type> roles[] = {
      {"system", block_type::system},     {"developer", block_type::system},    {"user", block_type::user},
      {"human", block_type::user},        {"assistant", block_type::assistant}, {"gpt", block_type::assistant},
      {"chatgpt", block_type::assistant}, {"bard", block_type::assistant},      {"bing", block_type::assistant},
      {"model", block_type::assistant},   {"tool", block_type::tool},           {"function", block_type::tool},
      {"ipython", block_type::tool},      {"observation", block_type::tool},
  };
  for (const auto& [name, type] : roles) {
    if (name == role) return type;
  }
  return std::nullopt;
}

namespace detail {

/// Reads a whole file, gunzipping it when it is gzip (zlib reads plain files unchanged), and
/// leaves SIMDJSON_PADDING zero bytes after the returned size for simdjson.
[[nodiscard]] inline std::string read_padded_file(const std::string& path, std::size_t& size) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) report_input_error({path, 0, ""}, "cannot open for reading");
  gzbuffer(file, 1u << 18);
  std::string content;
  std::size_t used = 0;
  for (;;) {
    if (content.size() - used < (1u << 20)) content.resize(std::max<std::size_t>(content.size() * 2, 1u << 20));
    const int n = gzread(file, content.data() + used, static_cast<unsigned>(content.size() - used));
    if (n < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      report_input_error({path, 0, ""}, "cannot read: " + message);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  gzclose(file);
  content.resize(used + simdjson::SIMDJSON_PADDING);
  std::fill(content.begin() + static_cast<std::ptrdiff_t>(used), content.end(), '\0');
  size = used;
  return content;
}

struct chat_call {
  std::optional<std::int64_t> time_ms;
  std::uint32_t input_tokens = 0;
  std::uint32_t output_tokens = 0;
  std::uint32_t session = 0;
  std::uint32_t turn = 0;
  std::size_t first_hash = 0;
  std::uint32_t block_count = 0;
};

template <tokenizer Tokenizer>
class chat_converter {
 public:
  chat_converter(std::string file, const chat_reader_options& options, const Tokenizer& tokenizer)
      : file_(std::move(file)),
        options_(options),
        tokenizer_(tokenizer),
        hasher_{options.block_tokens, tokenizer.bytes_per_token(), options.salt} {
    if (options.block_tokens == 0) report_input_error({file_, 0, "block_tokens"}, "must be positive");
  }

  /// `data` holds `size` bytes followed by at least SIMDJSON_PADDING readable bytes.
  void convert(const char* data, std::size_t size) {
    begin_ = data;
    std::size_t start = 0;
    while (start < size && detail::json_blank(data[start])) ++start;
    if (start < size && data[start] == '[') {
      convert_array(data, size);
    } else {
      convert_lines(data, size);
    }
  }

  [[nodiscard]] chat_trace finish() && {
    std::optional<std::int64_t> origin;
    for (const auto& call : calls_) {
      if (call.time_ms && (!origin || *call.time_ms < *origin)) origin = call.time_ms;
    }
    std::vector<std::uint64_t> times(calls_.size());
    for (std::size_t i = 0; i < calls_.size(); ++i) {
      const auto& call = calls_[i];
      times[i] = call.time_ms ? static_cast<std::uint64_t>(*call.time_ms - *origin)
                              : call.session * options_.session_gap_ms + call.turn * options_.turn_gap_ms;
    }
    std::vector<std::size_t> order(calls_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return times[a] < times[b]; });

    block_trace_builder builder(file_, options_.block_tokens);
    builder.reserve(calls_.size(), hashes_.size());
    block_hash_numbering numbering;
    numbering.reserve(hashes_.size());
    for (const std::size_t index : order) {
      const auto& call = calls_[index];
      builder.begin_request(times[index], call.input_tokens, call.output_tokens, call.session, call.turn);
      for (std::size_t b = call.first_hash; b < call.first_hash + call.block_count; ++b) {
        builder.add_block(numbering(hashes_[b]), types_[b]);
      }
    }
    return {std::move(builder).finish(), std::move(session_names_)};
  }

 private:
  struct message {
    block_type type = block_type::unknown;
    std::string_view role;
    std::string_view content;
    std::optional<double> timestamp_s;
  };

  /// True when the document has nothing left (simdjson 3.0 has no document::at_end).
  [[nodiscard]] static bool at_end(simdjson::ondemand::document& doc) noexcept {
    return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
  }

  /// Fails with `what` at the parser's current position.
  [[noreturn]] void fail_here(simdjson::ondemand::document& doc, std::string_view what) const {
    const char* location = nullptr;
    if (doc.current_location().get(location) != simdjson::SUCCESS) location = where_;
    fail_at(location, field_, what);
  }

  /// Starts iterating `view` into `doc`. An error found before iteration (an unclosed string,
  /// invalid UTF-8) has no position: it is reported at the current record's start.
  void start_document(simdjson::ondemand::parser& parser, const simdjson::padded_string_view& view,
                      simdjson::ondemand::document& doc) const {
    if (const auto error = parser.iterate(view).get(doc))
      fail(field_, std::string("invalid JSON: ") + simdjson::error_message(error));
  }

  /// Starts a record at `start` on `line`; its text ends at `end`.
  void begin_record(const char* start, const char* end, std::uint64_t line) noexcept {
    record_start_ = start;
    record_end_ = end;
    record_line_ = line;
    where_ = start;
  }

  /// Line of `where` in the current record: newlines are counted only from the record's start,
  /// and only when an error is reported, so conversion stays linear in the file size.
  [[nodiscard]] std::uint64_t line_of(const char* where) const noexcept {
    where = std::min(where, record_end_);
    if (where < record_start_) return 1 + static_cast<std::uint64_t>(std::count(begin_, where, '\n'));
    return record_line_ + static_cast<std::uint64_t>(std::count(record_start_, where, '\n'));
  }

  /// The start of `value` in the file, or the last known position when it cannot be read.
  template <typename Value>
  [[nodiscard]] const char* position_of(Value&& value) const noexcept {
    std::string_view token;
    return value.raw_json_token().get(token) == simdjson::SUCCESS ? token.data() : where_;
  }

  /// Fails at the value being read (`where_`).
  [[noreturn]] void fail(std::string_view field, std::string_view what) const { fail_at(where_, field, what); }

  [[noreturn]] void fail_at(const char* where, std::string_view field, std::string_view what) const {
    report_input_error({file_, line_of(where), std::string(field)}, what);
  }

  /// Fails with `what` when a value has the wrong type, or names the JSON error otherwise.
  void check(simdjson::error_code error, std::string_view field, std::string_view what) const {
    if (error == simdjson::SUCCESS) return;
    if (error == simdjson::INCORRECT_TYPE) fail(field, what);
    fail(field, std::string("invalid JSON: ") + simdjson::error_message(error));
  }

  void convert_lines(const char* data, std::size_t size) {
    simdjson::ondemand::parser parser;
    std::size_t start = 0;
    std::uint64_t line = 0;
    while (start < size) {
      ++line;
      const char* newline = static_cast<const char*>(std::memchr(data + start, '\n', size - start));
      const std::size_t end = newline == nullptr ? size : static_cast<std::size_t>(newline - data);
      std::size_t first = start;
      while (first < end && detail::json_blank(data[first])) ++first;
      if (first < end) {
        begin_record(data + first, data + end, line);
        field_.clear();
        simdjson::ondemand::document doc;
        try {
          const simdjson::padded_string_view view(data + first, end - first, size + simdjson::SIMDJSON_PADDING - first);
          start_document(parser, view, doc);
          simdjson::ondemand::object record;
          check(doc.get_object().get(record), "", "a record must be a JSON object");
          convert_record(record);
          if (!at_end(doc)) fail_here(doc, "unexpected text after the record");
        } catch (const simdjson::simdjson_error& error) {
          fail_here(doc, std::string("invalid JSON: ") + error.what());
        }
      }
      start = end + 1;
    }
  }

  void convert_array(const char* data, std::size_t size) {
    simdjson::ondemand::parser parser;
    const simdjson::padded_string_view view(data, size, size + simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::document doc;
    const char* counted = data;  // lines before `counted` are in `line`
    std::uint64_t line = 1;
    begin_record(data, data + size, line);
    field_.clear();
    try {
      start_document(parser, view, doc);
      for (auto element : doc.get_array()) {
        const char* start = std::max(position_of(element), counted);
        line += static_cast<std::uint64_t>(std::count(counted, start, '\n'));
        counted = start;
        begin_record(start, data + size, line);
        field_.clear();
        simdjson::ondemand::object record;
        check(element.get_object().get(record), "", "a record must be a JSON object");
        convert_record(record);
      }
      if (!at_end(doc)) fail_here(doc, "unexpected text after the array");
    } catch (const simdjson::simdjson_error& error) {
      fail_here(doc, std::string("invalid JSON: ") + error.what());
    }
  }

  [[nodiscard]] static std::string_view record_key_for(chat_format format) noexcept {
    return format == chat_format::sharegpt ? "conversations" : "messages or conversation";
  }

  void convert_record(simdjson::ondemand::object& record) {
    const auto session = static_cast<std::uint32_t>(session_names_.size());
    session_names_.emplace_back();
    bool has_messages = false;
    const char* const record_start = where_;
    for (auto field : record) {
      const std::string_view key = field.unescaped_key();
      field_ = key;
      where_ = position_of(field.value());
      if (key == "conversations" || key == "conversation" || key == "messages") {
        const bool sharegpt_key = key == "conversations";
        if (options_.format != chat_format::detect && sharegpt_key != (options_.format == chat_format::sharegpt)) {
          fail(key, "unexpected in a " + std::string(to_string(options_.format)) + " record (expected " +
                        std::string(record_key_for(options_.format)) + ")");
        }
        if (has_messages) fail(key, "a record has more than one message list");
        has_messages = true;
        simdjson::ondemand::array list;
        check(field.value().get_array().get(list), key, "must be an array of messages");
        read_messages(list, key);
      } else if (key == "instance_id" || key == "id" || key == "conversation_id") {
        auto value = field.value();
        simdjson::ondemand::json_type type = value.type();
        if (type == simdjson::ondemand::json_type::string) {
          session_names_[session] = std::string(std::string_view(value.get_string()));
        } else if (type == simdjson::ondemand::json_type::number) {
          std::string_view token = value.raw_json_token();
          while (!token.empty() && detail::json_blank(token.back())) token.remove_suffix(1);
          session_names_[session] = std::string(token);
        }
      }
    }
    field_.clear();
    where_ = record_start;
    if (!has_messages) fail(record_key_for(options_.format), "missing: a record needs its list of messages");
    convert_conversation(session);
  }

  void read_messages(simdjson::ondemand::array& list, std::string_view list_key) {
    messages_.clear();
    part_buffers_.clear();
    std::size_t index = 0;
    for (auto item : list) {
      const std::string field_prefix = std::string(list_key) + "[" + std::to_string(index) + "]";
      field_ = field_prefix;
      const char* const message_start = position_of(item);
      where_ = message_start;
      simdjson::ondemand::object object;
      check(item.get_object().get(object), field_prefix, "must be a message object");
      message m;
      bool has_role = false;
      bool has_content = false;
      for (auto field : object) {
        const std::string_view key = field.unescaped_key();
        field_ = field_prefix + "." + std::string(key);
        where_ = position_of(field.value());
        if (key == "role" || key == "from") {
          check(field.value().get_string().get(m.role), field_, "must be a string");
          m.type = chat_role_type(m.role).value_or(block_type::unknown);
          has_role = true;
        } else if (key == "content" || key == "value") {
          m.content = read_content(field.value());
          has_content = true;
        } else if (key == "timestamp") {
          auto value = field.value();
          if (!value.is_null()) {
            double seconds = 0;
            check(value.get_double().get(seconds), field_, "must be a non-negative number of seconds or null");
            if (!std::isfinite(seconds) || seconds < 0)
              fail(field_, "must be a non-negative number of seconds or null");
            m.timestamp_s = seconds;
          }
        }
      }
      where_ = message_start;
      if (!has_role) fail(field_prefix + ".role", "missing");
      if (!has_content) fail(field_prefix + ".content", "missing");
      messages_.push_back(m);
      ++index;
    }
  }

  /// A string, null (empty), or an array of parts whose "text" members are concatenated.
  [[nodiscard]] std::string_view read_content(simdjson::ondemand::value value) {
    switch (value.type()) {
      case simdjson::ondemand::json_type::string:
        return value.get_string();
      case simdjson::ondemand::json_type::null:
        return {};
      case simdjson::ondemand::json_type::array: {
        std::string& joined = part_buffers_.emplace_back();
        for (auto part : value.get_array()) {
          where_ = position_of(part);
          simdjson::ondemand::object object;
          check(part.get_object().get(object), field_, "content parts must be objects");
          for (auto member : object) {
            if (std::string_view(member.unescaped_key()) == "text") {
              where_ = position_of(member.value());
              std::string_view text;
              check(member.value().get_string().get(text), field_, "text must be a string");
              joined.append(text);
            }
          }
        }
        return joined;
      }
      default:
        fail(field_, "must be a string, null or an array of text parts");
    }
  }

  void convert_conversation(std::uint32_t session) {
    incremental_block_chain chain(hasher_);
    std::string& stream = chain.stream();
    segments_.clear();
    const std::size_t first_call = calls_.size();
    std::uint32_t turn = 0;
    for (std::size_t i = 0; i < messages_.size(); ++i) {
      const message& m = messages_[i];
      const std::size_t prompt_bytes = stream.size();
      rendered_.assign("<|");
      rendered_.append(m.type == block_type::unknown ? m.role : to_string(m.type));
      rendered_.append("|>\n");
      rendered_.append(m.content);
      rendered_.append("<|end|>\n");
      tokenizer_.append_stream(rendered_, stream);
      segments_.push_back({stream.size(), m.type});
      if (m.type != block_type::assistant || prompt_bytes == 0) continue;
      const auto& before = messages_[i - 1];
      add_call(chain, prompt_bytes, stream.size() - prompt_bytes,
               before.timestamp_s ? before.timestamp_s : m.timestamp_s, session, turn++);
    }
    if (!messages_.empty() && messages_.back().type == block_type::user) {
      add_call(chain, stream.size(), 0, messages_.back().timestamp_s, session, turn);
    }
    fill_missing_times(first_call);
  }

  void add_call(incremental_block_chain& chain, std::size_t prompt_bytes, std::size_t output_bytes,
                std::optional<double> time_s, std::uint32_t session, std::uint32_t turn) {
    chat_call call;
    if (time_s) call.time_ms = std::llround(*time_s * 1000.0);
    call.input_tokens = checked_tokens(prompt_bytes);
    call.output_tokens = checked_tokens(output_bytes);
    call.session = session;
    call.turn = turn;
    call.first_hash = hashes_.size();
    chain.chain_of_prefix(prompt_bytes, hashes_);
    call.block_count = static_cast<std::uint32_t>(hashes_.size() - call.first_hash);
    const std::size_t block_bytes = static_cast<std::size_t>(hasher_.block_bytes());
    for (std::size_t b = 0; b < call.block_count; ++b) {
      types_.push_back(dominant_type(b * block_bytes, std::min(prompt_bytes, (b + 1) * block_bytes)));
    }
    calls_.push_back(call);
  }

  [[nodiscard]] std::uint32_t checked_tokens(std::size_t stream_bytes) const {
    const std::uint64_t tokens = stream_tokens(tokenizer_, stream_bytes);
    if (tokens > UINT32_MAX) fail("", "a prompt longer than 2^32 tokens");
    return static_cast<std::uint32_t>(tokens);
  }

  /// The type of the message contributing most bytes to [start, end), the earliest on a tie.
  [[nodiscard]] block_type dominant_type(std::size_t start, std::size_t end) const noexcept {
    auto it = std::upper_bound(segments_.begin(), segments_.end(), start,
                               [](std::size_t offset, const segment& s) { return offset < s.end; });
    block_type best = block_type::unknown;
    std::size_t best_bytes = 0;
    std::size_t segment_start = it == segments_.begin() ? 0 : std::prev(it)->end;
    for (; it != segments_.end() && segment_start < end; segment_start = it->end, ++it) {
      const std::size_t bytes = std::min(end, it->end) - std::max(start, segment_start);
      if (bytes > best_bytes) {
        best_bytes = bytes;
        best = it->type;
      }
    }
    return best;
  }

  /// Calls without a time take the nearest earlier timed call's, else the nearest later one's.
  void fill_missing_times(std::size_t first_call) {
    std::optional<std::int64_t> known;
    for (std::size_t i = first_call; i < calls_.size(); ++i) {
      if (calls_[i].time_ms)
        known = calls_[i].time_ms;
      else
        calls_[i].time_ms = known;
    }
    known.reset();
    for (std::size_t i = calls_.size(); i > first_call; --i) {
      if (calls_[i - 1].time_ms)
        known = calls_[i - 1].time_ms;
      else
        calls_[i - 1].time_ms = known;
    }
  }

  struct segment {
    std::size_t end = 0;
    block_type type = block_type::unknown;
  };

  std::string file_;
  chat_reader_options options_;
  const Tokenizer& tokenizer_;
  block_hasher_params hasher_;
  const char* begin_ = nullptr;
  const char* record_start_ = nullptr;
  const char* record_end_ = nullptr;
  std::uint64_t record_line_ = 1;
  const char* where_ = nullptr;  ///< start of the value being read, for error lines
  std::string field_;
  std::vector<message> messages_;
  std::deque<std::string> part_buffers_;  ///< joined content parts; stable addresses
  std::vector<segment> segments_;
  std::string rendered_;
  std::vector<chat_call> calls_;
  std::vector<block_key> hashes_;
  std::vector<block_type> types_;
  std::vector<std::string> session_names_;
};

}  // namespace detail

/// Converts transcript text already in memory; `name` stands for the file in error messages.
template <tokenizer Tokenizer = bytes_per_token_tokenizer>
[[nodiscard]] chat_trace parse_chat_trace(std::string_view text, std::string name,
                                          const chat_reader_options& options = {}, const Tokenizer& tokenizer = {}) {
  std::string padded(text.size() + simdjson::SIMDJSON_PADDING, '\0');
  std::copy(text.begin(), text.end(), padded.begin());
  detail::chat_converter<Tokenizer> converter(std::move(name), options, tokenizer);
  converter.convert(padded.data(), text.size());
  return std::move(converter).finish();
}

/// Reads and converts a transcript file (plain or gzip).
template <tokenizer Tokenizer = bytes_per_token_tokenizer>
[[nodiscard]] chat_trace read_chat_trace(const std::string& path, const chat_reader_options& options = {},
                                         const Tokenizer& tokenizer = {}) {
  std::size_t size = 0;
  const std::string padded = detail::read_padded_file(path, size);
  detail::chat_converter<Tokenizer> converter(path, options, tokenizer);
  converter.convert(padded.data(), size);
  return std::move(converter).finish();
}

}  // namespace kvtier
