// The hit loop of a run: which gdb breakpoint is which planned one, what one *stopped record
// means (a counted hit to collect, the step past the last hit, anything else), and the engine's
// own step past each hit that keeps counts exact although QEMU's gdbstub sometimes answers a
// single step without executing it.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/deadline.h"
#include "common/result.h"
#include "common/temp_dir.h"
#include "common/unique_fd.h"
#include "engine/breakpoint_plan.h"
#include "engine/hit_collector.h"
#include "mi/mi_record.h"
#include "mi/mi_session.h"
#include "trace/trace_model.h"

namespace kh::engine {

class HitLoop {
 public:
  // `gdb` and `plan` must outlive the loop. Every command waits at most `command_timeout`, and
  // never past the deadline given to set_deadline().
  HitLoop(mi::MiSession& gdb, const std::vector<PlannedBreakpoint>& plan,
          std::chrono::milliseconds command_timeout);

  // Bounds every later command by the run's deadline too.
  void set_deadline(Deadline deadline) { deadline_ = deadline; }
  // How hits read their task (see TaskReader); no task is read until this is called.
  void set_task_reader(TaskReader reader) { collector_.set_task_reader(std::move(reader)); }
  // With gdb-scripts/engine_hits.py loaded (load_engine_hits): guest-scoped breakpoints are
  // inserted as collecting breakpoints, whose hits gdb collects and steps past itself without
  // stopping, one JSON line each in a file of a private folder (take_collected() reads them); the
  // others step past their hits with kh-step-past, with no stop of its own for the step. Call
  // before insert_breakpoints(). Fails when the folder cannot be made (Io) or gdb refuses the file.
  Status set_engine_hits();

  // A hit that gdb collected in a collecting breakpoint, and when (gdb's clock, steady_clock).
  struct Collected {
    trace::Hit hit;  // index not set: the caller numbers hits in the order it takes them
    Clock::time_point at;
  };
  // Removes and returns the hits gdb collected since the last call, in gdb's order. A line that
  // cannot be read, or a hit that gdb could not collect, is an error (ErrorKind::Parse or Gdb),
  // after the hits before it have been taken. A line gdb is still writing waits for the next call.
  Result<std::vector<Collected>> take_collected();

  // Inserts every planned breakpoint. A function gdb does not know is ErrorKind::Symbol with the
  // scenario's file:line (found before the VM boots); gdb's other failures keep their kind.
  Status insert_breakpoints(const std::filesystem::path& vmlinux);
  // Checks that every planned function exists in vmlinux, for runs that insert later (KVM).
  Status check_symbols(const std::filesystem::path& vmlinux);
  // Under KVM: runs the guest to start_kernel with a temporary hardware breakpoint (software ones
  // written before the kernel set up its page tables are lost), then inserts the plan's.
  Status run_to_start_kernel_and_insert(const std::filesystem::path& vmlinux);
  // Resumes the guest freely; forgets a step in progress.
  Status resume();

  enum class StopKind {
    Hit,      // a counted hit, collected; the guest is single-stepping past it, or running again
    Stepped,  // the step after a hit: stepped again (it did not move) or resumed
    Resumed,  // a stop the loop resumed from by itself (an uncounted hit, a breakpoint not planned)
    Other,    // anything else (the target exited, a signal): the caller decides
  };
  struct Stop {
    StopKind kind = StopKind::Other;
    std::optional<trace::Hit> hit;
  };
  // Handles one *stopped record. With `counting` false (after the guest exited) hits are resumed
  // from without being collected. Fails with the collector's errors, or Process when the PC will
  // not move past a hit in kMaxStepAttempts single steps.
  Result<Stop> handle(const mi::AsyncRecord& stop, int next_index, bool counting);

  // Single steps tried before a PC that will not move is an error.
  static constexpr int kMaxStepAttempts = HitCollector::kMaxStepAttempts;

 private:
  Deadline command_deadline() const;
  const PlannedBreakpoint* planned_for(const std::string& number) const;
  Status after_step(const std::string& pc);
  Result<std::string> insert_collecting(std::size_t index);
  Status read_hit_line(std::string_view line, std::vector<Collected>& out);

  mi::MiSession& gdb_;
  const std::vector<PlannedBreakpoint>& plan_;
  std::chrono::milliseconds command_timeout_;
  Deadline deadline_ = Deadline::never();
  HitCollector collector_;
  std::vector<std::pair<std::string, const PlannedBreakpoint*>> breakpoint_by_number_;
  std::string stepping_from_;  // the PC of the last hit while the loop steps past it
  int step_attempts_ = 0;
  bool engine_hits_ = false;
  std::vector<bool> collecting_;  // per plan entry: inserted as a collecting breakpoint
  std::optional<TempDir> hits_dir_;
  UniqueFd hits_fd_;          // the file gdb writes the collected hits to
  std::string hits_partial_;  // the start of a line gdb has not finished writing
  std::vector<std::string> step_errors_;  // per plan entry: why gdb stopped at a collecting one
};

}  // namespace kh::engine
