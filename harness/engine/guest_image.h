// The guest image of a run, built once per distinct input and reused from the cache afterwards.
#pragma once

#include <filesystem>

#include "common/result.h"
#include "trace/scenario.h"

namespace kh::engine {

// The initramfs of a resolved scenario: from ${cache}/initramfs/<digest>.cpio.gz when an image of
// the same inputs (guest program and arguments, busybox, the initramfs/ skeleton, kharness version)
// was built before, else built there (atomically) first. Errors carry the scenario's file:line
// (a missing guest program is ErrorKind::Config).
Result<std::filesystem::path> build_guest_image(const trace::ResolvedScenario& scenario);

}  // namespace kh::engine
