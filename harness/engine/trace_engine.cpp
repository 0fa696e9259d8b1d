#include "engine/trace_engine.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <string_view>
#include <utility>

#include "common/deadline.h"
#include "engine/breakpoint_plan.h"
#include "engine/gdb_setup.h"
#include "engine/guest_image.h"
#include "engine/hit_collector.h"
#include "engine/lab_shell.h"
#include "image/initramfs.h"
#include "kernel/kernel_builder.h"
#include "mi/mi_session.h"
#include "trace/expectation.h"
#include "trace/scenario.h"
#include "vm/qemu_vm.h"

namespace kh::engine {
namespace {

using trace::Verdict;
using Seconds = std::chrono::duration<double>;

constexpr std::size_t kSerialTailLines = 25;
// gdb answers a command in well under a second; a busy TCG guest can make the stub slow.
constexpr std::chrono::milliseconds kCommandTimeout{15'000};
// After KH-EXIT the guest powers off; if it does not, the run still passed its trace.
constexpr std::chrono::milliseconds kPoweroffTimeout{10'000};
// Single steps tried before a PC that will not move is an error (QEMU skips a step now and then).
constexpr int kMaxStepAttempts = 8;
// How long qemu may take to exit after gdb lost the target (a panic or a kill closes the stub first).
constexpr std::chrono::milliseconds kLostTargetGrace{3'000};

// Where a run is; a TIMEOUT names it.
enum class Phase { Boot, GuestStart, GuestExit, Poweroff };

std::string_view phase_name(Phase phase) {
  switch (phase) {
    case Phase::Boot: return "boot";
    case Phase::GuestStart: return "guest start";
    case Phase::GuestExit: return "guest exit";
    case Phase::Poweroff: return "poweroff";
  }
  return "run";
}

// Verdict for an error that stopped a run before any expectation could be judged.
Verdict verdict_for(const Error& error) {
  switch (error.kind) {
    case ErrorKind::Config:
    case ErrorKind::Symbol:
      return Verdict::Error;
    case ErrorKind::Timeout:
      return Verdict::Timeout;
    case ErrorKind::Interrupted:
      return Verdict::Error;
    default:
      return Verdict::Infra;
  }
}

// One run of one scenario; owns every resource (temp dir, qemu, gdb) so that leaving the scope
// on any path ends them.
class TraceRun {
 public:
  explicit TraceRun(const RunOptions& options) : options_(options) {}

  RunReport run() {
    report_.scenario_file = options_.scenario.string();
    report_.scenario = options_.scenario.stem().string();
    Status status = run_phases();
    if (!status.ok()) {
      fail(std::move(status).error());
    }
    finish();
    return std::move(report_);
  }

 private:
  // The phases in order; the first error ends the run (turned into a verdict by run()).
  Status run_phases() {
    KH_TRY(load_scenario());
    KH_TRY(provide_kernel());
    if (!resolved_.applies) {
      report_.verdict = Verdict::Skipped;
      report_.detail = fmt::format("scenario applies to kernels {}, not {}", resolved_.kernels,
                                   report_.kernel_version);
      return {};
    }
    KH_TRY(build_image());
    KH_TRY(start_gdb());
    KH_TRY(start_vm());
    KH_TRY(trace_guest());
    evaluate();
    return {};
  }

  void mark_phase(std::string_view phase) {
    auto now = Clock::now();
    report_.phases.push_back(PhaseTime{std::string(phase), Seconds(now - phase_started_).count()});
    phase_started_ = now;
    if (options_.progress) {
      fmt::print(stderr, "kharness: {:<10} {:6.2f} s\n", phase, report_.phases.back().seconds);
    }
  }

  Status load_scenario() {
    KH_ASSIGN_OR_RETURN(scenario_, trace::load_scenario_file(options_.scenario));
    report_.scenario = scenario_.name;
    report_.description = scenario_.description;
    mark_phase("scenario");
    return {};
  }

  Status provide_kernel() {
    KH_ASSIGN_OR_RETURN(kernel_, kernel_for(options_));
    report_.kernel_release = kernel_.release;
    report_.kernel_version = kernel_.version.to_string();
    report_.trace.kernel_release = kernel_.release;
    report_.trace.scenario = scenario_.name;
    resolved_ = trace::resolve(scenario_, kernel_.version);
    mark_phase("kernel");
    return {};
  }

  Status build_image() {
    KH_ASSIGN_OR_RETURN(initramfs_, build_guest_image(resolved_));
    mark_phase("initramfs");
    return {};
  }

  Status start_gdb() {
    mi::MiSession::Options gdb_options;
    gdb_options.program = kernel_.vmlinux;
    gdb_options.command_timeout = kCommandTimeout;
    gdb_options.transcript = options_.gdb_transcript;
    KH_ASSIGN_OR_RETURN(gdb_, mi::MiSession::start(gdb_options));
    have_gdb_scripts_ = !kernel_.gdb_scripts.empty();
    for (const auto& command : gdb_setup_commands(kernel_)) {
      KH_TRY(console(command));
    }
    KH_ASSIGN_OR_RETURN(accel_, vm::resolve_accel(options_.accel, kernel_.bzimage));
    report_.accel = std::string(vm::to_string(accel_));
    // Under KVM, software breakpoints written before the kernel runs are lost when it sets up its
    // page tables: stop at start_kernel with a hardware breakpoint first, insert the rest there.
    current_task_ = current_task_expression(kernel_);
    KH_ASSIGN_OR_RETURN(plan_, plan_breakpoints(resolved_, current_task_, false));
    if (accel_ == vm::Accel::Tcg) {
      KH_TRY(insert_breakpoints());
    } else {
      KH_TRY(check_symbols());
    }
    mark_phase("gdb");
    return {};
  }

  // Runs a gdb CLI command through MI.
  Status console(std::string_view command) {
    auto answer = gdb_->command(fmt::format("-interpreter-exec console {}", mi_quote(command)));
    if (!answer.ok()) {
      Error error = std::move(answer).error();
      error.wrap(fmt::format("gdb: {}", command));
      return error;
    }
    return {};
  }

  Status insert_breakpoints() {
    for (auto& planned : plan_) {
      auto answer = gdb_->command(planned.insert_command);
      if (!answer.ok()) {
        Error error = std::move(answer).error();
        if (error.kind == ErrorKind::Gdb) {
          // "Function \"nosuch\" not defined.": a scenario error, found before the VM boots.
          error = make_error(ErrorKind::Symbol, "breakpoint '{}': {} (no such function in {})",
                             planned.spec->name, error.message, kernel_.vmlinux.string());
          error.location = planned.spec->location;
        }
        return error;
      }
      const std::string number = answer->get("bkpt").get("number").str();
      breakpoint_by_number_.emplace_back(number, &planned);
    }
    return {};
  }

  // The symbols of the breakpoints exist in vmlinux (for runs that insert breakpoints later).
  Status check_symbols() {
    for (const auto& planned : plan_) {
      auto answer = gdb_->command_raw(
          fmt::format("-symbol-info-functions --name {}", mi_quote("^" + planned.spec->function + "$")),
          Deadline::in(kCommandTimeout));
      if (!answer.ok()) {
        return std::move(answer).error();
      }
      if (answer->get("symbols").get("debug").size() == 0 && answer->get("symbols").get("nondebugging").size() == 0) {
        Error error = make_error(ErrorKind::Symbol, "breakpoint '{}': no function '{}' in {}",
                                 planned.spec->name, planned.spec->function, kernel_.vmlinux.string());
        error.location = planned.spec->location;
        return error;
      }
    }
    return {};
  }

  Status start_vm() {
    const vm::VmSpec spec = vm_spec_for(options_, kernel_, initramfs_, accel_);
    KH_ASSIGN_OR_RETURN(vm_, vm::QemuVm::start(spec));
    auto connected = gdb_->command(fmt::format("-target-select remote {}", vm_->gdb_socket().string()));
    if (!connected.ok()) {
      return std::move(connected).error().wrap("gdb could not attach to qemu's gdbstub");
    }
    // Attaching reports the CPU stopped at the reset vector: that stop is not one of ours.
    (void)gdb_->take_async_records();
    if (accel_ == vm::Accel::Kvm) {
      KH_TRY(run_to_start_kernel());
      KH_TRY(insert_breakpoints());
    }
    return {};
  }

  Status run_to_start_kernel() {
    auto inserted = gdb_->command("-break-insert -h -t start_kernel");
    if (!inserted.ok()) {
      return std::move(inserted).error();
    }
    KH_TRY(resume());
    auto stop = gdb_->wait_for_stop(Deadline::in(kCommandTimeout));
    if (!stop.ok()) {
      return vm_failure_or(std::move(stop).error());
    }
    return {};
  }

  Status resume() {
    // Whatever was being stepped past is behind us once the guest runs freely.
    stepping_from_.clear();
    auto answer = gdb_->command("-exec-continue");
    if (!answer.ok()) {
      return std::move(answer).error();
    }
    return {};
  }

  // From reset to power-off: resume, collect every breakpoint hit, follow the serial markers.
  Status trace_guest() {
    const auto timeout = options_.timeout.value_or(resolved_.timeout);
    deadline_ = Deadline::in(std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
    vm_started_ = Clock::now();
    if (Status resumed = resume(); !resumed.ok()) {
      return vm_failure_or(std::move(resumed).error());
    }
    Phase phase = Phase::Boot;
    HitCollector collector(*gdb_, kCommandTimeout);
    for (;;) {
      phase = update_phase(phase);
      if (phase == Phase::Poweroff) {
        break;
      }
      auto stop = gdb_->wait_for_stop_or(vm_->event_fd(), deadline_);
      if (!stop.ok()) {
        Error error = std::move(stop).error();
        if (error.kind == ErrorKind::Timeout) {
          return timeout_error(current_phase());
        }
        return vm_failure_or(std::move(error));
      }
      if (!stop->has_value()) {
        vm_->consume_events();
        if (!vm_->running() && current_phase() != Phase::Poweroff) {
          return vm_failure_or(make_error(ErrorKind::Process, "{}", vm_->describe_exit()));
        }
        continue;
      }
      const mi::AsyncRecord& record = **stop;
      const std::string& reason = record.get("reason").str();
      const std::string& pc = record.get("frame").get("addr").str();
      if (!stepping_from_.empty() && (reason == "end-stepping-range" || pc == stepping_from_)) {
        // The step after a hit. At the same PC it did not execute (gdb then calls it a hit of the
        // breakpoint there): not a new call, step again.
        if (Status moved = after_step(pc); !moved.ok()) {
          return vm_failure_or(std::move(moved).error());
        }
        continue;
      }
      if (reason == "breakpoint-hit") {
        const PlannedBreakpoint* planned = planned_for(record.get("bkptno").str());
        if (planned == nullptr) {
          // A breakpoint of ours that is not in the plan (the KVM start_kernel one): go on.
          if (Status resumed = resume(); !resumed.ok()) {
            return vm_failure_or(std::move(resumed).error());
          }
          continue;
        }
        auto hit = collector.collect(*planned, record, static_cast<int>(report_.trace.hits.size()));
        if (!hit.ok()) {
          return vm_failure_or(std::move(hit).error());
        }
        hit->time_s = Seconds(Clock::now() - vm_started_).count();
        report_.trace.hits.push_back(std::move(*hit));
        stepping_from_ = pc;
        step_attempts_ = 1;
        continue;
      }
      // The guest went away under gdb (power-off closes the gdbstub) or stopped for another reason.
      vm_->consume_events();
      if (current_phase() == Phase::Poweroff) {
        break;
      }
      if (Status resumed = resume(); !resumed.ok()) {
        return vm_failure_or(std::move(resumed).error());
      }
    }
    auto exited = vm_->wait_for_exit(Deadline::in(kPoweroffTimeout));
    if (!exited.ok() && exited.error().kind == ErrorKind::Interrupted) {
      return std::move(exited).error();
    }
    mark_phase("poweroff");
    return {};
  }

  // After the step that follows a hit: continue once the PC left the breakpoint, else step again.
  Status after_step(const std::string& pc) {
    if (pc == stepping_from_ && step_attempts_ < kMaxStepAttempts) {
      ++step_attempts_;
      auto stepped = gdb_->command("-exec-step-instruction");
      return stepped.ok() ? Status{} : Status(std::move(stepped).error());
    }
    if (pc == stepping_from_) {
      return make_error(ErrorKind::Process, "the guest did not move past {} in {} single steps", pc,
                        kMaxStepAttempts);
    }
    stepping_from_.clear();
    return resume();
  }
  // Note: a step that moved onto another breakpoint whose condition holds is reported by gdb as
  // that breakpoint's hit, with a different PC: it is counted as a hit, as it should be.

  // The phase, from what the serial console has shown so far.
  Phase current_phase() {
    vm_->consume_events();
    const std::string serial = vm_->serial_text();
    if (serial.find(image::kExitMarker) != std::string::npos) {
      return Phase::Poweroff;
    }
    if (serial.find(image::kGuestStartMarker) != std::string::npos) {
      return Phase::GuestExit;
    }
    if (serial.find(image::kReadyMarker) != std::string::npos) {
      return Phase::GuestStart;
    }
    return Phase::Boot;
  }

  // Marks the end of each phase the serial console shows was passed since the last look:
  // "boot" ends at KH-START (the guest runs), "guest" at KH-EXIT.
  Phase update_phase(Phase previous) {
    Phase now = current_phase();
    if (previous < Phase::GuestExit && now >= Phase::GuestExit) {
      mark_phase("boot");
    }
    if (previous < Phase::Poweroff && now == Phase::Poweroff) {
      mark_phase("guest");
    }
    return now;
  }

  Error timeout_error(Phase phase) {
    report_.phase = std::string(phase_name(phase));
    Error error = make_error(ErrorKind::Timeout, "timeout in phase {} after {:.1f} s", phase_name(phase),
                             Seconds(Clock::now() - vm_started_).count());
    return error;
  }

  // An error while the VM ran: if qemu died or the kernel panicked, that is the real story. gdb
  // often notices the lost target before qemu has exited, so give qemu a moment to finish.
  Error vm_failure_or(Error error) {
    if (!vm_) {
      return error;
    }
    vm_->consume_events();
    if (error.kind != ErrorKind::Timeout && error.kind != ErrorKind::Interrupted && vm_->running() &&
        !vm_->panic_line()) {
      (void)vm_->wait_for_exit(Deadline::in(kLostTargetGrace));
      vm_->consume_events();
    }
    const Phase phase = current_phase();
    if (auto panic = vm_->panic_line()) {
      report_.phase = std::string(phase_name(phase));
      Error infra = make_error(ErrorKind::Process, "kernel panic in phase {}: {}", phase_name(phase), *panic);
      infra.details.push_back(error.to_string());
      return infra;
    }
    if (!vm_->running() && phase != Phase::Poweroff) {
      report_.phase = std::string(phase_name(phase));
      Error infra = make_error(ErrorKind::Process, "{} in phase {}", vm_->describe_exit(), phase_name(phase));
      infra.details.push_back(error.to_string());
      return infra;
    }
    return error;
  }

  const PlannedBreakpoint* planned_for(const std::string& number) const {
    for (const auto& [bkpt, planned] : breakpoint_by_number_) {
      if (bkpt == number) {
        return planned;
      }
    }
    return nullptr;
  }

  void evaluate() {
    report_.results = trace::evaluate(resolved_, report_.trace);
    if (report_.guest_exit_status && *report_.guest_exit_status != 0) {
      trace::ExpectationResult guest;
      guest.kind = "scenario";
      guest.description = fmt::format("guest program {} exits with status 0", resolved_.guest.program);
      guest.verdict = Verdict::Fail;
      guest.expected = "0";
      guest.actual = std::to_string(*report_.guest_exit_status);
      guest.location = resolved_.guest.location;
      report_.results.push_back(std::move(guest));
    }
    report_.verdict = trace::overall_verdict(report_.results);
    mark_phase("evaluate");
  }

  void fail(Error error) {
    report_.verdict = verdict_for(error);
    if (error.kind == ErrorKind::Interrupted) {
      report_.detail = "interrupted";
    } else {
      report_.detail = error.to_string();
    }
    report_.evidence = error.details;
  }

  // Reads the guest's own output and releases gdb and qemu; runs on every path.
  void finish() {
    if (vm_) {
      vm_->consume_events();
      report_.serial_log = vm_->serial_text();
    }
    read_guest_output();
    if (report_.verdict == Verdict::Pass && report_.guest_exit_status && *report_.guest_exit_status != 0) {
      report_.verdict = Verdict::Fail;
    }
    if (report_.verdict != Verdict::Pass && vm_) {
      report_.serial_tail = vm_->serial_tail(kSerialTailLines);
    }
    if (gdb_) {
      (void)gdb_->close(Deadline::in(std::chrono::milliseconds(1000)));
      gdb_.reset();
    }
    if (vm_) {
      vm_->terminate();
      vm_.reset();
    }
  }

  // KH-RESULT and KH-EXIT lines of the serial console.
  void read_guest_output() {
    std::string_view text = report_.serial_log;
    while (!text.empty()) {
      std::size_t end = text.find('\n');
      std::string_view line = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
        line.remove_suffix(1);
      }
      if (std::size_t at = line.find("KH-RESULT "); at != std::string_view::npos) {
        report_.guest_results.emplace_back(line.substr(at + 10));
      } else if (std::size_t exit_at = line.find(image::kExitMarker); exit_at != std::string_view::npos) {
        std::string_view status = line.substr(exit_at + image::kExitMarker.size());
        while (!status.empty() && status.front() == ' ') {
          status.remove_prefix(1);
        }
        try {
          report_.guest_exit_status = std::stoi(std::string(status));
        } catch (const std::exception&) {
          report_.guest_exit_status = -1;
        }
      }
    }
  }

  const RunOptions& options_;
  RunReport report_;
  Clock::time_point phase_started_ = Clock::now();
  Clock::time_point vm_started_ = Clock::now();
  Deadline deadline_ = Deadline::never();
  trace::Scenario scenario_;
  trace::ResolvedScenario resolved_;
  kernel::KernelBuild kernel_;
  std::filesystem::path initramfs_;
  vm::Accel accel_ = vm::Accel::Tcg;
  bool have_gdb_scripts_ = false;
  std::vector<PlannedBreakpoint> plan_;
  std::string current_task_;   // gdb expression for the current task (see current_task_expression)
  std::string stepping_from_;  // the PC of the last hit while the engine steps past it
  int step_attempts_ = 0;
  std::vector<std::pair<std::string, const PlannedBreakpoint*>> breakpoint_by_number_;
  // gdb is declared after the VM so that it is destroyed first: it detaches from a live stub.
  std::optional<vm::QemuVm> vm_;
  std::optional<mi::MiSession> gdb_;
};

}  // namespace

RunReport run_scenario(const RunOptions& options) { return TraceRun(options).run(); }

Result<kernel::KernelBuild> kernel_for(const RunOptions& options) {
  if (!options.kernel_build) {
    return kernel::provide_kernel(options.kernel);
  }
  KH_TRY(kernel::ensure_gdb_index(options.kernel_build->vmlinux));
  return *options.kernel_build;
}

}  // namespace kh::engine
