#pragma once
// json_blank: the whitespace JSON allows between tokens, shared by the trace readers and the model
// config parser.
#include <cstdint>

namespace kvtier::detail {

/// JSON's whitespace: space, tab, carriage return, line feed.
[[nodiscard]] constexpr bool json_blank(char c) noexcept {
  constexpr std::uint64_t blanks = 1ULL << ' ' | 1ULL << '\t' | 1ULL << '\r' | 1ULL << '\n';
  return static_cast<unsigned char>(c) <= ' ' && ((blanks >> static_cast<unsigned char>(c)) & 1U) != 0;
}

}  // namespace kvtier::detail
