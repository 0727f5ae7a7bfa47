#include <kvtier/trace/mooncake_reader.hpp>
#include <kvtier/trace/mooncake_writer.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace {

std::string write_temp(const std::string& name, const std::string& content) {
  const std::string path = std::string(::testing::TempDir()) + "kvtier_trace_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string error_of(const std::string& path, const kvtier::mooncake_read_options& options = {}) {
  try {
    (void)kvtier::read_mooncake_trace(path, options);
  } catch (const kvtier::input_error& error) {
    return error.what();
  }
  return "no error";
}

const std::string small_trace =
    "{\"timestamp\": 0, \"input_length\": 1000, \"output_length\": 5, \"hash_ids\": [70, 71]}\n"
    "\n"
    "{\"timestamp\": 10, \"input_length\": 1500, \"output_length\": 7, \"hash_ids\": [70, 71, 99], "
    "\"session_id\": \"run-a\", \"turn\": 1}\n"
    "{\"hash_ids\": [5], \"timestamp\": 20.0, \"input_length\": 1, \"session_id\": 42, \"extra\": {\"x\": [1]}}";

TEST(mooncake_reader, reads_fields_and_remaps_ids_dense_in_first_seen_order) {
  const auto trace = kvtier::read_mooncake_trace(write_temp("small.jsonl", small_trace));
  ASSERT_EQ(trace.requests.size(), 3u);
  EXPECT_EQ(trace.unique_blocks, 4u);
  EXPECT_EQ(trace.block_refs(), 6u);
  EXPECT_EQ(trace.block_ids, (std::vector<kvtier::block_id>{0, 1, 0, 1, 2, 3}));
  EXPECT_EQ(trace.requests[0].session, kvtier::no_session);
  EXPECT_EQ(trace.requests[1].session, 0u);
  EXPECT_EQ(trace.requests[1].turn, 0u);  // files count turns from 1
  EXPECT_EQ(trace.requests[1].timestamp_ms, 10u);
  EXPECT_EQ(trace.requests[1].output_tokens, 7u);
  EXPECT_EQ(trace.requests[2].session, 1u);
  EXPECT_EQ(trace.requests[2].timestamp_ms, 20u);
  EXPECT_EQ(trace.block_tokens_at(trace.requests[1], 2), 476u);
  EXPECT_EQ(trace.block_tokens_at(trace.requests[2], 0), 1u);
}

TEST(mooncake_reader, small_chunks_give_the_same_trace) {
  const std::string path = write_temp("chunks.jsonl", small_trace);
  kvtier::mooncake_read_options options;
  options.chunk_bytes = 1;  // clamped to the minimum; lines still cross chunk boundaries
  std::string many;
  for (int i = 0; i < 200; ++i) many += small_trace + "\n";
  const std::string big = write_temp("many.jsonl", many);
  const auto a = kvtier::read_mooncake_trace(big, options);
  const auto b = kvtier::read_mooncake_trace(big);
  EXPECT_EQ(a.block_ids, b.block_ids);
  EXPECT_EQ(a.requests, b.requests);
  EXPECT_EQ(a.requests.size(), 600u);
}

TEST(mooncake_reader, mapped_and_streamed_files_give_the_same_trace) {
  std::string many;
  for (int i = 0; i < 50; ++i) many += small_trace + "\n";
  const std::string path = write_temp("mapped.jsonl", many + small_trace);  // ends without a newline
  kvtier::mooncake_read_options streamed;
  streamed.map_file = false;
  const auto a = kvtier::read_mooncake_trace(path);
  const auto b = kvtier::read_mooncake_trace(path, streamed);
  EXPECT_EQ(a.block_ids, b.block_ids);
  EXPECT_EQ(a.requests, b.requests);
  EXPECT_EQ(a.requests.size(), 153u);
}

