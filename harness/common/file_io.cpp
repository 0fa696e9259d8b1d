#include "common/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/unique_fd.h"

namespace kh {
namespace {

// Removes a temporary file on destruction unless it was committed (renamed into place).
class TemporaryFile {
 public:
  explicit TemporaryFile(std::string path) : path_(std::move(path)) {}
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (!committed_) {
      ::unlink(path_.c_str());
    }
  }
  const std::string& path() const { return path_; }
  void commit() { committed_ = true; }

 private:
  std::string path_;
  bool committed_ = false;
};

Error io_error(std::string_view what, const std::filesystem::path& path, int error_number) {
  return make_error(ErrorKind::Io, "cannot {} {}: {}", what, path.string(), std::strerror(error_number));
}

}  // namespace

Result<std::string> read_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return io_error("open", path, errno);
  }
  std::string contents;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return io_error("read", path, errno);
    }
    if (n == 0) {
      break;
    }
    contents.append(buffer, static_cast<std::size_t>(n));
  }
  return contents;
}

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes, mode_t mode) {
  std::filesystem::path directory = path.parent_path().empty() ? "." : path.parent_path();
  std::string pattern = (directory / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC));
  if (!fd.valid()) {
    return io_error("create a temporary file for", path, errno);
  }
  TemporaryFile temporary(pattern);
  std::size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return io_error("write", temporary.path(), errno);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd.get(), mode) != 0) {
    return io_error("chmod", temporary.path(), errno);
  }
  if (::fsync(fd.get()) != 0) {
    return io_error("fsync", temporary.path(), errno);
  }
  if (::close(fd.release()) != 0) {
    return io_error("close", temporary.path(), errno);
  }
  if (::rename(temporary.path().c_str(), path.c_str()) != 0) {
    return io_error("rename a temporary file onto", path, errno);
  }
  temporary.commit();
  return {};
}

Result<void> check_output_path(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(folder, ec)) {
    return make_error(ErrorKind::Config, "{} {}: the folder {} does not exist", what, path.string(), folder.string());
  }
  if (std::filesystem::is_directory(path, ec)) {
    return make_error(ErrorKind::Config, "{} {}: is a directory, not a file", what, path.string());
  }
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    return make_error(ErrorKind::Config, "{} {}: cannot write in {}: {}", what, path.string(), folder.string(),
                      std::strerror(errno));
  }
  return {};
}

Result<void> probe_writable(const std::filesystem::path& dir, std::size_t bytes) {
  std::string pattern = (dir / ".kh-write-probe-XXXXXX").string();
  UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC));
  if (!fd.valid()) {
    return io_error("create a file in", dir, errno);
  }
  TemporaryFile probe(pattern);
  const std::string block(std::min<std::size_t>(bytes, 65536), 'k');
  for (std::size_t written = 0; written < bytes;) {
    ssize_t n = ::write(fd.get(), block.data(), std::min(block.size(), bytes - written));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return io_error("write to", dir, errno);
    }
    if (n == 0) {
      return io_error("write to", dir, ENOSPC);
    }
    written += static_cast<std::size_t>(n);
  }
  // Delayed allocation may only fail here.
  if (::fsync(fd.get()) != 0) {
    return io_error("sync a file in", dir, errno);
  }
  return {};
}

}  // namespace kh
