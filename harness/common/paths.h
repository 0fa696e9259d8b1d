// Where kharness finds its data files and keeps its cache.
#pragma once

#include <filesystem>
#include <string_view>

namespace kh {

// The source tree's data folders (scenarios/, kernel-configs/, initramfs/, gdb-scripts/):
// $KHARNESS_DATA_DIR, else the source directory kharness was built from.
std::filesystem::path data_dir();
// The built static guest programs: $KHARNESS_GUEST_DIR, else the build tree's guest-programs/.
std::filesystem::path guest_programs_dir();
// ${KHARNESS_CACHE_DIR}, else ${XDG_CACHE_HOME:-$HOME/.cache}/kharness.
std::filesystem::path cache_dir();
// The kharness version string, e.g. "0.1.0".
std::string_view version();

}  // namespace kh
