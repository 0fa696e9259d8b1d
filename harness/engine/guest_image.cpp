#include "engine/guest_image.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <system_error>
#include <vector>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/file_io.h"
#include "common/paths.h"
#include "common/sha256.h"
#include "common/temp_dir.h"
#include "image/initramfs.h"
#include "image/shell_words.h"
#include "image/static_elf.h"

namespace kh::engine {
namespace {

// Cached images beyond this many are removed, oldest first: each is ~1.5 MB and one per distinct
// guest program and arguments.
constexpr std::size_t kMaxCachedImages = 64;

// Compiled guests beyond this many are removed, oldest first.
constexpr std::size_t kMaxCachedGuests = 64;
constexpr auto kCompileTimeout = std::chrono::minutes(2);
constexpr auto kCompilerVersionTimeout = std::chrono::seconds(10);
// Lines of compiler output kept in an error.
constexpr std::size_t kMaxCompilerLines = 40;

// Every file below `dir`, sorted, so that the digest does not depend on directory order.
std::vector<std::filesystem::path> files_below(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) || it->is_symlink(ec)) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::string> input_digest(const image::InitramfsSpec& spec) {
  Sha256 digest;
  auto add_framed = [&digest](std::string_view name, std::string_view value) {
    digest.update(fmt::format("{}:{}:", name, value.size()));
    digest.update(value);
  };
  add_framed("kharness", version());
  add_framed("guest", spec.guest);
  add_framed("command", spec.command);
  for (const auto& arg : spec.args) {
    add_framed("arg", arg);
  }
  std::vector<std::filesystem::path> programs = {spec.busybox, image::spawn_helper_path()};
  if (spec.command.empty()) {
    programs.push_back(spec.guest_path.empty() ? guest_programs_dir() / spec.guest : spec.guest_path);
  }
  for (const auto& file : programs) {
    KH_ASSIGN_OR_RETURN(std::string hash, sha256_file(file));
    add_framed(file.filename().string(), hash);
  }
  for (const auto& file : spec.files) {
    add_framed("dest", file.dest);
    if (file.src.empty()) {
      add_framed("dir", "");
    } else {
      KH_ASSIGN_OR_RETURN(std::string hash, sha256_file(file.src));
      add_framed("file", hash);
    }
  }
  const std::filesystem::path skeleton_dir = data_dir() / "initramfs";
  for (const auto& file : files_below(skeleton_dir)) {
    KH_ASSIGN_OR_RETURN(std::string hash, sha256_file(file));
    add_framed(std::filesystem::relative(file, skeleton_dir).string(), hash);
  }
  return digest.hex_digest().substr(0, 24);
}

// Keeps the newest `keep` entries of `dir` whose name ends in `suffix`.
void prune(const std::filesystem::path& dir, std::string_view suffix, std::size_t keep) {
  std::error_code ec;
  std::vector<std::pair<std::filesystem::file_time_type, std::filesystem::path>> entries;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().ends_with(suffix)) {
      entries.emplace_back(entry.last_write_time(ec), entry.path());
    }
  }
  if (entries.size() <= keep) {
    return;
  }
  std::sort(entries.begin(), entries.end());
  for (std::size_t i = 0; i + keep < entries.size(); ++i) {
    std::filesystem::remove_all(entries[i].second, ec);
  }
}

// The C compiler guests are compiled with: $CC, else cc.
std::string compiler() {
  const char* cc = std::getenv("CC");
  return cc != nullptr && *cc != '\0' ? std::string(cc) : std::string("cc");
}

