// The hits gdb collects itself (gdb-scripts/engine_hits.py): what a collecting breakpoint is told
// (its plan, one JSON object given to `kh-collect-break`) and what it writes back (one line per
// hit in the hit file, `KH-HIT {json}`), both pure, for HitLoop.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.h"
#include "common/result.h"
#include "engine/breakpoint_plan.h"
#include "engine/task_reader.h"
#include "trace/trace_model.h"

namespace kh::engine {

// The prefix of every line of the hit file.
inline constexpr std::string_view kCollectedHitPrefix = "KH-HIT ";

// The JSON plan of breakpoint `index` of the plan (see engine_hits.py's CollectingBreakpoint):
// its function and planned condition (and, guest-scoped, the task expression and flag for the
// one-read guest check, with the scenario's own condition apart), captures, whether callers'
// arguments are wanted, how the task is read (`task`, per CollectPlan::task), `max_steps`.
std::string collecting_plan(const PlannedBreakpoint& planned, std::size_t index, const TaskReader& task,
                            int max_steps);

// One line of the hit file, read.
struct CollectedHit {
  std::size_t breakpoint = 0;  // the index into the plan
  trace::Hit hit;              // breakpoint name, frames, captures, task; index and time unset
  Clock::time_point at;        // when gdb saw the hit (steady_clock)
  std::string step_error;      // gdb could not step past the hit (it then stops there); hit unset
};

// Reads one line. Fails with Parse when the line is not a hit of `plan` or not well-formed, Gdb when
// gdb says it could not collect the hit.
Result<CollectedHit> parse_collected_hit(std::string_view line, const std::vector<PlannedBreakpoint>& plan,
                                         const TaskReader& task);

}  // namespace kh::engine
