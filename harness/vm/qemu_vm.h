// One qemu-system-x86_64 guest: started (normally stopped, waiting for gdb) with a private
// unix-socket gdbstub, its serial console read live from a file, and no way to outlive its owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/result.h"
#include "common/temp_dir.h"
#include "common/unique_fd.h"
#include "vm/accel.h"
#include "vm/serial_log.h"

namespace kh::vm {

// The kernel command line every guest gets before VmSpec::extra_append:
//   console=ttyS0  the serial console is the only output the harness reads
//   nokaslr        gdb's breakpoints need the link-time addresses of vmlinux
//   panic=-1       reboot at once on a panic; with -no-reboot qemu then exits: fast INFRA verdicts
//   oops=panic     an Oops ends the VM too instead of leaving a half-dead guest to time out
//   quiet          fewer console lines: the emulated UART is slow under TCG
inline constexpr std::string_view kBaseKernelCommandLine = "console=ttyS0 nokaslr panic=-1 oops=panic quiet";

// unix(7): sun_path holds 108 bytes including the terminating NUL.
inline constexpr std::size_t kMaxUnixSocketPath = 107;

// What to boot and how.
struct VmSpec {
  std::filesystem::path kernel;  // bzImage
  std::filesystem::path initrd;  // optional
  std::string extra_append;      // appended to kBaseKernelCommandLine
  int memory_mb = 256;
  int cpus = 1;
  Accel accel = Accel::Tcg;   // must be resolved (Kvm or Tcg, see resolve_accel) before start()
  bool gdbstub = true;        // -gdb unix:<private dir>/gdb.sock,server,nowait
  bool start_stopped = true;  // -S: the CPUs wait for gdb's continue (needs the gdbstub)
  // QMP monitor on <private dir>/qmp.sock (pause, save and restore the machine: QmpClient).
  bool qmp = false;
  // A second serial port (ttyS1 in the guest) on <private dir>/go.sock: send_go() writes the line
  // the init waits for when the kernel command line has kh.wait=1.
  bool go_port = false;
  // A saved machine state to start from (-incoming "exec:cat FILE"): the guest resumes where the
  // state was saved instead of booting. The rest of the spec must match the saving VM's.
  std::filesystem::path incoming;
  std::filesystem::path qemu = "qemu-system-x86_64";
  std::filesystem::path work_parent;  // parent of the private dir; empty: $TMPDIR, else /tmp
  // How long qemu may take to set up the machine (its gdb socket, or its first serial byte).
  std::chrono::milliseconds startup_timeout{10000};
};

// The full kernel command line for `spec`.
std::string kernel_command_line(const VmSpec& spec);

// The qemu argv (argv[0] = spec.qemu) for a guest whose private files live in `run_dir`.
// ErrorKind::Config when the spec is unusable: Accel::Auto, -S without a gdbstub (nothing could
// ever resume the guest), a socket path over kMaxUnixSocketPath bytes, a ',' in a private path.
Result<std::vector<std::string>> qemu_argv(const VmSpec& spec, const std::filesystem::path& run_dir);

// A running guest. Its files (gdb.sock, serial.log, qemu.log) live in a private 0700 directory
// that terminate() removes; the serial text read so far stays available after that.
class QemuVm {
 public:
  // Starts qemu and waits (bounded by spec.startup_timeout) until the machine is set up: its gdb
  // socket listens, or without a gdbstub its first serial byte arrived. First removes the private
  // folders that killed runs left in the same parent (sweep_stale_run_dirs); its own folder names
  // this process as its owner. ErrorKind::Config for a bad spec or missing kernel/initrd;
  // ErrorKind::Process, with qemu's own output as details, when qemu cannot start or dies at once;
  // ErrorKind::Timeout when it never gets ready.
  static Result<QemuVm> start(const VmSpec& spec);
  // start() in two halves, so that the caller can do other work while qemu builds the machine
  // (the engine starts gdb, ~0.1 s of qemu's start saved): spawn() fails as start() does for a bad
  // spec, missing files or a qemu that cannot be run; wait_until_started() then waits as start()
  // does (bounded by spec.startup_timeout from its call), at once when it already succeeded, and
  // terminates qemu when it fails, with start()'s errors.
  static Result<QemuVm> spawn(const VmSpec& spec);
  Result<void> wait_until_started();

