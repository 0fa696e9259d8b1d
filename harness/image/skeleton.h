// The guest's rootfs skeleton: a manifest of directories, files and symlinks (in the spirit of the
// kernel's usr/gen_init_cpio lists), so that modes do not depend on a checkout's umask and empty
// directories need no placeholder files.
#pragma once

#include <filesystem>

#include "common/result.h"
#include "image/cpio_writer.h"

namespace kh::image {

// Adds every entry of a skeleton manifest to the archive. One entry per line, '#' comments:
//   dir   PATH MODE       a directory (MODE in octal, e.g. 0755)
//   file  PATH MODE       a file whose contents are <manifest's folder>/rootfs/PATH
//   slink PATH TARGET     a symlink
// Fails with ErrorKind::Config and location "manifest:line" for a malformed line, a bad path (one
// with ".."), a duplicate entry or a symlink loop, and with ErrorKind::Io when a file is missing.
Result<void> add_skeleton(CpioWriter& archive, const std::filesystem::path& manifest);

}  // namespace kh::image
