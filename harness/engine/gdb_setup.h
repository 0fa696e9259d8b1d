// The gdb commands every session on a kharness kernel starts with, for the MI engine and for the
// interactive lab shell alike.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "kernel/kernel.h"

namespace kh::engine {

// gdb CLI commands that load the kernel's own helpers (vmlinux-gdb.py: lx_current(), lx-dmesg, ...)
// and kharness's (gdb-scripts/kharness.py: kh-mounts, $kh_mount_path(), ...). Empty entries are
// left out: a kernel without gdb scripts gets only kharness's.
std::vector<std::string> gdb_setup_commands(const kernel::KernelBuild& kernel);

// A gdb expression for the current task_struct pointer on `kernel`. Without SMP the per-cpu
// `current_task` (`pcpu_hot.current_task` since 6.2) is a plain global: reading it costs one memory
// read, where the equivalent $lx_current() spends ~13 ms in Python at every evaluation (measured
// under TCG), three times per hit. With SMP (or without a System.map to check the symbol) only
// $lx_current() knows the CPU; without the kernel's gdb scripts either, the result is empty.
std::string current_task_expression(const kernel::KernelBuild& kernel);

// kharness's own gdb helpers (data_dir()/gdb-scripts/kharness.py); empty if not installed.
std::filesystem::path kharness_gdb_script();

}  // namespace kh::engine
