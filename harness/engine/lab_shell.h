// `kharness shell SCENARIO`: the scenario's VM, stopped at the scenario's breakpoints, handed to an
// interactive gdb with the kernel's lx-* helpers and kharness's kh-* helpers loaded.
#pragma once

#include "common/result.h"
#include "engine/trace_engine.h"
#include "trace/scenario.h"
#include "vm/qemu_vm.h"

namespace kh::engine {

// Boots the scenario's kernel and guest (stopped), then runs gdb (CLI) on this terminal with the
// breakpoints set (guest-scoped as in a run) and the VM continued to the first hit. Returns gdb's
// exit status once the user quits; the VM is ended then, and on every error path. Fails with the
// same error kinds as a run's preparation (Config for a bad scenario, Symbol, Process, ...).
Result<int> run_lab_shell(const RunOptions& options);

// The VM of a run: the kernel and image, the accelerator and the options' memory/cpus/append.
vm::VmSpec vm_spec_for(const RunOptions& options, const kernel::KernelBuild& kernel,
                       const std::filesystem::path& initramfs, vm::Accel accel);

}  // namespace kh::engine
