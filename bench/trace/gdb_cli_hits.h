// The floor of the per-hit cost: gdb's own breakpoint `commands` doing at each hit what the trace
// engine does over MI (backtrace, the captures, continue), against the same kind of VM.
#pragma once

#include <chrono>
#include <vector>

#include "common/result.h"
#include "kernel/kernel.h"
#include "trace/scenario.h"
#include "vm/qemu_vm.h"

namespace kh::bench {

// Boots `spec` stopped with its gdbstub and runs `gdb -batch` on the kernel with a command file
// that loads the gdb helpers as the engine does, sets the scenario's breakpoints with the engine's
// conditions (the guest-task filter included) and gives each a `commands` list: silent, bt, a
// print of each capture, a Python line recording time.monotonic(), continue. gdb continues until
// the guest powers off. Returns the recorded times in seconds, in hit order. Fails with
// Config/Symbol when the scenario cannot be planned, the VM's errors, Timeout when gdb is not done
// by `timeout`, Process when gdb recorded no hit (the tail of its output in details). Neither gdb
// nor qemu outlives the call.
Result<std::vector<double>> gdb_cli_hit_times(const trace::ResolvedScenario& scenario,
                                              const kernel::KernelBuild& kernel, const vm::VmSpec& spec,
                                              std::chrono::milliseconds timeout);

}  // namespace kh::bench
