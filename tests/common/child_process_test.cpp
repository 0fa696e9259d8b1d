// kh::ChildProcess and kh::run_command with real programs: exit codes, signals, deadlines, stdio
// wiring, and the promise that nothing outlives a ChildProcess.
#include "common/child_process.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "common/unique_fd.h"

namespace kh {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Generous: the machine is shared and may run an ASan build.
Deadline soon() {
  return Deadline::in(30s);
}

ChildProcess spawn_or_die(const ChildSpec& spec) {
  auto child = ChildProcess::spawn(spec);
  if (!child) {
    ADD_FAILURE() << "spawn failed: " << child.error().to_string();
    std::abort();
  }
  return std::move(child).value();
}

// A pidfd for any process (not only our children), to see it die without polling.
UniqueFd watch_process(pid_t pid) {
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

bool dies_before(const UniqueFd& pidfd, Deadline deadline) {
  const int fd = pidfd.get();
  return wait_readable(std::span<const int>(&fd, 1), deadline).ok();
}

// Reads a child's stdout pipe up to the first newline (or EOF), with a deadline.
std::optional<std::string> read_line(int fd, Deadline deadline) {
  std::string line;
  for (;;) {
    if (!wait_readable(std::span<const int>(&fd, 1), deadline)) {
      return std::nullopt;
    }
    char c = 0;
    ssize_t n = ::read(fd, &c, 1);
    if (n <= 0 || c == '\n') {
      return line;
    }
    line.push_back(c);
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct ExitCase {
  std::vector<std::string> argv;
  int exit_code;
};

class ChildExitCode : public ::testing::TestWithParam<ExitCase> {};

TEST_P(ChildExitCode, ReportsTheExitCode) {
  ChildSpec spec;
  spec.argv = GetParam().argv;
  ChildProcess child = spawn_or_die(spec);
  EXPECT_GT(child.pid(), 0);
  auto state = child.wait(soon());
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  EXPECT_EQ(*state, ChildProcess::State::Exited);
  EXPECT_EQ(child.exit_code(), GetParam().exit_code);
  EXPECT_FALSE(child.running());
  EXPECT_THAT(child.describe(), HasSubstr(fmt::format("exited with status {}", GetParam().exit_code)));
}

INSTANTIATE_TEST_SUITE_P(Programs, ChildExitCode,
                         ::testing::Values(ExitCase{{"true"}, 0}, ExitCase{{"false"}, 1},
                                           ExitCase{{"sh", "-c", "exit 42"}, 42},
                                           ExitCase{{"/bin/sh", "-c", "exit 7"}, 7}));

TEST(ChildProcess, AChildKilledByASignalReportsTheSignal) {
  ChildSpec spec;
  spec.argv = {"sleep", "100"};
  ChildProcess child = spawn_or_die(spec);
  EXPECT_TRUE(child.running());
  child.signal(SIGTERM);
  auto state = child.wait(soon());
  ASSERT_TRUE(state.ok()) << state.error().to_string();
  EXPECT_EQ(*state, ChildProcess::State::Signaled);
  EXPECT_EQ(child.term_signal(), SIGTERM);
  EXPECT_THAT(child.describe(), HasSubstr("killed by signal 15"));
}

TEST(ChildProcess, WaitTimesOutAndTheChildKeepsRunning) {
  ChildSpec spec;
  spec.argv = {"sleep", "100"};
  ChildProcess child = spawn_or_die(spec);
  auto state = child.wait(Deadline::in(50ms));
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.error().kind, ErrorKind::Timeout);
  EXPECT_TRUE(child.running());
}

TEST(ChildProcess, ExitFdTurnsReadableWhenTheChildExits) {
  ChildSpec spec;
  spec.argv = {"true"};
  ChildProcess child = spawn_or_die(spec);
  const int fd = child.exit_fd();
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(wait_readable(std::span<const int>(&fd, 1), soon()).ok());
}

TEST(ChildProcess, DestructorKillsTheChildAndItsWholeProcessGroup) {
  UniqueFd shell_watch;
  UniqueFd background_watch;
  {
    ChildSpec spec;
    spec.argv = {"sh", "-c", "sleep 100 & echo $!; sleep 100"};
    spec.stdout_mode = Stdio::Pipe;
    ChildProcess child = spawn_or_die(spec);
    auto background = read_line(child.stdout_fd(), soon());
    ASSERT_TRUE(background.has_value());
    const pid_t background_pid = std::stoi(*background);
    shell_watch = watch_process(child.pid());
    background_watch = watch_process(background_pid);
    ASSERT_TRUE(shell_watch.valid());
    ASSERT_TRUE(background_watch.valid());
    EXPECT_FALSE(dies_before(background_watch, Deadline::in(0ms)));
  }
  EXPECT_TRUE(dies_before(shell_watch, soon()));
  EXPECT_TRUE(dies_before(background_watch, soon()));
}

TEST(ChildProcess, TerminateEscalatesToSigkillWhenSigtermIsIgnored) {
  ChildSpec spec;
  // An ignored signal stays ignored across exec, so `sleep` ignores SIGTERM too.
  spec.argv = {"sh", "-c", "trap '' TERM; echo ready; sleep 100"};
  spec.stdout_mode = Stdio::Pipe;
  ChildProcess child = spawn_or_die(spec);
  ASSERT_EQ(read_line(child.stdout_fd(), soon()), "ready");
  child.terminate(100ms);
  EXPECT_EQ(child.state(), ChildProcess::State::Signaled);
  EXPECT_EQ(child.term_signal(), SIGKILL);
  child.terminate();  // idempotent
  EXPECT_EQ(child.term_signal(), SIGKILL);
}

// QemuVm relies on it: its destructor gives qemu the spec's grace, not the default 2 s.
TEST(ChildProcess, TheDestructorWaitsTheSpecsTerminateGraceBeforeSigkill) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", "trap '' TERM; echo ready; sleep 100"};
  spec.stdout_mode = Stdio::Pipe;
  spec.terminate_grace = 100ms;
  UniqueFd watch;
  Clock::time_point destroyed;
  {
    ChildProcess child = spawn_or_die(spec);
    ASSERT_EQ(read_line(child.stdout_fd(), soon()), "ready");
    watch = watch_process(child.pid());
    destroyed = Clock::now();
  }
  EXPECT_TRUE(dies_before(watch, soon()));
  EXPECT_LT(Clock::now() - destroyed, 1500ms) << "the default 2 s grace was used";
}

TEST(ChildProcess, MovingKeepsOneOwner) {
  ChildSpec spec;
  spec.argv = {"sleep", "100"};
  ChildProcess first = spawn_or_die(spec);
  const pid_t pid = first.pid();
  ChildProcess second = std::move(first);
  EXPECT_EQ(second.pid(), pid);
  EXPECT_TRUE(second.running());
  UniqueFd watch = watch_process(pid);
  ASSERT_TRUE(watch.valid());
  ChildProcess third = spawn_or_die(spec);
  third = std::move(second);
  EXPECT_TRUE(third.running());
  EXPECT_FALSE(dies_before(watch, Deadline::in(0ms)));
}

struct MissingProgramCase {
  std::string program;
};

class MissingProgram : public ::testing::TestWithParam<MissingProgramCase> {};

TEST_P(MissingProgram, IsAProcessError) {
  ChildSpec spec;
  spec.argv = {GetParam().program};
  auto child = ChildProcess::spawn(spec);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().kind, ErrorKind::Process);
  EXPECT_THAT(child.error().message, HasSubstr(GetParam().program));
}

INSTANTIATE_TEST_SUITE_P(Programs, MissingProgram,
                         ::testing::Values(MissingProgramCase{"kh-no-such-program"},
                                           MissingProgramCase{"/nonexistent/kh-no-such-program"}));

TEST(ChildProcess, EmptyArgvIsAnInternalError) {
  auto child = ChildProcess::spawn(ChildSpec{});
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().kind, ErrorKind::Internal);
}

