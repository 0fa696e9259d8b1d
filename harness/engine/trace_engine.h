// The trace engine: one scenario, end to end — kernel, guest image, QEMU stopped at reset, gdb/MI
// breakpoints scoped to the guest, a hit collected at each stop, and the verdicts.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kernel/kernel.h"
#include "trace/trace_model.h"
#include "vm/accel.h"

namespace kh::engine {

// What `kharness run` was asked to do.
struct RunOptions {
  std::filesystem::path scenario;
  kernel::KernelRequest kernel;
  std::optional<kernel::KernelBuild> kernel_build;  // a kernel already chosen; `kernel` is then unused
  vm::Accel accel = vm::Accel::Auto;
  std::optional<std::chrono::milliseconds> timeout;  // overrides the scenario's own
  int memory_mb = 256;
  int cpus = 1;
  std::string extra_append;             // more kernel command line
  std::filesystem::path gdb_transcript;  // every MI line in and out, for debugging
  bool progress = false;                 // one line per phase on stderr
};

// How long one phase of a run took.
struct PhaseTime {
  std::string phase;  // scenario, kernel, initramfs, gdb, boot, guest, poweroff
  double seconds = 0;
};

// Everything a run produced: the reports (terminal, JSON, JUnit) are views of this.
struct RunReport {
  std::string scenario;       // its name (the file name when it could not be read)
  std::string scenario_file;
  std::string description;
  trace::Verdict verdict = trace::Verdict::Error;
  std::string detail;         // why, for anything but PASS: "timeout in phase guest exit", ...
  std::string phase;          // the phase a TIMEOUT/INFRA happened in
  std::string kernel_release;
  std::string kernel_version;
  std::string accel;
  trace::Trace trace;
  std::vector<trace::ExpectationResult> results;
  std::vector<PhaseTime> phases;
  std::vector<std::string> guest_results;  // the guest's KH-RESULT lines, "name=value"
  std::optional<int> guest_exit_status;
  std::string serial_log;                   // the whole serial console
  std::vector<std::string> serial_tail;     // its last lines, for anything but PASS
  std::vector<std::string> evidence;        // error details: gdb or qemu output, build log tail
};

// Runs one scenario. Infallible: every failure becomes a verdict in the report (ERROR for bad
// input, INFRA when qemu/gdb/the kernel broke, TIMEOUT with the phase, FAIL for unmet
// expectations). No qemu or gdb process outlives the call, whatever happens.
RunReport run_scenario(const RunOptions& options);

// The kernel of a run: options.kernel_build when set (given its gdb index if it lacks one), else
// kernel::provide_kernel(options.kernel). Fails like provide_kernel.
Result<kernel::KernelBuild> kernel_for(const RunOptions& options);

}  // namespace kh::engine
