// Chat transcripts become block traces: a golden test against the shared derived agent trace,
// hand-checked small conversions of each format, and bad input.
#include <kvtier/trace/chat_reader.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kvtier {
namespace {

const std::string traces = std::string(KVTIER_SHARED_DIR) + "/traces/";

struct reference_request {
  std::uint64_t timestamp_ms = 0;
  std::uint32_t input_length = 0;
  std::uint32_t output_length = 0;
  std::vector<std::uint64_t> hash_ids;
};

/// Remaps ids to first-seen order over a sequence of chains: equal sharing structure gives equal output.
template <class Chains>
std::vector<std::uint64_t> dense_remap(const Chains& chains) {
  std::unordered_map<std::uint64_t, std::uint64_t> seen;
  std::vector<std::uint64_t> out;
  for (const auto& chain : chains) {
    for (const auto id : chain) out.push_back(seen.try_emplace(id, seen.size()).first->second);
  }
  return out;
}

TEST(ChatReaderGolden, AgentMessagesReproduceTheDerivedBlockTrace) {
  const std::string messages = traces + "agent_swebench_train_messages.jsonl.gz";
  const std::string derived = traces + "agent_swebench_train_blocktrace_b512.jsonl";
  if (!std::filesystem::exists(messages) || !std::filesystem::exists(derived)) {
    GTEST_SKIP() << "shared traces absent (" << traces << "): golden conversion not checked";
  }
  const chat_trace converted = read_chat_trace(messages, {.format = chat_format::agent});
  const block_trace& trace = converted.trace;

  std::vector<std::pair<std::string, std::uint32_t>> order;
  std::map<std::pair<std::string, std::uint32_t>, reference_request> reference;
  std::ifstream in(derived);
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    const auto key = std::make_pair(j.at("session_id").get<std::string>(), j.at("turn").get<std::uint32_t>());
    order.push_back(key);
    reference[key] = {j.at("timestamp"), j.at("input_length"), j.at("output_length"), j.at("hash_ids")};
  }
  ASSERT_EQ(order.size(), 4040u);
  ASSERT_EQ(trace.requests.size(), 4040u);
  EXPECT_EQ(trace.block_refs(), 123'202u);
  EXPECT_EQ(trace.unique_blocks, 6'305u);
  EXPECT_EQ(converted.session_names.size(), 50u);

  std::map<std::pair<std::string, std::uint32_t>, const trace_request*> ours;
  for (const auto& request : trace.requests) {
    ours[{converted.session_names.at(request.session), request.turn + 1}] = &request;
  }
  ASSERT_EQ(ours.size(), 4040u);

  // The derived trace's time origin lies 1,187 ms before its first call; ours is the first call.
  const auto first = trace.requests.front();
  const std::int64_t offset =
      static_cast<std::int64_t>(reference.at({converted.session_names.at(first.session), first.turn + 1}).timestamp_ms);
  std::vector<std::vector<std::uint64_t>> reference_chains;
  std::vector<std::vector<std::uint64_t>> our_chains;
  for (const auto& key : order) {
    ASSERT_TRUE(ours.contains(key)) << key.first << " turn " << key.second;
    const trace_request& request = *ours.at(key);
    const reference_request& expected = reference.at(key);
    EXPECT_EQ(request.input_tokens, expected.input_length) << key.first << " turn " << key.second;
    EXPECT_EQ(request.output_tokens, expected.output_length) << key.first << " turn " << key.second;
    EXPECT_EQ(request.block_count, expected.hash_ids.size()) << key.first << " turn " << key.second;
    EXPECT_NEAR(static_cast<double>(request.timestamp_ms) + static_cast<double>(offset),
                static_cast<double>(expected.timestamp_ms), 1.0)
        << key.first << " turn " << key.second;
    reference_chains.push_back(expected.hash_ids);
    const auto blocks = trace.blocks(request);
    our_chains.emplace_back(blocks.begin(), blocks.end());
  }
  EXPECT_EQ(dense_remap(our_chains), dense_remap(reference_chains)) << "sharing structure differs";

  for (std::size_t i = 1; i < trace.requests.size(); ++i) {
    ASSERT_LE(trace.requests[i - 1].timestamp_ms, trace.requests[i].timestamp_ms) << "not time-ordered at " << i;
  }
  std::vector<std::uint64_t> per_type(block_type_count);
  for (const auto type : trace.block_types) ++per_type[static_cast<std::size_t>(type)];
  EXPECT_EQ(per_type[static_cast<std::size_t>(block_type::unknown)], 0u) << "'exit' messages follow the last call";
  EXPECT_GT(per_type[static_cast<std::size_t>(block_type::tool)], 0u);
  EXPECT_GT(per_type[static_cast<std::size_t>(block_type::user)], 0u);
}

// 16-byte blocks (4 tokens of 4 bytes) so that hand-rendered prompts span several blocks.
constexpr chat_reader_options small_blocks{.block_tokens = 4};

TEST(ChatReader, OpenAiConversationHandChecked) {
  // Rendered: "<|system|>\nS<|end|>\n" = 20 bytes, "<|user|>\nhello<|end|>\n" = 22 bytes,
  // "<|assistant|>\nhi<|end|>\n" = 24 bytes, "<|user|>\nmore<|end|>\n" = 21 bytes.
  const std::string text = R"({"conversation_id": "c1", "messages": [{"role": "system", "content": "S"},)"
                           R"( {"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"},)"
                           R"( {"role": "user", "content": "more"}, {"role": "assistant", "content": "ok"}]})";
  const chat_trace converted = parse_chat_trace(text, "inline.jsonl", small_blocks);
  const block_trace& trace = converted.trace;
  ASSERT_EQ(trace.requests.size(), 2u);
  EXPECT_EQ(converted.session_names, std::vector<std::string>{"c1"});
  const auto& first = trace.requests[0];
  EXPECT_EQ(first.input_tokens, 11u);  // 42 bytes
  EXPECT_EQ(first.output_tokens, 6u);  // 24 bytes
  EXPECT_EQ(first.block_count, 3u);    // 16 + 16 + 10 bytes
  const auto& second = trace.requests[1];
  EXPECT_EQ(second.input_tokens, 22u);  // 87 bytes
  EXPECT_EQ(second.block_count, 6u);
  EXPECT_EQ(second.turn, 1u);
  EXPECT_EQ(second.timestamp_ms, small_blocks.turn_gap_ms);
  // Full blocks are shared; the first request's partial third block is not.
  EXPECT_EQ(trace.blocks(second)[0], trace.blocks(first)[0]);
  EXPECT_EQ(trace.blocks(second)[1], trace.blocks(first)[1]);
  EXPECT_NE(trace.blocks(second)[2], trace.blocks(first)[2]);
  EXPECT_EQ(trace.unique_blocks, 3u + 4u);
  // Bytes 0-15: system 16 -> system; 16-31: system 4, user 12 -> user; 32-47 of the second prompt:
  // user 10, assistant 6 -> user; 48-63: assistant -> assistant; 80-86: user -> user.
  const auto types = trace.types(second);
  EXPECT_EQ(types[0], block_type::system);
  EXPECT_EQ(types[1], block_type::user);
  EXPECT_EQ(types[2], block_type::user);
  EXPECT_EQ(types[3], block_type::assistant);
  EXPECT_EQ(types[5], block_type::user);
}

TEST(ChatReader, ShareGptArrayAndOpenAiAgreeOnTheSameConversation) {
  const std::string sharegpt =
      "[\n{\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"question one\"},"
      " {\"from\": \"gpt\", \"value\": \"answer\"}]},\n"
      "{\"id\": \"b\", \"conversations\": [{\"from\": \"gpt\", \"value\": \"greeting\"},"
      " {\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}\n]";
  const std::string openai =
      R"({"messages": [{"role": "user", "content": "question one"}, {"role": "assistant", "content": "answer"}]})"
      "\n"
      R"({"messages": [{"role": "assistant", "content": "greeting"}, {"role": "user", "content": "q"},)"
      R"( {"role": "assistant", "content": [{"type": "text", "text": "a"}]}]})";
  const chat_trace a = parse_chat_trace(sharegpt, "a.json", {.format = chat_format::sharegpt});
  const chat_trace b = parse_chat_trace(openai, "b.jsonl", {.format = chat_format::openai});
  EXPECT_EQ(a.trace.requests, b.trace.requests) << "an assistant message with no prompt is not a call";
  EXPECT_EQ(a.trace.block_ids, b.trace.block_ids);
  EXPECT_EQ(a.trace.requests.size(), 2u);
  EXPECT_EQ((a.session_names), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(a.trace.requests[1].timestamp_ms, 1'000u) << "second conversation starts one session gap later";
}

TEST(ChatReader, TrailingUserMessageIsACallAwaitingItsAnswer) {
  const std::string text = R"([{"conversations": [{"from": "human", "value": "only a question"}]}])";
  const chat_trace converted = parse_chat_trace(text, "first_turns.json", small_blocks);
  ASSERT_EQ(converted.trace.requests.size(), 1u);
  EXPECT_EQ(converted.trace.requests[0].output_tokens, 0u);
  EXPECT_EQ(converted.trace.requests[0].input_tokens, 8u);  // "<|user|>\nonly a question<|end|>\n" = 32 bytes
}

TEST(ChatReader, SaltChangesIdentityButNotStructure) {
  const std::string text = R"({"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]})";
  const chat_trace plain = parse_chat_trace(text, "t", small_blocks);
  chat_reader_options salted = small_blocks;
  salted.salt = block_hash_of("model");
  const chat_trace other = parse_chat_trace(text, "t", salted);
  EXPECT_EQ(plain.trace.requests, other.trace.requests);
}

void expect_input_error(const std::string& text, chat_reader_options options, std::uint64_t line,
                        const std::string& field, const std::string& reason_part) {
  try {
    (void)parse_chat_trace(text, "bad.jsonl", options);
    ADD_FAILURE() << "no error for: " << text;
  } catch (const input_error& error) {
    EXPECT_EQ(error.where().file, "bad.jsonl");
    EXPECT_EQ(error.where().line, line) << error.what();
    EXPECT_EQ(error.where().field, field) << error.what();
    EXPECT_NE(error.reason().find(reason_part), std::string::npos) << error.what();
  }
}

TEST(ChatReaderBadInput, ErrorsNameFileLineAndField) {
  const std::string good = R"({"messages": [{"role": "user", "content": "x"}]})";
  expect_input_error(good + "\n" + R"({"messages": [{"role": "user", "content": "x"})", {}, 2, "messages[1]",
                     "invalid JSON");
  expect_input_error(good + "\n\n" + R"({"messages": [{"role": 7, "content": "x"}]})", {}, 3, "messages[0].role",
                     "must be a string");
  expect_input_error(R"({"messages": [{"role": "user"}]})", {}, 1, "messages[0].content", "missing");
  expect_input_error(R"({"messages": [{"content": "x"}]})", {}, 1, "messages[0].role", "missing");
  expect_input_error(R"({"id": "x"})", {}, 1, "messages or conversation", "missing");
  expect_input_error(R"({"messages": [{"role": "user", "content": 5}]})", {}, 1, "messages[0].content",
                     "must be a string");
  expect_input_error(R"({"messages": [{"role": "user", "content": "x", "timestamp": "noon"}]})", {}, 1,
                     "messages[0].timestamp", "number of seconds");
  expect_input_error(R"({"messages": [{"role": "user", "content": "x"}]})", {.format = chat_format::sharegpt}, 1,
                     "messages", "unexpected in a sharegpt record");
  expect_input_error("[\n{\"conversations\": [{\"from\": \"human\", \"value\": \"x\"}]},\n{\"conversations\": 3}\n]",
                     {}, 3, "conversations", "must be an array");
  expect_input_error(R"({"messages": []} trailing)", {}, 1, "", "invalid JSON");
  // An unclosed string is found before any value is read: the record's line.
  expect_input_error(good + "\n" + R"({"messages": [{"role": "user", "content": "x}]})", {}, 2, "", "invalid JSON");
  expect_input_error("[\n" + good + ",\n" + R"({"messages": [{"role": "user", "content": "x}]})" + "\n]", {}, 1, "",
                     "invalid JSON");
}

