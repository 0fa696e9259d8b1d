#include "report/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

#include "common/unique_fd.h"

namespace kh::report {
namespace {

// Removes the temporary file unless the rename made it the real one.
class TemporaryFile {
 public:
  explicit TemporaryFile(std::string path) : path_(std::move(path)) {}
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (!path_.empty()) {
      ::unlink(path_.c_str());
    }
  }
  const std::string& path() const { return path_; }
  void keep() { path_.clear(); }

 private:
  std::string path_;
};

Error io_error(std::string_view what, const std::filesystem::path& path, int error_number) {
  return make_error(ErrorKind::Io, "cannot {} {}: {}", what, path.string(), std::strerror(error_number));
}

}  // namespace

Status write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path directory =
      path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::string pattern = (directory / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  UniqueFd fd(::mkstemp(pattern.data()));
  if (!fd.valid()) {
    return io_error("create a temporary file for", path, errno);
  }
  TemporaryFile temporary(pattern);
  // mkstemp makes the file 0600; a report is for everyone who can read the directory. (Reading
  // the umask would mean changing it, which races with other threads creating files.)
  if (::fchmod(fd.get(), 0644) != 0) {
    return io_error("set the mode of", temporary.path(), errno);
  }
  while (!content.empty()) {
    ssize_t written = ::write(fd.get(), content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return io_error("write", temporary.path(), errno);
    }
    content.remove_prefix(static_cast<std::size_t>(written));
  }
  if (::fsync(fd.get()) != 0) {
    return io_error("flush", temporary.path(), errno);
  }
  if (::close(fd.release()) != 0) {
    return io_error("close", temporary.path(), errno);
  }
  if (::rename(temporary.path().c_str(), path.c_str()) != 0) {
    return io_error("write", path, errno);
  }
  temporary.keep();
  return {};
}

}  // namespace kh::report
