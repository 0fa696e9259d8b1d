#include "engine/run_preparation.h"

#include <utility>

#include "engine/gdb_setup.h"
#include "engine/guest_image.h"
#include "kernel/kernel_builder.h"
#include "kernel/kernel_choice.h"
#include "trace/scenario_resolve.h"

namespace kh::engine {
namespace {

Result<kernel::KernelBuild> kernel_of(const RunOptions& options) {
  if (options.kernel_build) {
    KH_TRY(kernel::ensure_gdb_index(options.kernel_build->vmlinux));
    return *options.kernel_build;
  }
  return kernel::choose_kernel(kernel::KernelChoice{options.kernel, options.prefer_kernel}, options.notice);
}

}  // namespace

vm::VmSpec vm_spec_for(const RunOptions& options, const kernel::KernelBuild& kernel,
                       const std::filesystem::path& initramfs, vm::Accel accel) {
  vm::VmSpec spec;
  spec.kernel = kernel.bzimage;
  spec.initrd = initramfs;
  spec.extra_append = options.extra_append;
  spec.memory_mb = options.memory_mb;
  spec.cpus = options.cpus;
  spec.accel = accel;
  return spec;
}

Result<PreparedRun> prepare_run(const RunOptions& options, const PreparationProgress& progress) {
  auto phase_done = [&progress](std::string_view phase, const PreparedRun& so_far) {
    if (progress) {
      progress(phase, so_far);
    }
  };
  PreparedRun run;
  KH_ASSIGN_OR_RETURN(run.scenario, trace::load_scenario_file(options.scenario));
  phase_done("scenario", run);
  // The guest is the same on every kernel: built before the kernel is chosen, so that a compile
  // error or a missing file is reported before any kernel is built or booted.
  KH_ASSIGN_OR_RETURN(run.initramfs, build_guest_image(run.scenario.guest));
  KH_ASSIGN_OR_RETURN(run.kernel, kernel_of(options));
  run.resolved = trace::resolve(run.scenario, run.kernel.version);
  run.timeout = options.timeout.value_or(run.resolved.timeout);
  phase_done("kernel", run);
  if (!run.resolved.applies) {
    return run;
  }
  phase_done("initramfs", run);
  KH_ASSIGN_OR_RETURN(run.accel, vm::resolve_accel(options.accel, run.kernel.bzimage));
  run.current_task = current_task_expression(run.kernel);
  KH_ASSIGN_OR_RETURN(run.plan, plan_breakpoints(run.resolved, run.current_task));
  run.vm = vm_spec_for(options, run.kernel, run.initramfs, run.accel);
  return run;
}

}  // namespace kh::engine
