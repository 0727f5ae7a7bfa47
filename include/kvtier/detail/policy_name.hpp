#pragma once
// Compile-time names for composed policies: joined_name<prefix, inner::name>::value is a
// std::string_view to static storage, so wrappers keep `static constexpr name` like their inner.
#include <array>
#include <cstddef>
#include <string_view>

namespace kvtier::detail {

template <const std::string_view& First, const std::string_view& Second>
struct joined_name {
  static constexpr auto storage = [] {
    std::array<char, First.size() + Second.size()> out{};
    std::size_t i = 0;
    for (const char c : First) out[i++] = c;
    for (const char c : Second) out[i++] = c;
    return out;
  }();
  static constexpr std::string_view value{storage.data(), storage.size()};
};

}  // namespace kvtier::detail
