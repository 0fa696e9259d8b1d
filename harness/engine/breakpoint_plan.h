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
  std::size_t first_capture = 0;      // captures follow in the spec's order
  bool task = false;                  // the task's pid and comm are read too (HitCollector puts its
                                      // TaskReader's commands just before the step); false when
                                      // no current-task expression is known
};

// One scenario breakpoint as gdb will see it.
struct PlannedBreakpoint {
  const trace::BreakpointSpec* spec = nullptr;
  std::string condition;       // the gdb condition, empty for none
  std::string insert_command;  // -break-insert [-c "cond"] location (MI, for the engine)
  std::string cli_command;     // break location [if cond] (gdb's CLI, for the lab shell)
  CollectPlan collect;
};

// The gdb condition that is true only in the guest's tasks: the personality(2) flag that kh-spawn
// sets on the guest's first task and that fork and execve keep (image::kGuestPersonalityFlag), so
// every task the guest forks or execs counts, whatever its name. `current_task` is a gdb expression
// for the current task (see current_task_expression in gdb_setup.h): the `current_task` variable
// on a kernel without SMP (one native memory read), or the kernel's `$lx_current()`.
std::string guest_condition(std::string_view current_task);

// Quotes `text` as an MI c-string parameter; forwards to mi::quote() (mi/mi_commands.h), which
// new code calls directly. Cannot fail.
std::string mi_quote(std::string_view text);

// Plans every breakpoint of a resolved scenario. `current_task` is a gdb expression for the current
// task_struct pointer, empty when there is none (no gdb scripts, no usable variable): a guest-scoped
// breakpoint then fails with ErrorKind::Symbol. The breakpoints are software ones: under KVM the
// engine and the lab shell insert them only once the kernel reached start_kernel.
Result<std::vector<PlannedBreakpoint>> plan_breakpoints(const trace::ResolvedScenario& scenario,
                                                        std::string_view current_task);

}  // namespace kh::engine