  QemuVm(QemuVm&& other) noexcept = default;
  // Not assignable: member-wise assignment would remove the old VM's folder while its qemu still
  // runs (members are assigned in declaration order, destroyed in the reverse). Use
  // std::optional<QemuVm>::emplace, which destroys the old VM first.
  QemuVm& operator=(QemuVm&& other) = delete;

  // The gdbstub's socket, for `-target-select remote <path>`.
  const std::filesystem::path& gdb_socket() const { return gdb_socket_; }
  // The QMP monitor's socket (empty without VmSpec::qmp).
  const std::filesystem::path& qmp_socket() const { return qmp_socket_; }
  // Writes the go line to the guest's control port (VmSpec::go_port) and keeps the connection
  // open until terminate(). ErrorKind::Config without a go port, Io when qemu does not accept.
  Result<void> send_go();
  // The private directory (empty after terminate()).
  const std::filesystem::path& run_dir() const;
  // Returns once the gdb socket exists and listens (already true after start()). ErrorKind::Config
  // without a gdbstub, Eof when qemu exited, Timeout at the deadline, Interrupted on Ctrl-C.
  Result<void> wait_for_gdb_socket(Deadline deadline);

  // The first serial line containing `needle`, searching what was already received first; lines
  // count once complete, or when qemu has exited. ErrorKind::Eof (with the serial tail) when qemu
  // exits first, Timeout at the deadline, Interrupted on Ctrl-C.
  Result<std::string> wait_for_serial(std::string_view needle, Deadline deadline);
  // Everything the guest wrote to its serial console so far, raw.
  std::string serial_text() const { return serial_.text(); }
  // The last `lines` serial lines, cleaned of '\r' and escape sequences.
  std::vector<std::string> serial_tail(std::size_t lines) const { return serial_.tail(lines); }
  // The first "Kernel panic - not syncing: ..." or Oops/BUG line seen on the serial console.
  std::optional<std::string> panic_line() const { return serial_.panic_line(); }
  // The last lines of qemu's own stdout/stderr (its error messages).
  std::vector<std::string> qemu_log_tail(std::size_t lines) const;

  // Readable while there is something for consume_events() to take in: new serial output, or
  // qemu's exit not yet noticed. Poll it next to gdb's stdout; -1 after terminate().
  int event_fd() const { return events_.get(); }
  // Reads new serial output and notices qemu's exit; never blocks. Call it after event_fd() was
  // readable (the waits below call it themselves).
  void consume_events();

  // True while qemu runs.
  bool running();
  // qemu's exit status once it exits by itself. ErrorKind::Timeout at the deadline, Process when a
  // signal killed it, Interrupted on Ctrl-C.
  Result<int> wait_for_exit(Deadline deadline);
  // "qemu is running", "qemu exited with status 0", "qemu was killed by signal 9 (Killed)".
  std::string describe_exit();

  // Ends qemu's whole process group (SIGTERM, then SIGKILL), keeps the serial text read so far and
  // removes the private directory. Infallible and idempotent. Destruction ends qemu and removes
  // the directory the same way, through the members (ChildProcess, TempDir), in their order below.
  void terminate();
  // qemu's pid (-1 for a moved-from QemuVm).
  pid_t pid() const { return child_ ? child_->pid() : -1; }

 private:
  QemuVm() = default;
  Result<void> wait_until_ready();
  Error startup_failure();
  void read_serial();
  Error with_evidence(Error error) const;

  // Declared first, destroyed last: qemu (child_, declared last) is killed before its folder goes.
  std::optional<TempDir> run_dir_;
  std::filesystem::path gdb_socket_;
  std::filesystem::path qmp_socket_;
  std::filesystem::path go_socket_;
  UniqueFd go_fd_;
  std::filesystem::path qemu_log_;
  UniqueFd serial_fd_;
  UniqueFd inotify_;
  UniqueFd events_;  // epoll set of inotify_ and qemu's pidfd
  bool exit_noticed_ = false;
  SerialLog serial_;
  std::vector<std::string> final_qemu_log_;  // qemu's output, kept when the directory goes away
  std::optional<ChildProcess> child_;        // terminate_grace: kTerminateGrace, also when destroyed
  // What wait_until_started() waits for, from the spec; set once it succeeded.
  bool waits_for_gdbstub_ = false;
  std::chrono::milliseconds startup_timeout_{0};
  bool started_ = false;
};

}  // namespace kh::vm
