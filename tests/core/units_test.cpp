#include <kvtier/units.hpp>

#include <gtest/gtest.h>

namespace kvtier {
namespace {

TEST(Units, SiAndIecSuffixes) {
  EXPECT_EQ(try_parse_bytes("80GB"), 80'000'000'000u);
  EXPECT_EQ(try_parse_bytes("2TiB"), 2ull << 40);
  EXPECT_EQ(try_parse_bytes("512GiB"), 512ull << 30);
  EXPECT_EQ(try_parse_bytes("1PB"), 1'000'000'000'000'000u);
  EXPECT_EQ(try_parse_bytes("4096"), 4096u);
  EXPECT_EQ(try_parse_bytes("4096B"), 4096u);
  EXPECT_EQ(try_parse_bytes("1.5TB"), 1'500'000'000'000u);
  EXPECT_EQ(try_parse_bytes(" 16 KiB "), 16u * 1024u);
}

TEST(Units, RejectsWhatIsNotASize) {
  EXPECT_FALSE(try_parse_bytes(""));
  EXPECT_FALSE(try_parse_bytes("GB"));
  EXPECT_FALSE(try_parse_bytes("80gb"));
  EXPECT_FALSE(try_parse_bytes("80XB"));
  EXPECT_FALSE(try_parse_bytes("-1GB"));
  EXPECT_FALSE(try_parse_bytes("1.2.3GB"));
  EXPECT_FALSE(try_parse_bytes("99999999999PB"));
}

TEST(Units, ParseBytesNamesWhere) {
  try {
    (void)parse_bytes("12XB", {"--hbm", 0, ""});
    FAIL() << "expected input_error";
  } catch (const input_error& error) {
    EXPECT_EQ(error.where().file, "--hbm");
    EXPECT_NE(std::string(error.what()).find("'12XB' is not a byte size"), std::string::npos);
  }
}

TEST(Units, FormatBytesIsShortAndSi) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(80'000'000'000), "80.0 GB");
  EXPECT_EQ(format_bytes(70'272), "70.3 kB");
  EXPECT_EQ(format_bytes(1'500'000'000'000), "1.50 TB");
}

}  // namespace
}  // namespace kvtier
