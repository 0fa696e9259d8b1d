#include "vm/qemu_vm.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>

#include "vm/qmp_client.h"
#include "vm/unix_listener.h"

namespace kh::vm {
namespace {

constexpr std::string_view kRunDirPrefix = "kh-";
// "kh-" plus mkdtemp's six characters.
constexpr std::size_t kRunDirNameLength = 9;
constexpr std::string_view kGdbSocketName = "gdb.sock";
constexpr std::string_view kSerialLogName = "serial.log";
constexpr std::string_view kQemuLogName = "qemu.log";
constexpr std::string_view kQmpSocketName = "qmp.sock";
constexpr std::string_view kGoSocketName = "go.sock";
// The line kh-spawn --wait-go waits for on ttyS1 (initramfs/rootfs/etc/init.d/rcS).
constexpr std::string_view kGoLine = "go\n";
// qemu exits within milliseconds of SIGTERM; the SIGKILL after this is for a wedged one.
constexpr std::chrono::milliseconds kTerminateGrace{1000};
// How many lines of each log an error carries as evidence.
constexpr std::size_t kEvidenceSerialLines = 20;
constexpr std::size_t kEvidenceQemuLines = 10;

std::filesystem::path socket_path_in(const std::filesystem::path& dir) {
  return dir / std::string(kGdbSocketName);
}

// $TMPDIR when a private directory there still leaves room for the socket name, else /tmp.
std::filesystem::path default_work_parent() {
  const char* tmp = std::getenv("TMPDIR");
  if (tmp != nullptr && *tmp != '\0') {
    const std::size_t socket_length =
        std::string_view(tmp).size() + 1 + kRunDirNameLength + 1 + kGdbSocketName.size();
    if (socket_length <= kMaxUnixSocketPath) {
      return tmp;
    }
  }
  return "/tmp";
}

std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(clean_serial_line(line));
  }
  return lines;
}

std::vector<std::string> last_lines(std::vector<std::string> lines, std::size_t count) {
  if (lines.size() > count) {
    lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(count));
  }
  return lines;
}

Result<void> check_file(const std::filesystem::path& file, std::string_view what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return make_error(ErrorKind::Config, "{} {} does not exist or is not a file", what, file.string());
  }
  return {};
}

Result<void> add_to_epoll(int epoll_fd, int fd) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    return make_error(ErrorKind::Io, "epoll_ctl failed: {}", std::strerror(errno));
  }
  return {};
}

}  // namespace

std::string kernel_command_line(const VmSpec& spec) {
  std::string line(kBaseKernelCommandLine);
  if (!spec.extra_append.empty()) {
    line += ' ';
    line += spec.extra_append;
  }
  return line;
}

Result<std::vector<std::string>> qemu_argv(const VmSpec& spec, const std::filesystem::path& run_dir) {
  if (spec.accel == Accel::Auto) {
    return make_error(ErrorKind::Config, "the accelerator must be resolved to kvm or tcg before qemu starts");
  }
  if (spec.start_stopped && !spec.gdbstub) {
    return make_error(ErrorKind::Config,
                      "a VM started stopped (-S) needs the gdbstub: nothing else could resume it");
  }
  if (spec.memory_mb <= 0 || spec.cpus <= 0) {
    return make_error(ErrorKind::Config, "memory ({} MB) and cpus ({}) must be positive", spec.memory_mb,
                      spec.cpus);
  }
  // Chardev options are comma-separated: a comma in the path would be parsed as an option.
  if (run_dir.string().find(',') != std::string::npos) {
    return make_error(ErrorKind::Config, "the VM directory {} contains a ',', which qemu options cannot hold",
                      run_dir.string());
  }
  const std::string socket = socket_path_in(run_dir).string();
  if (spec.gdbstub && socket.size() > kMaxUnixSocketPath) {
    return make_error(ErrorKind::Config,
                      "gdb socket path {} is {} bytes, more than the {} a unix socket allows: "
                      "use a shorter TMPDIR",
                      socket, socket.size(), kMaxUnixSocketPath);
  }

  std::vector<std::string> argv = {
      spec.qemu.string(),
      "-nographic",
      // The console goes to a file, not a pipe: qemu never blocks on it however long nobody reads.
      "-monitor",
      "none",
      "-serial",
      "file:" + (run_dir / std::string(kSerialLogName)).string(),
      "-no-reboot",
  };
  if (spec.accel == Accel::Kvm) {
    argv.insert(argv.end(), {"-accel", "kvm", "-cpu", "host"});
  } else {
    argv.insert(argv.end(), {"-accel", "tcg"});
  }
  argv.insert(argv.end(), {"-m", std::to_string(spec.memory_mb), "-smp", std::to_string(spec.cpus)});
  argv.insert(argv.end(), {"-kernel", spec.kernel.string()});
  if (!spec.initrd.empty()) {
    argv.insert(argv.end(), {"-initrd", spec.initrd.string()});
  }
  argv.insert(argv.end(), {"-append", kernel_command_line(spec)});
  if (spec.start_stopped) {
    argv.emplace_back("-S");
  }
  if (spec.gdbstub) {
    argv.insert(argv.end(), {"-gdb", "unix:" + socket + ",server,nowait"});
  }
  if (spec.qmp) {
    argv.insert(argv.end(),
                {"-qmp", "unix:" + (run_dir / std::string(kQmpSocketName)).string() + ",server=on,wait=off"});
  }
  if (spec.go_port) {
    argv.insert(argv.end(), {"-chardev",
                             "socket,id=khgo,path=" + (run_dir / std::string(kGoSocketName)).string() +
                                 ",server=on,wait=off",
                             "-device", "isa-serial,chardev=khgo"});
  }
  if (!spec.incoming.empty()) {
    argv.insert(argv.end(), {"-incoming", "exec:cat " + shell_quote(spec.incoming.string())});
  }
  return argv;
}

