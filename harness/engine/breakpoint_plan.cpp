#include "engine/breakpoint_plan.h"

#include <fmt/format.h>

#include <cstdint>

#include "mi/mi_commands.h"

namespace kh::engine {

std::string guest_condition(std::string_view comm, std::string_view current_task) {
  // $lx_current() is Python already; only a plain variable gains from avoiding $_streq.
  if (current_task.starts_with('$') || comm.size() >= 16) {
    return fmt::format("$_streq({}->comm, \"{}\")", current_task, comm);
  }
  // comm is char[16]: compare the name and its NUL as two little-endian 64-bit words, masked to
  // the bytes that matter (4.19 does not zero the bytes after the NUL). Two memory reads, no
  // Python: this runs at every stop, boot-time ones included.
  std::string bytes(comm);
  bytes.push_back('\0');
  std::string condition;
  for (std::size_t offset = 0; offset < bytes.size(); offset += 8) {
    std::uint64_t value = 0;
    std::uint64_t mask = 0;
    for (std::size_t i = 0; i < 8 && offset + i < bytes.size(); ++i) {
      value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
      mask |= std::uint64_t{0xff} << (8 * i);
    }
    condition += fmt::format("{}(*(unsigned long long *)({}->comm + {}) & {:#x}) == {:#x}",
                             condition.empty() ? "" : " && ", current_task, offset, mask, value);
  }
  return condition;
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
  if (!current_task.empty()) {
    plan.task_pid = plan.commands.size();
    plan.commands.push_back(mi::evaluate_expression(fmt::format("{}->pid", current_task)));
    plan.task_comm = plan.commands.size();
    plan.commands.push_back(mi::evaluate_expression(fmt::format("{}->comm", current_task)));
  } else {
    plan.task_pid = std::string::npos;
    plan.task_comm = std::string::npos;
  }
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
                                                        std::string_view current_task, bool hardware) {
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
      bp.condition = guest_condition(scenario.guest.comm, current_task);
    }
    if (!spec.condition.empty()) {
      bp.condition = bp.condition.empty() ? spec.condition
                                          : fmt::format("({}) && ({})", bp.condition, spec.condition);
    }
    bp.insert_command = mi::break_insert(spec.function, bp.condition, hardware, /*temporary=*/false);
    bp.collect = plan_collect(spec, current_task);
    planned.push_back(std::move(bp));
  }
  return planned;
}

}  // namespace kh::engine