TEST(ChildProcess, PipesCarryStdinToStdout) {
  ChildSpec spec;
  spec.argv = {"cat"};
  spec.stdin_mode = Stdio::Pipe;
  spec.stdout_mode = Stdio::Pipe;
  ChildProcess child = spawn_or_die(spec);
  const std::string text = "through the pipe\n";
  ASSERT_EQ(::write(child.stdin_fd(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  child.close_stdin();
  EXPECT_EQ(read_line(child.stdout_fd(), soon()), "through the pipe");
  auto state = child.wait(soon());
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(child.exit_code(), 0);
}

TEST(ChildProcess, StdioFileWritesToTheFile) {
  auto dir = TempDir::create("kh-child-test-");
  ASSERT_TRUE(dir.ok());
  const std::filesystem::path log = dir->path() / "out.log";
  ChildSpec spec;
  spec.argv = {"sh", "-c", "echo to-stdout; echo to-stderr >&2"};
  spec.stdout_mode = Stdio::File;
  spec.stdout_file = log;
  spec.stderr_mode = Stdio::File;
  spec.stderr_file = log;
  ChildProcess child = spawn_or_die(spec);
  ASSERT_TRUE(child.wait(soon()).ok());
  EXPECT_EQ(read_file(log), "to-stdout\nto-stderr\n");

  spec.argv = {"echo", "replaced"};
  spec.stderr_mode = Stdio::Null;
  ChildProcess again = spawn_or_die(spec);
  ASSERT_TRUE(again.wait(soon()).ok());
  EXPECT_EQ(read_file(log), "replaced\n");
}

TEST(ChildProcess, StdioFileInAMissingDirectoryIsAnIoError) {
  ChildSpec spec;
  spec.argv = {"true"};
  spec.stdout_mode = Stdio::File;
  spec.stdout_file = "/nonexistent/dir/out.log";
  auto child = ChildProcess::spawn(spec);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.error().kind, ErrorKind::Io);
}

TEST(RunCommand, CapturesStdoutAndStderrAndTheExitCode) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"};
  auto output = run_command(spec, soon());
  ASSERT_TRUE(output.ok()) << output.error().to_string();
  EXPECT_EQ(output->exit_code, 3);
  EXPECT_EQ(output->term_signal, 0);
  EXPECT_EQ(output->output, "out\nerr\n");
}

// Programs name themselves by argv[0] in their messages; callers read those ("tar: ...").
TEST(RunCommand, TheProgramSeesItsArgv0AsGiven) {
  ChildSpec shell;
  shell.argv = {"sh", "-c", "echo $0"};  // without a command name, $0 is the shell's argv[0]
  auto named = run_command(shell, soon());
  ASSERT_TRUE(named.ok()) << named.error().to_string();
  EXPECT_EQ(named->output, "sh\n");
  ChildSpec tar;
  tar.argv = {"tar", "-xf", "/nonexistent/kh-archive.tar"};
  tar.env = {{"LC_ALL", "C"}};
  auto failed = run_command(tar, soon());
  ASSERT_TRUE(failed.ok());
  EXPECT_NE(failed->exit_code, 0);
  EXPECT_TRUE(failed->output.starts_with("tar: ")) << failed->output;
}

TEST(RunCommand, PassesEnvironmentAndWorkingDirectory) {
  auto dir = TempDir::create("kh-run-test-");
  ASSERT_TRUE(dir.ok());
  ChildSpec spec;
  spec.argv = {"sh", "-c", "echo \"$KH_TEST_VALUE\"; pwd -P"};
  spec.env = {{"KH_TEST_VALUE", "from the spec"}};
  spec.cwd = dir->path();
  auto output = run_command(spec, soon());
  ASSERT_TRUE(output.ok()) << output.error().to_string();
  EXPECT_EQ(output->exit_code, 0);
  EXPECT_EQ(output->output, "from the spec\n" + std::filesystem::canonical(dir->path()).string() + "\n");
}

TEST(RunCommand, CapturesMoreThanAPipeFull) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", "head -c 300000 /dev/zero"};
  auto output = run_command(spec, soon());
  ASSERT_TRUE(output.ok()) << output.error().to_string();
  EXPECT_EQ(output->output.size(), 300000u);
}

