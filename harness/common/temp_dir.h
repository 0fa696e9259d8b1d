// A private temporary directory that is removed, with everything in it, on destruction; and the
// sweep that removes the run folders a killed kharness (SIGKILL, a second Ctrl-C) left behind.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kh {

// The file in an owned run folder that names its owner: "<pid> <start time> <pid namespace>\n",
// the start time as in field 22 of /proc/<pid>/stat, the namespace as /proc/self/ns/pid reads.
inline constexpr std::string_view kRunDirOwnerFile = ".kh-owner";

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>XXXXXX (mode 0700), or under `parent` when it is given.
  static Result<TempDir> create(std::string_view prefix = "kharness-",
                                const std::filesystem::path& parent = {});
  // Like create(), and records this process as the owner (kRunDirOwnerFile, written atomically),
  // so that sweep_stale_run_dirs() can remove the folder once this process is gone.
  static Result<TempDir> create_owned(std::string_view prefix, const std::filesystem::path& parent = {});

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory on destruction (for --keep-temp debugging); returns its path.
  std::filesystem::path release();

 private:
  TempDir() = default;
  std::filesystem::path path_;
};

// Removes the folders `parent`/<prefix>* of this user whose owner file names a process that is
// gone: no such pid, or a pid now used by another process (another start time). Folders without an
// owner file (another program's, or a run still writing it), with an unreadable one, or owned from
// another pid namespace (whose processes cannot be seen from here) are kept. Never fails; returns
// the folders removed.
std::vector<std::filesystem::path> sweep_stale_run_dirs(const std::filesystem::path& parent,
                                                        std::string_view prefix);

// The start time of process `pid` (field 22 of /proc/<pid>/stat, clock ticks after boot), or
// nullopt when there is no such process.
std::optional<std::uint64_t> process_start_time(pid_t pid);

}  // namespace kh
