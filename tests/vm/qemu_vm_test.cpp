// QemuVm against fake qemu scripts: start-up failures, serial markers, exits and cleanup.
#include "vm/qemu_vm.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "fake_qemu.h"
#include "vm/unix_listener.h"

namespace kh::vm {
namespace {

using std::chrono::milliseconds;
using testing::FakeQemu;
using testing::process_ends_within;

constexpr milliseconds kGenerous{20000};

bool process_gone(pid_t pid) {
  return process_ends_within(pid, kGenerous);
}

bool details_contain(const Error& error, std::string_view text) {
  for (const auto& line : error.details) {
    if (line.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(QemuVmTest, EarlyExitReportsQemuOwnMessage) {
  FakeQemu fake(
      "echo \"qemu-system-x86_64: -kernel bzImage: could not load kernel\" >&2\n"
      "exit 1");
  auto vm = QemuVm::start(fake.spec_without_gdb());
  ASSERT_FALSE(vm.ok());
  EXPECT_EQ(vm.error().kind, ErrorKind::Process);
  EXPECT_NE(vm.error().message.find("exited with status 1"), std::string::npos) << vm.error().message;
  EXPECT_NE(vm.error().message.find("could not load kernel"), std::string::npos) << vm.error().message;
  EXPECT_TRUE(
      details_contain(vm.error(), "qemu: qemu-system-x86_64: -kernel bzImage: could not load kernel"));
}

TEST(QemuVmTest, MissingProgramKernelOrInitrdIsAClearError) {
  FakeQemu fake("exit 0");
  VmSpec no_qemu = fake.spec_without_gdb();
  no_qemu.qemu = "kh-no-such-qemu-binary";
  auto vm = QemuVm::start(no_qemu);
  ASSERT_FALSE(vm.ok());
  EXPECT_EQ(vm.error().kind, ErrorKind::Process);
  EXPECT_NE(vm.error().message.find("kh-no-such-qemu-binary"), std::string::npos);

  VmSpec no_kernel = fake.spec_without_gdb();
  no_kernel.kernel = fake.dir() / "missing-bzImage";
  auto without_kernel = QemuVm::start(no_kernel);
  ASSERT_FALSE(without_kernel.ok());
  EXPECT_EQ(without_kernel.error().kind, ErrorKind::Config);
  EXPECT_NE(without_kernel.error().message.find("missing-bzImage"), std::string::npos);

  VmSpec no_initrd = fake.spec_without_gdb();
  no_initrd.initrd = fake.dir() / "missing.cpio.gz";
  auto without_initrd = QemuVm::start(no_initrd);
  ASSERT_FALSE(without_initrd.ok());
  EXPECT_EQ(without_initrd.error().kind, ErrorKind::Config);
  EXPECT_FALSE(std::filesystem::exists(fake.invocations())) << "qemu must not start on bad input";
}

TEST(QemuVmTest, LongWorkParentIsRejectedBeforeAnythingStarts) {
  FakeQemu fake("exit 0");
  VmSpec spec = fake.spec_without_gdb();
  spec.gdbstub = true;
  spec.work_parent = fake.dir() / std::string(100, 'p');
  auto vm = QemuVm::start(spec);
  ASSERT_FALSE(vm.ok());
  EXPECT_EQ(vm.error().kind, ErrorKind::Config);
  EXPECT_NE(vm.error().message.find("107"), std::string::npos) << vm.error().message;
  EXPECT_FALSE(std::filesystem::exists(fake.invocations()));
}

TEST(QemuVmTest, SerialMarkerArrivesAndLinesAreClean) {
  FakeQemu fake(
      "printf '\\033c\\033[2JSeaBIOS (fake)\\r\\n' >> \"$serial\"\n"
      "sleep 0.2\n"
      "printf 'KH-READY\\r\\nKH-START mnt_ns_clone\\r\\n' >> \"$serial\"\n"
      "exec sleep 600");
  auto vm = QemuVm::start(fake.spec_without_gdb());
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  EXPECT_TRUE(vm->running());
  EXPECT_GT(vm->pid(), 0);
  auto line = vm->wait_for_serial("KH-START", Deadline::in(kGenerous));
  ASSERT_TRUE(line.ok()) << line.error().to_string();
  EXPECT_EQ(*line, "KH-START mnt_ns_clone");
  // Already received text is searched first.
  auto earlier = vm->wait_for_serial("SeaBIOS", Deadline::in(milliseconds(0)));
  ASSERT_TRUE(earlier.ok()) << earlier.error().to_string();
  EXPECT_EQ(*earlier, "SeaBIOS (fake)");
  EXPECT_EQ(vm->serial_tail(2), (std::vector<std::string>{"KH-READY", "KH-START mnt_ns_clone"}));
  EXPECT_NE(vm->serial_text().find("KH-READY\r\n"), std::string::npos);
  EXPECT_FALSE(vm->panic_line());
}

TEST(QemuVmTest, WaitForSerialTimesOutWithTheTail) {
  FakeQemu fake(
      "printf 'booting\\n' >> \"$serial\"\n"
      "exec sleep 600");
  auto vm = QemuVm::start(fake.spec_without_gdb());
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  auto line = vm->wait_for_serial("KH-READY", Deadline::in(milliseconds(200)));
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.error().kind, ErrorKind::Timeout);
  EXPECT_NE(line.error().message.find("KH-READY"), std::string::npos);
  EXPECT_TRUE(details_contain(line.error(), "serial: booting"));
  EXPECT_TRUE(vm->running());
}

TEST(QemuVmTest, KilledFromOutsideGivesEofAndCleansUp) {
  FakeQemu fake(
      "sleep 600 &\n"
      "echo $! >> \"$record\"\n"
      "printf 'booting\\n' >> \"$serial\"\n"
      "wait");
  auto vm = QemuVm::start(fake.spec_without_gdb());
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  ASSERT_EQ(::kill(vm->pid(), SIGKILL), 0);
  auto line = vm->wait_for_serial("KH-READY", Deadline::in(kGenerous));
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.error().kind, ErrorKind::Eof);
  EXPECT_NE(line.error().message.find("killed by signal 9"), std::string::npos) << line.error().message;
  EXPECT_FALSE(vm->running());
  EXPECT_NE(vm->describe_exit().find("killed by signal 9"), std::string::npos);
  auto status = vm->wait_for_exit(Deadline::in(kGenerous));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::Process);
  // The fake's own child went with it: qemu's whole process group is ended.
  auto pids = FakeQemu::lines_of(fake.record());
  ASSERT_EQ(pids.size(), 1u);
  EXPECT_TRUE(process_gone(std::stoi(pids[0])));
}

TEST(QemuVmTest, DestructorKillsQemuAndItsChildrenAndRemovesTheDirectory) {
  FakeQemu fake(
      "sleep 600 &\n"
      "echo $! >> \"$record\"\n"
      "echo $$ >> \"$record\"\n"
      "printf 'up\\n' >> \"$serial\"\n"
      "wait");
  std::filesystem::path run_dir;
  pid_t qemu_pid = -1;
  {
    auto vm = QemuVm::start(fake.spec_without_gdb());
    ASSERT_TRUE(vm.ok()) << vm.error().to_string();
    run_dir = vm->run_dir();
    qemu_pid = vm->pid();
    EXPECT_TRUE(std::filesystem::is_directory(run_dir));
    EXPECT_EQ(std::filesystem::status(run_dir).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_all);
    ASSERT_TRUE(vm->wait_for_serial("up", Deadline::in(kGenerous)).ok());
  }
  auto pids = FakeQemu::lines_of(fake.record());
  ASSERT_EQ(pids.size(), 2u);
  EXPECT_EQ(std::stoi(pids[1]), qemu_pid);
  for (const auto& pid : pids) {
    EXPECT_TRUE(process_gone(std::stoi(pid))) << pid;
  }
  EXPECT_FALSE(std::filesystem::exists(run_dir));
}

TEST(QemuVmTest, TerminateIsIdempotentAndKeepsTheSerialText) {
  FakeQemu fake(
      "printf 'line one\\nline two\\n' >> \"$serial\"\n"
      "exec sleep 600");
  auto vm = QemuVm::start(fake.spec_without_gdb());
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  ASSERT_TRUE(vm->wait_for_serial("line two", Deadline::in(kGenerous)).ok());
  const std::filesystem::path run_dir = vm->run_dir();
  vm->terminate();
  vm->terminate();
  EXPECT_FALSE(vm->running());
  EXPECT_FALSE(std::filesystem::exists(run_dir));
  EXPECT_EQ(vm->event_fd(), -1);
  EXPECT_EQ(vm->serial_tail(2), (std::vector<std::string>{"line one", "line two"}));
  auto line = vm->wait_for_serial("never", Deadline::in(kGenerous));
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.error().kind, ErrorKind::Eof);
}

TEST(QemuVmTest, ExitStatusAndPanicLine) {
  FakeQemu fake(
      "printf 'VFS: Cannot open root device\\r\\n' >> \"$serial\"\n"
      "printf 'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\\r\\n' >> "
      "\"$serial\"\n"
      "printf 'no newline at the end' >> \"$serial\"\n"
      "exit 3");
  auto vm = QemuVm::start(fake.spec_without_gdb());
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  auto status = vm->wait_for_exit(Deadline::in(kGenerous));
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  EXPECT_EQ(*status, 3);
  EXPECT_EQ(vm->describe_exit(), "qemu exited with status 3");
  ASSERT_TRUE(vm->panic_line());
  EXPECT_EQ(*vm->panic_line(),
            "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)");
  // After the exit the unfinished last line counts too.
  auto last = vm->wait_for_serial("newline", Deadline::in(milliseconds(0)));
  ASSERT_TRUE(last.ok()) << last.error().to_string();
  EXPECT_EQ(*last, "no newline at the end");
  auto missing = vm->wait_for_serial("KH-READY", Deadline::in(kGenerous));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::Eof);
  EXPECT_TRUE(details_contain(missing.error(), "panic: Kernel panic - not syncing"));
}

