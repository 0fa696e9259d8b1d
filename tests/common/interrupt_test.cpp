// Ctrl-C twice: the second signal kills every registered child process group at once and says,
// in one line, what it killed. Runs in a forked process, since the handler ends it.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/temp_dir.h"
#include "common/unique_fd.h"

namespace kh {
namespace {

using namespace std::chrono_literals;

// Reads up to a newline from `fd`, with a deadline.
std::optional<std::string> read_line(int fd, Deadline deadline) {
  std::string line;
  for (;;) {
    if (!wait_readable(std::span<const int>(&fd, 1), deadline)) {
      return std::nullopt;
    }
    char c = 0;
    if (::read(fd, &c, 1) <= 0 || c == '\n') {
      return line;
    }
    line.push_back(c);
  }
}

// The forked process: two children, then waits; tells the test each step through `report`.
[[noreturn]] void interrupted_twice_child(int report, const std::string& stderr_file) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ::dup2(err, STDERR_FILENO);
  install_interrupt_handlers();
  ChildSpec sleep_spec;
  sleep_spec.argv = {"sleep", "600"};
  ChildSpec tail_spec;
  tail_spec.argv = {"tail", "-f", "/dev/null"};
  auto sleeper = ChildProcess::spawn(sleep_spec);
  auto tailer = ChildProcess::spawn(tail_spec);
  if (!sleeper || !tailer) {
    ::_exit(90);
  }
  ::dprintf(report, "%d %d\n", sleeper->pid(), tailer->pid());
  const int fd = sleeper->exit_fd();
  auto waited = wait_readable(std::span<const int>(&fd, 1), Deadline::in(60s));
  ::dprintf(report, "%s\n",
            !waited && waited.error().kind == ErrorKind::Interrupted ? "interrupted" : "other");
  for (;;) {
    ::pause();  // the second signal's handler ends this process
  }
}

TEST(Interrupt, TheSecondSignalKillsEveryChildAndSaysWhatInOneLine) {
  auto dir = TempDir::create("kh-interrupt-test-");
  ASSERT_TRUE(dir.ok());
  const std::string stderr_file = (dir->path() / "stderr").string();
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd from_child(fds[0]);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    interrupted_twice_child(fds[1], stderr_file);
  }
  ::close(fds[1]);
  // Whatever fails below, the forked process does not outlive the test.
  struct Reap {
    pid_t pid;
    bool done = false;
    ~Reap() {
      if (!done) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
  } reap{child};

  auto pids = read_line(from_child.get(), Deadline::in(30s));
  ASSERT_TRUE(pids.has_value());
  pid_t sleep_pid = 0;
  pid_t tail_pid = 0;
  std::istringstream(*pids) >> sleep_pid >> tail_pid;
  ASSERT_GT(sleep_pid, 0) << *pids;
  UniqueFd sleep_watch(static_cast<int>(::syscall(SYS_pidfd_open, sleep_pid, 0)));
  UniqueFd tail_watch(static_cast<int>(::syscall(SYS_pidfd_open, tail_pid, 0)));
  ASSERT_TRUE(sleep_watch.valid() && tail_watch.valid());

  ASSERT_EQ(::kill(child, SIGINT), 0);
  EXPECT_EQ(read_line(from_child.get(), Deadline::in(30s)), "interrupted");
  // The first signal only interrupts waits: the children still run.
  const int sleep_fd = sleep_watch.get();
  EXPECT_FALSE(wait_readable(std::span<const int>(&sleep_fd, 1), Deadline::in(0ms)).ok());

  ASSERT_EQ(::kill(child, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  reap.done = true;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGINT);
  for (const UniqueFd* watch : {&sleep_watch, &tail_watch}) {
    const int fd = watch->get();
    EXPECT_TRUE(wait_readable(std::span<const int>(&fd, 1), Deadline::in(10s)).ok()) << "a child survived";
  }
  std::ifstream in(stderr_file);
  std::ostringstream said;
  said << in.rdbuf();
  const std::string text = said.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_TRUE(text.starts_with("kharness: interrupted again: killed ")) << text;
  EXPECT_NE(text.find(fmt::format("sleep (pid {})", sleep_pid)), std::string::npos) << text;
  EXPECT_NE(text.find(fmt::format("tail (pid {})", tail_pid)), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with("exiting\n")) << text;
}

}  // namespace
}  // namespace kh