// Lines off the direct scanner's path (escapes, non-ASCII bytes, fractions, exponents, duplicate or
// unknown keys, long numbers) go to the validating parser and mean the same as their plain spelling.
TEST(mooncake_reader, unusual_spellings_mean_what_json_says) {
  const std::string plain = write_temp(
      "plain.jsonl",
      "{\"timestamp\": 5, \"input_length\": 600, \"output_length\": 2, \"hash_ids\": [9, 8], \"session_id\": "
      "\"s\u00e9\", \"turn\": 2}\n"
      "{\"timestamp\": 6, \"input_length\": 1, \"hash_ids\": [12345678901234567890], \"session_id\": 7}\n"
      "{\"timestamp\": 7, \"input_length\": 1, \"hash_ids\": [0], \"session_id\": \"7\"}\n");
  const std::string unusual = write_temp(
      "unusual.jsonl",
      "{\"timestamp\": 5e0, \"input_length\": 6.0e2, \"output_length\": 2, \"hash_ids\": [9,8], \"session_id\": "
      "\"s\\u00e9\", \"turn\": 1, \"turn\": 2}\n"
      "{\"t\\u0069mestamp\": 6, \"input_length\": 1, \"hash_ids\": [12345678901234567890], \"session_id\": 7, "
      "\"extra\": null}\n"
      "\t{ \"timestamp\" :7 ,\"input_length\":1,\"hash_ids\":[ 0 ],\"session_id\":\"7\"} \r\n");
  const auto a = kvtier::read_mooncake_trace(plain);
  const auto b = kvtier::read_mooncake_trace(unusual);
  EXPECT_EQ(a.block_ids, b.block_ids);
  EXPECT_EQ(a.requests, b.requests);
  ASSERT_EQ(a.requests.size(), 3u);
  EXPECT_EQ(a.requests[0].turn, 1u);
  EXPECT_NE(a.requests[1].session, a.requests[2].session);  // the number 7 and the string "7"
  EXPECT_EQ(a.unique_blocks, 4u);
}

TEST(mooncake_reader, numbers_the_scanner_leaves_are_still_checked) {
  for (const char* bad : {"[01]", "[1.5]", "[-1]", "[1e2]", "[18446744073709551616]", "[1,]", "[1 2]"}) {
    const std::string path = write_temp("badnumber.jsonl", std::string("{\"timestamp\": 0, \"input_length\": 1, "
                                                                       "\"hash_ids\": ") +
                                                               bad + "}");
    EXPECT_NE(error_of(path).find(path + ":1: "), std::string::npos) << bad << ": " << error_of(path);
  }
}

TEST(mooncake_reader, every_spelling_of_the_id_separator_reads_the_same) {
  const auto ids_of = [](const std::string& list) {
    const std::string path =
        write_temp("separator.jsonl", "{\"timestamp\": 0, \"input_length\": 600, \"hash_ids\": " + list + "}");
    return kvtier::read_mooncake_trace(path).block_ids;
  };
  const auto expected = ids_of("[7, 9]");
  ASSERT_EQ(expected.size(), 2u);
  for (const char* list : {"[7,9]", "[7,  9]", "[7, \t9]", "[7 , 9]", "[ 7, 9 ]", "[7,\r9]", "[7, \r 9]"}) {
    EXPECT_EQ(ids_of(list), expected) << list;
  }
  // Each would hold as many ids as input_length needs if a separator were skipped too leniently.
  for (const auto& [bad, input_length] :
       {std::pair{"[7, ]", 1}, std::pair{"[7, ,9]", 600}, std::pair{"[7, 9, ]", 600}, std::pair{"[7 ,, 9]", 600}}) {
    const std::string path =
        write_temp("badseparator.jsonl", "{\"timestamp\": 0, \"input_length\": " + std::to_string(input_length) +
                                             ", \"hash_ids\": " + bad + "}");
    EXPECT_NE(error_of(path).find(path + ":1: "), std::string::npos) << bad << ": " << error_of(path);
  }
}

