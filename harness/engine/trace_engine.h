// The trace engine: one scenario, end to end. The run is prepared once (run_preparation.h), then
// gdb starts with the kernel's and kharness's helpers, QEMU boots stopped at reset, the hit loop
// (hit_loop.h) collects every counted breakpoint hit while the guest's serial protocol
// (guest_protocol.h) tells the phase, and the matcher turns the trace into verdicts.
#pragma once

#include "engine/run_preparation.h"
#include "trace/run_report.h"

namespace kh::engine {

// Runs one scenario. Infallible: every failure becomes a verdict in the report (ERROR for bad
// input, INFRA when qemu/gdb/the kernel broke, TIMEOUT with the phase, INTERRUPTED on Ctrl-C or
// SIGTERM at any point before it returns, FAIL for unmet expectations; run_outcome.h has the
// table). No qemu or gdb process outlives the call, whatever happens.
trace::RunReport run_scenario(const RunOptions& options);

}  // namespace kh::engine