Result<QemuVm> QemuVm::start(const VmSpec& spec) {
  KH_ASSIGN_OR_RETURN(QemuVm vm, spawn(spec));
  KH_TRY(vm.wait_until_started());
  return vm;
}

Result<void> QemuVm::wait_until_started() {
  if (started_) {
    return {};
  }
  auto ready = wait_until_ready();
  if (!ready) {
    Error error = with_evidence(std::move(ready).error());
    terminate();
    return error;
  }
  started_ = true;
  return {};
}

Result<QemuVm> QemuVm::spawn(const VmSpec& spec) {
  KH_TRY(check_file(spec.kernel, "kernel"));
  if (!spec.initrd.empty()) {
    KH_TRY(check_file(spec.initrd, "initrd"));
  }
  if (!spec.incoming.empty()) {
    KH_TRY(check_file(spec.incoming, "saved machine state"));
  }
  const std::filesystem::path parent = spec.work_parent.empty() ? default_work_parent() : spec.work_parent;
  // Validates the spec before anything is created; the real argv follows once the dir exists.
  KH_TRY(qemu_argv(spec, parent / (std::string(kRunDirPrefix) + "XXXXXX")));

  // Folders of runs that were killed (SIGKILL, a second Ctrl-C) and could not clean up.
  sweep_stale_run_dirs(parent, kRunDirPrefix);
  QemuVm vm;
  KH_ASSIGN_OR_RETURN(TempDir dir, TempDir::create_owned(kRunDirPrefix, parent));
  vm.run_dir_.emplace(std::move(dir));
  const std::filesystem::path& run_dir = vm.run_dir_->path();
  KH_ASSIGN_OR_RETURN(std::vector<std::string> argv, qemu_argv(spec, run_dir));
  if (spec.gdbstub) {
    vm.gdb_socket_ = socket_path_in(run_dir);
  }
  if (spec.qmp) {
    vm.qmp_socket_ = run_dir / std::string(kQmpSocketName);
  }
  if (spec.go_port) {
    vm.go_socket_ = run_dir / std::string(kGoSocketName);
  }
  vm.qemu_log_ = run_dir / std::string(kQemuLogName);

  // Created before qemu opens it (with O_TRUNC, a no-op on an empty file) so reading starts at 0.
  const std::filesystem::path serial_file = run_dir / std::string(kSerialLogName);
  vm.serial_fd_.reset(::open(serial_file.c_str(), O_RDONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600));
  if (!vm.serial_fd_.valid()) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", serial_file.string(), std::strerror(errno));
  }
  vm.inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!vm.inotify_.valid() ||
      ::inotify_add_watch(vm.inotify_.get(), run_dir.c_str(), IN_CREATE | IN_MODIFY) < 0) {
    return make_error(ErrorKind::Io, "cannot watch {}: {}", run_dir.string(), std::strerror(errno));
  }

  ChildSpec child_spec;
  child_spec.argv = std::move(argv);
  child_spec.stdin_mode = Stdio::Null;
  child_spec.stdout_mode = Stdio::File;
  child_spec.stdout_file = vm.qemu_log_;
  child_spec.stderr_mode = Stdio::File;
  child_spec.stderr_file = vm.qemu_log_;
  child_spec.terminate_grace = kTerminateGrace;
  KH_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::spawn(child_spec));
  vm.child_.emplace(std::move(child));

  vm.events_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!vm.events_.valid()) {
    return make_error(ErrorKind::Io, "epoll_create1 failed: {}", std::strerror(errno));
  }
  KH_TRY(add_to_epoll(vm.events_.get(), vm.inotify_.get()));
  KH_TRY(add_to_epoll(vm.events_.get(), vm.child_->exit_fd()));

  vm.waits_for_gdbstub_ = spec.gdbstub;
  vm.startup_timeout_ = spec.startup_timeout;
  return vm;
}

