#pragma once
// How subcommands join the tool: a file defines `static const register_command r{&add_x};`
// where add_x adds one subcommand (with its callback) to the top-level app.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace kvtier::cli {

using command_setup = void (*)(CLI::App& app);

inline std::vector<command_setup>& command_registry() {
  static std::vector<command_setup> registry;
  return registry;
}

struct register_command {
  explicit register_command(command_setup setup) { command_registry().push_back(setup); }
};

/// Writes `content` to `path` through a temporary file in the same directory and a rename, so that
/// a reader never sees a half-written file; throws input_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace kvtier::cli
