// QemuVm with the real qemu and Debian's 6.1 kernel (label vm): boots, the gdbstub holding the VM
// stopped, the busybox initramfs running a guest to KH-EXIT, and the KVM probe on this host.
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "fake_qemu.h"
#include "image/initramfs.h"
#include "kernel/kernel.h"
#include "vm/accel.h"
#include "vm/qemu_vm.h"

namespace kh::vm {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// TCG boots the tinyconfig kernel in about 1.5 s; the margin is for a loaded machine.
constexpr milliseconds kBootDeadline{60000};

// Debian's 6.1 from the kernel cache (built on the first call if it is not there yet).
const kh::kernel::KernelBuild& debian_kernel() {
  static const Result<kh::kernel::KernelBuild> build = kh::kernel::provide_kernel(kh::kernel::KernelRequest{});
  if (!build.ok()) {
    ADD_FAILURE() << "no kernel: " << build.error().to_string();
    static const kh::kernel::KernelBuild none;
    return none;
  }
  return build.value();
}

VmSpec running_spec() {
  VmSpec spec;
  spec.kernel = debian_kernel().bzimage;
  spec.accel = Accel::Tcg;
  spec.gdbstub = false;
  spec.start_stopped = false;
  return spec;
}

// Checks that qemu is gone once the VM object is, and that its directory went with it.
void expect_cleaned_up(pid_t qemu_pid, const std::filesystem::path& run_dir) {
  EXPECT_TRUE(testing::process_ends_within(qemu_pid, seconds(10))) << "qemu pid " << qemu_pid << " survived";
  EXPECT_FALSE(std::filesystem::exists(run_dir)) << run_dir;
}

TEST(QemuVmBootTest, KernelWithoutRootFsPanicsAndQemuExits) {
  pid_t pid = -1;
  std::filesystem::path run_dir;
  {
    auto vm = QemuVm::start(running_spec());
    ASSERT_TRUE(vm.ok()) << vm.error().to_string();
    pid = vm->pid();
    run_dir = vm->run_dir();
    auto line = vm->wait_for_serial("Kernel panic", Deadline::in(kBootDeadline));
    ASSERT_TRUE(line.ok()) << line.error().to_string();
    ASSERT_TRUE(vm->panic_line());
    EXPECT_NE(vm->panic_line()->find("Kernel panic - not syncing"), std::string::npos) << *vm->panic_line();
    EXPECT_TRUE(vm->panic_line()->find("Unable to mount root fs") != std::string::npos ||
                vm->panic_line()->find("No working init found") != std::string::npos)
        << *vm->panic_line();
    // panic=-1 reboots at once and -no-reboot turns that into qemu's exit.
    auto status = vm->wait_for_exit(Deadline::in(kBootDeadline));
    ASSERT_TRUE(status.ok()) << status.error().to_string();
    EXPECT_EQ(*status, 0);
    EXPECT_FALSE(vm->running());
  }
  expect_cleaned_up(pid, run_dir);
}

TEST(QemuVmBootTest, StoppedVmWaitsForGdbThenBoots) {
  VmSpec spec = running_spec();
  spec.gdbstub = true;
  spec.start_stopped = true;
  pid_t pid = -1;
  std::filesystem::path run_dir;
  {
    auto vm = QemuVm::start(spec);
    ASSERT_TRUE(vm.ok()) << vm.error().to_string();
    pid = vm->pid();
    run_dir = vm->run_dir();
    ASSERT_TRUE(vm->wait_for_gdb_socket(Deadline::in(milliseconds(0))).ok());
    EXPECT_EQ(vm->gdb_socket().parent_path(), run_dir);

    // -S: not even the firmware runs until a debugger says so.
    auto early = vm->wait_for_serial("SeaBIOS", Deadline::in(milliseconds(1500)));
    ASSERT_FALSE(early.ok());
    EXPECT_EQ(early.error().kind, ErrorKind::Timeout);
    EXPECT_EQ(vm->serial_text(), "");
    EXPECT_TRUE(vm->running());

    ChildSpec gdb_spec;
    gdb_spec.argv = {"gdb", "-nx", "-batch", "-ex", "target remote " + vm->gdb_socket().string(), "-ex", "continue"};
    gdb_spec.stdout_mode = Stdio::Null;
    gdb_spec.stderr_mode = Stdio::Null;
    auto gdb = ChildProcess::spawn(gdb_spec);
    ASSERT_TRUE(gdb.ok()) << gdb.error().to_string();

    auto line = vm->wait_for_serial("Kernel panic", Deadline::in(kBootDeadline));
    ASSERT_TRUE(line.ok()) << line.error().to_string();
    EXPECT_TRUE(vm->wait_for_serial("SeaBIOS", Deadline::in(milliseconds(0))).ok());
    auto status = vm->wait_for_exit(Deadline::in(kBootDeadline));
    ASSERT_TRUE(status.ok()) << status.error().to_string();
    EXPECT_EQ(*status, 0);
    // gdb's `continue` ends when the remote side goes away.
    auto gdb_state = gdb->wait(Deadline::in(seconds(30)));
    EXPECT_TRUE(gdb_state.ok());
  }
  expect_cleaned_up(pid, run_dir);
}

TEST(QemuVmBootTest, InitramfsGuestRunsToExitAndPowersOff) {
  auto dir = TempDir::create("kh-vmtest-");
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  kh::image::InitramfsSpec image;
  image.guest = "mnt_ns_clone";
  image.output = dir->path() / "initramfs.cpio.gz";
  auto built = kh::image::build_initramfs(image);
  ASSERT_TRUE(built.ok()) << built.error().to_string();

  VmSpec spec = running_spec();
  spec.initrd = image.output;
  pid_t pid = -1;
  std::filesystem::path run_dir;
  {
    auto vm = QemuVm::start(spec);
    ASSERT_TRUE(vm.ok()) << vm.error().to_string();
    pid = vm->pid();
    run_dir = vm->run_dir();
    auto ready = vm->wait_for_serial(kh::image::kReadyMarker, Deadline::in(kBootDeadline));
    ASSERT_TRUE(ready.ok()) << ready.error().to_string();
    auto start = vm->wait_for_serial(kh::image::kGuestStartMarker, Deadline::in(kBootDeadline));
    ASSERT_TRUE(start.ok()) << start.error().to_string();
    EXPECT_NE(start->find("mnt_ns_clone"), std::string::npos) << *start;
    auto exit = vm->wait_for_serial(kh::image::kExitMarker, Deadline::in(kBootDeadline));
    ASSERT_TRUE(exit.ok()) << exit.error().to_string();
    EXPECT_EQ(*exit, std::string(kh::image::kExitMarker) + " 0");
    auto status = vm->wait_for_exit(Deadline::in(kBootDeadline));
    ASSERT_TRUE(status.ok()) << status.error().to_string();
    EXPECT_EQ(*status, 0);
    EXPECT_EQ(vm->describe_exit(), "qemu exited with status 0");
    EXPECT_FALSE(vm->panic_line()) << *vm->panic_line();
  }
  expect_cleaned_up(pid, run_dir);
}

TEST(QemuVmBootTest, QemuRejectingTheKernelFailsStartWithItsMessage) {
  auto dir = TempDir::create("kh-vmtest-");
  ASSERT_TRUE(dir.ok());
  const auto bogus = dir->path() / "bzImage";
  std::ofstream(bogus) << "not a kernel\n";
  VmSpec spec;
  spec.kernel = bogus;
  auto vm = QemuVm::start(spec);
  ASSERT_FALSE(vm.ok());
  EXPECT_EQ(vm.error().kind, ErrorKind::Process);
  EXPECT_NE(vm.error().message.find("exited with status 1"), std::string::npos) << vm.error().message;
  EXPECT_NE(vm.error().message.find("invalid kernel header"), std::string::npos) << vm.error().message;
}

TEST(QemuVmBootTest, AcceleratorProbeOnThisHost) {
  auto dir = TempDir::create("kh-vmtest-");
  ASSERT_TRUE(dir.ok());
  AccelProbeSettings settings;
  settings.cache_file = dir->path() / "accel-probe.json";
  auto accel = resolve_accel(Accel::Auto, debian_kernel().bzimage, settings);
  ASSERT_TRUE(accel.ok()) << accel.error().to_string();
  ASSERT_TRUE(*accel == Accel::Kvm || *accel == Accel::Tcg);

  std::ifstream in(settings.cache_file);
  std::ostringstream text;
  text << in.rdbuf();
  const auto cache = nlohmann::json::parse(text.str(), nullptr, false);
  if (std::filesystem::exists(settings.kvm_device)) {
    ASSERT_TRUE(cache.is_object()) << "a host with /dev/kvm must have been probed";
    EXPECT_EQ(cache.value("kvm_works", false), *accel == Accel::Kvm);
    std::cout << "accel " << to_string(*accel) << ": " << cache.value("detail", "") << "\n";
  } else {
    EXPECT_EQ(*accel, Accel::Tcg);
  }
  // Whatever the probe chose must boot the kernel.
  VmSpec spec = running_spec();
  spec.accel = *accel;
  auto vm = QemuVm::start(spec);
  ASSERT_TRUE(vm.ok()) << vm.error().to_string();
  EXPECT_TRUE(vm->wait_for_serial("Kernel panic - not syncing", Deadline::in(kBootDeadline)).ok());
}

}  // namespace
}  // namespace kh::vm
