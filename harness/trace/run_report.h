// Everything one run of one scenario produced. The engine fills it; the reports (terminal, JSON,
// JUnit, HTML), the matrix and the golden traces are views of it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trace/trace_model.h"

namespace kh::trace {

// How long one phase of a run took.
struct PhaseTime {
  std::string phase;  // scenario, kernel, initramfs, gdb, boot, guest, poweroff, evaluate
  double seconds = 0;
};

struct RunReport {
  std::string scenario;       // its name (the file name when it could not be read)
  std::string scenario_file;
  std::string description;
  Verdict verdict = Verdict::Error;
  std::string detail;         // why, for anything but PASS: "timeout in phase guest exit", ...
  std::string phase;          // the phase a TIMEOUT/INFRA happened in
  std::string kernel_release;
  std::string kernel_version;
  std::string kernel_key;     // the kernel cache entry the run booted
  std::string kernel_source;  // where that kernel came from, for people
  std::string accel;
  // The resolved scenario's breakpoint names in file order, so that the reports can name a
  // breakpoint that was never hit and has no expectations; empty when the run never got that far.
  std::vector<std::string> breakpoints;
  Trace trace;
  std::vector<ExpectationResult> results;
  std::vector<PhaseTime> phases;
  double wall_seconds = 0;                 // the whole run, from its start to its report
  std::vector<std::string> guest_results;  // the guest's KH-RESULT lines, "name=value"
  std::optional<int> guest_exit_status;
  std::string serial_log;                   // the whole serial console
  std::vector<std::string> serial_tail;     // its last lines, for anything but PASS
  std::vector<std::string> evidence;        // error details: gdb or qemu output, build log tail
};

}  // namespace kh::trace
