#include "engine/hit_loop.h"

#include <fmt/format.h>

namespace kh::engine {

HitLoop::HitLoop(mi::MiSession& gdb, const std::vector<PlannedBreakpoint>& plan,
                 std::chrono::milliseconds command_timeout)
    : gdb_(gdb), plan_(plan), command_timeout_(command_timeout), collector_(gdb, command_timeout) {}

Deadline HitLoop::command_deadline() const { return Deadline::in(command_timeout_).min(deadline_); }

Status HitLoop::insert_breakpoints(const std::filesystem::path& vmlinux) {
  for (const auto& planned : plan_) {
    auto answer = gdb_.command(planned.insert_command, command_deadline());
    if (!answer.ok()) {
      Error error = std::move(answer).error();
      if (error.kind == ErrorKind::Gdb) {
        // "Function \"nosuch\" not defined.": a scenario error, found before the VM boots.
        error = make_error(ErrorKind::Symbol, "breakpoint '{}': {} (no such function in {})", planned.spec->name,
                           error.message, vmlinux.string());
        error.location = planned.spec->location;
      }
      return error;
    }
    breakpoint_by_number_.emplace_back(answer->get("bkpt").get("number").str(), &planned);
  }
  return {};
}

Status HitLoop::check_symbols(const std::filesystem::path& vmlinux) {
  for (const auto& planned : plan_) {
    auto answer = gdb_.command_raw(
        fmt::format("-symbol-info-functions --name {}", mi_quote("^" + planned.spec->function + "$")),
        command_deadline());
    if (!answer.ok()) {
      return std::move(answer).error();
    }
    if (answer->get("symbols").get("debug").size() == 0 &&
        answer->get("symbols").get("nondebugging").size() == 0) {
      Error error = make_error(ErrorKind::Symbol, "breakpoint '{}': no function '{}' in {}", planned.spec->name,
                               planned.spec->function, vmlinux.string());
      error.location = planned.spec->location;
      return error;
    }
  }
  return {};
}

Status HitLoop::run_to_start_kernel_and_insert(const std::filesystem::path& vmlinux) {
  auto inserted = gdb_.command("-break-insert -h -t start_kernel", command_deadline());
  if (!inserted.ok()) {
    return std::move(inserted).error();
  }
  KH_TRY(resume());
  auto stop = gdb_.wait_for_stop(command_deadline());
  if (!stop.ok()) {
    return std::move(stop).error();
  }
  return insert_breakpoints(vmlinux);
}

Status HitLoop::resume() {
  // Whatever was being stepped past is behind us once the guest runs freely.
  stepping_from_.clear();
  auto answer = gdb_.command("-exec-continue", command_deadline());
  if (!answer.ok()) {
    return std::move(answer).error();
  }
  return {};
}

const PlannedBreakpoint* HitLoop::planned_for(const std::string& number) const {
  for (const auto& [bkpt, planned] : breakpoint_by_number_) {
    if (bkpt == number) {
      return planned;
    }
  }
  return nullptr;
}

Result<HitLoop::Stop> HitLoop::handle(const mi::AsyncRecord& stop, int next_index, bool counting) {
  const std::string& reason = stop.get("reason").str();
  const std::string& pc = stop.get("frame").get("addr").str();
  if (!stepping_from_.empty() && (reason == "end-stepping-range" || pc == stepping_from_)) {
    // The step after a hit. At the same PC it did not execute (gdb then calls it a hit of the
    // breakpoint there): not a new call, step again.
    KH_TRY(after_step(pc));
    return Stop{StopKind::Stepped, std::nullopt};
  }
  if (reason != "breakpoint-hit") {
    return Stop{StopKind::Other, std::nullopt};
  }
  const PlannedBreakpoint* planned = planned_for(stop.get("bkptno").str());
  if (planned == nullptr || !counting) {
    // A breakpoint of ours that is not in the plan (KVM's start_kernel), or a hit after the guest
    // exited (a scope="all" breakpoint at power-off): not counted, the guest goes on.
    KH_TRY(resume());
    return Stop{StopKind::Resumed, std::nullopt};
  }
  KH_ASSIGN_OR_RETURN(trace::Hit hit, collector_.collect(*planned, stop, next_index, command_deadline()));
  stepping_from_ = pc;
  step_attempts_ = 1;
  return Stop{StopKind::Hit, std::move(hit)};
}
// A step that moved onto another breakpoint whose condition holds is reported by gdb as that
// breakpoint's hit, with a different PC: it is counted as a hit, as it should be.

Status HitLoop::after_step(const std::string& pc) {
  if (pc == stepping_from_ && step_attempts_ < kMaxStepAttempts) {
    ++step_attempts_;
    auto stepped = gdb_.command("-exec-step-instruction", command_deadline());
    return stepped.ok() ? Status{} : Status(std::move(stepped).error());
  }
  if (pc == stepping_from_) {
    return make_error(ErrorKind::Process, "the guest did not move past {} in {} single steps", pc,
                      kMaxStepAttempts);
  }
  stepping_from_.clear();
  return resume();
}

}  // namespace kh::engine
