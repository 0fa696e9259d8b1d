#include "engine/gdb_setup.h"

#include <fmt/format.h>

#include <system_error>

#include "common/paths.h"

namespace kh::engine {

std::filesystem::path kharness_gdb_script() {
  std::filesystem::path script = data_dir() / "gdb-scripts" / "kharness.py";
  std::error_code ec;
  return std::filesystem::is_regular_file(script, ec) ? script : std::filesystem::path();
}

std::vector<std::string> gdb_setup_commands(const kernel::KernelBuild& kernel) {
  std::vector<std::string> commands;
  if (!kernel.gdb_scripts.empty()) {
    commands.push_back(fmt::format("add-auto-load-safe-path {}", kernel.gdb_scripts.parent_path().string()));
    commands.push_back(fmt::format("source {}", kernel.gdb_scripts.string()));
  }
  if (auto script = kharness_gdb_script(); !script.empty()) {
    commands.push_back(fmt::format("source {}", script.string()));
  }
  return commands;
}

}  // namespace kh::engine
