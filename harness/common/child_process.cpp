#include "common/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/search_path.hpp>
#include <boost/process/start_dir.hpp>

namespace kh {
namespace {

namespace bp = boost::process;

Result<UniqueFd> open_pidfd(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    return make_error(ErrorKind::Process, "pidfd_open({}) failed: {}", pid, std::strerror(errno));
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return UniqueFd(fd);
}

// The child's end and the parent's end of one standard stream.
struct StreamEnds {
  UniqueFd child;
  UniqueFd parent;
};

Result<StreamEnds> make_stream(Stdio mode, const std::filesystem::path& file, bool is_input) {
  StreamEnds ends;
  switch (mode) {
    case Stdio::Inherit:
      break;
    case Stdio::Null: {
      int fd = ::open("/dev/null", (is_input ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
      if (fd < 0) {
        return make_error(ErrorKind::Io, "cannot open /dev/null: {}", std::strerror(errno));
      }
      ends.child.reset(fd);
      break;
    }
    case Stdio::Pipe: {
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) != 0) {
        return make_error(ErrorKind::Io, "pipe2 failed: {}", std::strerror(errno));
      }
      ends.child.reset(is_input ? fds[0] : fds[1]);
      ends.parent.reset(is_input ? fds[1] : fds[0]);
      break;
    }
    case Stdio::File: {
      int fd = is_input ? ::open(file.c_str(), O_RDONLY | O_CLOEXEC)
                        : ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) {
        return make_error(ErrorKind::Io, "cannot open {}: {}", file.string(), std::strerror(errno));
      }
      ends.child.reset(fd);
      break;
    }
  }
  return ends;
}

}  // namespace

Result<ChildProcess> ChildProcess::spawn(const ChildSpec& spec) {
  if (spec.argv.empty()) {
    return make_error(ErrorKind::Internal, "spawn: empty argv");
  }
  const std::filesystem::path program = resolve_program(spec.argv[0]);
  if (program.empty()) {
    return make_error(ErrorKind::Process, "{}: not found in PATH", spec.argv[0]);
  }
  std::string name = std::filesystem::path(spec.argv[0]).filename().string();

  KH_ASSIGN_OR_RETURN(StreamEnds in, make_stream(spec.stdin_mode, {}, true));
  KH_ASSIGN_OR_RETURN(StreamEnds out, make_stream(spec.stdout_mode, spec.stdout_file, false));
  StreamEnds err;
  bool err_shares_out = spec.stderr_mode == Stdio::File && spec.stdout_mode == Stdio::File &&
                        spec.stderr_file == spec.stdout_file;
  if (!err_shares_out) {
    KH_ASSIGN_OR_RETURN(err, make_stream(spec.stderr_mode, spec.stderr_file, false));
  }

  const int in_fd = in.child.get();
  const int out_fd = out.child.get();
  const int err_fd = err_shares_out ? out_fd : err.child.get();
  const bool merge_stderr = spec.stderr_to_stdout;
  const bool own_group = spec.own_process_group;
  const bool die_with_parent = spec.die_with_parent;
  const pid_t parent = ::getpid();
  // Boost passes the resolved path as argv[0]; programs name themselves by it in their messages
  // ("/usr/bin/tar: ..."), which must read as the user's command does ("tar: ..."). The child
  // execs our own argv instead; these pointers stay valid in it (a copy of this frame).
  std::vector<std::string> argv_copy = spec.argv;
  std::vector<char*> argv_pointers;
  argv_pointers.reserve(argv_copy.size() + 1);
  for (auto& arg : argv_copy) {
    argv_pointers.push_back(arg.data());
  }
  argv_pointers.push_back(nullptr);
  char* const* const exec_argv = argv_pointers.data();

  // Runs in the child between fork and exec: only async-signal-safe calls.
  auto setup = [=](auto& executor) {
    executor.cmd_line = exec_argv;
    if (own_group) {
      ::setpgid(0, 0);
    }
    if (die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) {
        ::_exit(127);
      }
    }
    // Signals ignored or blocked by kharness must not stay so in the child.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
      ::signal(signo, SIG_DFL);
    }
    if (in_fd >= 0) {
      ::dup2(in_fd, 0);
    }
    if (out_fd >= 0) {
      ::dup2(out_fd, 1);
    }
    if (merge_stderr) {
      ::dup2(1, 2);
    } else if (err_fd >= 0) {
      ::dup2(err_fd, 2);
    }
  };

  bp::environment env = boost::this_process::environment();
  for (const auto& [key, value] : spec.env) {
    // Not env[key]: Boost 1.74's operator[] compares the key against shorter entries past their
    // end (ASan: heap-buffer-overflow); set() checks the lengths first.
    env.set(key, value);
  }
  std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());
  std::filesystem::path cwd = spec.cwd.empty() ? std::filesystem::current_path() : spec.cwd;

  ChildProcess child;
  try {
    bp::child launched(bp::exe = program.string(), bp::args = args, env, bp::start_dir = cwd.string(),
                       bp::extend::on_exec_setup = setup);
    child.pid_ = launched.id();
    // From here on the pid is ours to wait for and to kill; Boost must not reap or kill it.
    launched.detach();
  } catch (const std::exception& e) {
    return make_error(ErrorKind::Process, "cannot start {}: {}", program.string(), e.what());
  }
  child.name_ = name;
  child.own_group_ = own_group;
  child.grace_ = spec.terminate_grace;
  child.reaped_ = false;
  child.state_ = State::Running;
  if (own_group) {
    // The child also calls setpgid; doing it here too closes the race with an early signal().
    ::setpgid(child.pid_, child.pid_);
    register_process_group(child.pid_, name);
  }
  auto pidfd = open_pidfd(child.pid_);
  if (!pidfd) {
    child.terminate(std::chrono::milliseconds(0));
    return std::move(pidfd).error();
  }
  child.pidfd_ = std::move(*pidfd);
  child.stdin_ = std::move(in.parent);
  child.stdout_ = std::move(out.parent);
  child.stderr_ = std::move(err.parent);
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept {
  *this = std::move(other);
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    terminate();
    pid_ = std::exchange(other.pid_, -1);
    own_group_ = other.own_group_;
    grace_ = other.grace_;
    reaped_ = std::exchange(other.reaped_, true);
    name_ = std::move(other.name_);
    pidfd_ = std::move(other.pidfd_);
    stdin_ = std::move(other.stdin_);
    stdout_ = std::move(other.stdout_);
    stderr_ = std::move(other.stderr_);
    state_ = other.state_;
    exit_code_ = other.exit_code_;
    term_signal_ = other.term_signal_;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  terminate();
}

