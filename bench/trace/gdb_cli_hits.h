// The floor of the per-hit cost: gdb's own breakpoint `commands` doing at each hit what the trace
// engine does over MI (backtrace, the captures, continue), against the same kind of VM.
#pragma once

#include <chrono>
#include <vector>

#include "common/result.h"
#include "engine/run_preparation.h"

namespace kh::bench {

// Boots the prepared run's VM stopped with its gdbstub and runs `gdb -batch` on its kernel with a
// command file that loads the gdb helpers as the engine does, sets the plan's breakpoints with the
// engine's conditions (the guest-task filter included) and gives each a `commands` list: silent, bt, a
// print of each capture, a Python line recording time.monotonic(), continue. gdb continues until
// the guest powers off. Returns the recorded times in seconds, in hit order. Fails with
// Config/Symbol when the scenario cannot be planned, the VM's errors, Timeout when gdb is not done
// by `timeout`, Process when gdb recorded no hit (the tail of its output in details). Neither gdb
// nor qemu outlives the call.
Result<std::vector<double>> gdb_cli_hit_times(const engine::PreparedRun& run, std::chrono::milliseconds timeout);

}  // namespace kh::bench
