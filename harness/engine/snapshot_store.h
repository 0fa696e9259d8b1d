// Saved machines: a guest booted to the init's wait point (KH-WAIT, kh.wait=1), paused and saved
// with QMP's migrate to a file in the cache, so that later runs of the same kernel, image, qemu and
// machine options restore it (qemu -incoming) instead of booting from power-on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/deadline.h"
#include "common/result.h"
#include "vm/qemu_vm.h"

namespace kh::engine {

// The kernel command line flag that makes the init wait for the go line.
inline constexpr std::string_view kWaitFlag = "kh.wait=1";

// Where snapshots live: $KHARNESS_SNAPSHOT_DIR, else <cache>/snapshots.
std::filesystem::path snapshot_dir();

// `spec` as a VM that saves or restores a snapshot: a QMP monitor, the go port and kh.wait=1 on
// its kernel command line. Saving and restoring VMs both come from this, so they match.
vm::VmSpec snapshot_vm_spec(vm::VmSpec spec);

// The key of the snapshot of `spec` on the kernel `kernel_key`: "<kernel key>-<hash>", the hash a
// SHA-256 of the kernel key and bzImage, the image's path and contents, qemu's version, memory,
// cpus, accelerator and kernel command line.
// ErrorKind::Io when the image cannot be read, Process when qemu --version fails.
Result<std::string> snapshot_key(const vm::VmSpec& spec, std::string_view kernel_key);

// The file of the snapshot with `key` (it may not exist).
std::filesystem::path snapshot_file(std::string_view key);

// The snapshot with `key`, created first when missing: boots snapshot_vm_spec(spec) (no debugger)
// to KH-WAIT, pauses it, saves its state to a temporary file that is renamed into place once
// complete, and ends that qemu. Concurrent callers for one key wait for the first (a file lock)
// and then share its file. Fails (leaving no file and no process) with the boot's or the
// migration's error, Timeout at the deadline, Interrupted on Ctrl-C.
Result<std::filesystem::path> ensure_snapshot(const vm::VmSpec& spec, std::string_view key, Deadline deadline);

// Removes a snapshot that would not restore. Infallible.
void discard_snapshot(const std::filesystem::path& file);

// Removes every snapshot (and leftover temporary file); the bytes freed. ErrorKind::Io when the
// directory cannot be removed.
Result<std::uintmax_t> remove_all_snapshots();
// Removes the snapshots of the kernel `kernel_key`; the bytes freed. Infallible.
std::uintmax_t remove_snapshots_of(std::string_view kernel_key);

// Waits until a VM started from a snapshot (VmSpec::incoming, with a QMP monitor) has loaded it
// and is paused. ErrorKind::Process when qemu rejects the file (it exits) or ends up in another
// state, Timeout at the deadline, Interrupted on Ctrl-C.
Status wait_for_restore(vm::QemuVm& vm, Deadline deadline);

}  // namespace kh::engine
