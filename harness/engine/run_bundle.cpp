#include "engine/run_bundle.h"

#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "common/file_io.h"
#include "common/paths.h"
#include "engine/gdb_setup.h"
#include "engine/lab_shell.h"
#include "image/shell_words.h"

namespace kh::engine {
namespace {

constexpr std::string_view kHereMarker = "@KH_BUNDLE@";
constexpr std::string_view kRunDirMarker = "@KH_RUN_DIR@";
constexpr std::string_view kQemuMarker = "@KH_QEMU@";

constexpr std::string_view kVmlinux = "vmlinux";
constexpr std::string_view kBzImage = "bzImage";
constexpr std::string_view kInitramfs = "initramfs.cpio.gz";
constexpr std::string_view kKernelHelpers = "vmlinux-gdb.py";
constexpr std::string_view kKernelHelperDir = "scripts";  // vmlinux-gdb.py imports scripts/gdb/linux
constexpr std::string_view kKharnessHelpers = "kharness.py";

// What a bundle consists of: an earlier bundle's entries are replaced, nothing else is touched.
constexpr std::string_view kEntries[] = {
    kBundleScriptName, kBundleGdbScriptName, kBundleQemuCommandName, kVmlinux,        kBzImage,
    kInitramfs,        kKernelHelpers,       kKernelHelperDir,       kKharnessHelpers};

Error io_failure(std::string_view what, const std::filesystem::path& path, const std::error_code& ec) {
  return make_error(ErrorKind::Io, "cannot {} {}: {}", what, path.string(), ec.message());
}

// A hard link when `from` is on the same file system (no space, no time), else a copy.
Status link_or_copy(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::create_hard_link(from, to, ec);
  if (!ec) {
    return {};
  }
  ec.clear();
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    return io_failure(fmt::format("copy {} to", from.string()), to, ec);
  }
  return {};
}

Status copy_tree(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::create_directories(to, ec);
  if (ec) {
    return io_failure("make", to, ec);
  }
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive, ec);
  if (ec) {
    return io_failure(fmt::format("copy {} to", from.string()), to, ec);
  }
  return {};
}

std::string shell_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& word : argv) {
    line += (line.empty() ? "" : " ") + image::shell_quote(word);
  }
  return line;
}

}  // namespace

Status check_bundle_dir(const std::filesystem::path& dir, std::string_view option) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    return make_error(ErrorKind::Config, "{} {}: is a file, not a folder", option, dir.string());
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(ErrorKind::Config, "{} {}: cannot make this folder: {}", option, dir.string(),
                      ec.message());
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return make_error(ErrorKind::Config, "{} {}: cannot write in it: {}", option, dir.string(),
                      std::strerror(errno));
  }
  const bool empty = std::filesystem::is_empty(dir, ec);
  if (ec) {
    return make_error(ErrorKind::Config, "{} {}: cannot read this folder: {}", option, dir.string(),
                      ec.message());
  }
  if (!empty && !std::filesystem::exists(dir / std::string(kBundleScriptName), ec)) {
    return make_error(ErrorKind::Config,
                      "{} {}: the folder holds files but no {}; give a new or empty folder (an earlier "
                      "bundle is replaced, nothing else)",
                      option, dir.string(), kBundleScriptName);
  }
  return {};
}

std::string bundle_shell_word(std::string_view word) {
  std::string text;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) {
      text += image::shell_quote(literal);
      literal.clear();
    }
  };
  while (!word.empty()) {
    if (word.starts_with(kHereMarker)) {
      flush();
      text += "\"$here\"";
      word.remove_prefix(kHereMarker.size());
    } else if (word.starts_with(kRunDirMarker)) {
      flush();
      text += "\"$run_dir\"";
      word.remove_prefix(kRunDirMarker.size());
    } else if (word.starts_with(kQemuMarker)) {
      flush();
      text += "\"$qemu\"";
      word.remove_prefix(kQemuMarker.size());
    } else {
      literal += word.front();
      word.remove_prefix(1);
    }
  }
  flush();
  return text.empty() ? "''" : text;
}

