// Turns one breakpoint stop into a trace::Hit: backtrace with arguments, the captures, the task
// (its TaskReader's commands), all asked of gdb in one pipelined write together with the single
// step past the breakpoint (gdb's own, or kh-step-past: see set_step_past).
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
  const TaskReader& task_reader() const { return task_reader_; }
  // Steps past each hit with gdb-scripts/step_past.py's `kh-step-past` instead of the plan's
  // -exec-step-instruction: the step is then over, the PC moved, once collect() returns, and the
  // caller continues at once. Only for a gdb that defined the command (it says so in $kh_step_past).
  void set_step_past(bool enabled) { step_past_ = enabled; }
  bool steps_past() const { return step_past_; }

  // Single steps tried before a PC that will not move is an error.
  static constexpr int kMaxStepAttempts = 8;

 private:
  mi::MiSession& gdb_;
  std::chrono::milliseconds command_timeout_;
  TaskReader task_reader_;
  bool step_past_ = false;
};


}  // namespace kh::engine
