// A reproducer for one run, without kharness: the bundle folder (`kharness run --bundle DIR`, and
// a failing matrix cell's bundle/) holds the run's kernel, initramfs and gdb scripts, the qemu
// command it ran, its breakpoints as a gdb script and a reproduce.sh that boots the same VM from
// power-on and opens gdb at the same breakpoints. Every path in it is relative to the folder, so
// the folder can be moved or copied to another machine.
//
//   reproduce.sh        qemu -S in a private temp folder, gdb -x breakpoints.gdb, cleanup on exit
//   breakpoints.gdb     file, helpers, target remote $kh_socket, the plan's CLI breakpoints
//   qemu-command.txt    the qemu argv kharness ran (exact, shell-quoted) and the one reproduce.sh runs
//   vmlinux bzImage initramfs.cpio.gz   hard links to the caches' files, copies across file systems
//   vmlinux-gdb.py scripts/gdb/ kharness.py   the kernel's and kharness's gdb helpers (copies)
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/run_preparation.h"
#include "vm/qemu_vm.h"

namespace kh::engine {

inline constexpr std::string_view kBundleScriptName = "reproduce.sh";
inline constexpr std::string_view kBundleGdbScriptName = "breakpoints.gdb";
inline constexpr std::string_view kBundleQemuCommandName = "qemu-command.txt";

// Makes `dir` (and its parents) ready for a bundle, so that a bad one is bad input found before
// anything boots. Fails with ErrorKind::Config naming `option` when `dir` is not a folder, cannot
// be made or written, or already holds files but no reproduce.sh (an earlier bundle is replaced;
// anything else is left alone).
Status check_bundle_dir(const std::filesystem::path& dir, std::string_view option);

// One argv word as /bin/sh text, where `@KH_BUNDLE@` and `@KH_RUN_DIR@` stand for the shell
// variables $here and $run_dir ("$here"/bzImage): everything else is quoted (shell_quote).
std::string bundle_shell_word(std::string_view word);

// The qemu command reproduce.sh runs, as one line of shell words: qemu_argv() of the run's VM as
// it boots from power-on (no snapshot, QMP or go port, whatever the run did), stopped (-S) with
// its gdbstub, with the bundle's bzImage and initramfs and its private files in "$run_dir";
// argv[0] is "$qemu". Fails with qemu_argv's Config errors.
Result<std::string> bundle_qemu_command(const vm::VmSpec& spec);

// breakpoints.gdb: read from the bundle's folder with the gdbstub's socket path in $kh_socket.
// Loads vmlinux, the kernel's helpers when `kernel_helpers`, kharness.py when `kharness_helpers`,
// attaches, then breakpoint_commands(run) (lab_shell.h): the plan's own CLI breakpoints.
std::string bundle_gdb_script(const PreparedRun& run, bool kernel_helpers, bool kharness_helpers);

// reproduce.sh around `qemu_command` (bundle_qemu_command). With --batch (or KH_BATCH=1) gdb
// continues to the first hit, prints `bt` and quits; otherwise gdb is interactive at that hit.
// qemu and the private folder are ended on every exit the shell can trap (EXIT, INT, TERM, HUP);
// qemu also dies with the script (setpriv --pdeathsig) where util-linux has setpriv.
std::string bundle_reproduce_script(const PreparedRun& run, std::string_view qemu_command);

// Writes the bundle of `run` into `dir` (check_bundle_dir first). `used_qemu_argv` is the argv
// kharness ran qemu with (empty when qemu never started), `restored` whether that qemu restored a
// snapshot. Fails with Config for a bad folder or spec, Io when a file cannot be linked, copied or
// written (with the path and the system's reason).
Status write_run_bundle(const PreparedRun& run, const std::filesystem::path& dir,
                        const std::vector<std::string>& used_qemu_argv, bool restored);

}  // namespace kh::engine
