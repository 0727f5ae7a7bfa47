#include <kvtier/error.hpp>

#include <gtest/gtest.h>

namespace kvtier {
namespace {

TEST(InputError, MessageNamesFileLineAndField) {
  const input_error error({"config.json", 12, "num_key_value_heads"}, "must divide num_attention_heads");
  EXPECT_STREQ(error.what(), "config.json:12: field 'num_key_value_heads': must divide num_attention_heads");
  EXPECT_EQ(error.reason(), "must divide num_attention_heads");
  EXPECT_EQ(error.where().line, 12u);
}

TEST(InputError, OmitsWhatIsUnknown) {
  EXPECT_STREQ(input_error({"trace.jsonl", 0, ""}, "empty file").what(), "trace.jsonl: empty file");
  EXPECT_STREQ(input_error({}, "no input").what(), "no input");
}

TEST(InputError, ReportThrows) { EXPECT_THROW(report_input_error({"f", 1, "x"}, "bad"), input_error); }

}  // namespace
}  // namespace kvtier
