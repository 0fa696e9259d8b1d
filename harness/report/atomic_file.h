// Report files appear whole or not at all: a CI job that reads one while kharness writes it, or
// after kharness was killed, never sees half a file.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.h"

namespace kh::report {

// Writes `content` to a temporary file next to `path`, flushes it to disk and renames it over
// `path`. ErrorKind::Io (with the path and errno text) when any step fails; the temporary file
// is removed then and `path` keeps its old content.
Status write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace kh::report
