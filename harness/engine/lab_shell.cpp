#include "engine/lab_shell.h"

#include <signal.h>

#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "engine/gdb_setup.h"
#include "vm/qemu_vm.h"

namespace kh::engine {
namespace {

// Ignores SIGINT while the interactive gdb owns the terminal: Ctrl-C is gdb's (it stops the
// guest), not a reason for kharness to end. Restores the previous handler on destruction.
class IgnoreSigint {
 public:
  IgnoreSigint() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGINT, &ignore, &previous_);
  }
  ~IgnoreSigint() { ::sigaction(SIGINT, &previous_, nullptr); }
  IgnoreSigint(const IgnoreSigint&) = delete;
  IgnoreSigint& operator=(const IgnoreSigint&) = delete;

 private:
  struct sigaction previous_ {};
};

}  // namespace

std::string breakpoint_commands(const PreparedRun& run) {
  std::string commands;
  if (run.accel == vm::Accel::Kvm) {
    // Software breakpoints written before the kernel set up its page tables would be lost.
    commands += "thbreak start_kernel\ncontinue\n";
  }
  for (const auto& planned : run.plan) {
    commands += planned.cli_command + "\n";
  }
  return commands;
}

std::string lab_shell_script(const PreparedRun& run, const std::filesystem::path& socket) {
  std::string script = "set pagination off\nset confirm off\n";
  for (const auto& command : gdb_setup_commands(run.kernel)) {
    script += command + "\n";
  }
  script += fmt::format("target remote {}\n", socket.string());
  script += breakpoint_commands(run);
  script += fmt::format(
      "echo \\n kharness lab shell: {} on Linux {}\\n"
      " The guest '{}' runs; gdb stops at the scenario's breakpoints (only in the guest's tasks\\n"
      " unless scope=all). Helpers: kh-mounts, kh-mount-path, kh-dentry-name, kh-task,\\n"
      " lx-ps, lx-dmesg, lx-mounts; `bt` for the call chain. Quit gdb to end the VM.\\n\\n\n",
      run.resolved.name, run.kernel.release, run.resolved.guest.describe());
  script += "continue\n";
  return script;
}

Result<int> run_lab_shell(const RunOptions& options) {
  KH_ASSIGN_OR_RETURN(PreparedRun run, prepare_run(options));
  if (!run.resolved.applies) {
    return make_error(ErrorKind::Config, "scenario {} applies to kernels {}, not {}", run.resolved.name,
                      run.resolved.kernels, run.kernel.release);
  }
  KH_ASSIGN_OR_RETURN(TempDir work_dir, TempDir::create("kharness-shell-"));
  KH_ASSIGN_OR_RETURN(vm::QemuVm vm, vm::QemuVm::start(run.vm));

  const std::filesystem::path script = work_dir.path() / "shell.gdb";
  {
    std::ofstream out(script);
    out << lab_shell_script(run, vm.gdb_socket());
    if (!out) {
      return make_error(ErrorKind::Io, "cannot write {}", script.string());
    }
  }
  ChildSpec gdb;
  // The script loads the kernel's helpers itself, after allowing them: gdb's own auto-load would
  // only print a "declined" warning first.
  gdb.argv = {options.gdb_path, "-q", "-nx", "-iex", "set debuginfod enabled off", "-iex", "set auto-load python-scripts off",
              "-x", script.string(), run.kernel.vmlinux.string()};
  gdb.stdin_mode = Stdio::Inherit;
  gdb.stdout_mode = Stdio::Inherit;
  gdb.stderr_mode = Stdio::Inherit;
  // Interactive gdb must stay in the terminal's foreground process group to read it and to get
  // Ctrl-C; it still dies with kharness (PR_SET_PDEATHSIG) and is ended on every path.
  gdb.own_process_group = false;
  IgnoreSigint ignore_sigint;
  KH_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::spawn(gdb));
  KH_ASSIGN_OR_RETURN(ChildProcess::State state, child.wait(Deadline::never()));
  vm.terminate();
  return state == ChildProcess::State::Exited ? child.exit_code() : 128 + child.term_signal();
}

}  // namespace kh::engine
