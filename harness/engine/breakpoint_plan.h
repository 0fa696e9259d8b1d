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
  std::size_t task_pid = 0;           // <current task>->pid, or npos when no expression is known
  std::size_t task_comm = 0;          // <current task>->comm, or npos
  std::size_t first_capture = 0;      // captures follow in the spec's order
};

// One scenario breakpoint as gdb will see it.
struct PlannedBreakpoint {
  const trace::BreakpointSpec* spec = nullptr;
  std::string condition;       // the gdb condition, empty for none
  std::string insert_command;  // -break-insert [-h] [-c "cond"] location
  CollectPlan collect;
};

// The gdb condition that is true only in the guest program's tasks: the comm of `current_task`, a
// gdb expression for the current task (see TaskExpression in the engine): the kernel's own
// `$lx_current()` (any kernel with its gdb scripts), or the `current_task` variable itself on a
// kernel without SMP, where it is a plain global and costs no Python (then the comparison is
// native too: two masked 64-bit reads of comm).
std::string guest_condition(std::string_view comm, std::string_view current_task);

// Quotes `text` as an MI c-string parameter; forwards to mi::quote() (mi/mi_commands.h), which
// new code calls directly. Cannot fail.
std::string mi_quote(std::string_view text);

// Plans every breakpoint of a resolved scenario. `current_task` is a gdb expression for the current
// task_struct pointer, empty when there is none (no gdb scripts, no usable variable): a guest-scoped
// breakpoint then fails with ErrorKind::Symbol. `hardware` inserts hardware breakpoints (-h), as
// KVM guests need before the kernel runs.
Result<std::vector<PlannedBreakpoint>> plan_breakpoints(const trace::ResolvedScenario& scenario,
                                                        std::string_view current_task, bool hardware);

}  // namespace kh::engine
