// The floor of a trace run: the same kernel and initramfs booted to power-off by qemu alone, with
// no gdbstub and no gdb, as a user would without kharness.
#pragma once

#include <chrono>

#include "common/result.h"
#include "vm/qemu_vm.h"

namespace kh::bench {

// Boots `spec` (its gdbstub and -S are turned off) and returns the seconds from starting qemu to
// its exit after the guest's power-off. Fails with the VM's errors (Config, Process, Timeout at
// `timeout`, Interrupted), or Process when qemu exits without the guest having reported its
// KH-EXIT marker. qemu never outlives the call.
Result<double> time_bare_boot(vm::VmSpec spec, std::chrono::milliseconds timeout);

}  // namespace kh::bench
