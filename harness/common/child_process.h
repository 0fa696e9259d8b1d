// A child process (gdb, qemu, make, a compiler) that cannot outlive its owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/deadline.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace kh {

// How one standard stream of a child is connected.
enum class Stdio {
  Inherit,  // the parent's stream
  Null,     // /dev/null
  Pipe,     // a pipe whose parent end ChildProcess exposes
  File,     // a file, truncated (see ChildSpec::*_file)
};

// Everything needed to start a child.
struct ChildSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it holds no '/', and passed as is
  std::filesystem::path cwd;      // empty: the parent's
  std::vector<std::pair<std::string, std::string>> env;  // set on top of the parent's environment
  Stdio stdin_mode = Stdio::Null;
  Stdio stdout_mode = Stdio::Inherit;
  Stdio stderr_mode = Stdio::Inherit;
  std::filesystem::path stdout_file;  // with Stdio::File
  std::filesystem::path stderr_file;  // with Stdio::File; the same path as stdout_file shares it
  bool stderr_to_stdout = false;      // stderr joins whatever stdout is (overrides stderr_mode)
  bool own_process_group = true;      // setpgid(0, 0): terminal Ctrl-C does not reach it
  bool die_with_parent = true;        // PR_SET_PDEATHSIG(SIGKILL): dies if kharness is killed
  // How long terminate() without an argument, and so the destructor, waits after SIGTERM.
  std::chrono::milliseconds terminate_grace{2000};
};

// A running (or finished) child. Spawned with Boost.Process; its lifetime is tracked with a pidfd,
// so waits are events with deadlines, never polling sleeps. Destroying a ChildProcess ends its whole
// process group (SIGTERM, a short grace period, then SIGKILL) and reaps it: nothing outlives it.
// PR_SET_PDEATHSIG fires when the spawning *thread* exits: spawn from a thread that lives as long
// as the child should.
class ChildProcess {
 public:
  enum class State { Running, Exited, Signaled };

  // Starts the child. Fails with ErrorKind::Process when the program is not found or cannot run.
  static Result<ChildProcess> spawn(const ChildSpec& spec);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  // Parent ends of Stdio::Pipe streams, -1 otherwise.
  int stdin_fd() const { return stdin_.get(); }
  int stdout_fd() const { return stdout_.get(); }
  int stderr_fd() const { return stderr_.get(); }
  // A descriptor that becomes readable when the child exits (for callers that multiplex).
  int exit_fd() const { return pidfd_.get(); }
  void close_stdin() { stdin_.reset(); }

  // Reaps the child if it has ended, without blocking.
  State state();
  bool running() { return state() == State::Running; }
  // Waits for the child to end: ErrorKind::Timeout when the deadline passes first.
  Result<State> wait(Deadline deadline);
  int exit_code() const { return exit_code_; }      // meaningful when Exited
  int term_signal() const { return term_signal_; }  // meaningful when Signaled
  // "gdb (pid 42) exited with status 1", "qemu-system-x86_64 (pid 7) killed by signal 9", ...
  std::string describe();

  // Ends the child's process group: SIGTERM, up to `grace` to exit, then SIGKILL; always reaps.
  // Infallible and idempotent.
  void terminate(std::chrono::milliseconds grace);
  // The same with the spec's terminate_grace; the destructor calls it.
  void terminate() { terminate(grace_); }
  // Sends a signal to the child's process group (or the child alone without its own group).
  void signal(int signo) const;

 private:
  ChildProcess() = default;
  void reap_blocking();

  pid_t pid_ = -1;
  bool own_group_ = false;
  std::chrono::milliseconds grace_{2000};
  bool reaped_ = true;
  std::string name_;
  UniqueFd pidfd_;
  UniqueFd stdin_;
  UniqueFd stdout_;
  UniqueFd stderr_;
  State state_ = State::Exited;
  int exit_code_ = -1;
  int term_signal_ = 0;
};

// Ends several children at once: SIGTERM to every one, then up to `grace` for all of them together
// to exit, then SIGKILL to the rest; all are reaped. For children that clean up after themselves
// (a matrix cell's kharness ends its own qemu and gdb): ended one after another with the default
// grace, the last would wait for the others' and might be killed in the middle of its cleanup.
void terminate_all(std::span<ChildProcess* const> children, std::chrono::milliseconds grace);

// Runs a program to completion with a deadline, capturing stdout and stderr together (for short
// tools: nm, objdump, make olddefconfig). The child is killed when the deadline passes.
struct CommandOutput {
  int exit_code = -1;
  int term_signal = 0;
  std::string output;
};
Result<CommandOutput> run_command(const ChildSpec& spec, Deadline deadline);

// The file a program name runs: the name itself when it holds a '/', else its first match in PATH;
// empty when PATH has none.
std::filesystem::path resolve_program(const std::string& program);

// A callback for a child that prints slowly: called each time `interval` passes with no output
// and no exit (a progress line's elapsed time).
struct IdleTick {
  std::chrono::milliseconds interval;
  std::function<void()> on_idle;
};

// Reads `child`'s stdout pipe (Stdio::Pipe) as it fills, handing each chunk to `on_output`, until
// the pipe reaches EOF or the child exits. After the exit it takes what the pipe still holds, but
// does not wait for a grandchild that keeps the pipe open. Fails with ErrorKind::Timeout at the
// deadline, Interrupted on Ctrl-C, Internal without a stdout pipe; the child is then left as it
// is, for the caller to end. Reap it with child.wait() on success.
Status pump_stdout_until_exit(ChildProcess& child, Deadline deadline,
                              const std::function<void(std::string_view chunk)>& on_output,
                              const std::optional<IdleTick>& tick = std::nullopt);

}  // namespace kh
