#include "common/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/inotify.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace kh {
namespace {

Result<UniqueFd> open_lock_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return make_error(ErrorKind::Io, "cannot open lock file {}: {}", path.string(), std::strerror(errno));
  }
  return fd;
}

// True when the lock was taken, false when another process holds it.
Result<bool> try_flock(int fd, const std::filesystem::path& path) {
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      return true;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EWOULDBLOCK) {
      return false;
    }
    return make_error(ErrorKind::Io, "cannot lock {}: {}", path.string(), std::strerror(errno));
  }
}

}  // namespace

Result<std::optional<FileLock>> FileLock::try_acquire(const std::filesystem::path& path) {
  KH_ASSIGN_OR_RETURN(UniqueFd fd, open_lock_file(path));
  KH_ASSIGN_OR_RETURN(bool locked, try_flock(fd.get(), path));
  if (!locked) {
    return std::optional<FileLock>();
  }
  return std::optional<FileLock>(FileLock(std::move(fd)));
}

Result<FileLock> FileLock::acquire(const std::filesystem::path& path, Deadline deadline,
                                   const std::function<void()>& on_wait) {
  KH_ASSIGN_OR_RETURN(UniqueFd fd, open_lock_file(path));
  KH_ASSIGN_OR_RETURN(bool locked, try_flock(fd.get(), path));
  if (locked) {
    return FileLock(std::move(fd));
  }
  if (on_wait) {
    on_wait();
  }
  UniqueFd inotify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!inotify.valid()) {
    return make_error(ErrorKind::Io, "inotify_init1 failed: {}", std::strerror(errno));
  }
  if (::inotify_add_watch(inotify.get(), path.c_str(), IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0) {
    return make_error(ErrorKind::Io, "cannot watch {}: {}", path.string(), std::strerror(errno));
  }
  std::array<char, 4096> events{};
  for (;;) {
    // The watch exists before this attempt, so a release right after a failed attempt still
    // wakes the wait below.
    KH_ASSIGN_OR_RETURN(locked, try_flock(fd.get(), path));
    if (locked) {
      return FileLock(std::move(fd));
    }
    const int watch_fd = inotify.get();
    auto ready = wait_readable(std::span<const int>(&watch_fd, 1), deadline);
    if (!ready) {
      Error error = std::move(ready).error();
      return error.wrap(fmt::format("waiting for the lock {}", path.string()));
    }
    while (::read(watch_fd, events.data(), events.size()) > 0) {
    }
  }
}

}  // namespace kh
