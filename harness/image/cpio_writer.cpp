#include "image/cpio_writer.h"

#include <sys/stat.h>

#include <deque>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "common/file_io.h"
#include "image/gzip.h"

namespace kh::image {
namespace {

constexpr std::uint32_t kMaxPermissions = 07777;
constexpr std::string_view kTrailerName = "TRAILER!!!";

std::vector<std::string> split_components(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      slash = path.size();
    }
    parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string join_components(const std::deque<std::string>& parts) {
  std::string path;
  for (const auto& part : parts) {
    if (!path.empty()) {
      path += '/';
    }
    path += part;
  }
  return path;
}

// One newc record: the 110-byte header, the name with its NUL, padding to 4 bytes, the data,
// padding to 4 bytes. Every record starts 4-aligned, so padding depends only on its own sizes.
void append_record(std::string& out, std::string_view name, std::uint32_t ino, std::uint32_t mode,
                   std::uint32_t nlink, std::uint32_t mtime, std::string_view data) {
  const auto name_size = static_cast<std::uint32_t>(name.size() + 1);
  const auto file_size = static_cast<std::uint32_t>(data.size());
  fmt::format_to(std::back_inserter(out),
                 "070701{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}", ino,
                 mode, 0U /*uid*/, 0U /*gid*/, nlink, mtime, file_size, 0U /*devmajor*/, 0U /*devminor*/,
                 0U /*rdevmajor*/, 0U /*rdevminor*/, name_size, 0U /*check*/);
  out.append(name);
  out.push_back('\0');
  out.append((4 - (110 + name_size) % 4) % 4, '\0');
  out.append(data);
  out.append((4 - file_size % 4) % 4, '\0');
}

}  // namespace

Result<std::string> CpioWriter::normalize_path(std::string_view path) {
  if (path.empty()) {
    return make_error(ErrorKind::Config, "an archive path is empty");
  }
  if (path.find('\0') != std::string_view::npos) {
    return make_error(ErrorKind::Config, "archive path '{}' contains a NUL byte", path);
  }
  std::string normalized;
  for (const auto& part : split_components(path)) {
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      return make_error(ErrorKind::Config, "archive path '{}' escapes the archive root with '..'", path);
    }
    if (part.size() > kMaxComponentLength) {
      return make_error(ErrorKind::Config,
                        "archive path '{}...' has a component of {} bytes, more than a file name may "
                        "have ({})",
                        path.substr(0, 64), part.size(), kMaxComponentLength);
    }
    if (!normalized.empty()) {
      normalized += '/';
    }
    normalized += part;
  }
  if (normalized.empty()) {
    return std::string(".");
  }
  if (normalized.size() + 1 > kMaxNameSize) {
    return make_error(ErrorKind::Config,
                      "archive path '{}...' is {} bytes long: too long for a newc name (namesize with "
                      "its NUL at most {}, the kernel's PATH_MAX)",
                      normalized.substr(0, 64), normalized.size(), kMaxNameSize);
  }
  return normalized;
}

Result<void> CpioWriter::add(std::string_view path, Entry entry) {
  KH_ASSIGN_OR_RETURN(std::string normalized, normalize_path(path));
  if (entry.mode > kMaxPermissions) {
    return make_error(ErrorKind::Config, "mode {:o} of '{}' is more than permission bits (07777)", entry.mode,
                      normalized);
  }
  if (normalized == ".") {
    if (entry.type != Type::Directory) {
      return make_error(ErrorKind::Config, "the archive root '{}' can only be a directory", path);
    }
    root_mode_ = entry.mode;
    return {};
  }
  auto [it, inserted] = entries_.try_emplace(normalized, std::move(entry));
  if (!inserted) {
    return make_error(ErrorKind::Config, "archive path '{}' is added twice", normalized);
  }
  return {};
}

Result<void> CpioWriter::add_directory(std::string_view path, std::uint32_t mode) {
  return add(path, Entry{Type::Directory, mode, {}});
}

Result<void> CpioWriter::add_file(std::string_view path, std::uint32_t mode, std::string contents) {
  if (contents.size() > 0xFFFFFFFFULL) {
    return make_error(ErrorKind::Config, "'{}' has {} bytes: newc sizes have 32 bits", path, contents.size());
  }
  return add(path, Entry{Type::File, mode, std::move(contents)});
}

Result<void> CpioWriter::add_symlink(std::string_view path, std::string_view target) {
  if (target.empty() || target.find('\0') != std::string_view::npos) {
    return make_error(ErrorKind::Config, "symlink '{}' needs a target without NUL bytes", path);
  }
  if (target.size() + 1 > kMaxNameSize) {
    return make_error(ErrorKind::Config, "symlink '{}' has a target of {} bytes, more than PATH_MAX", path,
                      target.size());
  }
  return add(path, Entry{Type::Symlink, 0777, std::string(target)});
}

