// One kernel build, out of tree: tinyconfig, the fragments merged with the kernel's own
// merge_config.sh, olddefconfig, the check that every fragment line survived, bzImage (and
// scripts_gdb where that target exists), then the results staged as a cache entry.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "kernel/build_log.h"
#include "kernel/config_fragment.h"
#include "kernel/kernel.h"
#include "kernel/kernel_source.h"

namespace kh::kernel {

// The architecture kharness builds for. ARCH=x86_64 rather than x86: with ARCH=x86 tinyconfig
// would pick a 32-bit kernel.
inline constexpr const char* kKernelArch = "x86_64";

struct BuildInputs {
  std::string key;
  SourceTree source;
  std::vector<ConfigFragment> fragments;  // in merge order: base, per-version, the request's
  std::filesystem::path work_dir;         // an empty folder on the cache's file system: obj/ and entry/
  int jobs = 1;
  // Empty: the objects go to work_dir/obj and are thrown away. Else a build folder kept across
  // builds (git bisect steps of one tree): configured again only when the fragments changed, its
  // objects reused so that a build recompiles only what changed, its results copied, not moved.
  std::filesystem::path persistent_obj;

  // Where the objects go: persistent_obj, else work_dir/obj.
  std::filesystem::path obj_dir() const { return persistent_obj.empty() ? work_dir / "obj" : persistent_obj; }
};

// Configures (unless inputs.persistent_obj is configured with the same fragments), verifies and
// builds; stages the results in work_dir/entry (vmlinux, bzImage, config,
// System.map, vmlinux-gdb.py with a dereferenced copy of scripts/gdb) and returns the build with
// paths inside that folder; the caller adds meta.json and publishes it. Errors: ErrorKind::Config
// listing the fragment lines the final .config does not honour, ErrorKind::Build for a failing
// step (first error line and log tail in details), ErrorKind::Symbol when vmlinux has no DWARF,
// ErrorKind::Interrupted on Ctrl-C.
Result<KernelBuild> build_kernel(const BuildInputs& inputs, BuildLog& log, BuildProgress& progress);

// True when the kernel's top Makefile has a `scripts_gdb` target (5.x and later; 4.19 builds
// scripts/gdb as part of `scripts`).
bool has_scripts_gdb_target(const std::filesystem::path& source_tree);

// True when the ELF file has a section of that name (".debug_info"). ErrorKind::Io when the file
// cannot be read, ErrorKind::Parse when it is not a 64-bit ELF file.
Result<bool> elf_has_section(const std::filesystem::path& file, std::string_view section);

// Gives `vmlinux` a .gdb_index section (gdb-add-index) unless it has one. Without the index gdb
// expands DWARF for seconds at the first lookup of a kernel type ($lx_current(), a backtrace with
// arguments); with it, the same lookup takes milliseconds. Atomic: the index is added to a private
// copy that then replaces the file, so a reader never sees a half-written vmlinux. Fails with
// ErrorKind::Process/Build (gdb-add-index missing or failing) or Io.
Status ensure_gdb_index(const std::filesystem::path& vmlinux);

// The jobs for `make -j`: $KHARNESS_KERNEL_JOBS, else the number of CPUs.
int default_build_jobs();

}  // namespace kh::kernel
