#include "engine/breakpoint_plan.h"

#include <fmt/format.h>

#include <cstdint>

#include "image/initramfs.h"
#include "mi/mi_commands.h"

namespace kh::engine {

std::string guest_condition(std::string_view current_task) {
  // One 32-bit read of task_struct.personality; native gdb, no Python, unless current_task is
  // the kernel's $lx_current() (SMP kernels).
  return fmt::format("({}->personality & {:#x}) != 0", current_task, image::kGuestPersonalityFlag);
}

std::string mi_quote(std::string_view text) {
  return mi::quote(text);
}

namespace {

CollectPlan plan_collect(const trace::BreakpointSpec& spec, std::string_view current_task) {
  CollectPlan plan;
  plan.frames = plan.commands.size();
  plan.commands.push_back(mi::stack_list_frames());
  // The arguments of every frame cost gdb a full DWARF read of each caller's compilation unit
  // (seconds at the first hit) and memory reads through the gdbstub: ask only when an expectation
  // looks at a caller's argument. Frame 0's arguments come with the *stopped record for free.
  if (trace::needs_caller_args(spec)) {
    plan.arguments = plan.commands.size();
    plan.commands.push_back(mi::stack_list_arguments(/*simple_values=*/true));
  } else {
    plan.arguments = std::string::npos;
  }
  // The task's commands depend on what gdb knows of task_struct, asked once gdb runs (TaskReader).
  plan.task = !current_task.empty();
  plan.first_capture = plan.commands.size();
  for (const auto& capture : spec.captures) {
    plan.commands.push_back(mi::evaluate_expression(capture.expr));
  }
  // Not -exec-continue: QEMU's gdbstub sometimes answers gdb's single-step over the breakpoint
  // without executing the instruction, and gdb then reports the same call a second time. The
  // engine steps one instruction itself and continues only once the PC has moved.
  plan.commands.push_back(mi::exec_step_instruction());
  return plan;
}

}  // namespace

Result<std::vector<PlannedBreakpoint>> plan_breakpoints(const trace::ResolvedScenario& scenario,
                                                        std::string_view current_task) {
  std::vector<PlannedBreakpoint> planned;
  for (const auto& spec : scenario.breakpoints) {
    PlannedBreakpoint bp;
    bp.spec = &spec;
    if (spec.scope == trace::Scope::Guest) {
      if (current_task.empty()) {
        Error error = make_error(ErrorKind::Symbol,
                                 "breakpoint '{}' is guest-scoped, which needs the kernel's gdb scripts "
                                 "(CONFIG_GDB_SCRIPTS, vmlinux-gdb.py); this kernel has none: rebuild it "
                                 "with kernel-configs/base.config or use scope=\"all\"",
                                 spec.name);
        error.location = spec.location;
        return error;
      }
      bp.condition = guest_condition(current_task);
    }
    if (!spec.condition.empty()) {
      bp.condition = bp.condition.empty() ? spec.condition
                                          : fmt::format("({}) && ({})", bp.condition, spec.condition);
    }
    bp.insert_command = mi::break_insert(spec.function, bp.condition, /*hardware=*/false, /*temporary=*/false);
    bp.cli_command = bp.condition.empty() ? fmt::format("break {}", spec.function)
                                          : fmt::format("break {} if {}", spec.function, bp.condition);
    bp.collect = plan_collect(spec, current_task);
    planned.push_back(std::move(bp));
  }
  return planned;
}

}  // namespace kh::engine
