#include "image/initramfs.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/elf_file.h"
#include "common/file_io.h"
#include "common/paths.h"
#include "image/cpio_writer.h"
#include "image/shell_words.h"
#include "image/skeleton.h"
#include "image/static_elf.h"

namespace kh::image {
namespace {

constexpr std::string_view kBusyboxInImage = "/bin/busybox";
// Sourced by /etc/init.d/rcS: see guest_run_script().
constexpr std::string_view kRunScriptInImage = "/etc/kharness/guest";
constexpr auto kBusyboxListTimeout = std::chrono::seconds(10);

std::filesystem::path resolve_guest_dir(const std::filesystem::path& dir) {
  return dir.empty() ? guest_programs_dir() : dir;
}

// The mtime of every entry: $SOURCE_DATE_EPOCH (reproducible-builds.org) or 0.
Result<std::uint32_t> archive_mtime() {
  const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
  if (epoch == nullptr || *epoch == '\0') {
    return std::uint32_t{0};
  }
  std::uint32_t value = 0;
  std::string_view text(epoch);
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return make_error(ErrorKind::Config,
                      "SOURCE_DATE_EPOCH='{}' is not a number of seconds that fits newc's 32-bit mtime",
                      text);
  }
  return value;
}

// Reads a program that goes into the image and checks that it can run there.
Result<std::string> read_static_program(const std::filesystem::path& path, std::string_view role) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorKind::Config, "{} {} does not exist or is not a regular file", role,
                      path.string());
  }
  KH_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  auto checked = check_static_x86_64_elf(path, bytes);
  if (!checked.ok()) {
    Error error = std::move(checked).error();
    return error.wrap(role);
  }
  return bytes;
}

// Adds a symlink to /bin/busybox for each applet that `busybox --list-full` names ("bin/ash",
// "usr/bin/[", ...), unless the skeleton already has that path.
Result<void> add_applet_links(CpioWriter& archive, const std::filesystem::path& busybox) {
  ChildSpec spec;
  spec.argv = {busybox.string(), "--list-full"};
  KH_ASSIGN_OR_RETURN(CommandOutput listed, run_command(spec, Deadline::in(kBusyboxListTimeout)));
  if (listed.exit_code != 0) {
    Error error = make_error(ErrorKind::Process, "`{} --list-full` failed (exit status {})", busybox.string(),
                             listed.exit_code);
    error.details.push_back(listed.output.substr(0, 2000));
    return error;
  }
  std::istringstream lines(listed.output);
  std::string applet;
  std::size_t listed_count = 0;
  while (std::getline(lines, applet)) {
    if (applet.empty()) {
      continue;
    }
    ++listed_count;
    if (!archive.contains(applet)) {
      KH_TRY(archive.add_symlink(applet, kBusyboxInImage));
    }
  }
  if (listed_count == 0) {
    return make_error(ErrorKind::Process, "`{} --list-full` listed no applets", busybox.string());
  }
  return {};
}

// A scenario's <file> (its mode: executable when the host file is) or <dir>.
Result<void> add_image_file(CpioWriter& archive, const ImageFile& file) {
  if (file.src.empty()) {
    return archive.add_directory(file.dest, 0755);
  }
  KH_TRY(check_image_file(file));
  KH_ASSIGN_OR_RETURN(std::string bytes, read_file(file.src));
  std::uint32_t mode = ::access(file.src.c_str(), X_OK) == 0 ? 0755 : 0644;
  return archive.add_file(file.dest, mode, std::move(bytes));
}

}  // namespace

Result<void> check_guest_name(std::string_view guest) {
  if (guest.empty()) {
    return make_error(ErrorKind::Config, "the guest program name is empty");
  }
  if (guest == "." || guest == ".." || guest.find('/') != std::string_view::npos) {
    return make_error(ErrorKind::Config, "guest program '{}' must be a plain file name (no '/' or '..')",
                      guest);
  }
  for (char c : guest) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                   c == '-' || c == '.' || c == '+';
    if (!allowed) {
      return make_error(ErrorKind::Config,
                        "guest program name '{}' has a character other than letters, digits and '._+-'",
                        guest);
    }
  }
  return {};
}