Result<std::string> bundle_qemu_command(const vm::VmSpec& spec) {
  vm::VmSpec power_on = spec;
  power_on.qemu = std::string(kQemuMarker);
  power_on.kernel = std::string(kHereMarker) + "/" + std::string(kBzImage);
  if (!spec.initrd.empty()) {
    power_on.initrd = std::string(kHereMarker) + "/" + std::string(kInitramfs);
  }
  // What a snapshot run adds (snapshot_vm_spec, -incoming) has no place in a power-on boot.
  power_on.incoming.clear();
  power_on.qmp = false;
  power_on.go_port = false;
  power_on.gdbstub = true;
  power_on.start_stopped = true;
  KH_ASSIGN_OR_RETURN(std::vector<std::string> argv, vm::qemu_argv(power_on, std::string(kRunDirMarker)));
  std::string line;
  for (const std::string& word : argv) {
    line += (line.empty() ? "" : " ") + bundle_shell_word(word);
  }
  return line;
}

std::string bundle_gdb_script(const PreparedRun& run, bool kernel_helpers, bool kharness_helpers) {
  std::string script = fmt::format(
      "# kharness reproducer: scenario {} ({}) on Linux {}, {}.\n"
      "# The run's breakpoints with their guest conditions, as kharness planned them. Paths are\n"
      "# relative to this folder; the gdbstub's socket comes in $kh_socket:\n"
      "#   cd BUNDLE && gdb -nx -iex 'set auto-load python-scripts off' \\\n"
      "#       -iex 'set $kh_socket = \"/path/to/gdb.sock\"' -x {}\n"
      "# ({} starts qemu and gdb this way.)\n",
      run.resolved.name, run.resolved.file, run.kernel.release, vm::to_string(run.accel),
      kBundleGdbScriptName, kBundleScriptName);
  script += "set pagination off\nset confirm off\n";
  script += fmt::format("file {}\n", kVmlinux);
  if (kernel_helpers) {
    script += fmt::format("source {}\n", kKernelHelpers);
  }
  if (kharness_helpers) {
    script += fmt::format("source {}\n", kKharnessHelpers);
  }
  script += "eval \"target remote %s\", $kh_socket\n";
  script += breakpoint_commands(run);
  return script;
}

std::string bundle_reproduce_script(const PreparedRun& run, std::string_view qemu_command) {
  std::string script = fmt::format(
      "#!/bin/sh\n"
      "# Reproduces a kharness run without kharness: scenario {} ({}) on Linux {}, {}.\n"
      "# Boots the run's VM from power-on, stopped, with its gdbstub in a private temp folder, starts\n"
      "# gdb with {} (the run's breakpoints and guest conditions) and continues to the first hit.\n"
      "#   ./{}            interactive gdb at the first hit; quit gdb to end the VM\n"
      "#   ./{} --batch    (or KH_BATCH=1) print the first hit's backtrace and quit\n"
      "#   KH_QEMU=..., KH_GDB=...   other qemu and gdb binaries\n"
      "# qemu and the temp folder go away on every exit. Written by kharness {}.\n",
      run.resolved.name, run.resolved.file, run.kernel.release, vm::to_string(run.accel),
      kBundleGdbScriptName, kBundleScriptName, kBundleScriptName, kh::version());
  script += fmt::format("qemu=${{KH_QEMU:-{}}}\n", image::shell_quote(run.vm.qemu.string()));
  script += R"SH(gdb=${KH_GDB:-gdb}
set -eu
here=$(cd "$(dirname "$0")" && pwd)
batch=${KH_BATCH:-0}
for arg in "$@"; do
  case $arg in
    --batch) batch=1 ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "reproduce.sh: unknown argument '$arg' (--batch, --help)" >&2; exit 2 ;;
  esac
done

