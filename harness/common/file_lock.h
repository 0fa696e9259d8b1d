// An exclusive advisory lock on a file (flock), so that two kharness processes never build the
// same kernel, extract the same tarball, save the same snapshot or run the same bisection at
// once: the second one waits for the first (or, with try_acquire, gives up).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>

#include "common/deadline.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace kh {

class FileLock {
 public:
  // Takes the lock on `path` (created if missing). While another process holds it, calls
  // `on_wait` once and waits for its release: an event (inotify sees the holder close the file,
  // which also happens when it dies), not polling. ErrorKind::Timeout when the deadline passes,
  // ErrorKind::Interrupted on Ctrl-C, ErrorKind::Io when the file cannot be opened.
  static Result<FileLock> acquire(const std::filesystem::path& path, Deadline deadline,
                                  const std::function<void()>& on_wait = {});
  // Takes the lock if it is free right now; nullopt when another process holds it.
  static Result<std::optional<FileLock>> try_acquire(const std::filesystem::path& path);

  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  // Closing the descriptor releases the lock.
  ~FileLock() = default;

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace kh
