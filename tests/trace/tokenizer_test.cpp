// Law tests: every tokenizer model against the numbered requirements of `tokenizer`.
#include <kvtier/trace/tokenizer.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kvtier {
namespace {

/// A stand-in for a real tokenizer: one id per whitespace-separated word (its length).
struct word_length_encoder {
  void operator()(std::string_view text, std::vector<token_id>& ids) const {
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = std::min(text.find(' ', start), text.size());
      if (end > start) ids.push_back(static_cast<token_id>(end - start));
      start = end + 1;
    }
  }
};

template <class T>
T make_tokenizer();
template <>
bytes_per_token_tokenizer make_tokenizer<bytes_per_token_tokenizer>() {
  return {};
}
template <>
token_id_tokenizer<word_length_encoder> make_tokenizer<token_id_tokenizer<word_length_encoder>>() {
  return token_id_tokenizer<word_length_encoder>(word_length_encoder{});
}

template <class T>
class TokenizerLaws : public ::testing::Test {};
using tokenizer_models = ::testing::Types<bytes_per_token_tokenizer, token_id_tokenizer<word_length_encoder>>;
TYPED_TEST_SUITE(TokenizerLaws, tokenizer_models);

TYPED_TEST(TokenizerLaws, Law1AppendsOnly) {
  static_assert(tokenizer<TypeParam>);
  const auto t = make_tokenizer<TypeParam>();
  std::string stream = "existing";
  t.append_stream("hello big world", stream);
  EXPECT_EQ(stream.substr(0, 8), "existing");
  EXPECT_GT(stream.size(), 8u);
}

TYPED_TEST(TokenizerLaws, Law2Deterministic) {
  const auto t = make_tokenizer<TypeParam>();
  std::string a;
  std::string b;
  t.append_stream("the same text", a);
  make_tokenizer<TypeParam>().append_stream("the same text", b);
  EXPECT_EQ(a, b);
}

TYPED_TEST(TokenizerLaws, Law3PositiveConstantBytesPerToken) {
  const auto t = make_tokenizer<TypeParam>();
  const auto before = t.bytes_per_token();
  std::string stream;
  t.append_stream("some words", stream);
  EXPECT_GT(before, 0u);
  EXPECT_EQ(t.bytes_per_token(), before);
}

TYPED_TEST(TokenizerLaws, Law4StreamsConcatenate) {
  const auto t = make_tokenizer<TypeParam>();
  std::string a;
  t.append_stream("first message ", a);
  std::string separate;
  t.append_stream("first message ", separate);
  t.append_stream("second one", separate);
  std::string b;
  t.append_stream("second one", b);
  EXPECT_EQ(separate, a + b);
}

TYPED_TEST(TokenizerLaws, Law5TokensAreCeilOfBytes) {
  const auto t = make_tokenizer<TypeParam>();
  std::string stream;
  t.append_stream("abc defgh ij", stream);
  const std::uint64_t per = t.bytes_per_token();
  EXPECT_EQ(stream_tokens(t, stream.size()), (stream.size() + per - 1) / per);
  EXPECT_EQ(stream_tokens(t, 0), 0u);
}

TEST(Tokenizer, ProxyCountsFourBytesPerToken) {
  constexpr bytes_per_token_tokenizer proxy;
  static_assert(stream_tokens(proxy, 5868) == 1467);
  static_assert(stream_tokens(proxy, 5869) == 1468);
  static_assert(proxy.bytes_per_token() == 4);
  const token_id_tokenizer words(word_length_encoder{});
  std::string stream;
  words.append_stream("aa bbb", stream);
  EXPECT_EQ(stream_tokens(words, stream.size()), 2u);
}

}  // namespace
}  // namespace kvtier