TEST(QemuVmTest, QemuNeverBlocksOnSerialOutputNobodyReads) {
  // 4 MiB of console output, far more than any pipe buffer, written while nobody reads.
  FakeQemu fake(
      "printf 'start\\n' >> \"$serial\"\n"
      "head -c 4194304 /dev/zero | tr '\\0' 'x' >> \"$serial\"\n"
      "printf '\\nDONE\\n' >> \"$serial\"\n"
      "exit 0");
  auto vm = QemuVm::start(fake.spec_without_gdb());
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  auto status = vm->wait_for_exit(Deadline::in(kGenerous));
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  EXPECT_EQ(*status, 0);
  EXPECT_EQ(vm->serial_text().size(), 6u + 4194304u + 6u);
  EXPECT_TRUE(vm->wait_for_serial("DONE", Deadline::in(milliseconds(0))).ok());
}

TEST(QemuVmTest, EventFdSignalsOutputAndExitThenGoesQuiet) {
  FakeQemu fake(
      "printf 'first\\n' >> \"$serial\"\n"
      "read line < \"$record.go\"\n"
      "printf 'second\\n' >> \"$serial\"\n"
      "exec sleep 600");
  ASSERT_EQ(::mkfifo((fake.record().string() + ".go").c_str(), 0600), 0);
  auto vm = QemuVm::start(fake.spec_without_gdb());
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  const int fd = vm->event_fd();
  ASSERT_GE(fd, 0);
  vm->consume_events();
  ASSERT_EQ(vm->serial_text(), "first\n");
  // Nothing new: the fd stays quiet.
  auto quiet = wait_readable(std::span<const int>(&fd, 1), Deadline::in(milliseconds(100)));
  ASSERT_FALSE(quiet.ok());
  EXPECT_EQ(quiet.error().kind, ErrorKind::Timeout);
  std::ofstream(fake.record().string() + ".go") << "go\n";
  while (vm->serial_text().find("second") == std::string::npos) {
    ASSERT_TRUE(wait_readable(std::span<const int>(&fd, 1), Deadline::in(kGenerous)).ok());
    vm->consume_events();
  }
  EXPECT_EQ(vm->serial_text(), "first\nsecond\n");
  ::kill(vm->pid(), SIGKILL);
  ASSERT_TRUE(wait_readable(std::span<const int>(&fd, 1), Deadline::in(kGenerous)).ok());
  vm->consume_events();
  EXPECT_FALSE(vm->running());
  // The exit was noticed: the fd must not stay readable and make a poll loop spin.
  auto after = wait_readable(std::span<const int>(&fd, 1), Deadline::in(milliseconds(100)));
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().kind, ErrorKind::Timeout);
}

