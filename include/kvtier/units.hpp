#pragma once
// Byte quantities as people write them: "80GB" (SI, powers of 10), "2TiB" (IEC, powers of 2),
// "4096" or "4096B" (bytes). Used by every command that takes a size.
#include <kvtier/error.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace kvtier {

struct byte_unit {
  std::string_view suffix;
  std::uint64_t multiplier;
  friend constexpr bool operator==(const byte_unit&, const byte_unit&) = default;
};

inline constexpr std::array<byte_unit, 13> byte_units{{
    {"B", 1},
    {"kB", 1'000},
    {"KB", 1'000},
    {"MB", 1'000'000},
    {"GB", 1'000'000'000},
    {"TB", 1'000'000'000'000},
    {"PB", 1'000'000'000'000'000},
    {"KiB", std::uint64_t{1} << 10},
    {"MiB", std::uint64_t{1} << 20},
    {"GiB", std::uint64_t{1} << 30},
    {"TiB", std::uint64_t{1} << 40},
    {"PiB", std::uint64_t{1} << 50},
    {"", 1},
}};

/// Parses a byte quantity; nullopt when the text is not one (unknown unit, no number, overflow,
/// negative). Fractions are allowed with a unit ("1.5TB") and rounded down to whole bytes.
[[nodiscard]] inline std::optional<std::uint64_t> try_parse_bytes(std::string_view text) noexcept {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::size_t digits = 0;
  while (digits < text.size() && ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) ++digits;
  if (digits == 0) return std::nullopt;
  const std::string_view number = text.substr(0, digits);
  std::string_view unit = text.substr(digits);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  const byte_unit* found = nullptr;
  for (const auto& candidate : byte_units) {
    if (candidate.suffix == unit) {
      found = &candidate;
      break;
    }
  }
  if (found == nullptr) return std::nullopt;
  if (number.find('.') == std::string_view::npos) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc{} || end != number.data() + number.size()) return std::nullopt;
    if (value > std::numeric_limits<std::uint64_t>::max() / found->multiplier) return std::nullopt;
    return value * found->multiplier;
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc{} || end != number.data() + number.size()) return std::nullopt;
  const double bytes = std::floor(value * static_cast<double>(found->multiplier));
  if (!(bytes < 18446744073709551616.0)) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

/// Parses a byte quantity or throws input_error naming `where`.
[[nodiscard]] inline std::uint64_t parse_bytes(std::string_view text, const input_location& where) {
  if (auto bytes = try_parse_bytes(text)) return *bytes;
  report_input_error(where, "'" + std::string(text) +
                                "' is not a byte size (examples: 4096, 80GB, 512GiB, 2TiB; "
                                "kB MB GB TB PB are powers of 10, KiB MiB GiB TiB PiB powers of 2)");
}

/// "80.0 GB" style, SI, three significant digits: for tables meant for people.
[[nodiscard]] inline std::string format_bytes(std::uint64_t bytes) {
  constexpr std::array<std::string_view, 7> names{"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1000.0 && unit + 1 < names.size()) {
    value /= 1000.0;
    ++unit;
  }
  std::array<char, 32> buffer{};
  const int precision = unit == 0 ? 0 : (value < 10 ? 2 : (value < 100 ? 1 : 0));
  const auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed, precision);
  std::string out(buffer.data(), result.ptr);
  out += ' ';
  out += names[unit];
  return out;
}

}  // namespace kvtier
