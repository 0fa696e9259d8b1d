// Shared by the image tests: running a shell pipeline, and unpacking an archive with GNU cpio.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "common/child_process.h"
#include "common/result.h"

namespace kh::image::testing {

// Runs `sh -c script` in `cwd` (empty: here) and returns its exit status and output.
inline Result<CommandOutput> run_shell(const std::string& script, const std::filesystem::path& cwd = {}) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", script};
  spec.cwd = cwd;
  return run_command(spec, Deadline::in(std::chrono::seconds(60)));
}

// Single-quotes a path for run_shell scripts.
inline std::string quoted(const std::filesystem::path& path) {
  return "'" + path.string() + "'";
}

}  // namespace kh::image::testing
