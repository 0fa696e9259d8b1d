// `kharness shell SCENARIO`: the scenario's VM, stopped at the scenario's breakpoints, handed to an
// interactive gdb with the kernel's lx-* helpers and kharness's kh-* helpers loaded.
#pragma once

#include <filesystem>
#include <string>

#include "common/result.h"
#include "engine/run_preparation.h"

namespace kh::engine {

// Prepares the run as `kharness run` does (prepare_run), boots it stopped, then runs gdb (CLI) on
// this terminal with the plan's breakpoints (guest-scoped as in a run) and the VM continued to the
// first hit. Returns gdb's exit status once the user quits; the VM is ended then, and on every
// error path. Fails with the errors of prepare_run, Config when the scenario does not apply to
// the kernel, and Process when qemu or gdb cannot start.
Result<int> run_lab_shell(const RunOptions& options);

// The gdb CLI commands that set a run's breakpoints once gdb is attached to the stopped VM: under
// KVM a temporary hardware breakpoint at start_kernel and a continue first, then each planned
// breakpoint's PlannedBreakpoint::cli_command, one per line. Shared by the lab shell and the
// reproducer bundle (run_bundle.h).
std::string breakpoint_commands(const PreparedRun& run);

// The gdb command file of the shell for `run`: helpers, the target at `socket`, under KVM a
// temporary hardware breakpoint at start_kernel first, the plan's breakpoints (each the
// PlannedBreakpoint::cli_command of the engine's plan), a banner, continue.
std::string lab_shell_script(const PreparedRun& run, const std::filesystem::path& socket);

}  // namespace kh::engine
