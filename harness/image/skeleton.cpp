#include "image/skeleton.h"

#include <charconv>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/file_io.h"

namespace kh::image {
namespace {

std::vector<std::string> split_fields(const std::string& line) {
  std::istringstream stream(line);
  std::vector<std::string> fields;
  std::string field;
  while (stream >> field) {
    fields.push_back(field);
  }
  return fields;
}

Result<std::uint32_t> parse_mode(const std::string& text) {
  std::uint32_t mode = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (error != std::errc() || end != text.data() + text.size() || mode > 07777) {
    return make_error(ErrorKind::Config, "bad mode '{}': expected octal permission bits such as 0755", text);
  }
  return mode;
}

// Adds one manifest line to the archive.
Result<void> add_line(CpioWriter& archive, const std::vector<std::string>& fields,
                      const std::filesystem::path& rootfs) {
  const std::string& type = fields[0];
  if (type == "dir" || type == "file") {
    if (fields.size() != 3) {
      return make_error(ErrorKind::Config, "'{}' takes a path and a mode, got {} fields", type,
                        fields.size() - 1);
    }
    KH_ASSIGN_OR_RETURN(std::uint32_t mode, parse_mode(fields[2]));
    if (type == "dir") {
      return archive.add_directory(fields[1], mode);
    }
    KH_ASSIGN_OR_RETURN(std::string normalized, CpioWriter::normalize_path(fields[1]));
    KH_ASSIGN_OR_RETURN(std::string contents, read_file(rootfs / normalized));
    return archive.add_file(normalized, mode, std::move(contents));
  }
  if (type == "slink") {
    if (fields.size() != 3) {
      return make_error(ErrorKind::Config, "'slink' takes a path and a target, got {} fields",
                        fields.size() - 1);
    }
    return archive.add_symlink(fields[1], fields[2]);
  }
  return make_error(ErrorKind::Config, "unknown entry type '{}' (expected dir, file or slink)", type);
}

}  // namespace

Result<void> add_skeleton(CpioWriter& archive, const std::filesystem::path& manifest) {
  KH_ASSIGN_OR_RETURN(std::string text, read_file(manifest));
  const std::filesystem::path rootfs = manifest.parent_path() / "rootfs";
  std::map<std::string, int> symlink_lines;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    auto fields = split_fields(line);
    if (fields.empty() || fields[0].front() == '#') {
      continue;
    }
    auto added = add_line(archive, fields, rootfs);
    if (!added.ok()) {
      Error error = std::move(added).error();
      error.location = fmt::format("{}:{}", manifest.string(), number);
      return error;
    }
    if (fields[0] == "slink") {
      symlink_lines.emplace(fields[1], number);
    }
  }
  // Loops are a property of the whole tree: checked once every entry is in.
  for (const auto& [path, line_number] : symlink_lines) {
    auto checked = archive.check_symlink(path);
    if (!checked.ok()) {
      Error error = std::move(checked).error();
      error.location = fmt::format("{}:{}", manifest.string(), line_number);
      return error;
    }
  }
  return {};
}

}  // namespace kh::image
