// A writer of cpio "newc" archives (the format the kernel unpacks into its initramfs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kh::image {

// Builds a newc archive in memory from directories, regular files and symlinks (no device nodes,
// no hard links). Entries may be added in any order; the archive is written sorted by path, with
// inode numbers in that order, uid/gid 0, one fixed mtime and fixed link counts, so the same
// entries always give the same bytes. Paths are relative to the archive root ("etc/fstab"; a
// leading "/" or "./" is dropped). The root itself is always the first entry, ".".
class CpioWriter {
 public:
  // The longest name the kernel's unpacker takes: namesize (with its NUL) must not pass PATH_MAX.
  static constexpr std::size_t kMaxNameSize = 4096;
  // The longest path component a Linux file system takes (NAME_MAX).
  static constexpr std::size_t kMaxComponentLength = 255;
  // How many symlinks a path may cross before the kernel gives up with ELOOP.
  static constexpr int kMaxSymlinkHops = 40;

  // Adds a directory with these permission bits (at most 07777); "." or "/" sets the root's.
  // Fails with ErrorKind::Config for a bad path or mode or an existing entry.
  Result<void> add_directory(std::string_view path, std::uint32_t mode = 0755);
  // Adds a regular file. Fails with ErrorKind::Config for a bad path or mode, an existing entry,
  // or contents of 4 GiB or more (the newc size field has 32 bits).
  Result<void> add_file(std::string_view path, std::uint32_t mode, std::string contents);
  // Adds a symlink (mode 0777) to `target`, which is stored as given. Fails with ErrorKind::Config
  // for a bad path, an empty or too long target, or an existing entry.
  Result<void> add_symlink(std::string_view path, std::string_view target);
  // The mtime of every entry (default 0; e.g. SOURCE_DATE_EPOCH).
  void set_mtime(std::uint32_t mtime) { mtime_ = mtime; }

  // True when the archive holds this path (after normalization).
  bool contains(std::string_view path) const;
  // The number of entries, the root not counted.
  std::size_t size() const { return entries_.size(); }

  // Checks that a symlink of the archive resolves inside the archive without a loop, following
  // the kernel's rules (absolute targets start at the archive root, ".." stops at the root).
  // Targets that are missing from the archive are fine (e.g. /proc/mounts exists at run time).
  // Fails with ErrorKind::Config naming the loop, or when `path` is not a symlink of the archive.
  Result<void> check_symlink(std::string_view path) const;

  // The archive: "." first, then every entry sorted by path, then the TRAILER!!! entry. Missing
  // parent directories are added with mode 0755. Fails with ErrorKind::Config when a parent is not
  // a directory or a symlink loops.
  Result<std::string> to_newc() const;
  // to_newc(), gzip-compressed (deflate level 9, mtime 0 in the gzip header), written to `output`
  // atomically (a temporary file next to it, then rename). Fails with ErrorKind::Io when writing.
  Result<void> write_gzip(const std::filesystem::path& output) const;

  // Turns a path into the archive's form: no leading "/" or "./", no empty or "." components.
  // Fails with ErrorKind::Config for "..", an empty path, a NUL byte, or a name too long for
  // newc (kMaxNameSize) or for a file system (kMaxComponentLength). "." or "/" give ".".
  static Result<std::string> normalize_path(std::string_view path);

 private:
  enum class Type { Directory, File, Symlink };
  struct Entry {
    Type type;
    std::uint32_t mode;  // permission bits only
    std::string data;    // the contents of a file, the target of a symlink
  };

  Result<void> add(std::string_view path, Entry entry);

  std::map<std::string, Entry> entries_;  // std::map: sorted by path, byte-wise
  std::uint32_t root_mode_ = 0755;
  std::uint32_t mtime_ = 0;
};

}  // namespace kh::image