TEST(QemuVmTest, GdbSocketMustListenBeforeStartReturns) {
  const std::string python = testing::python3();
  if (python.empty()) {
    GTEST_SKIP() << "python3 is needed to create a listening unix socket";
  }
  FakeQemu fake("exec " + python +
                " -c 'import socket,sys,time\n"
                "s=socket.socket(socket.AF_UNIX)\n"
                "s.bind(sys.argv[1])\n"
                "time.sleep(0.2)\n"
                "s.listen(1)\n"
                "time.sleep(600)' \"$sock\"");
  VmSpec spec = fake.spec_without_gdb();
  spec.gdbstub = true;
  spec.start_stopped = true;
  auto vm = QemuVm::start(spec);
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  EXPECT_EQ(vm->gdb_socket(), vm->run_dir() / "gdb.sock");
  EXPECT_TRUE(std::filesystem::exists(vm->gdb_socket()));
  auto listening = is_unix_socket_listening(vm->gdb_socket());
  ASSERT_TRUE(listening.ok());
  EXPECT_TRUE(*listening);
  EXPECT_TRUE(vm->wait_for_gdb_socket(Deadline::in(milliseconds(0))).ok());
  const auto socket = vm->gdb_socket();
  vm->terminate();
  EXPECT_FALSE(std::filesystem::exists(socket));
}