TEST(RunCommand, ReportsASignal) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", "kill -9 $$"};
  auto output = run_command(spec, soon());
  ASSERT_TRUE(output.ok()) << output.error().to_string();
  EXPECT_EQ(output->term_signal, SIGKILL);
  EXPECT_EQ(output->exit_code, -1);
}

TEST(RunCommand, ADeadlineKillsTheCommand) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", "echo $$; exec sleep 100"};
  auto output = run_command(spec, Deadline::in(200ms));
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.error().kind, ErrorKind::Timeout);
  EXPECT_THAT(output.error().message, HasSubstr("sh"));
  // The output so far is the evidence; it names the pid, which must be gone (killed and reaped).
  ASSERT_EQ(output.error().details.size(), 1u);
  const pid_t pid = std::stoi(output.error().details[0]);
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(PumpStdout, HandsOverEveryChunkAndTicksWhileTheChildIsSilent) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", "echo one; sleep 0.3; echo two"};
  spec.stdout_mode = Stdio::Pipe;
  ChildProcess child = spawn_or_die(spec);
  std::string output;
  int ticks = 0;
  Status pumped = pump_stdout_until_exit(
      child, soon(), [&](std::string_view chunk) { output.append(chunk); }, IdleTick{20ms, [&] { ++ticks; }});
  ASSERT_TRUE(pumped.ok()) << pumped.error().to_string();
  EXPECT_EQ(output, "one\ntwo\n");
  EXPECT_GE(ticks, 1);
  auto state = child.wait(soon());
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, ChildProcess::State::Exited);
}

