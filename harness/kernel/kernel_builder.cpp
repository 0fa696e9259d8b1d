#include "kernel/kernel_builder.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "common/child_process.h"
#include "common/elf_file.h"
#include "common/file_io.h"
#include "kernel/gdb_scripts_fixup.h"

namespace kh::kernel {
namespace {

constexpr auto kQuickStepTimeout = std::chrono::minutes(5);

// `make` for the tree, out of tree, with the environment of an outer make (kharness started from
// `make trace-mount`) and of the user's shell kept away from kbuild.
ChildSpec make_command(const BuildInputs& inputs, std::vector<std::string> targets) {
  ChildSpec spec;
  spec.argv = {"make",
               "-C",
               inputs.source.path.string(),
               "O=" + inputs.obj_dir().string(),
               std::string("ARCH=") + kKernelArch,
               "CROSS_COMPILE="};
  spec.argv.insert(spec.argv.end(), targets.begin(), targets.end());
  spec.env = {{"MAKEFLAGS", ""},     {"MFLAGS", ""}, {"MAKELEVEL", ""}, {"KCONFIG_CONFIG", ".config"},
              {"KBUILD_OUTPUT", ""}, {"LC_ALL", "C"}};
  return spec;
}

Result<std::vector<ConfigEntry>> read_config(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) {
    Error error = make_error(ErrorKind::Build, "the build wrote no {}", path.string());
    error.details.push_back(text.error().message);
    return error;
  }
  return parse_config_text(*text, ".config");
}

Status verify_final_config(const BuildInputs& inputs, BuildLog& log) {
  KH_ASSIGN_OR_RETURN(std::vector<ConfigEntry> final_config, read_config(inputs.obj_dir() / ".config"));
  std::vector<ConfigEntry> wanted = merge_fragments(inputs.fragments);
  // Scanning every Kconfig file takes a moment: only done when an option is missing.
  std::optional<std::vector<std::string>> symbols;
  auto is_symbol = [&](const std::string& name) {
    if (!symbols) {
      auto scanned = scan_kconfig_symbols(inputs.source.path);
      symbols = scanned ? std::move(*scanned) : std::vector<std::string>();
    }
    return std::binary_search(symbols->begin(), symbols->end(), name);
  };
  std::vector<ConfigMismatch> mismatches = verify_config(wanted, final_config, is_symbol);
  if (mismatches.empty()) {
    log.note(fmt::format("verify: all {} fragment options are in the final .config", wanted.size()));
    return {};
  }
  Error error = make_error(
      ErrorKind::Config, "{} option{} of the config fragments {} not in the final .config of linux {}",
      mismatches.size(), mismatches.size() == 1 ? "" : "s", mismatches.size() == 1 ? "is" : "are",
      inputs.source.version.to_string() + inputs.source.version.suffix);
  for (const auto& mismatch : mismatches) {
    error.details.push_back(mismatch.describe());
    log.note("verify: " + mismatch.describe());
  }
  return error;
}

Result<std::string> kernel_release(const BuildInputs& inputs) {
  ChildSpec spec = make_command(inputs, {"--silent", "kernelrelease"});
  KH_ASSIGN_OR_RETURN(CommandOutput output, run_command(spec, Deadline::in(kQuickStepTimeout)));
  std::string text = output.output;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  // The release is the last line; make may print directory changes before it.
  std::string release = text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
  if (output.exit_code != 0 || release.empty() || release.find(' ') != std::string::npos) {
    return make_error(ErrorKind::Build, "make kernelrelease failed: {}", text);
  }
  return release;
}

// Copies the .py files below `from` into `to`, following symlinks: out-of-tree builds link the
// scripts back into the source tree, and the entry must work without it.
Status copy_python_files(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  if (!std::filesystem::is_directory(from, ec)) {
    return {};
  }
  std::filesystem::recursive_directory_iterator it(from, ec);
  for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const auto& path = it->path();
    if (path.filename() == "__pycache__") {
      it.disable_recursion_pending();
      continue;
    }
    if (path.extension() != ".py" || !std::filesystem::is_regular_file(path, ec)) {
      continue;
    }
    std::filesystem::path target = to / path.lexically_relative(from);
    std::filesystem::create_directories(target.parent_path(), ec);
    std::filesystem::copy_file(path, target, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) {
      return make_error(ErrorKind::Io, "cannot copy {} to {}: {}", path.string(), target.string(),
                        ec.message());
    }
  }
  if (ec) {
    return make_error(ErrorKind::Io, "cannot walk {}: {}", from.string(), ec.message());
  }
  return {};
}

