// One preparation of a run, shared by `kharness run`, `kharness shell`, the benchmarks, the matrix
// and everything else that boots a scenario: the scenario loaded and resolved for the chosen
// kernel, the guest image, the accelerator, the breakpoint plan and the VM to start.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/breakpoint_plan.h"
#include "kernel/kernel.h"
#include "trace/scenario.h"
#include "vm/accel.h"
#include "vm/qemu_vm.h"

namespace kh::engine {

// What a run was asked to do.
struct RunOptions {
  std::filesystem::path scenario;
  kernel::KernelRequest kernel;
  std::string prefer_kernel;  // "4.19": when `kernel` names none, see kernel::choose_kernel
  std::optional<kernel::KernelBuild> kernel_build;  // a kernel already chosen; `kernel` is then unused
  vm::Accel accel = vm::Accel::Auto;
  std::optional<std::chrono::milliseconds> timeout;  // overrides the scenario's own
  int memory_mb = 256;
  int cpus = 1;
  std::string extra_append;              // more kernel command line
  std::filesystem::path gdb_transcript;  // every MI line in and out, for debugging
  std::string gdb_path = "gdb";          // the debugger to run
  bool progress = false;                 // one line per phase on stderr
  // Boot from power-on even when a snapshot could be restored (engine/snapshot_store.h).
  bool no_snapshot = false;
  // Collect every hit over GDB/MI, as gdb before 11 must, instead of in gdb's Python
  // (gdb-scripts/engine_hits.py): slower, the reference the Python collection is tested against.
  bool hits_over_mi = false;
  // Write the run's reproducer here once it ends (engine/run_bundle.h); none when empty. The
  // caller checks the folder first (check_bundle_dir), before anything boots.
  std::filesystem::path bundle;
  // One-line notices for people (the preferred kernel could not be had, ...); none when empty.
  std::function<void(std::string_view)> notice;
};

// A run ready to boot. Move-only: `plan` points into `resolved`.
struct PreparedRun {
  trace::Scenario scenario;
  trace::ResolvedScenario resolved;  // resolved.applies false: SKIP, nothing below is set
  kernel::KernelBuild kernel;
  std::filesystem::path initramfs;
  vm::Accel accel = vm::Accel::Tcg;
  std::string current_task;  // gdb expression for the current task (current_task_expression)
  std::vector<PlannedBreakpoint> plan;
  vm::VmSpec vm;
  std::chrono::milliseconds timeout{0};  // from boot to power-off: the option, else the scenario's

  PreparedRun() = default;
  PreparedRun(PreparedRun&&) noexcept = default;
  PreparedRun& operator=(PreparedRun&&) noexcept = default;
  PreparedRun(const PreparedRun&) = delete;
  PreparedRun& operator=(const PreparedRun&) = delete;
};

// Called as each preparation phase ends ("scenario", "kernel", "initramfs") with what is known so
// far, so that a caller can report the scenario and kernel even when a later phase fails.
using PreparationProgress = std::function<void(std::string_view phase, const PreparedRun& so_far)>;

// Loads the scenario, builds its guest image (before any kernel is chosen, so that a bad guest is
// an ERROR before anything is built or booted), provides the kernel (options.kernel_build, else
// kernel::choose_kernel), resolves the scenario for it and, when it applies, resolves the
// accelerator and plans the breakpoints. Fails with the error of the phase that failed: Config for
// a bad scenario or option (with its file:line), Symbol for a guest-scoped breakpoint on a kernel
// without a current-task expression, the kernel's and the image's own errors otherwise.
Result<PreparedRun> prepare_run(const RunOptions& options, const PreparationProgress& progress = {});

// The VM of a run: the kernel and image, the accelerator and the options' memory/cpus/append.
vm::VmSpec vm_spec_for(const RunOptions& options, const kernel::KernelBuild& kernel,
                       const std::filesystem::path& initramfs, vm::Accel accel);

}  // namespace kh::engine
