#include "command.hpp"

#include <kvtier/error.hpp>
#include <kvtier/version.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <new>

namespace kvtier::cli {

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  std::filesystem::path temporary = target;
  temporary += ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      const int error = errno;
      out.close();
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      report_input_error({path, 0, ""}, fmt::format("cannot write: {}", std::strerror(error)));
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, target, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    report_input_error({path, 0, ""}, "cannot write: " + ec.message());
  }
}

}  // namespace kvtier::cli

int main(int argc, char** argv) {
  CLI::App app{
      "kvtier: exact KV-cache sizing, multi-tier placement and predictive reuse for LLM inference.\n"
      "Run 'kvtier <command> --help' for the options of a command.",
      "kvtier"};
  app.set_version_flag("--version", std::string(kvtier::version_string));
  app.require_subcommand(1);
  for (const auto setup : kvtier::cli::command_registry()) setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  } catch (const kvtier::input_error& error) {
    std::fflush(stdout);
    fmt::print(stderr, "kvtier: error: {}\n", error.what());
    return 2;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "kvtier: error: out of memory\n");
    return 3;
  } catch (const std::exception& error) {
    fmt::print(stderr, "kvtier: error: {}\n", error.what());
    return 1;
  }
  return 0;
}