Status move_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) {
    return make_error(ErrorKind::Build, "the build did not produce {}: {}", from.string(), ec.message());
  }
  return {};
}

Status copy_into_entry(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    return make_error(ErrorKind::Build, "cannot copy {}: {}", from.string(), ec.message());
  }
  return {};
}

// The gdb helper scripts, self-contained in the entry: vmlinux-gdb.py puts the folder
// scripts/gdb next to itself on Python's path, so that layout is kept.
Result<std::filesystem::path> stage_gdb_scripts(const BuildInputs& inputs,
                                                const std::filesystem::path& entry) {
  const std::filesystem::path obj = inputs.obj_dir();
  std::error_code ec;
  if (!std::filesystem::exists(obj / "scripts" / "gdb" / "linux" / "constants.py", ec)) {
    return std::filesystem::path();
  }
  // Sources first, then the build's files over them (constants.py only exists there).
  KH_TRY(copy_python_files(inputs.source.path / "scripts" / "gdb", entry / "scripts" / "gdb"));
  KH_TRY(copy_python_files(obj / "scripts" / "gdb", entry / "scripts" / "gdb"));
  std::filesystem::path loader = entry / "vmlinux-gdb.py";
  KH_TRY(copy_into_entry(inputs.source.path / "scripts" / "gdb" / "vmlinux-gdb.py", loader));
  KH_TRY(fix_up_gdb_scripts(entry));
  return loader;
}

// tinyconfig, the fragments merged, olddefconfig: a fresh .config in `obj`.
Status configure(const BuildInputs& inputs, const std::filesystem::path& obj, BuildLog& log,
                 BuildProgress& progress) {
  progress.set_phase("configuring");
  KH_TRY(log.run("tinyconfig", make_command(inputs, {"tinyconfig"})));
  ChildSpec merge;
  merge.argv = {"sh",         (inputs.source.path / "scripts" / "kconfig" / "merge_config.sh").string(),
                "-m",         "-O",
                obj.string(), (obj / ".config").string()};
  for (const auto& fragment : inputs.fragments) {
    merge.argv.push_back(std::filesystem::absolute(fragment.path).string());
  }
  // merge_config.sh writes its temporary files into the current directory.
  merge.cwd = obj;
  merge.env = {{"KCONFIG_CONFIG", ".config"}, {"LC_ALL", "C"}};
  KH_TRY(log.run("merge fragments", merge));
  return log.run("olddefconfig", make_command(inputs, {"olddefconfig"}));
}

}  // namespace

bool has_scripts_gdb_target(const std::filesystem::path& source_tree) {
  std::ifstream in(source_tree / "Makefile");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("scripts_gdb:")) {
      return true;
    }
  }
  return false;
}

Result<bool> elf_has_section(const std::filesystem::path& file, std::string_view section) {
  KH_ASSIGN_OR_RETURN(const ElfFile elf, ElfFile::open(file));
  const std::optional<Elf64_Ehdr> header = elf.header();
  if (!elf.has_magic() || !header || header->e_ident[EI_CLASS] != ELFCLASS64 ||
      header->e_shentsize != sizeof(Elf64_Shdr)) {
    return make_error(ErrorKind::Parse, "{} is not a 64-bit ELF file", file.string());
  }
  KH_ASSIGN_OR_RETURN(const std::vector<std::string> names, elf.section_names(*header));
  return std::ranges::find(names, section) != names.end();
}

