// The command-line options that choose a kernel, shared by `kernel build`, `run` and `shell`.
#pragma once

#include <CLI/CLI.hpp>

#include "kernel/kernel.h"

namespace kh::cli {

// Adds --kernel-source/--kernel-tarball/--kernel-version/--kernel-package (mutually exclusive)
// and --config (repeatable) to a subcommand, filling `request` when it parses. Sets
// request.progress when stderr is a terminal.
void add_kernel_options(CLI::App& sub, kernel::KernelRequest& request);

}  // namespace kh::cli
