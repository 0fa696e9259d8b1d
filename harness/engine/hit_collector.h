// Turns one breakpoint stop into a trace::Hit: backtrace with arguments, the captures, the task
// (its TaskReader's commands), all asked of gdb in one pipelined write together with the single
// step past the breakpoint.
#pragma once

#include <chrono>

#include "common/result.h"
#include "engine/breakpoint_plan.h"
#include "engine/task_reader.h"
#include "mi/mi_record.h"
#include "mi/mi_session.h"
#include "trace/trace_model.h"

namespace kh::engine {

class HitCollector {
 public:
  HitCollector(mi::MiSession& gdb, std::chrono::milliseconds command_timeout)
      : gdb_(gdb), command_timeout_(command_timeout) {}

  // Collects the hit `stop` (a *stopped breakpoint-hit record of `planned`) and steps the target
  // one instruction (the hit loop continues once that step has moved the PC). A capture that gdb
  // cannot evaluate is recorded with its error, not a failure. Waits at most `deadline` (and the
  // command timeout); fails with Timeout/Eof when gdb does not answer, Gdb when it cannot step,
  // Parse when the stop or a stack answer is malformed.
  Result<trace::Hit> collect(const PlannedBreakpoint& planned, const mi::AsyncRecord& stop, int index,
                             Deadline deadline);

  // How the hits of plans that want their task (CollectPlan::task) read it; none until set.
  void set_task_reader(TaskReader reader) { task_reader_ = std::move(reader); }

 private:
  mi::MiSession& gdb_;
  std::chrono::milliseconds command_timeout_;
  TaskReader task_reader_;
};


}  // namespace kh::engine
