// Block identity must be the same in every process and on every machine: the expected values
// below were computed independently (python-xxhash 4.1.0: xxh3_128 over the same little-endian
// bytes), so a change of serialisation, chaining or salt handling fails here.
#include <kvtier/trace/block_hasher.hpp>
#include <kvtier/trace/tokenizer.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace kvtier {
namespace {

constexpr block_key zero_salt{};

TEST(BlockHasher, FixedExpectedHashes) {
  const std::string block0(2048, 'a');
  const std::string block1(100, 'b');
  const block_key h0 = chain_block_hash(zero_salt, block0);
  EXPECT_EQ(h0, (block_key{0x5b657ba71454bfb5ull, 0xf6e9823d09aee4ecull}));
  const block_key h1 = chain_block_hash(h0, block1);
  EXPECT_EQ(h1, (block_key{0x9a423af417231358ull, 0x47036938a1a7bb3dull}));

  const block_key salt = block_hash_of("llama-3.1-8b");
  EXPECT_EQ(salt, (block_key{0x6679ea3f9253ff1full, 0xbf69becb3b98e3c0ull}));
  EXPECT_EQ(chain_block_hash(salt, block0), (block_key{0x2bcb3d98d1559ec5ull, 0x513e419dd035180aull}));
}

TEST(BlockHasher, TokenIdStreamIsLittleEndian) {
  const token_id_tokenizer counting([](std::string_view, std::vector<token_id>& ids) {
    for (token_id id = 1; id <= 512; ++id) ids.push_back(id);
  });
  std::string stream;
  counting.append_stream("ignored", stream);
  ASSERT_EQ(stream.size(), 2048u);
  EXPECT_EQ(static_cast<unsigned char>(stream[0]), 1u);
  EXPECT_EQ(static_cast<unsigned char>(stream[4]), 2u);
  std::vector<block_key> chain;
  EXPECT_EQ(hash_block_chain(stream, {512, counting.bytes_per_token(), zero_salt}, chain), 1u);
  EXPECT_EQ(chain.front(), (block_key{0xecd42035a4a28d35ull, 0x1ccf0b7282d7a2c9ull}));
}

TEST(BlockHasher, ChainIsPrefixClosedAndSalted) {
  const block_hasher_params params{4, 4, zero_salt};  // 16-byte blocks
  std::vector<block_key> a;
  std::vector<block_key> b;
  EXPECT_EQ(hash_block_chain("0123456789abcdefXXXXXXXXXXXXXXXXtail", params, a), 3u);
  EXPECT_EQ(hash_block_chain("0123456789abcdefYYYYYYYYYYYYYYYYtail", params, b), 3u);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_NE(a[1], b[1]);
  EXPECT_NE(a[2], b[2]) << "equal block bytes after a different prefix must hash differently";

  std::vector<block_key> salted;
  block_hasher_params other = params;
  other.salt = block_hash_of("another model");
  ASSERT_EQ(hash_block_chain("0123456789abcdef", other, salted), 1u);
  EXPECT_NE(salted[0], a[0]);
}

TEST(BlockHasher, IncrementalChainMatchesWholeChain) {
  const block_hasher_params params{8, 4, block_hash_of("salt")};  // 32-byte blocks
  incremental_block_chain chain(params);
  std::string whole;
  for (int i = 0; i < 40; ++i) {
    const std::string piece(static_cast<std::size_t>(i % 7 + 3), static_cast<char>('a' + i % 26));
    chain.stream().append(piece);
    whole.append(piece);
    std::vector<block_key> incremental;
    std::vector<block_key> direct;
    chain.chain_of_prefix(whole.size(), incremental);
    hash_block_chain(whole, params, direct);
    ASSERT_EQ(incremental, direct) << "after " << whole.size() << " bytes";
  }
  std::vector<block_key> shorter;
  chain.chain_of_prefix(40, shorter);
  std::vector<block_key> direct;
  hash_block_chain(std::string_view(whole).substr(0, 40), params, direct);
  EXPECT_EQ(shorter, direct);
}

TEST(BlockHasher, OrderingAndHashing) {
  static_assert(block_key{1, 0} > block_key{0, ~0ull});
  static_assert(block_key{1, 2} == block_key{1, 2});
  std::set<block_key> ordered{{2, 1}, {1, 2}, {1, 1}};
  EXPECT_EQ(*ordered.begin(), (block_key{1, 1}));
  EXPECT_NE(std::hash<block_key>{}({1, 2}), std::hash<block_key>{}({2, 1}));
}

}  // namespace
}  // namespace kvtier
