#pragma once
// The one exception type kvtier throws: bad input from outside (a config file, a trace, a command
// line). It carries what was wrong and where. Expected outcomes (a miss, a full tier) are values,
// never exceptions; broken invariants are KVTIER_ASSERT.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kvtier {

/// Where a bad input was found. Empty members are omitted from the message.
struct input_location {
  std::string file;      ///< path of the file, or a name such as "--stack" for command-line input
  std::uint64_t line{};  ///< 1-based line; 0 when not line-oriented
  std::string field;     ///< JSON key, option or column that was wrong
};

class input_error : public std::runtime_error {
 public:
  input_error(input_location where, std::string_view what)
      : std::runtime_error(format(where, what)), where_(std::move(where)), reason_(what) {}

  [[nodiscard]] const input_location& where() const noexcept { return where_; }
  /// The reason alone, without the location prefix.
  [[nodiscard]] const std::string& reason() const noexcept { return reason_; }

 private:
  static std::string format(const input_location& where, std::string_view what) {
    std::string out;
    if (!where.file.empty()) {
      out += where.file;
      if (where.line != 0) {
        out += ':';
        out += std::to_string(where.line);
      }
      out += ": ";
    }
    if (!where.field.empty()) {
      out += "field '";
      out += where.field;
      out += "': ";
    }
    out += what;
    return out;
  }

  input_location where_;
  std::string reason_;
};

/// Throws input_error; out of line and cold so that callers' hot paths stay small.
[[noreturn]] [[gnu::cold]] [[gnu::noinline]] inline void report_input_error(input_location where,
                                                                            std::string_view what) {
  throw input_error(std::move(where), what);
}

}  // namespace kvtier