int default_build_jobs() {
  if (const char* jobs = std::getenv("KHARNESS_KERNEL_JOBS")) {
    int value = std::atoi(jobs);
    if (value > 0) {
      return value;
    }
  }
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

Result<KernelBuild> build_kernel(const BuildInputs& inputs, BuildLog& log, BuildProgress& progress) {
  const std::filesystem::path obj = inputs.obj_dir();
  const std::filesystem::path entry = inputs.work_dir / "entry";
  std::error_code ec;
  std::filesystem::create_directories(obj, ec);
  std::filesystem::create_directories(entry, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", inputs.work_dir.string(), ec.message());
  }

  // A persistent folder remembers the fragments it was configured with: configuring it again
  // would make kbuild re-check every object, and a failed configuration must not look like a
  // finished one (the stamp goes first and comes back last).
  const std::filesystem::path stamp = obj / ".kharness-fragments";
  std::string fragments_text;
  for (const auto& fragment : inputs.fragments) {
    fragments_text += fmt::format("{}\n{}\n", fragment.text.size(), fragment.text);
  }
  auto stamped = read_file(stamp);
  const bool configured = !inputs.persistent_obj.empty() && std::filesystem::exists(obj / ".config", ec) &&
                          stamped.ok() && *stamped == fragments_text;
  if (configured) {
    log.note("configure: " + obj.string() + " is configured with these fragments already");
  } else {
    std::filesystem::remove(stamp, ec);
    KH_TRY(configure(inputs, obj, log, progress));
  }
  progress.set_phase("verifying .config");
  KH_TRY(verify_final_config(inputs, log));
  if (!configured && !inputs.persistent_obj.empty()) {
    KH_TRY(write_file_atomically(stamp, fragments_text));
  }

  progress.set_phase("compiling");
  std::vector<std::string> targets = {fmt::format("-j{}", inputs.jobs), "bzImage"};
  if (has_scripts_gdb_target(inputs.source.path)) {
    targets.emplace_back("scripts_gdb");
  }
  KH_TRY(log.run("build", make_command(inputs, targets)));

  progress.set_phase("storing");
  KernelBuild build;
  build.key = inputs.key;
  build.dir = entry;
  KH_ASSIGN_OR_RETURN(build.release, kernel_release(inputs));
  auto version = KernelVersion::parse(build.release);
  build.version = version ? *version : inputs.source.version;
  build.vmlinux = entry / "vmlinux";
  build.bzimage = entry / "bzImage";
  build.config = entry / "config";
  // A persistent folder keeps its vmlinux: without it the next build would link again even when
  // nothing changed.
  auto take = inputs.persistent_obj.empty() ? move_file : copy_into_entry;
  KH_TRY(take(obj / "vmlinux", build.vmlinux));
  KH_TRY(take(obj / "arch" / "x86" / "boot" / "bzImage", build.bzimage));
  KH_TRY(copy_into_entry(obj / ".config", build.config));
  if (std::filesystem::exists(obj / "System.map", ec)) {
    KH_TRY(copy_into_entry(obj / "System.map", entry / "System.map"));
  }
  KH_ASSIGN_OR_RETURN(bool has_dwarf, elf_has_section(build.vmlinux, ".debug_info"));
  if (!has_dwarf) {
    return make_error(ErrorKind::Symbol,
                      "the built vmlinux has no .debug_info section: gdb could not trace it");
  }
  KH_ASSIGN_OR_RETURN(build.gdb_scripts, stage_gdb_scripts(inputs, entry));
  progress.set_phase("indexing");
  KH_TRY(ensure_gdb_index(build.vmlinux));
  log.note(fmt::format("built linux {} ({} files compiled)", build.release, progress.compiled_files()));
  return build;
}

Status ensure_gdb_index(const std::filesystem::path& vmlinux) {
  KH_ASSIGN_OR_RETURN(bool indexed, elf_has_section(vmlinux, ".gdb_index"));
  if (indexed) {
    return {};
  }
  std::error_code ec;
  const std::filesystem::path copy =
      vmlinux.parent_path() / fmt::format(".{}.indexing-{}", vmlinux.filename().string(), ::getpid());
  std::filesystem::copy_file(vmlinux, copy, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot copy {} to index it: {}", vmlinux.string(), ec.message());
  }
  auto remove_copy = [&copy]() {
    std::error_code ignored;
    std::filesystem::remove(copy, ignored);
  };
  ChildSpec spec;
  spec.argv = {"gdb-add-index", copy.string()};
  auto indexed_run = run_command(spec, Deadline::in(std::chrono::minutes(5)));
  if (!indexed_run.ok()) {
    remove_copy();
    return std::move(indexed_run).error().wrap("gdb-add-index");
  }
  KH_ASSIGN_OR_RETURN(bool has_index, elf_has_section(copy, ".gdb_index"));
  if (indexed_run->exit_code != 0 || !has_index) {
    remove_copy();
    Error error = make_error(ErrorKind::Build, "gdb-add-index could not index {} (exit status {})",
                             vmlinux.string(), indexed_run->exit_code);
    error.details.push_back(indexed_run->output);
    return error;
  }
  std::filesystem::rename(copy, vmlinux, ec);
  if (ec) {
    remove_copy();
    return make_error(ErrorKind::Io, "cannot replace {}: {}", vmlinux.string(), ec.message());
  }
  return {};
}

}  // namespace kh::kernel
