#include "engine/trace_engine.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "common/deadline.h"
#include "common/paths.h"
#include "engine/gdb_setup.h"
#include "engine/guest_protocol.h"
#include "engine/hit_loop.h"
#include "engine/run_bundle.h"
#include "engine/run_outcome.h"
#include "engine/snapshot_store.h"
#include "mi/mi_session.h"
#include "trace/expectation.h"
#include "vm/qemu_vm.h"

namespace kh::engine {
namespace {

using trace::Verdict;
using Seconds = std::chrono::duration<double>;
using std::chrono::milliseconds;

constexpr std::size_t kSerialTailLines = 25;
// gdb answers a command in well under a second; a busy TCG guest can make the stub slow.
constexpr milliseconds kCommandTimeout{15'000};
// gdb reads vmlinux's symbols before its first prompt; never longer than this, nor than the run.
constexpr milliseconds kGdbStartupTimeout{60'000};
// After KH-EXIT the guest powers off; if it does not, the run still passed its trace.
constexpr milliseconds kPoweroffTimeout{10'000};
// How long qemu may take to exit after gdb lost the target (a panic or a kill closes the stub first).
constexpr milliseconds kLostTargetGrace{3'000};
// What a hang's evidence may cost after the deadline: interrupt, backtrace, lx-ps, lx-dmesg.
constexpr milliseconds kHangEvidenceBudget{4'000};
constexpr std::size_t kDmesgTailLines = 20;
// Booting to the wait point and saving the machine: a boot (2-3 s under TCG) and a 20 MB write.
constexpr milliseconds kSnapshotCreateTimeout{120'000};

milliseconds remaining(Deadline deadline) {
  if (deadline.is_never()) {
    return milliseconds::max();
  }
  auto left = std::chrono::duration_cast<milliseconds>(deadline.at() - Clock::now());
  return left.count() > 0 ? left : milliseconds(0);
}

// The last `count` lines of `text`.
std::vector<std::string> last_lines(std::string_view text, std::size_t count) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty()) {
      lines.emplace_back(line);
    }
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  if (lines.size() > count) {
    lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(count));
  }
  return lines;
}

// One run of one scenario; owns every resource (qemu, gdb) so that leaving the scope on any path
// ends them.
class TraceRun {
 public:
  explicit TraceRun(const RunOptions& options) : options_(options) {}

  trace::RunReport run() {
    report_.scenario_file = options_.scenario.string();
    report_.scenario = options_.scenario.stem().string();
    Status status = run_phases();
    if (!status.ok()) {
      fail(std::move(status).error());
    }
    finish();
    if (prepared_ && !options_.bundle.empty() && report_.verdict != Verdict::Interrupted && !interrupted()) {
      write_bundle();
    }
    if (interrupted() && report_.verdict != Verdict::Interrupted) {
      // A signal during teardown still ends the run as interrupted.
      report_.verdict = Verdict::Interrupted;
      report_.detail = interrupted_detail();
    }
    report_.wall_seconds = Seconds(Clock::now() - run_started_).count();
    return std::move(report_);
  }

 private:
  // The phases in order; the first error ends the run (turned into a verdict by run()).
  Status run_phases() {
    auto prepared = prepare_run(options_, [this](std::string_view phase, const PreparedRun& so_far) {
      took_preparation_phase(phase, so_far);
    });
    if (!prepared.ok()) {
      return std::move(prepared).error();
    }
    run_ = std::move(*prepared);
    if (!run_.resolved.applies) {
      report_.verdict = Verdict::Skipped;
      report_.detail = fmt::format("scenario applies to kernels {}, not {}", run_.resolved.kernels,
                                   report_.kernel_version);
      return {};
    }
    report_.accel = std::string(vm::to_string(run_.accel));
    prepared_ = true;
    for (const trace::BreakpointSpec& breakpoint : run_.resolved.breakpoints) {
      report_.breakpoints.push_back(breakpoint.name);
    }
    deadline_started_ = Clock::now();
    deadline_ = Deadline::in(run_.timeout);
    // qemu starts first, paused, so that its start (and a snapshot's restore) runs while gdb loads
    // the kernel's symbols; the guest runs only once gdb has attached.
    KH_TRY(launch_vm());
    KH_TRY(start_gdb());
    KH_TRY(attach_vm());
    Status traced = trace_guest();
    // Whatever way the guest ended, the hits gdb collected up to then belong to the trace.
    Status collected = take_last_collected_hits();
    KH_TRY(traced);
    KH_TRY(collected);
    evaluate();
    return {};
  }

  // Moves the hits gdb collected itself (HitLoop::take_collected) into the trace, numbered in
  // order after those already there.
  Status take_collected_hits() {
    auto taken = hit_loop_->take_collected();
    if (!taken.ok()) {
      return std::move(taken).error();
    }
    for (HitLoop::Collected& collected : *taken) {
      collected.hit.index = static_cast<int>(report_.trace.hits.size());
      collected.hit.time_s = Seconds(collected.at - vm_started_).count();
      report_.trace.hits.push_back(std::move(collected.hit));
    }
    return {};
  }

  // The hit lines gdb wrote before the guest ended may still be in the pipe: one command's round
  // trip reads everything gdb wrote before its answer.
  Status take_last_collected_hits() {
    if (!hit_loop_) {
      return {};
    }
    if (gdb_ && gdb_->alive()) {
      (void)gdb_->command_raw("-list-features", Deadline::in(kLostTargetGrace));
    }
    return take_collected_hits();
  }

  void took_preparation_phase(std::string_view phase, const PreparedRun& so_far) {
    if (phase == "scenario") {
      report_.scenario = so_far.scenario.name;
      report_.description = so_far.scenario.description;
    } else if (phase == "kernel") {
      report_.kernel_release = so_far.kernel.release;
      report_.kernel_version = so_far.kernel.version.to_string();
      report_.kernel_key = so_far.kernel.key;
      report_.kernel_source = so_far.kernel.source;
      report_.trace.kernel_release = so_far.kernel.release;
      report_.trace.scenario = so_far.scenario.name;
    }
    mark_phase(phase);
  }

  void mark_phase(std::string_view phase) {
    auto now = Clock::now();
    report_.phases.push_back(trace::PhaseTime{std::string(phase), Seconds(now - phase_started_).count()});
    phase_started_ = now;
    if (options_.progress) {
      fmt::print(stderr, "kharness: {:<10} {:6.2f} s\n", phase, report_.phases.back().seconds);
    }
  }

  Deadline command_deadline() const { return Deadline::in(kCommandTimeout).min(deadline_); }

  Status start_gdb() {
    mi::MiSession::Options gdb_options;
    gdb_options.gdb_path = options_.gdb_path;
    gdb_options.program = run_.kernel.vmlinux;
    gdb_options.command_timeout = kCommandTimeout;
    gdb_options.startup_timeout = std::min(kGdbStartupTimeout, remaining(deadline_));
    gdb_options.transcript = options_.gdb_transcript;
    // gdb's own Python modules have no bytecode on Debian and cannot get any in a system folder:
    // compiled into kharness's cache instead (a later gdb starts ~25 ms sooner: 0.065 s against
    // 0.09 s for `gdb -nx -batch`), whatever PYTHONDONTWRITEBYTECODE says. Nothing is written
    // next to any source.
    gdb_options.env = {{"PYTHONPYCACHEPREFIX", (cache_dir() / "pycache").string()}, {"PYTHONDONTWRITEBYTECODE", ""}};
    auto started = mi::MiSession::start(gdb_options);
    if (!started.ok()) {
      return in_gdb_start(std::move(started).error());
    }
    gdb_.emplace(std::move(*started));
    // The kernel's and kharness's helpers; a script that failed to load is said here, before the
    // VM boots, not found later as dozens of captures reading "<error: ...>".
    auto helpers = prepare_gdb_helpers(*gdb_, run_.kernel, run_.resolved, run_.current_task, command_deadline());
    if (!helpers.ok()) {
      return in_gdb_start(std::move(helpers).error());
    }
    for (const auto& warning : *helpers) {
      if (options_.notice) {
        options_.notice(warning);
      }
    }
    hit_loop_.emplace(*gdb_, run_.plan, kCommandTimeout);
    hit_loop_->set_deadline(deadline_);
    // Hits collected and stepped past inside gdb, without a stop (HitLoop::set_engine_hits).
    if (!options_.hits_over_mi) {
      auto engine_hits = load_engine_hits(*gdb_, command_deadline());
      if (!engine_hits.ok()) {
        return in_gdb_start(std::move(engine_hits).error());
      }
      if (*engine_hits) {
        if (Status set = hit_loop_->set_engine_hits(); !set.ok()) {
          return in_gdb_start(std::move(set).error());
        }
      }
    }
    if (!run_.current_task.empty()) {
      // One read of the task_struct bytes that hold pid and comm; when gdb cannot give their
      // layout, two expressions, which then report their own errors in each hit.
      auto layout = query_task_layout(*gdb_, command_deadline());
      hit_loop_->set_task_reader(layout.ok() ? TaskReader::by_layout(run_.current_task, *layout)
                                             : TaskReader::by_expressions(run_.current_task));
    }
    // Under KVM, software breakpoints written before the kernel runs are lost when it sets up its
    // page tables: they go in at start_kernel (attach_vm); only their symbols are checked here.
    Status planned = run_.accel == vm::Accel::Tcg ? hit_loop_->insert_breakpoints(run_.kernel.vmlinux)
                                                  : hit_loop_->check_symbols(run_.kernel.vmlinux);
    if (!planned.ok()) {
      return in_gdb_start(std::move(planned).error());
    }
    mark_phase("gdb");
    return {};
  }

  // A timeout while gdb starts is the run's TIMEOUT in phase "gdb start"; other errors say gdb.
  Error in_gdb_start(Error error) {
    if (error.kind == ErrorKind::Timeout) {
      Error timeout = timeout_error("gdb start");
      timeout.details.push_back(error.to_string());
      return timeout;
    }
    return error;
  }

  // Starts vm_ paused before gdb starts: restoring this run's snapshot when the run wants one and
  // it exists (qemu -incoming, not waited for here), else from power-on with -S. A snapshot still
  // to be saved waits for attach_vm(), after gdb has checked the breakpoints: a bad scenario stays
  // an error before anything boots.
  Status launch_vm() {
    if (!snapshot_wanted()) {
      return launch_power_on_vm();
    }
    auto key = snapshot_key(run_.vm, run_.kernel.key);
    if (!key.ok()) {
      return snapshot_unusable(std::move(key).error());  // attach_vm() boots from power-on
    }
    std::filesystem::path file = snapshot_file(*key);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      snapshot_to_save_ = *key;
      return {};
    }
    return launch_restore(file);
  }

  // Spawns qemu; attach_vm() waits for its start, which runs meanwhile (while gdb starts).
  Status launch_power_on_vm() {
    KH_ASSIGN_OR_RETURN(vm::QemuVm vm, vm::QemuVm::spawn(run_.vm));
    vm_.emplace(std::move(vm));
    note_qemu_command(run_.vm);
    return {};
  }

  // Saves the snapshot launch_vm() found missing and waits for the restore; boots from power-on
  // when launch_vm() or the restore left no VM (the one fallback); then attaches gdb.
  Status attach_vm() {
    if (!snapshot_to_save_.empty()) {
      KH_TRY(save_snapshot_and_launch_restore(std::exchange(snapshot_to_save_, {})));
    }
    if (!restoring_from_.empty()) {
      KH_TRY(finish_restore());
    }
    if (!vm_) {
      KH_TRY(launch_power_on_vm());
    }
    if (auto started = vm_->wait_until_started(); !started.ok()) {
      return std::move(started).error();
    }
    auto connected =
        gdb_->command(fmt::format("-target-select remote {}", vm_->gdb_socket().string()), command_deadline());
    if (!connected.ok()) {
      return vm_failure_or(std::move(connected).error().wrap("gdb could not attach to qemu's gdbstub"));
    }
    // Attaching reports the CPU stopped (at the reset vector, or where the snapshot was saved):
    // that stop is not one of ours.
    (void)gdb_->take_async_records();
    if (run_.accel == vm::Accel::Kvm) {
      if (Status inserted = hit_loop_->run_to_start_kernel_and_insert(run_.kernel.vmlinux); !inserted.ok()) {
        return vm_failure_or(std::move(inserted).error());
      }
    }
    return {};
  }

  // A snapshot holds a guest at its wait point, after boot: breakpoints that must see the boot
  // (scope="all") need a power-on run. Only TCG: under KVM breakpoints go in at start_kernel.
  bool snapshot_wanted() const {
    return !options_.no_snapshot && run_.accel == vm::Accel::Tcg && !has_scope_all_breakpoint();
  }

  // A scope="all" breakpoint sees the whole machine's life: the boot, and the power-off after the
  // guest's exit (its hits there are resumed from, not counted).
  bool has_scope_all_breakpoint() const {
    for (const PlannedBreakpoint& planned : run_.plan) {
      if (planned.spec != nullptr && planned.spec->scope == trace::Scope::All) {
        return true;
      }
    }
    return false;
  }

  // The first run of a machine saves its snapshot (a boot to the wait point) and restores it.
  Status save_snapshot_and_launch_restore(const std::string& key) {
    auto made = ensure_snapshot(run_.vm, key, deadline_.min(Deadline::in(kSnapshotCreateTimeout)));
    if (!made.ok()) {
      return snapshot_unusable(std::move(made).error());
    }
    mark_phase("snapshot");
    return launch_restore(*made);
  }

  // Starts vm_ restoring `file`. A snapshot never fails a run: on any error but Ctrl-C this says
  // why and leaves vm_ empty, and the run boots from power-on; a snapshot qemu will not load is
  // deleted.
  Status launch_restore(const std::filesystem::path& file) {
    vm::VmSpec spec = snapshot_vm_spec(run_.vm);
    spec.incoming = file;
    auto started = vm::QemuVm::spawn(spec);
    if (!started.ok()) {
      discard_snapshot(file);
      return snapshot_unusable(std::move(started).error());
    }
    vm_.emplace(std::move(*started));
    note_qemu_command(spec);
    restoring_from_ = file;
    return {};
  }

  // Waits for the restore launch_restore() began (it ran while gdb started); on failure as there:
  // vm_ is emptied and the run boots from power-on.
  Status finish_restore() {
    const std::filesystem::path file = std::exchange(restoring_from_, {});
    Status loaded = vm_->wait_until_started();
    if (loaded.ok()) {
      loaded = wait_for_restore(*vm_, command_deadline());
    }
    if (!loaded.ok()) {
      vm_->terminate();
      vm_.reset();
      if (loaded.error().kind != ErrorKind::Interrupted) {
        discard_snapshot(file);
      }
      return snapshot_unusable(std::move(loaded).error());
    }
    restored_ = true;
    mark_phase("restore");
    return {};
  }

  // The exact argv vm_ was started with, for the bundle's qemu-command.txt: the same function
  // QemuVm::start used, on the same spec and private folder.
  void note_qemu_command(const vm::VmSpec& spec) {
    auto argv = vm::qemu_argv(spec, vm_->run_dir());
    qemu_command_ = argv.ok() ? std::move(*argv) : std::vector<std::string>();
  }

  // The reproducer (engine/run_bundle.h). A bundle that cannot be written is said in the report;
  // a PASS becomes INFRA (an output was asked for and is missing), other verdicts stay.
  void write_bundle() {
    Status written = write_run_bundle(run_, options_.bundle, qemu_command_, restored_);
    if (written.ok()) {
      return;
    }
    const std::string why = written.error().to_string();
    report_.evidence.push_back("the bundle could not be written: " + why);
    if (report_.verdict == Verdict::Pass) {
      report_.verdict = Verdict::Infra;
      report_.detail = "the run passed, but its bundle could not be written: " + why;
    }
  }

  // Ctrl-C ends the run; any other snapshot error is a notice, and the run boots instead.
  Status snapshot_unusable(Error error) {
    if (error.kind == ErrorKind::Interrupted) {
      return error;
    }
    if (options_.notice) {
      options_.notice(fmt::format("booting from power-on: no usable snapshot ({})", error.message));
    }
    return {};
  }

  // From reset to power-off: resume, collect every counted hit, follow the guest's markers. After
  // KH-EXIT the trace is complete: qemu is ended at once, unless a scope="all" breakpoint watches
  // the power-off, whose hits are then resumed from (not counted) until qemu exits by itself.
  Status trace_guest() {
    vm_started_ = Clock::now();
    if (Status resumed = hit_loop_->resume(); !resumed.ok()) {
      return vm_failure_or(std::move(resumed).error());
    }
    if (restored_) {
      // The restored guest waits at its wait point for this line.
      if (Status go = vm_->send_go(); !go.ok()) {
        return vm_failure_or(std::move(go).error());
      }
    }
    if (Status warmed = warm_expected_symbols(); !warmed.ok()) {
      return warmed;
    }
    GuestPhase phase = GuestPhase::Boot;
    std::optional<Deadline> poweroff_deadline;
    for (;;) {
      phase = update_phase(phase);
      if (protocol_.init_failure()) {
        report_.phase = std::string(to_string(GuestPhase::Boot));
        return make_error(ErrorKind::Process, "the guest's init failed in phase boot: {}", *protocol_.init_failure());
      }
      if (phase == GuestPhase::Poweroff && !has_scope_all_breakpoint()) {
        // The kernel's own power-off (~0.1 s under TCG) adds nothing to the trace.
        vm_->terminate();
        mark_phase("poweroff");
        return {};
      }
      if (phase == GuestPhase::Poweroff && !poweroff_deadline) {
        poweroff_deadline = Deadline::in(kPoweroffTimeout);
      }
      if (!vm_->running()) {
        if (phase == GuestPhase::Poweroff) {
          break;
        }
        return vm_failure_or(make_error(ErrorKind::Process, "{}", vm_->describe_exit()));
      }
      auto stop = gdb_->wait_for_stop_or(vm_->event_fd(), poweroff_deadline.value_or(deadline_));
      if (!stop.ok()) {
        Error error = std::move(stop).error();
        if (phase == GuestPhase::Poweroff && error.kind != ErrorKind::Interrupted) {
          break;  // the trace is complete; qemu is ended below if it did not power off
        }
        if (error.kind == ErrorKind::Timeout) {
          return hang(phase);
        }
        return vm_failure_or(std::move(error));
      }
      if (!stop->has_value()) {
        continue;  // serial output or qemu's exit: read at the top of the loop
      }
      // The hits gdb collected before this stop come before it.
      if (Status taken = take_collected_hits(); !taken.ok()) {
        return taken;
      }
      const bool counting = phase != GuestPhase::Poweroff;
      auto handled = hit_loop_->handle(**stop, static_cast<int>(report_.trace.hits.size()), counting);
      if (!handled.ok()) {
        if (phase == GuestPhase::Poweroff && handled.error().kind != ErrorKind::Interrupted) {
          break;
        }
        return vm_failure_or(std::move(handled).error());
      }
      if (handled->kind == HitLoop::StopKind::Hit) {
        handled->hit->time_s = Seconds(Clock::now() - vm_started_).count();
        report_.trace.hits.push_back(std::move(*handled->hit));
      } else if (handled->kind == HitLoop::StopKind::Other) {
        // The guest stopped for a reason of its own, or went away under gdb (power-off closes
        // the gdbstub): a live guest is resumed.
        phase = update_phase(phase);
        if (!vm_->running()) {
          continue;
        }
        if (Status resumed = hit_loop_->resume(); !resumed.ok()) {
          if (phase == GuestPhase::Poweroff && resumed.error().kind != ErrorKind::Interrupted) {
            break;
          }
          return vm_failure_or(std::move(resumed).error());
        }
      }
    }
    auto exited = vm_->wait_for_exit(poweroff_deadline.value_or(Deadline::in(kPoweroffTimeout)));
    if (!exited.ok() && exited.error().kind == ErrorKind::Interrupted) {
      return std::move(exited).error();
    }
    mark_phase("poweroff");
    return {};
  }

  // While the guest runs to its first hit (symbol_warmup_commands). Best effort: only Ctrl-C
  // fails the run; a hit that arrives meanwhile waits in gdb or in the session's queue.
  Status warm_expected_symbols() {
    const std::vector<std::string> commands = symbol_warmup_commands(trace::expected_functions(run_.resolved));
    if (commands.empty()) {
      return {};
    }
    auto answers = gdb_->pipeline(commands, command_deadline());
    (void)gdb_->take_stream_text();  // gdb's `info line` answers, read by nobody
    if (!answers.ok() && answers.error().kind == ErrorKind::Interrupted) {
      return std::move(answers).error();
    }
    return {};
  }

  // Reads the console and marks the end of each phase passed since the last look: "boot" (from
  // power-on; "resume" from the go line in a restored run) ends at KH-START, "guest" at KH-EXIT.
  GuestPhase update_phase(GuestPhase previous) {
    vm_->consume_events();
    protocol_.update(vm_->serial_text(), !vm_->running());
    const GuestPhase now = protocol_.phase();
    if (previous < GuestPhase::GuestExit && now >= GuestPhase::GuestExit) {
      mark_phase(restored_ ? "resume" : "boot");
    }
    if (previous < GuestPhase::Poweroff && now == GuestPhase::Poweroff) {
      mark_phase("guest");
    }
    return now;
  }

  std::string interrupted_detail() const {
    const int signal = interrupt_signal();
    return signal > 0 ? fmt::format("interrupted by signal {} ({})", signal, ::strsignal(signal)) : "interrupted";
  }

  Error timeout_error(std::string_view phase) {
    report_.phase = std::string(phase);
    return make_error(ErrorKind::Timeout, "timeout in phase {} after {:.1f} s", phase,
                      Seconds(Clock::now() - deadline_started_).count());
  }

  // The deadline passed while the guest ran: the TIMEOUT, with what a person would look at next
  // (where the CPU is, the tasks, the kernel log), gathered within a few seconds.
  Error hang(GuestPhase phase) {
    Error error = timeout_error(to_string(phase));
    const Deadline budget = Deadline::in(kHangEvidenceBudget);
    if (!gdb_->interrupt().ok() || !gdb_->wait_for_stop(budget).ok()) {
      error.details.push_back("gdb could not stop the guest to look at it");
      return error;
    }
    auto frames = gdb_->command_raw("-stack-list-frames", Deadline::in(milliseconds(1500)).min(budget));
    if (frames.ok() && frames->result_class == mi::ResultClass::Done) {
      std::string chain;
      for (std::size_t i = 0; i < frames->get("stack").size(); ++i) {
        const auto& frame = frames->get("stack").at(i);
        chain += (chain.empty() ? "" : " <- ") + frame.get("func").str();
      }
      error.details.push_back("where the CPU was: " + chain);
    }
    auto console_lines = [&](std::string_view command, std::size_t lines) {
      (void)gdb_->take_stream_text();
      auto answer = gdb_->command_raw(fmt::format("-interpreter-exec console {}", mi_quote(command)),
                                      Deadline::in(milliseconds(1500)).min(budget));
      const std::string text = gdb_->take_stream_text();
      if (answer.ok() && answer->result_class == mi::ResultClass::Done) {
        error.details.push_back(fmt::format("{}:", command));
        for (auto& line : last_lines(text, lines)) {
          error.details.push_back("  " + line);
        }
      }
    };
    console_lines("info registers rip rsp rbp cr3", 4);
    if (!run_.kernel.gdb_scripts.empty()) {
      if (!needs_kernel_scripts(helper_uses(run_.resolved, run_.current_task))) {
        // The trace did without the kernel's helpers; the evidence needs them now.
        for (const std::string& command : kernel_script_commands(run_.kernel)) {
          (void)gdb_->command_raw(fmt::format("-interpreter-exec console {}", mi_quote(command)),
                                  Deadline::in(milliseconds(1500)).min(budget));
        }
      }
      console_lines("lx-ps", 40);
      console_lines("lx-dmesg", kDmesgTailLines);
    }
    return error;
  }

  // An error while the VM ran: if gdb died, qemu died or the kernel panicked, that is the real
  // story, with the phase. gdb often notices a lost target before qemu has exited, so qemu gets a
  // moment to finish; a gdb that died leaves qemu waiting forever, so it is ended at once.
  Error vm_failure_or(Error error) {
    if (!vm_ || error.kind == ErrorKind::Timeout || error.kind == ErrorKind::Interrupted) {
      return error;
    }
    vm_->consume_events();
    protocol_.update(vm_->serial_text(), !vm_->running());
    const std::string_view phase = to_string(protocol_.phase());
    if (gdb_ && !gdb_->alive()) {
      report_.phase = std::string(phase);
      Error infra = make_error(ErrorKind::Process, "gdb exited unexpectedly in phase {}", phase);
      infra.details.push_back(error.to_string());
      infra.details.insert(infra.details.end(), error.details.begin(), error.details.end());
      vm_->terminate();
      return infra;
    }
    if (vm_->running() && !vm_->panic_line()) {
      (void)vm_->wait_for_exit(Deadline::in(kLostTargetGrace));
      vm_->consume_events();
    }
    if (auto panic = vm_->panic_line()) {
      report_.phase = std::string(phase);
      Error infra = make_error(ErrorKind::Process, "kernel panic in phase {}: {}", phase, *panic);
      infra.details.push_back(error.to_string());
      infra.details.insert(infra.details.end(), error.details.begin(), error.details.end());
      return infra;
    }
    if (!vm_->running() && protocol_.phase() != GuestPhase::Poweroff) {
      report_.phase = std::string(phase);
      Error infra = make_error(ErrorKind::Process, "{} in phase {}", vm_->describe_exit(), phase);
      infra.details.push_back(error.to_string());
      infra.details.insert(infra.details.end(), error.details.begin(), error.details.end());
      return infra;
    }
    return error;
  }

  void evaluate() {
    report_.results = trace::evaluate(run_.resolved, report_.trace);
    if (protocol_.exit_status() && *protocol_.exit_status() != 0) {
      trace::ExpectationResult guest;
      guest.kind = "scenario";
      guest.description = fmt::format("guest {} exits with status 0", run_.resolved.guest.describe());
      guest.verdict = Verdict::Fail;
      guest.expected = "0";
      guest.actual = std::to_string(*protocol_.exit_status());
      guest.location = run_.resolved.guest.location;
      report_.results.push_back(std::move(guest));
    }
    report_.verdict = trace::overall_verdict(report_.results);
    mark_phase("evaluate");
  }

  void fail(const Error& error) {
    report_.verdict = verdict_for(error.kind);
    report_.detail = error.kind == ErrorKind::Interrupted ? interrupted_detail() : error.to_string();
    // gdb's lines that were not MI (a crash message, a Python traceback) are the evidence too.
    report_.evidence = run_evidence(error, gdb_ ? gdb_->non_mi_output() : std::vector<std::string>());
  }

  // Reads the guest's own output and releases gdb and qemu; runs on every path.
  void finish() {
    if (vm_) {
      vm_->consume_events();
      report_.serial_log = vm_->serial_text();
      protocol_.update(report_.serial_log, true);
    }
    report_.guest_results = protocol_.results();
    report_.guest_exit_status = protocol_.exit_status();
    if (report_.verdict == Verdict::Pass && report_.guest_exit_status && *report_.guest_exit_status != 0) {
      report_.verdict = Verdict::Fail;
    }
    if (report_.verdict != Verdict::Pass && vm_) {
      report_.serial_tail = vm_->serial_tail(kSerialTailLines);
    }
    hit_loop_.reset();
    if (gdb_) {
      (void)gdb_->close(Deadline::in(milliseconds(1000)));
      gdb_.reset();
    }
    if (vm_) {
      vm_->terminate();
      vm_.reset();
    }
  }

  const RunOptions& options_;
  trace::RunReport report_;
  Clock::time_point run_started_ = Clock::now();
  Clock::time_point phase_started_ = Clock::now();
  Clock::time_point deadline_started_ = Clock::now();
  Clock::time_point vm_started_ = Clock::now();
  bool restored_ = false;  // vm_ came from a snapshot: no boot, and it waits for the go line
  std::string snapshot_to_save_;  // the key of a snapshot attach_vm() saves first (none yet)
  std::filesystem::path restoring_from_;  // the snapshot vm_ is restoring until attach_vm() waits for it
  bool prepared_ = false;  // run_ holds a prepared run that applies to the kernel
  std::vector<std::string> qemu_command_;  // the argv of the last qemu started, empty before
  Deadline deadline_ = Deadline::never();
  PreparedRun run_;
  GuestProtocol protocol_;
  // gdb is declared after the VM so that it is destroyed first: it detaches from a live stub.
  std::optional<vm::QemuVm> vm_;
  std::optional<mi::MiSession> gdb_;
  std::optional<HitLoop> hit_loop_;  // uses gdb_: destroyed before it
};

}  // namespace

trace::RunReport run_scenario(const RunOptions& options) { return TraceRun(options).run(); }

}  // namespace kh::engine
