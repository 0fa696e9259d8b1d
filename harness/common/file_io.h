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

// Succeeds when a file can be written (atomically, as write_file_atomically does) at `path`: its
// folder exists and is writable, and `path` is not a directory. Fails with ErrorKind::Config
// naming `what` (an option such as "--json"), so that a bad output path is bad input found before
// any work is done.
Result<void> check_output_path(const std::filesystem::path& path, std::string_view what);

// Whether the file system at `dir` takes new data right now: writes `bytes` to a new file there,
// syncs and removes it. Fails with ErrorKind::Io whose message ends with the system's reason
// ("No space left on device", "Read-only file system", "Permission denied", ...). Tools such as
// tar report a full disk only as a short write; this names the cause.
Result<void> probe_writable(const std::filesystem::path& dir, std::size_t bytes = std::size_t{64} * 1024);

}  // namespace kh