TEST(ChatReaderBadInput, PrettyPrintedArrayErrorsNameTheLineOfTheField) {
  // Two records; the errors are several lines into a record, some in the second one.
  const std::string first = R"([
  {
    "id": "a",
    "conversations": [
      {"from": "human", "value": "x"},
      {
        "from": "gpt",
        "value": FIRST_VALUE
      }
    ]
  },
  {
    "id": "b",
    "messages": [
      {
        "role": "user",
        "content": "y",
        "timestamp":
          SECOND_TIMESTAMP
      },
      {
        "content": "z"
      }
    ]
  }
])";
  const auto with = [&](std::string_view first_value, std::string_view second_timestamp) {
    std::string text = first;
    text.replace(text.find("FIRST_VALUE"), 11, first_value);
    text.replace(text.find("SECOND_TIMESTAMP"), 16, second_timestamp);
    return text;
  };
  expect_input_error(with("5", "1"), {}, 8, "conversations[1].value", "must be a string");
  expect_input_error(with("[3]", "1"), {}, 8, "conversations[1].value", "content parts must be objects");
  expect_input_error(with("\"x\"", "\"noon\""), {}, 19, "messages[0].timestamp", "number of seconds");
  expect_input_error(with("\"x\"", "-1"), {}, 19, "messages[0].timestamp", "number of seconds");
  // A missing member is reported at the start of its message object.
  expect_input_error(with("\"x\"", "1"), {}, 21, "messages[1].role", "missing");
  // Invalid JSON deep in a record is reported on its line, not the record's.
  expect_input_error(with("\"x\" \"y\"", "1"), {}, 8, "conversations[1].value", "invalid JSON");
  expect_input_error("[\n  {\"messages\": []},\n  5\n]", {}, 3, "", "a record must be a JSON object");
  expect_input_error("[\n  {\n    \"conversations\": [],\n    \"messages\": []\n  }\n]", {}, 4, "messages",
                     "more than one message list");
  expect_input_error("[\n  {\n    \"id\": 1\n  }\n]", {}, 2, "messages or conversation", "missing");
}

TEST(ChatReaderBadInput, MissingFileIsAnInputError) {
  EXPECT_THROW((void)read_chat_trace("/nonexistent/transcripts.jsonl"), input_error);
}

TEST(ChatFormat, NamesRoundTrip) {
  for (const auto format :
       {chat_format::detect, chat_format::sharegpt, chat_format::openai, chat_format::lmsys, chat_format::agent}) {
    EXPECT_EQ(parse_chat_format(to_string(format)), format);
  }
  EXPECT_FALSE(parse_chat_format("csv"));
}

}  // namespace
}  // namespace kvtier