bool CpioWriter::contains(std::string_view path) const {
  auto normalized = normalize_path(path);
  return normalized.ok() && (*normalized == "." || entries_.count(*normalized) > 0);
}

Result<void> CpioWriter::check_symlink(std::string_view path) const {
  KH_ASSIGN_OR_RETURN(std::string link, normalize_path(path));
  auto it = entries_.find(link);
  if (it == entries_.end() || it->second.type != Type::Symlink) {
    return make_error(ErrorKind::Config, "'{}' is not a symlink of the archive", link);
  }
  // The kernel's path walk: the directory reached so far, and the components still to walk.
  std::deque<std::string> resolved;
  std::deque<std::string> pending;
  std::vector<std::string> hops;  // "link -> target", for the message
  // Replaces the symlink at the end of `resolved` by its target.
  auto follow = [&](const std::string& at, const std::string& target) {
    hops.push_back(fmt::format("{} -> {}", at, target));
    resolved.pop_back();
    if (target.front() == '/') {
      resolved.clear();
    }
    auto parts = split_components(target);
    pending.insert(pending.begin(), parts.begin(), parts.end());
  };
  for (auto& part : split_components(link)) {
    resolved.push_back(std::move(part));
  }
  follow(link, it->second.data);
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      if (!resolved.empty()) {  // ".." of the root is the root
        resolved.pop_back();
      }
      continue;
    }
    resolved.push_back(std::move(part));
    std::string current = join_components(resolved);
    auto found = entries_.find(current);
    if (found == entries_.end()) {
      // A parent that nobody added is a directory of the archive all the same.
      auto next = entries_.lower_bound(current + '/');
      bool implied_directory =
          next != entries_.end() && next->first.compare(0, current.size() + 1, current + '/') == 0;
      if (implied_directory) {
        continue;
      }
      return {};  // not in the archive: dangling at pack time, maybe present at run time
    }
    if (found->second.type == Type::File) {
      return {};  // a file in the middle gives ENOTDIR at run time, not a loop
    }
    if (found->second.type == Type::Symlink) {
      if (hops.size() >= static_cast<std::size_t>(kMaxSymlinkHops)) {
        hops.resize(4);
        return make_error(ErrorKind::Config,
                          "symlink '{}' does not resolve within {} links, a symlink loop: {}, ...", link,
                          kMaxSymlinkHops, fmt::join(hops, ", "));
      }
      follow(current, found->second.data);
    }
  }
  return {};
}

Result<std::string> CpioWriter::to_newc() const {
  // Parents that nobody added become 0755 directories; a parent that is not a directory fails.
  std::map<std::string, Entry> implied;
  std::size_t data_bytes = 0;
  for (const auto& [path, entry] : entries_) {
    data_bytes += path.size() + entry.data.size() + 128;
    for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      std::string parent = path.substr(0, slash);
      auto it = entries_.find(parent);
      if (it == entries_.end()) {
        implied.try_emplace(parent, Entry{Type::Directory, 0755, {}});
      } else if (it->second.type != Type::Directory) {
        return make_error(ErrorKind::Config, "'{}' is in '{}', which is a {}, not a directory", path, parent,
                          it->second.type == Type::File ? "file" : "symlink");
      }
    }
    if (entry.type == Type::Symlink) {
      KH_TRY(check_symlink(path));
    }
  }

  std::map<std::string_view, const Entry*> all;
  for (const auto& [path, entry] : entries_) {
    all.emplace(path, &entry);
  }
  for (const auto& [path, entry] : implied) {
    all.emplace(path, &entry);
  }

  std::string out;
  out.reserve(data_bytes + 256);
  std::uint32_t ino = 1;
  append_record(out, ".", ino++, S_IFDIR | root_mode_, 2, mtime_, {});
  for (const auto& [path, entry] : all) {
    switch (entry->type) {
      case Type::Directory:
        append_record(out, path, ino++, S_IFDIR | entry->mode, 2, mtime_, {});
        break;
      case Type::File:
        // nlink 1: the kernel treats regular files with nlink >= 2 as hard links to match up.
        append_record(out, path, ino++, S_IFREG | entry->mode, 1, mtime_, entry->data);
        break;
      case Type::Symlink:
        append_record(out, path, ino++, S_IFLNK | entry->mode, 1, mtime_, entry->data);
        break;
    }
  }
  append_record(out, kTrailerName, 0, 0, 1, 0, {});
  return out;
}

Result<void> CpioWriter::write_gzip(const std::filesystem::path& output) const {
  KH_ASSIGN_OR_RETURN(std::string archive, to_newc());
  KH_ASSIGN_OR_RETURN(std::string compressed, gzip_compress(archive));
  return write_file_atomically(output, compressed);
}

}  // namespace kh::image
