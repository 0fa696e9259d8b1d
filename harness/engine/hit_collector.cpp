#include "engine/hit_collector.h"

#include <fmt/format.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "engine/mi_to_trace.h"
#include "mi/mi_frames.h"

namespace kh::engine {

Result<trace::Hit> HitCollector::collect(const PlannedBreakpoint& planned, const mi::AsyncRecord& stop,
                                         int index, Deadline deadline) {
  const CollectPlan& plan = planned.collect;
  // The plan's commands with the task's just before the step (the last one).
  std::vector<std::string> commands = plan.commands;
  const std::size_t task_at = commands.size() - 1;
  const std::size_t task_count = plan.task ? task_reader_.commands().size() : 0;
  if (task_count > 0) {
    commands.insert(commands.begin() + static_cast<std::ptrdiff_t>(task_at), task_reader_.commands().begin(),
                    task_reader_.commands().end());
  }
  if (step_past_) {
    commands.back() = fmt::format("-interpreter-exec console \"kh-step-past {} {}\"",
                                  stop.get("frame").get("addr").str(), kMaxStepAttempts);
  }
  KH_ASSIGN_OR_RETURN(std::vector<mi::ResultRecord> answers,
                      gdb_.pipeline(commands, Deadline::in(command_timeout_).min(deadline)));
  trace::Hit hit;
  hit.breakpoint = planned.spec->name;
  hit.index = index;

  KH_ASSIGN_OR_RETURN(const mi::StopEvent event, mi::decode_stop_event(stop));
  const mi::ResultRecord& frames = answers[plan.frames];
  if (frames.result_class == mi::ResultClass::Done) {
    KH_ASSIGN_OR_RETURN(std::vector<mi::StackFrame> stack, mi::decode_stack_frames(frames));
    if (plan.arguments != std::string::npos) {
      const mi::ResultRecord& arguments = answers[plan.arguments];
      if (arguments.result_class == mi::ResultClass::Done) {
        KH_ASSIGN_OR_RETURN(const std::vector<mi::FrameArguments> args,
                            mi::decode_stack_arguments(arguments));
        mi::attach_arguments(stack, args);
      }
    } else if (!stack.empty() && event.frame) {
      // Frame 0's arguments come with the *stopped record.
      stack.front().args = event.frame->args;
    }
    hit.frames = to_trace_frames(stack);
  } else if (event.frame) {
    // Without a backtrace, keep at least the frame the stop reported.
    hit.frames.push_back(to_trace_frame(*event.frame));
  }
  if (task_count > 0) {
    task_reader_.decode(std::span<const mi::ResultRecord>(answers).subspan(task_at, task_count), hit);
  }
  for (std::size_t i = 0; i < planned.spec->captures.size(); ++i) {
    const auto& spec = planned.spec->captures[i];
    const mi::ResultRecord& answer = answers[plan.first_capture + i];
    trace::CapturedValue value;
    value.name = spec.name;
    value.expr = spec.expr;
    if (answer.result_class == mi::ResultClass::Done) {
      value.value = answer.get("value").str();
    } else {
      value.error = answer.error_message();
    }
    hit.captures.push_back(std::move(value));
  }
  const mi::ResultRecord& resumed = answers.back();
  if (resumed.result_class == mi::ResultClass::Error) {
    return make_error(ErrorKind::Gdb, "gdb could not step the guest past a hit of '{}': {}",
                      planned.spec->name, resumed.error_message());
  }
  return hit;
}

}  // namespace kh::engine