# The private folder: qemu options cannot hold a ',' and a unix socket path is at most 107 bytes.
parent=${TMPDIR:-/tmp}
case $parent in *[,\"\\]*) parent=/tmp ;; esac
[ ${#parent} -le 80 ] || parent=/tmp
run_dir=$(mktemp -d "$parent/kh-repro-XXXXXX")
qemu_pid=
gdb_pid=
cleanup() {
  for pid in $gdb_pid $qemu_pid; do
    kill "$pid" 2>/dev/null || :
    wait "$pid" 2>/dev/null || :
  done
  rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Its own session: Ctrl-C in gdb interrupts the guest, it does not kill qemu.
launch="setsid"
if command -v setpriv >/dev/null 2>&1; then
  launch="setsid setpriv --pdeathsig KILL"
fi
)SH";
  script += fmt::format("$launch {} </dev/null >\"$run_dir/qemu.log\" 2>&1 &\n", qemu_command);
  script += R"SH(qemu_pid=$!
tries=0
until [ -S "$run_dir/gdb.sock" ]; do
  if ! kill -0 "$qemu_pid" 2>/dev/null; then
    echo "reproduce.sh: qemu failed to start:" >&2
    cat "$run_dir/qemu.log" >&2
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 300 ]; then
    echo "reproduce.sh: qemu did not open its gdb socket within 30 s" >&2
    exit 1
  fi
  sleep 0.1
done
echo "reproduce.sh: the guest's console: $run_dir/serial.log" >&2

cd "$here"
set -- -q -nx -iex 'set debuginfod enabled off' -iex 'set auto-load python-scripts off' \
  -iex "set \$kh_socket = \"$run_dir/gdb.sock\"" -x breakpoints.gdb
status=0
if [ "$batch" = 1 ]; then
  # In the background, so that a signal to the script ends it (and gdb) at once.
  "$gdb" "$@" -batch -ex continue -ex bt </dev/null &
  gdb_pid=$!
  wait "$gdb_pid" || status=$?
  gdb_pid=
else
  # Ctrl-C belongs to gdb (it stops the guest); the script waits for gdb to quit.
  trap : INT
  "$gdb" "$@" -ex continue || status=$?
fi
exit "$status"
)SH";
  return script;
}

Status write_run_bundle(const PreparedRun& run, const std::filesystem::path& dir,
                        const std::vector<std::string>& used_qemu_argv, bool restored) {
  KH_TRY(check_bundle_dir(dir, "bundle"));
  KH_ASSIGN_OR_RETURN(std::string qemu_command, bundle_qemu_command(run.vm));
  std::error_code ec;
  for (std::string_view entry : kEntries) {
    std::filesystem::remove_all(dir / std::string(entry), ec);
    if (ec) {
      return io_failure("remove", dir / std::string(entry), ec);
    }
  }
  KH_TRY(link_or_copy(run.kernel.vmlinux, dir / std::string(kVmlinux)));
  KH_TRY(link_or_copy(run.kernel.bzimage, dir / std::string(kBzImage)));
  if (!run.initramfs.empty()) {
    KH_TRY(link_or_copy(run.initramfs, dir / std::string(kInitramfs)));
  }
  // The helpers are copied, not linked: someone may edit them in the bundle.
  const bool kernel_helpers = !run.kernel.gdb_scripts.empty();
  if (kernel_helpers) {
    std::filesystem::copy_file(run.kernel.gdb_scripts, dir / std::string(kKernelHelpers), ec);
    if (ec) {
      return io_failure(fmt::format("copy {} to", run.kernel.gdb_scripts.string()), dir, ec);
    }
    const std::filesystem::path helper_dir = run.kernel.gdb_scripts.parent_path() / "scripts" / "gdb";
    if (std::filesystem::is_directory(helper_dir, ec)) {
      KH_TRY(copy_tree(helper_dir, dir / std::string(kKernelHelperDir) / "gdb"));
    }
  }
  const std::filesystem::path kharness_helpers = kharness_gdb_script();
  if (!kharness_helpers.empty()) {
    std::filesystem::copy_file(kharness_helpers, dir / std::string(kKharnessHelpers), ec);
    if (ec) {
      return io_failure(fmt::format("copy {} to", kharness_helpers.string()), dir, ec);
    }
  }
  KH_TRY(write_file_atomically(dir / std::string(kBundleGdbScriptName),
                               bundle_gdb_script(run, kernel_helpers, !kharness_helpers.empty())));
  KH_TRY(write_file_atomically(dir / std::string(kBundleScriptName),
                               bundle_reproduce_script(run, qemu_command), 0755));

  std::string commands;
  if (used_qemu_argv.empty()) {
    commands += "# kharness never started qemu for this run.\n";
  } else {
    commands += fmt::format("# The qemu command kharness ran{} (its private folder is gone):\n",
                            restored ? ", restoring a snapshot that the bundle does not hold" : "");
    commands += shell_line(used_qemu_argv) + "\n";
  }
  commands += fmt::format(
      "# What {} runs: the same VM from power-on, with this folder's files ($here)\n"
      "# and a private folder ($run_dir):\n",
      kBundleScriptName);
  commands += qemu_command + "\n";
  KH_TRY(write_file_atomically(dir / std::string(kBundleQemuCommandName), commands));
  return {};
}

}  // namespace kh::engine