TEST(mooncake_reader, writer_round_trips) {
  const auto trace = kvtier::read_mooncake_trace(write_temp("rt.jsonl", small_trace));
  const auto again = kvtier::read_mooncake_trace(write_temp("rt2.jsonl", kvtier::to_mooncake_jsonl(trace)));
  EXPECT_EQ(again.block_ids, trace.block_ids);
  EXPECT_EQ(again.requests, trace.requests);
  EXPECT_EQ(again.unique_blocks, trace.unique_blocks);
}

TEST(mooncake_reader, truncated_line_names_file_and_line) {
  const std::string path =
      write_temp("trunc.jsonl", "{\"timestamp\": 0, \"input_length\": 1, \"hash_ids\": [1]}\n{\"timestamp\": 1, \"inp");
  const std::string message = error_of(path);
  EXPECT_NE(message.find(path + ":2: "), std::string::npos) << message;
}

TEST(mooncake_reader, bad_field_names_file_line_and_field) {
  const std::string path = write_temp("badfield.jsonl",
                                      "{\"timestamp\": 0, \"input_length\": 1, \"hash_ids\": [1]}\n"
                                      "{\"timestamp\": 1, \"input_length\": 1, \"hash_ids\": [\"x\"]}\n");
  EXPECT_NE(error_of(path).find(path + ":2: field 'hash_ids': "), std::string::npos) << error_of(path);
  const std::string negative =
      write_temp("negative.jsonl", "{\"timestamp\": 0, \"input_length\": -4, \"hash_ids\": []}\n");
  EXPECT_NE(error_of(negative).find(negative + ":1: field 'input_length': "), std::string::npos) << error_of(negative);
}

TEST(mooncake_reader, missing_field_and_count_mismatch_are_errors) {
  const std::string missing = write_temp("missing.jsonl", "{\"timestamp\": 0, \"hash_ids\": [1]}\n");
  EXPECT_NE(error_of(missing).find(":1: field 'input_length': missing"), std::string::npos) << error_of(missing);
  const std::string count = write_temp("count.jsonl", "{\"timestamp\": 0, \"input_length\": 513, \"hash_ids\": [1]}\n");
  EXPECT_NE(error_of(count).find(":1: field 'hash_ids': holds 1 ids but input_length 513 needs 2"), std::string::npos)
      << error_of(count);
  const std::string not_object = write_temp("array.jsonl", "[1, 2]\n");
  EXPECT_NE(error_of(not_object).find(":1: "), std::string::npos) << error_of(not_object);
}

TEST(mooncake_reader, empty_and_absent_files_are_errors) {
  const std::string empty = write_temp("empty.jsonl", "\n  \n");
  EXPECT_NE(error_of(empty).find("empty trace"), std::string::npos) << error_of(empty);
  EXPECT_NE(error_of("/nonexistent/trace.jsonl").find("cannot open"), std::string::npos);
}

struct shared_trace {
  const char* file;
  std::size_t requests;
  std::uint64_t refs;
  std::uint32_t unique;
  bool sessions;
};

TEST(mooncake_reader, reads_the_shared_traces) {
  for (const shared_trace& t : {shared_trace{"mooncake_conversation_trace.jsonl", 12031, 288500, 182790, false},
                                shared_trace{"agent_swebench_train_blocktrace_b512.jsonl", 4040, 123202, 6305, true}}) {
    const std::string path = std::string(KVTIER_SHARED_DIR) + "/traces/" + t.file;
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared trace absent: " << path;
    const auto trace = kvtier::read_mooncake_trace(path);
    EXPECT_EQ(trace.requests.size(), t.requests) << t.file;
    EXPECT_EQ(trace.block_refs(), t.refs) << t.file;
    EXPECT_EQ(trace.unique_blocks, t.unique) << t.file;
    EXPECT_EQ(trace.requests.back().session != kvtier::no_session, t.sessions) << t.file;
  }
}

}  // namespace
