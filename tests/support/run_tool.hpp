#pragma once
// Runs the kvtier executable in a child process and captures what it printed and its exit code,
// for tests of the command-line contract (messages, exit codes, JSON on stdout).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace kvtier::test {

struct tool_result {
  int exit_code = -1;
  std::string out;  ///< standard output
  std::string err;  ///< standard error
};

inline std::string read_whole_file(const std::string& path) {
  std::string content;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) content.append(buffer.data(), n);
    std::fclose(f);
  }
  return content;
}

/// `arguments` is appended to the tool's path as shell words (quote paths with spaces yourself).
inline tool_result run_tool(const std::string& arguments) {
  static int counter = 0;
  const std::string base =
      std::string(::testing::TempDir()) + "kvtier_tool_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string command =
      std::string(KVTIER_CLI_PATH) + " " + arguments + " >" + base + ".out 2>" + base + ".err </dev/null";
  const int status = std::system(command.c_str());
  tool_result result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_whole_file(base + ".out");
  result.err = read_whole_file(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return result;
}

}  // namespace kvtier::test