const std::filesystem::path& QemuVm::run_dir() const {
  static const std::filesystem::path kNone;
  return run_dir_ ? run_dir_->path() : kNone;
}

Result<void> QemuVm::wait_until_ready() {
  const Deadline deadline = Deadline::in(startup_timeout_);
  if (waits_for_gdbstub_) {
    // qemu creates the gdbstub only after the machine is built and the kernel loaded, so a
    // listening socket means the start-up errors (bad kernel, bad option, no KVM) are behind us.
    auto socket = wait_for_gdb_socket(deadline);
    if (socket) {
      return {};
    }
    Error error = std::move(socket).error();
    if (error.kind == ErrorKind::Eof) {
      return startup_failure();
    }
    if (error.kind == ErrorKind::Timeout) {
      return make_error(ErrorKind::Timeout, "qemu did not open its gdb socket within {} ms",
                        startup_timeout_.count());
    }
    return error;
  }
  for (;;) {
    consume_events();
    if (!serial_.text().empty()) {
      return {};
    }
    if (exit_noticed_) {
      return startup_failure();
    }
    const int fd = events_.get();
    auto ready = wait_readable(std::span<const int>(&fd, 1), deadline);
    if (!ready) {
      Error error = std::move(ready).error();
      if (error.kind == ErrorKind::Timeout) {
        return make_error(ErrorKind::Timeout, "qemu wrote nothing to the serial console within {} ms",
                          startup_timeout_.count());
      }
      return error;
    }
  }
}

