// How a scenario's breakpoints become gdb breakpoints: where, under which condition (only the
// guest's tasks, unless scope="all"), and which MI commands collect one hit.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "trace/scenario.h"

namespace kh::engine {

// The MI commands that collect a hit, in the order they are sent; the indices below say where
// each answer sits in the pipelined results.
struct CollectPlan {
  std::vector<std::string> commands;  // the last one is -exec-step-instruction (see the .cpp)
  std::size_t frames = 0;             // -stack-list-frames
  std::size_t arguments = 0;          // -stack-list-arguments --simple-values, or npos when no
                                      // expectation reads a caller's argument
  std::size_t task_pid = 0;           // $lx_current().pid, or npos without the kernel's gdb scripts
  std::size_t task_comm = 0;          // $lx_current().comm, or npos
  std::size_t first_capture = 0;      // captures follow in the spec's order
};

// One scenario breakpoint as gdb will see it.
struct PlannedBreakpoint {
  const trace::BreakpointSpec* spec = nullptr;
  std::string condition;       // the gdb condition, empty for none
  std::string insert_command;  // -break-insert [-h] [-c "cond"] location
  CollectPlan collect;
};

// The gdb condition that is true only in the guest program's tasks: the task's comm, read
// through the kernel's own gdb helpers ($lx_current() works from 4.19 to 6.12, where a hand-made
// per-cpu `current_task` read does not on 4.19).
std::string guest_condition(std::string_view comm);

// Quotes `text` as an MI c-string parameter: "..." with \\ \" \n \t escaped.
std::string mi_quote(std::string_view text);

// Plans every breakpoint of a resolved scenario. `have_gdb_scripts` says whether the kernel's
// vmlinux-gdb.py is loaded; a guest-scoped breakpoint without it fails with ErrorKind::Symbol.
// `hardware` inserts hardware breakpoints (-h), as KVM guests need before the kernel runs.
Result<std::vector<PlannedBreakpoint>> plan_breakpoints(const trace::ResolvedScenario& scenario,
                                                        bool have_gdb_scripts, bool hardware);

}  // namespace kh::engine
