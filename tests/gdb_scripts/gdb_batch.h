// Runs gdb in batch mode with gdb-scripts/kharness.py loaded and collects, per command, what gdb
// printed or the error it reported, so tests can check each helper's output on its own.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace kh::test {

// What one gdb command did: its output, or the error message gdb would have shown.
struct GdbCommandOutput {
  std::string command;
  bool failed = false;
  std::string text;  // the output, or the error message when failed
};

// Everything one gdb run printed.
struct GdbBatchOutput {
  std::vector<GdbCommandOutput> commands;  // one per command, in order
  std::string raw;                         // gdb's whole stdout and stderr, for messages
};

// What to run: gdb reads `program` (may be empty) and loads kharness.py, runs the `setup` commands
// as they are (their output is not collected: scripts, connecting, breakpoints, continuing), then
// runs each of `commands` through Python's gdb.execute so that its output or error is recorded.
struct GdbBatchSpec {
  std::filesystem::path program;
  std::vector<std::string> setup;
  std::vector<std::string> commands;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

// The path of gdb-scripts/kharness.py in the source tree.
std::filesystem::path kharness_gdb_script();

// Runs gdb as a kh::ChildProcess (killed at the deadline). Fails with ErrorKind::Process when gdb
// cannot start, Timeout at the deadline, Parse when its output lacks a command's record (gdb died
// or a command's output was not captured).
Result<GdbBatchOutput> run_gdb_batch(const GdbBatchSpec& spec);

}  // namespace kh::test