TEST(QemuVmTest, SocketThatNeverListensTimesOut) {
  const std::string python = testing::python3();
  if (python.empty()) {
    GTEST_SKIP() << "python3 is needed to create a unix socket";
  }
  FakeQemu fake("exec " + python +
                " -c 'import socket,sys,time\n"
                "s=socket.socket(socket.AF_UNIX)\n"
                "s.bind(sys.argv[1])\n"
                "time.sleep(600)' \"$sock\"");
  VmSpec spec = fake.spec_without_gdb();
  spec.gdbstub = true;
  spec.start_stopped = true;
  spec.startup_timeout = milliseconds(300);
  auto vm = QemuVm::start(spec);
  ASSERT_FALSE(vm.ok());
  EXPECT_EQ(vm.error().kind, ErrorKind::Timeout);
  EXPECT_NE(vm.error().message.find("gdb socket"), std::string::npos) << vm.error().message;
}

TEST(QemuVmTest, NoGdbSocketWithoutGdbstub) {
  FakeQemu fake(
      "printf 'up\\n' >> \"$serial\"\n"
      "exec sleep 600");
  auto vm = QemuVm::start(fake.spec_without_gdb());
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  EXPECT_TRUE(vm->gdb_socket().empty());
  auto socket = vm->wait_for_gdb_socket(Deadline::in(milliseconds(0)));
  ASSERT_FALSE(socket.ok());
  EXPECT_EQ(socket.error().kind, ErrorKind::Config);
}

TEST(QemuVmTest, MoveKeepsOneOwner) {
  FakeQemu fake(
      "printf 'up\\n' >> \"$serial\"\n"
      "exec sleep 600");
  auto first = QemuVm::start(fake.spec_without_gdb());
  auto second = QemuVm::start(fake.spec_without_gdb());
  ASSERT_TRUE(first.ok() && second.ok());
  const pid_t first_pid = first->pid();
  const pid_t second_pid = second->pid();
  const auto second_dir = second->run_dir();
  QemuVm owner = std::move(*first);
  EXPECT_EQ(first->pid(), -1);
  EXPECT_EQ(owner.pid(), first_pid);
  EXPECT_TRUE(owner.running());
  // Replacing a live VM (emplace: QemuVm is not assignable) ends it, qemu and folder.
  const auto first_dir = owner.run_dir();
  std::optional<QemuVm> slot(std::move(owner));
  // The moved-from state is what this checks.
  EXPECT_EQ(owner.pid(), -1);  // NOLINT(bugprone-use-after-move)
  slot.emplace(std::move(*second));
  EXPECT_TRUE(process_gone(first_pid));
  EXPECT_FALSE(std::filesystem::exists(first_dir));
  EXPECT_EQ(slot->pid(), second_pid);
  EXPECT_TRUE(std::filesystem::exists(second_dir));
  slot.reset();
  EXPECT_TRUE(process_gone(second_pid));
  EXPECT_FALSE(std::filesystem::exists(second_dir));
}

// A killed run (SIGKILL, a second Ctrl-C) leaves its folder; the next start removes it, and only it.
TEST(QemuVmTest, StartRemovesTheFoldersOfKilledRuns) {
  FakeQemu fake("printf 'up\\n' >> \"$serial\"\nexec sleep 600");
  const std::filesystem::path parent = fake.dir() / "runs";
  std::filesystem::create_directories(parent);
  // The folder a killed run left: its owner (a reaped child here) is gone.
  pid_t gone = -1;
  {
    ChildSpec spec;
    spec.argv = {"true"};
    auto child = ChildProcess::spawn(spec);
    ASSERT_TRUE(child.ok());
    gone = child->pid();
    ASSERT_TRUE(child->wait(Deadline::in(kGenerous)).ok());
  }
  const std::string pid_ns = std::filesystem::read_symlink("/proc/self/ns/pid").string();
  std::filesystem::create_directories(parent / "kh-killed");
  std::ofstream(parent / "kh-killed" / std::string(kRunDirOwnerFile)) << gone << " 1 " << pid_ns << "\n";
  std::ofstream(parent / "kh-killed" / "serial.log") << "boot\n";
  // A folder of another program with the same prefix, and one of a run that still runs (this test).
  std::filesystem::create_directories(parent / "kh-foreign");
  auto live = TempDir::create_owned("kh-", parent);
  ASSERT_TRUE(live.ok());

  VmSpec spec = fake.spec_without_gdb();
  spec.work_parent = parent;
  auto vm = QemuVm::start(spec);
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  EXPECT_FALSE(std::filesystem::exists(parent / "kh-killed"));
  EXPECT_TRUE(std::filesystem::exists(parent / "kh-foreign"));
  EXPECT_TRUE(std::filesystem::exists(live->path()));
  // The VM's own folder names its owner, so that a later run can sweep it if this one is killed.
  std::ifstream owner(vm->run_dir() / std::string(kRunDirOwnerFile));
  pid_t pid = 0;
  ASSERT_TRUE(owner >> pid);
  EXPECT_EQ(pid, ::getpid());
  vm->terminate();
}

}  // namespace
}  // namespace kh::vm
