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

// kharness's own gdb helpers (data_dir()/gdb-scripts/kharness.py); empty if not installed.
std::filesystem::path kharness_gdb_script();

}  // namespace kh::engine