std::vector<std::string> list_guest_programs(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(resolve_guest_dir(dir), ec)) {
    std::error_code entry_ec;
    if (!entry.is_regular_file(entry_ec) || ::access(entry.path().c_str(), X_OK) != 0) {
      continue;
    }
    // The build folder also holds CMake's files and the helper library: only programs count.
    std::ifstream file(entry.path(), std::ios::binary);
    std::string head(4, '\0');
    if (file.read(head.data(), static_cast<std::streamsize>(head.size())) && has_elf_magic(head)) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::filesystem::path spawn_helper_path() {
  return guest_programs_dir() / "helpers" / "kh-spawn";
}

std::string guest_command_script(std::string_view command) {
  std::string script =
      "# Generated by kharness: the busybox command line that /etc/init.d/rcS runs as the guest.\n";
  script += "KH_GUEST=sh\n";
  script += fmt::format("set -- /bin/sh -c {}\n", shell_quote(command));
  return script;
}

std::string guest_run_script(std::string_view guest, const std::vector<std::string>& args) {
  std::string script =
      "# Generated by kharness: the guest program that /etc/init.d/rcS runs, with its arguments.\n";
  script += fmt::format("KH_GUEST={}\n", shell_quote(guest));
  script += fmt::format("set -- {}", shell_quote(fmt::format("{}/{}", kGuestDirInImage, guest)));
  for (const auto& arg : args) {
    script += ' ';
    script += shell_quote(arg);
  }
  script += '\n';
  return script;
}

Result<void> build_initramfs(const InitramfsSpec& spec) {
  const bool is_command = !spec.command.empty();
  if (!is_command) {
    KH_TRY(check_guest_name(spec.guest));
  }
  if (spec.output.empty()) {
    return make_error(ErrorKind::Config, "no output file given for the initramfs");
  }
  std::string guest_bytes;
  if (!is_command) {
    const std::filesystem::path guest_dir = resolve_guest_dir(spec.guest_dir);
    const std::filesystem::path guest_path =
        spec.guest_path.empty() ? guest_dir / spec.guest : spec.guest_path;
    std::error_code ec;
    if (spec.guest_path.empty() && !std::filesystem::exists(guest_path, ec)) {
      auto available = list_guest_programs(guest_dir);
      return make_error(ErrorKind::Config, "guest program '{}' not found in {} (available: {})", spec.guest,
                        guest_dir.string(),
                        available.empty() ? "none; build the guest_programs target"
                                          : fmt::format("{}", fmt::join(available, ", ")));
    }
    KH_ASSIGN_OR_RETURN(guest_bytes, read_static_program(guest_path, "guest program"));
  }
  KH_ASSIGN_OR_RETURN(std::string busybox_bytes, read_static_program(spec.busybox, "busybox"));
  const std::filesystem::path spawn = spec.spawn_helper.empty() ? spawn_helper_path() : spec.spawn_helper;
  KH_ASSIGN_OR_RETURN(std::string spawn_bytes,
                      read_static_program(spawn, "kh-spawn (build the guest_programs target)"));

  CpioWriter archive;
  KH_ASSIGN_OR_RETURN(std::uint32_t mtime, archive_mtime());
  archive.set_mtime(mtime);
  const std::filesystem::path skeleton =
      spec.skeleton.empty() ? data_dir() / "initramfs" / "skeleton.txt" : spec.skeleton;
  KH_TRY(add_skeleton(archive, skeleton));
  KH_TRY(archive.add_file(kBusyboxInImage, 0755, std::move(busybox_bytes)));
  KH_TRY(add_applet_links(archive, spec.busybox));
  KH_TRY(archive.add_file(kSpawnHelperInImage, 0755, std::move(spawn_bytes)));
  if (is_command) {
    KH_TRY(archive.add_file(kRunScriptInImage, 0644, guest_command_script(spec.command)));
  } else {
    KH_TRY(
        archive.add_file(fmt::format("{}/{}", kGuestDirInImage, spec.guest), 0755, std::move(guest_bytes)));
    KH_TRY(archive.add_file(kRunScriptInImage, 0644, guest_run_script(spec.guest, spec.args)));
  }
  for (const ImageFile& file : spec.files) {
    KH_TRY(add_image_file(archive, file));
  }
  auto written = archive.write_gzip(spec.output);
  if (!written.ok()) {
    Error error = std::move(written).error();
    return error.wrap("writing the initramfs");
  }
  return {};
}

Result<void> check_image_file(const ImageFile& file) {
  if (file.src.empty()) {
    return {};
  }
  std::error_code ec;
  auto status = std::filesystem::status(file.src, ec);
  if (ec || !std::filesystem::exists(status)) {
    return make_error(ErrorKind::Config, "file {} for {} does not exist", file.src.string(), file.dest);
  }
  if (!std::filesystem::is_regular_file(status)) {
    return make_error(ErrorKind::Config, "{} for {} is not a regular file", file.src.string(), file.dest);
  }
  std::uintmax_t size = std::filesystem::file_size(file.src, ec);
  if (ec || size > kMaxGuestFileSize) {
    return make_error(ErrorKind::Config,
                      "file {} for {} has {} bytes; the guest image takes files of at most {} MiB",
                      file.src.string(), file.dest, size, kMaxGuestFileSize >> 20);
  }
  return {};
}

}  // namespace kh::image
