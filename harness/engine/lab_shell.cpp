#include "engine/lab_shell.h"

#include <signal.h>

#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "engine/breakpoint_plan.h"
#include "engine/gdb_setup.h"
#include "engine/guest_image.h"
#include "trace/scenario.h"
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

// The gdb command file of the shell: helpers, the target, the breakpoints, a banner, continue.
std::string shell_script(const trace::ResolvedScenario& scenario, const kernel::KernelBuild& kernel,
                         const std::vector<PlannedBreakpoint>& plan, const std::filesystem::path& socket) {
  std::string script = "set pagination off\nset confirm off\n";
  for (const auto& command : gdb_setup_commands(kernel)) {
    script += command + "\n";
  }
  script += fmt::format("target remote {}\n", socket.string());
  for (const auto& planned : plan) {
    script += planned.condition.empty() ? fmt::format("break {}\n", planned.spec->function)
                                        : fmt::format("break {} if {}\n", planned.spec->function, planned.condition);
  }
  script += fmt::format(
      "echo \\n kharness lab shell: {} on Linux {}\\n"
      " The guest '{}' runs; gdb stops at the scenario's breakpoints (only in the guest's tasks\\n"
      " unless scope=all). Helpers: kh-mounts, kh-mount-path, kh-dentry-name, kh-task,\\n"
      " lx-ps, lx-dmesg, lx-mounts; `bt` for the call chain. Quit gdb to end the VM.\\n\\n\n",
      scenario.name, kernel.release, scenario.guest.program);
  script += "continue\n";
  return script;
}

}  // namespace

vm::VmSpec vm_spec_for(const RunOptions& options, const kernel::KernelBuild& kernel,
                       const std::filesystem::path& initramfs, vm::Accel accel) {
  vm::VmSpec spec;
  spec.kernel = kernel.bzimage;
  spec.initrd = initramfs;
  spec.extra_append = options.extra_append;
  spec.memory_mb = options.memory_mb;
  spec.cpus = options.cpus;
  spec.accel = accel;
  return spec;
}

Result<int> run_lab_shell(const RunOptions& options) {
  KH_ASSIGN_OR_RETURN(trace::Scenario scenario, trace::load_scenario_file(options.scenario));
  KH_ASSIGN_OR_RETURN(kernel::KernelBuild kernel, kernel_for(options));
  trace::ResolvedScenario resolved = trace::resolve(scenario, kernel.version);
  if (!resolved.applies) {
    return make_error(ErrorKind::Config, "scenario {} applies to kernels {}, not {}", resolved.name,
                      resolved.kernels, kernel.release);
  }
  KH_ASSIGN_OR_RETURN(vm::Accel accel, vm::resolve_accel(options.accel, kernel.bzimage));
  KH_ASSIGN_OR_RETURN(std::vector<PlannedBreakpoint> plan,
                      plan_breakpoints(resolved, current_task_expression(kernel), accel == vm::Accel::Kvm));
  KH_ASSIGN_OR_RETURN(TempDir work_dir, TempDir::create("kharness-shell-"));
  KH_ASSIGN_OR_RETURN(std::filesystem::path initramfs, build_guest_image(resolved));
  KH_ASSIGN_OR_RETURN(vm::QemuVm vm, vm::QemuVm::start(vm_spec_for(options, kernel, initramfs, accel)));

  const std::filesystem::path script = work_dir.path() / "shell.gdb";
  {
    std::ofstream out(script);
    out << shell_script(resolved, kernel, plan, vm.gdb_socket());
    if (!out) {
      return make_error(ErrorKind::Io, "cannot write {}", script.string());
    }
  }
  ChildSpec gdb;
  // The script loads the kernel's helpers itself, after allowing them: gdb's own auto-load would
  // only print a "declined" warning first.
  gdb.argv = {"gdb", "-q", "-nx", "-iex", "set debuginfod enabled off", "-iex", "set auto-load python-scripts off",
              "-x", script.string(), kernel.vmlinux.string()};
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