TEST(PumpStdout, DoesNotWaitForAGrandchildThatKeepsThePipeOpen) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", "sleep 100 & echo started"};
  spec.stdout_mode = Stdio::Pipe;
  ChildProcess child = spawn_or_die(spec);
  std::string output;
  const auto start = Clock::now();
  Status pumped =
      pump_stdout_until_exit(child, soon(), [&](std::string_view chunk) { output.append(chunk); });
  ASSERT_TRUE(pumped.ok()) << pumped.error().to_string();
  EXPECT_EQ(output, "started\n");
  EXPECT_LT(Clock::now() - start, 20s);
}

TEST(PumpStdout, ADeadlineIsATimeoutAndTheChildIsLeftToTheCaller) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", "echo waiting; exec sleep 100"};
  spec.stdout_mode = Stdio::Pipe;
  ChildProcess child = spawn_or_die(spec);
  std::string output;
  Status pumped = pump_stdout_until_exit(child, Deadline::in(200ms),
                                         [&](std::string_view chunk) { output.append(chunk); });
  ASSERT_FALSE(pumped.ok());
  EXPECT_EQ(pumped.error().kind, ErrorKind::Timeout);
  EXPECT_EQ(output, "waiting\n");
  EXPECT_TRUE(child.running());
}

TEST(PumpStdout, AChildWithoutAStdoutPipeIsAnInternalError) {
  ChildSpec spec;
  spec.argv = {"true"};
  spec.stdout_mode = Stdio::Null;
  ChildProcess child = spawn_or_die(spec);
  Status pumped = pump_stdout_until_exit(child, soon(), [](std::string_view) {});
  ASSERT_FALSE(pumped.ok());
  EXPECT_EQ(pumped.error().kind, ErrorKind::Internal);
}

TEST(RunCommand, AMissingProgramIsAProcessError) {
  ChildSpec spec;
  spec.argv = {"kh-no-such-program"};
  auto output = run_command(spec, soon());
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.error().kind, ErrorKind::Process);
}

}  // namespace
}  // namespace kh