Result<void> QemuVm::send_go() {
  if (go_socket_.empty()) {
    return make_error(ErrorKind::Config, "this VM was started without a go port");
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = go_socket_.string();
  std::memcpy(address.sun_path, path.c_str(), std::min(path.size() + 1, sizeof(address.sun_path) - 1));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return make_error(ErrorKind::Io, "cannot connect to the guest's go port {}: {}", path,
                      std::strerror(errno));
  }
  if (::send(fd.get(), kGoLine.data(), kGoLine.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(kGoLine.size())) {
    return make_error(ErrorKind::Io, "cannot write to the guest's go port: {}", std::strerror(errno));
  }
  // Kept open: the guest's echo goes somewhere, and a closed connection could drop unread input.
  go_fd_ = std::move(fd);
  return {};
}

Error QemuVm::startup_failure() {
  std::vector<std::string> last = qemu_log_tail(1);
  if (last.empty() || last.back().empty()) {
    return make_error(ErrorKind::Process, "qemu failed to start: {}", describe_exit());
  }
  return make_error(ErrorKind::Process, "qemu failed to start: {}: {}", describe_exit(), last.back());
}

Result<void> QemuVm::wait_for_gdb_socket(Deadline deadline) {
  if (gdb_socket_.empty()) {
    return make_error(ErrorKind::Config, "this VM was started without a gdbstub");
  }
  for (;;) {
    consume_events();
    if (exit_noticed_) {
      return with_evidence(
          make_error(ErrorKind::Eof, "qemu exited before its gdb socket was ready: {}", describe_exit()));
    }
    Deadline wake = deadline;
    std::error_code ec;
    if (std::filesystem::exists(gdb_socket_, ec)) {
      KH_ASSIGN_OR_RETURN(bool listening, is_unix_socket_listening(gdb_socket_));
      if (listening) {
        return {};
      }
      // qemu calls listen() right after bind() created the file; no event marks the moment, so
      // look again very soon. This happens at most once per VM.
      wake = deadline.min(Deadline::in(std::chrono::milliseconds(1)));
    }
    const int fd = events_.get();
    auto ready = wait_readable(std::span<const int>(&fd, 1), wake);
    if (!ready && (ready.error().kind != ErrorKind::Timeout || deadline.expired())) {
      Error error = std::move(ready).error();
      return with_evidence(error.wrap("waiting for the gdb socket"));
    }
  }
}

Result<std::string> QemuVm::wait_for_serial(std::string_view needle, Deadline deadline) {
  std::size_t searched = 0;
  for (;;) {
    consume_events();
    if (auto line = serial_.find_line(needle, searched, exit_noticed_)) {
      return *line;
    }
    searched = serial_.lines().size();
    if (exit_noticed_) {
      return with_evidence(make_error(ErrorKind::Eof,
                                      "qemu exited before the serial console showed \"{}\": {}", needle,
                                      describe_exit()));
    }
    const int fd = events_.get();
    auto ready = wait_readable(std::span<const int>(&fd, 1), deadline);
    if (!ready) {
      Error error = std::move(ready).error();
      if (error.kind == ErrorKind::Timeout) {
        error.message = fmt::format("the serial console did not show \"{}\" in time", needle);
      }
      return with_evidence(std::move(error));
    }
  }
}

std::vector<std::string> QemuVm::qemu_log_tail(std::size_t lines) const {
  if (run_dir_ && !run_dir_->path().empty()) {
    return last_lines(read_lines(qemu_log_), lines);
  }
  return last_lines(final_qemu_log_, lines);
}

void QemuVm::consume_events() {
  if (!events_.valid()) {
    return;
  }
  // The events only say "something changed"; the files themselves are the truth.
  std::array<char, 4096> buffer{};
  while (::read(inotify_.get(), buffer.data(), buffer.size()) > 0) {
  }
  read_serial();
  if (!exit_noticed_ && child_ && !child_->running()) {
    exit_noticed_ = true;
    // What qemu wrote between the read above and its exit.
    read_serial();
    // A pidfd stays readable after the exit; once noticed it must not keep event_fd() readable.
    ::epoll_ctl(events_.get(), EPOLL_CTL_DEL, child_->exit_fd(), nullptr);
  }
}

void QemuVm::read_serial() {
  if (!serial_fd_.valid()) {
    return;
  }
  std::array<char, 65536> buffer{};
  for (;;) {
    ssize_t n = ::read(serial_fd_.get(), buffer.data(), buffer.size());
    if (n > 0) {
      serial_.append(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;
    }
  }
}

bool QemuVm::running() {
  if (!child_ || child_->pid() < 0) {
    return false;
  }
  return child_->running();
}

Result<int> QemuVm::wait_for_exit(Deadline deadline) {
  if (!child_ || child_->pid() < 0) {
    return make_error(ErrorKind::Internal, "wait_for_exit on a QemuVm that holds no qemu");
  }
  auto state = child_->wait(deadline);
  consume_events();
  if (!state) {
    Error error = std::move(state).error();
    return with_evidence(error.wrap("waiting for qemu to exit"));
  }
  if (*state == ChildProcess::State::Signaled) {
    return with_evidence(make_error(ErrorKind::Process, "{}", describe_exit()));
  }
  return child_->exit_code();
}

std::string QemuVm::describe_exit() {
  if (!child_ || child_->pid() < 0) {
    return "qemu was not started";
  }
  switch (child_->state()) {
    case ChildProcess::State::Running:
      return "qemu is running";
    case ChildProcess::State::Exited:
      return fmt::format("qemu exited with status {}", child_->exit_code());
    case ChildProcess::State::Signaled:
      return fmt::format("qemu was killed by signal {} ({})", child_->term_signal(),
                         ::strsignal(child_->term_signal()));
  }
  return "qemu";
}

void QemuVm::terminate() {
  if (child_) {
    child_->terminate();
  }
  read_serial();
  exit_noticed_ = true;
  if (run_dir_ && !run_dir_->path().empty()) {
    final_qemu_log_ = last_lines(read_lines(qemu_log_), kEvidenceQemuLines * 5);
  }
  go_fd_.reset();
  events_.reset();
  inotify_.reset();
  serial_fd_.reset();
  run_dir_.reset();
}

Error QemuVm::with_evidence(Error error) const {
  if (const auto& panic = serial_.panic_line()) {
    error.details.push_back("panic: " + *panic);
  }
  for (const std::string& line : serial_.tail(kEvidenceSerialLines)) {
    error.details.push_back("serial: " + line);
  }
  for (const std::string& line : qemu_log_tail(kEvidenceQemuLines)) {
    error.details.push_back("qemu: " + line);
  }
  return error;
}

}  // namespace kh::vm