ChildProcess::State ChildProcess::state() {
  if (reaped_) {
    return state_;
  }
  // Peek without reaping so that the process group id stays reserved until terminate() has
  // killed any stragglers of the group; the zombie is reaped there or in reap_blocking().
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) {
    return State::Running;
  }
  reap_blocking();
  return state_;
}

void ChildProcess::reap_blocking() {
  if (reaped_) {
    return;
  }
  if (own_group_) {
    // The leader is dead (or about to be reaped): end whatever else runs in its group.
    ::kill(-pid_, SIGKILL);
  }
  int status = 0;
  pid_t rc;
  do {
    rc = ::waitpid(pid_, &status, 0);
  } while (rc < 0 && errno == EINTR);
  reaped_ = true;
  if (own_group_) {
    unregister_process_group(pid_);
  }
  if (rc == pid_ && WIFSIGNALED(status)) {
    state_ = State::Signaled;
    term_signal_ = WTERMSIG(status);
  } else {
    state_ = State::Exited;
    exit_code_ = rc == pid_ && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
}

Result<ChildProcess::State> ChildProcess::wait(Deadline deadline) {
  if (reaped_) {
    return state_;
  }
  const int fd = pidfd_.get();
  auto ready = wait_readable(std::span<const int>(&fd, 1), deadline);
  if (!ready) {
    return std::move(ready).error();
  }
  reap_blocking();
  return state_;
}

std::string ChildProcess::describe() {
  switch (state()) {
    case State::Running:
      return fmt::format("{} (pid {}) is running", name_, pid_);
    case State::Exited:
      return fmt::format("{} (pid {}) exited with status {}", name_, pid_, exit_code_);
    case State::Signaled:
      return fmt::format("{} (pid {}) was killed by signal {} ({})", name_, pid_, term_signal_,
                         ::strsignal(term_signal_));
  }
  return name_;
}

void ChildProcess::signal(int signo) const {
  if (reaped_ || pid_ <= 0) {
    return;
  }
  ::kill(own_group_ ? -pid_ : pid_, signo);
}

void ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (reaped_ || pid_ <= 0) {
    return;
  }
  if (grace.count() > 0) {
    ChildProcess* const self = this;
    terminate_all(std::span<ChildProcess* const>(&self, 1), grace);
    return;
  }
  stdin_.reset();
  signal(SIGKILL);
  reap_blocking();
}

