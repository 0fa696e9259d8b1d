// Whole-file reads and atomic whole-file writes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kh {

// Reads a whole file. Fails with ErrorKind::Io naming the path and the reason.
Result<std::string> read_file(const std::filesystem::path& path);

// Writes `bytes` to a temporary file in the same directory, then renames it over `path`, so
// readers see the old file or the new one, never a part. The temporary file is removed on every
// failure. Fails with ErrorKind::Io.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                                   mode_t mode = 0644);

}  // namespace kh