// Compiles a <guest source=...> into ${cache}/guests/<digest>/<program>, once per distinct sources,
// flags and compiler; the compiler's messages become the error's details.
Result<std::filesystem::path> compile_guest(const trace::GuestSpec& guest) {
  KH_ASSIGN_OR_RETURN(std::vector<std::string> flags, image::split_shell_words(guest.cflags));
  Sha256 digest;
  auto add_framed = [&digest](std::string_view name, std::string_view value) {
    digest.update(fmt::format("{}:{}:", name, value.size()));
    digest.update(value);
  };
  for (const auto& source : guest.sources) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(source, ec)) {
      return make_error(ErrorKind::Config, "guest source {} does not exist or is not a regular file",
                        source.string());
    }
    KH_ASSIGN_OR_RETURN(std::string hash, sha256_file(source));
    add_framed("source", source.filename().string());
    add_framed("hash", hash);
  }
  for (const auto& flag : flags) {
    add_framed("flag", flag);
  }
  ChildSpec version_spec;
  version_spec.argv = {compiler(), "--version"};
  version_spec.stdout_mode = Stdio::Pipe;
  version_spec.stderr_to_stdout = true;
  auto version_output = run_command(version_spec, Deadline::in(kCompilerVersionTimeout));
  if (!version_output.ok() || version_output->exit_code != 0) {
    return make_error(
        ErrorKind::Config,
        "cannot run the C compiler '{}' to build the guest from its sources (install gcc, or set CC)",
        compiler());
  }
  add_framed("compiler", version_output->output);
  add_framed("program", guest.program);
  const std::filesystem::path dir = cache_dir() / "guests";
  const std::filesystem::path entry = dir / digest.hex_digest().substr(0, 24);
  const std::filesystem::path program = entry / guest.program;
  std::error_code ec;
  if (std::filesystem::is_regular_file(program, ec)) {
    std::filesystem::last_write_time(entry, std::filesystem::file_time_type::clock::now(), ec);
    return program;
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", dir.string(), ec.message());
  }
  KH_ASSIGN_OR_RETURN(TempDir work, TempDir::create(".compile-", dir));
  ChildSpec spec;
  spec.argv = {compiler(), "-static", "-g"};
  spec.argv.insert(spec.argv.end(), flags.begin(), flags.end());
  spec.argv.push_back("-o");
  spec.argv.push_back((work.path() / guest.program).string());
  for (const auto& source : guest.sources) {
    spec.argv.push_back(source.string());
  }
  spec.stdout_mode = Stdio::Pipe;
  spec.stderr_to_stdout = true;
  KH_ASSIGN_OR_RETURN(CommandOutput compiled, run_command(spec, Deadline::in(kCompileTimeout)));
  if (compiled.exit_code != 0) {
    std::vector<std::string> lines;
    std::string first;
    std::size_t start = 0;
    const std::string& text = compiled.output;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
      start = end == std::string::npos ? text.size() : end + 1;
      if (first.empty() && line.find("error") != std::string::npos) {
        first = line;
      }
      if (lines.size() < kMaxCompilerLines) {
        lines.push_back(std::move(line));
      }
    }
    Error error =
        make_error(ErrorKind::Config, "the guest's sources do not compile ({} exited with status {}){}{}",
                   compiler(), compiled.exit_code, first.empty() ? "" : ": ", first);
    error.details = std::move(lines);
    return error;
  }
  // Renamed into place whole, so that a cache entry is never half written.
  std::filesystem::rename(work.path(), entry, ec);
  if (ec) {
    // Another run may have put the same program there first; the temporary folder goes either way.
    if (std::filesystem::is_regular_file(program)) {
      return program;
    }
    return make_error(ErrorKind::Io, "cannot move the compiled guest to {}: {}", entry.string(),
                      ec.message());
  }
  (void)work.release();
  prune(dir, "", kMaxCachedGuests);
  return program;
}

}  // namespace

Result<std::filesystem::path> build_guest_image(const trace::GuestSpec& guest) {
  image::InitramfsSpec spec;
  spec.guest = guest.program;
  spec.args = guest.args;
  auto located = [&](Error error, const std::string& where) {
    if (error.location.empty()) {
      error.location = where;
    }
    return error;
  };
  switch (guest.kind) {
    case trace::GuestKind::Program: {
      if (Status name = image::check_guest_name(spec.guest); !name.ok()) {
        return located(std::move(name).error(), guest.location);
      }
      if (auto listed = image::list_guest_programs();
          std::find(listed.begin(), listed.end(), spec.guest) == listed.end()) {
        return located(make_error(ErrorKind::Config, "no guest program '{}' in {} (there are: {})",
                                  spec.guest, guest_programs_dir().string(), fmt::join(listed, ", ")),
                       guest.location);
      }
      break;
    }
    case trace::GuestKind::Source: {
      if (Status name = image::check_guest_name(spec.guest); !name.ok()) {
        return located(std::move(name).error(), guest.location);
      }
      auto compiled = compile_guest(guest);
      if (!compiled.ok()) {
        return located(std::move(compiled).error(), guest.location);
      }
      spec.guest_path = *compiled;
      break;
    }
    case trace::GuestKind::Binary: {
      if (Status name = image::check_guest_name(spec.guest); !name.ok()) {
        return located(std::move(name).error(), guest.location);
      }
      std::error_code ec;
      if (!std::filesystem::is_regular_file(guest.binary, ec)) {
        return located(
            make_error(ErrorKind::Config, "guest binary {} does not exist or is not a regular file",
                       guest.binary.string()),
            guest.location);
      }
      auto bytes = read_file(guest.binary);
      if (!bytes.ok()) {
        return located(std::move(bytes).error(), guest.location);
      }
      if (Status checked = image::check_static_x86_64_elf(guest.binary, *bytes); !checked.ok()) {
        return located(std::move(checked).error().wrap("guest binary"), guest.location);
      }
      spec.guest_path = guest.binary;
      break;
    }
    case trace::GuestKind::Command:
      if (guest.command.empty()) {
        return located(make_error(ErrorKind::Config, "the guest's command line is empty"), guest.location);
      }
      spec.command = guest.command;
      break;
  }
  for (const trace::GuestFile& file : guest.files) {
    image::ImageFile added{file.src, file.dest};
    if (Status checked = image::check_image_file(added); !checked.ok()) {
      return located(std::move(checked).error(), file.location);
    }
    spec.files.push_back(std::move(added));
  }
  auto digest = input_digest(spec);
  if (!digest.ok()) {
    return located(std::move(digest).error(), guest.location);
  }
  const std::filesystem::path dir = cache_dir() / "initramfs";
  spec.output = dir / fmt::format("{}-{}.cpio.gz", spec.guest, *digest);
  std::error_code ec;
  if (std::filesystem::is_regular_file(spec.output, ec)) {
    // Touched so that pruning keeps the images in use.
    std::filesystem::last_write_time(spec.output, std::filesystem::file_time_type::clock::now(), ec);
    return spec.output;
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", dir.string(), ec.message());
  }
  if (Status built = image::build_initramfs(spec); !built.ok()) {
    return located(std::move(built).error(), guest.location);
  }
  prune(dir, ".gz", kMaxCachedImages);
  return spec.output;
}

}  // namespace kh::engine