void terminate_all(std::span<ChildProcess* const> children, std::chrono::milliseconds grace) {
  for (ChildProcess* child : children) {
    if (child->running()) {
      child->close_stdin();
      child->signal(SIGTERM);
    }
  }
  // Ignores interruption on purpose (this is the cleanup path): plain poll, not wait_readable.
  const Deadline until = Deadline::in(grace);
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    for (ChildProcess* child : children) {
      if (child->running()) {
        fds.push_back(pollfd{child->exit_fd(), POLLIN, 0});
      }
    }
    if (fds.empty() || until.expired()) {
      break;
    }
    if (::poll(fds.data(), fds.size(), until.poll_timeout_ms()) < 0 && errno != EINTR) {
      break;
    }
  }
  for (ChildProcess* child : children) {
    child->terminate(std::chrono::milliseconds(0));
  }
}

Status pump_stdout_until_exit(ChildProcess& child, Deadline deadline,
                              const std::function<void(std::string_view chunk)>& on_output,
                              const std::optional<IdleTick>& tick) {
  const int out_fd = child.stdout_fd();
  if (out_fd < 0) {
    return make_error(ErrorKind::Internal, "{} has no stdout pipe to read", child.name());
  }
  ::fcntl(out_fd, F_SETFL, ::fcntl(out_fd, F_GETFL) | O_NONBLOCK);
  std::array<char, 65536> buffer{};
  // Reads what the pipe holds now; false once it reached EOF.
  auto drain = [&]() {
    for (;;) {
      const ssize_t n = ::read(out_fd, buffer.data(), buffer.size());
      if (n > 0) {
        on_output(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        return n < 0 && errno == EAGAIN;
      }
    }
  };
  const int fds[2] = {out_fd, child.exit_fd()};
  for (;;) {
    const Deadline wake = tick ? deadline.min(Deadline::in(tick->interval)) : deadline;
    auto ready = wait_readable(fds, wake);
    if (!ready && tick && ready.error().kind == ErrorKind::Timeout && !deadline.expired()) {
      tick->on_idle();
      continue;
    }
    if (!ready) {
      return std::move(ready).error();
    }
    // After the exit, take what the pipe still holds; a grandchild keeping it open is not waited for.
    if (!drain() || *ready == 1) {
      drain();
      return {};
    }
  }
}

Result<CommandOutput> run_command(const ChildSpec& spec, Deadline deadline) {
  ChildSpec piped = spec;
  piped.stdout_mode = Stdio::Pipe;
  piped.stderr_to_stdout = true;
  KH_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::spawn(piped));
  CommandOutput result;
  Status pumped =
      pump_stdout_until_exit(child, deadline, [&](std::string_view chunk) { result.output.append(chunk); });
  if (!pumped.ok()) {
    child.terminate(std::chrono::milliseconds(0));
    Error error = std::move(pumped).error();
    error.wrap(spec.argv[0]);
    error.details.push_back(
        result.output.substr(result.output.size() > 2000 ? result.output.size() - 2000 : 0));
    return error;
  }
  KH_ASSIGN_OR_RETURN(ChildProcess::State state, child.wait(deadline));
  result.exit_code = state == ChildProcess::State::Exited ? child.exit_code() : -1;
  result.term_signal = state == ChildProcess::State::Signaled ? child.term_signal() : 0;
  return result;
}

std::filesystem::path resolve_program(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    return program;
  }
  return bp::search_path(program).string();
}

}  // namespace kh
