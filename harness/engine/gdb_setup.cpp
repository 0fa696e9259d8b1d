#include "engine/gdb_setup.h"

#include <fmt/format.h>

#include <system_error>

#include "common/file_io.h"
#include "common/paths.h"

namespace kh::engine {

std::filesystem::path kharness_gdb_script() {
  std::filesystem::path script = data_dir() / "gdb-scripts" / "kharness.py";
  std::error_code ec;
  return std::filesystem::is_regular_file(script, ec) ? script : std::filesystem::path();
}

std::string current_task_expression(const kernel::KernelBuild& kernel) {
  const std::string fallback = kernel.gdb_scripts.empty() ? "" : "$lx_current()";
  auto config = read_file(kernel.config);
  auto symbols = read_file(kernel.dir / "System.map");
  if (!config.ok() || !symbols.ok() || config->find("\nCONFIG_SMP=y") != std::string::npos) {
    return fallback;
  }
  if (symbols->find(" current_task\n") != std::string::npos) {
    return "current_task";
  }
  if (symbols->find(" pcpu_hot\n") != std::string::npos) {
    return "pcpu_hot.current_task";
  }
  return fallback;
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
