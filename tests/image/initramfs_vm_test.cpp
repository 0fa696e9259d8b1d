// Boots Debian's 6.1 kernel (from the kernel cache, built when missing) under TCG with the image
// of each guest program: the serial console must show the ready marker, the guest's start, its
// KH-RESULT lines and `KH-EXIT 0`, and qemu must end by itself (the init powers off).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "guest_expectations.h"
#include "image/initramfs.h"
#include "kernel/kernel.h"
#include "vm/qemu_vm.h"

namespace kh::image {
namespace {

constexpr auto kBootTimeout = std::chrono::seconds(60);

// The serial console's lines, without carriage returns.
std::vector<std::string> serial_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) {
    line.erase(std::remove(line.begin(), line.end(), '\r'), line.end());
    lines.push_back(line);
  }
  return lines;
}

bool has_line(const std::vector<std::string>& lines, const std::string& wanted) {
  return std::find(lines.begin(), lines.end(), wanted) != lines.end();
}

// The serial text of one boot of `guest` with `args`, after qemu ended by itself.
struct Boot {
  std::string serial;
  std::vector<std::string> lines;
};

class InitramfsVmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto kernel = kernel::provide_kernel(kernel::KernelRequest{});
    if (!kernel.ok()) {
      kernel_error_ = kernel.error().to_string();
      for (const auto& line : kernel.error().details) {
        kernel_error_ += "\n  " + line;
      }
      return;
    }
    bzimage_ = kernel->bzimage;
  }

  void SetUp() override { ASSERT_TRUE(bzimage_.has_value()) << "no kernel to boot: " << kernel_error_; }

  // Packs the image and boots it until qemu ends; fails the test when it does not end by itself.
  std::optional<Boot> boot(const std::string& guest, const std::vector<std::string>& args = {},
                           const std::filesystem::path& skeleton = {}) {
    auto dir = TempDir::create("kh-initramfs-vm-");
    EXPECT_TRUE(dir.ok());
    if (!dir.ok()) {
      return std::nullopt;
    }
    InitramfsSpec spec;
    spec.guest = guest;
    spec.args = args;
    spec.output = dir->path() / "guest.cpio.gz";
    spec.guest_dir = testing::kGuestDir;
    spec.skeleton = skeleton;
    auto built = build_initramfs(spec);
    EXPECT_TRUE(built.ok()) << built.error().to_string();
    if (!built.ok()) {
      return std::nullopt;
    }

    vm::VmSpec vm_spec;
    vm_spec.kernel = *bzimage_;
    vm_spec.initrd = spec.output;
    vm_spec.accel = vm::Accel::Tcg;  // KVM does not work on these machines
    vm_spec.gdbstub = false;
    vm_spec.start_stopped = false;
    auto vm = vm::QemuVm::start(vm_spec);
    EXPECT_TRUE(vm.ok()) << vm.error().to_string();
    if (!vm.ok()) {
      return std::nullopt;
    }
    // The init always ends the VM by itself (poweroff): no marker to wait for, just qemu's exit.
    auto status = vm->wait_for_exit(Deadline::in(kBootTimeout));
    vm->consume_events();
    EXPECT_TRUE(status.ok()) << "qemu did not end by itself: "
                             << (status.ok() ? "" : status.error().to_string()) << "\nserial:\n"
                             << vm->serial_text();
    Boot result{vm->serial_text(), serial_lines(vm->serial_text())};
    vm->terminate();
    return result;
  }

  static inline std::optional<std::filesystem::path> bzimage_;
  static inline std::string kernel_error_;
};

class GuestProgramVmTest : public InitramfsVmTest,
                           public ::testing::WithParamInterface<testing::GuestCase> {};

TEST_P(GuestProgramVmTest, RunsInTheGuestAndReportsAsDocumented) {
  const testing::GuestCase& c = GetParam();
  auto result = boot(c.program);
  ASSERT_TRUE(result.has_value());
  const auto& lines = result->lines;
  EXPECT_TRUE(has_line(lines, std::string(kReadyMarker))) << result->serial;
  EXPECT_TRUE(has_line(lines, std::string(kGuestStartMarker) + " " + c.program)) << result->serial;
  EXPECT_TRUE(has_line(lines, std::string(kExitMarker) + " 0")) << result->serial;
  EXPECT_EQ(result->serial.find(kFailPrefix), std::string::npos) << result->serial;
  auto results = testing::parse_results(result->serial);
  for (const auto& [name, value] : c.results) {
    auto found = results.find(name);
    ASSERT_NE(found, results.end()) << "no KH-RESULT " << name << " in:\n" << result->serial;
    EXPECT_EQ(found->second, value) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(AllGuests, GuestProgramVmTest, ::testing::ValuesIn(testing::kGuestCases),
                         [](const ::testing::TestParamInfo<testing::GuestCase>& param_info) {
                           return std::string(param_info.param.program);
                         });

TEST_F(InitramfsVmTest, AFailingGuestStillEndsTheVmWithItsStatus) {
  auto result = boot("mnt_ns_clone", {"--no-such-option"});
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(has_line(result->lines, std::string(kReadyMarker))) << result->serial;
  EXPECT_TRUE(has_line(result->lines, std::string(kExitMarker) + " 2")) << result->serial;
}

TEST_F(InitramfsVmTest, AnInitFailureIsReportedAndStillEndsTheVm) {
  // The real skeleton, with an fstab line that no kernel can mount.
  auto dir = TempDir::create("kh-bad-skeleton-");
  ASSERT_TRUE(dir.ok());
  std::filesystem::copy(std::filesystem::path(KH_SOURCE_DIR) / "initramfs", dir->path(),
                        std::filesystem::copy_options::recursive);
  std::ofstream(dir->path() / "rootfs" / "etc" / "fstab", std::ios::app)
      << "none /mnt no_such_fs defaults 0 0\n";
  auto result = boot("mnt_ns_clone", {}, dir->path() / "skeleton.txt");
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(has_line(result->lines, std::string(kInitFailedMarker) + " mount -a")) << result->serial;
  EXPECT_FALSE(has_line(result->lines, std::string(kReadyMarker))) << result->serial;
  EXPECT_EQ(result->serial.find(kGuestStartMarker), std::string::npos) << result->serial;
}

}  // namespace
}  // namespace kh::image
