// The guest image of a run, built once per distinct input and reused from the cache afterwards.
#pragma once

#include <filesystem>

#include "common/result.h"
#include "trace/scenario.h"

namespace kh::engine {

// The initramfs of a scenario's guest: from ${cache}/initramfs/<name>-<digest>.cpio.gz when an
// image of the same inputs (guest program or command and arguments, the scenario's files, busybox,
// kh-spawn, the initramfs/ skeleton, kharness version) was built before, else built there
// (atomically) first. A <guest source=...> is compiled first (`cc -static -g`, cached in
// ${cache}/guests/<digest>/ by sources, flags and compiler). Errors carry the guest's or the
// <file>'s file:line; ErrorKind::Config for a missing program, source, binary or file, a compile
// error (the compiler's messages in `details`), a binary that is not a static x86-64 ELF, or a
// file over image::kMaxGuestFileSize.
Result<std::filesystem::path> build_guest_image(const trace::GuestSpec& guest);

}  // namespace kh::engine
