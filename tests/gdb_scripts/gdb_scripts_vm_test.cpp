// gdb-scripts/kharness.py in a real kernel: Debian's 6.1 (from the kernel cache) boots the
// mnt_ns_clone guest under QEMU (TCG), gdb stops at the child's bind mount in
// attach_recursive_mnt, and the helpers describe what the seed's gdb session showed by hand.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "gdb_scripts/gdb_batch.h"
#include "image/initramfs.h"
#include "kernel/kernel.h"
#include "vm/qemu_vm.h"

namespace kh::test {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

// The kh-mounts lines whose mount point is `path`.
std::vector<std::string> mounts_on(const std::string& table, const std::string& path) {
  std::vector<std::string> found;
  for (const std::string& line : lines_of(table)) {
    std::istringstream fields(line);
    std::string id;
    std::string parent;
    std::string mount_point;
    fields >> id >> parent >> mount_point;
    if (mount_point == path) {
      found.push_back(line);
    }
  }
  return found;
}

TEST(GdbScriptsVm, HelpersAtTheBindMountOfMntNsClone) {
  Result<kernel::KernelBuild> kernel = kernel::provide_kernel(kernel::KernelRequest{});
  ASSERT_TRUE(kernel.ok()) << kernel.error().to_string();
  ASSERT_FALSE(kernel->gdb_scripts.empty()) << "the kernel build has no vmlinux-gdb.py";

  Result<TempDir> dir = TempDir::create("kh-gdb-scripts-vm-");
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  image::InitramfsSpec image;
  image.guest = "mnt_ns_clone";
  image.output = dir->path() / "initramfs.cpio.gz";
  Result<void> built = image::build_initramfs(image);
  ASSERT_TRUE(built.ok()) << built.error().to_string();

  vm::VmSpec machine;
  machine.kernel = kernel->bzimage;
  machine.initrd = image.output;
  machine.accel = vm::Accel::Tcg;
  Result<vm::QemuVm> qemu = vm::QemuVm::start(machine);
  ASSERT_TRUE(qemu.ok()) << qemu.error().to_string();

  GdbBatchSpec spec;
  spec.program = kernel->vmlinux;
  spec.timeout = std::chrono::seconds(120);
  spec.setup = {
      "set pagination off",
      "set confirm off",
      "add-auto-load-safe-path " + kernel->gdb_scripts.parent_path().string(),
      "source " + kernel->gdb_scripts.string(),
      "target remote " + qemu->gdb_socket().string(),
      // The guest's comm, and the bind rather than its proc mount: a kharness function in a condition.
      "break attach_recursive_mnt if $_streq($lx_current().comm, \"mnt_ns_clone\") && "
      "$_streq($kh_dentry_name(dest_mp), \"mount_dir_test\")",
      "continue",
  };
  spec.commands = {
      "kh-task",
      "kh-dentry-name dest_mp",
      "kh-dentry-name source_mnt->mnt_mountpoint",
      "output $kh_dentry_name(source_mnt->mnt.mnt_root)",
      "kh-mount-path source_mnt",
      "kh-mounts",
      "kh-mounts init_task.nsproxy->mnt_ns",
      "output $kh_propagation(source_mnt)",
      "kh-mount-path 0",
  };
  Result<GdbBatchOutput> run = run_gdb_batch(spec);
  qemu->terminate();
  ASSERT_TRUE(run.ok()) << run.error().to_string() << "\n"
                        << (run.ok() || run.error().details.empty() ? "" : run.error().details.front());
  const std::vector<GdbCommandOutput>& out = run->commands;
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    EXPECT_FALSE(out[i].failed) << out[i].command << ": " << out[i].text << "\n" << run->raw;
  }

  EXPECT_TRUE(out[0].text.find(" comm=mnt_ns_clone mnt_ns=0x") != std::string::npos) << out[0].text;
  EXPECT_EQ(out[1].text, "mount_dir_test\n");
  // The bind's clone hangs on its own root until attach_recursive_mnt grafts it: the source dir.
  EXPECT_EQ(out[2].text, "myproc\n");
  EXPECT_EQ(out[3].text, "\"myproc\"");
  EXPECT_EQ(out[4].text, "/\n");

  // The child's namespace: a copy of the init's (/, /dev, /proc, /sys) plus its own proc, stacked
  // on the copied /proc. Nothing is shared in this initramfs.
  const std::string& child = out[5].text;
  ASSERT_EQ(mounts_on(child, "/").size(), 1U) << child;
  EXPECT_TRUE(mounts_on(child, "/")[0].ends_with(" rootfs rootfs private")) << child;
  std::vector<std::string> procs = mounts_on(child, "/proc");
  ASSERT_EQ(procs.size(), 2U) << child;
  EXPECT_TRUE(procs[1].ends_with(" proc proc private")) << child;
  EXPECT_EQ(mounts_on(child, "/mount_dir_test").size(), 0U) << "the bind is not attached yet\n" << child;
  // The initial namespace has one proc, and the mounts are not the same objects.
  const std::string& initial = out[6].text;
  EXPECT_EQ(mounts_on(initial, "/proc").size(), 1U) << initial;
  EXPECT_EQ(mounts_on(initial, "/dev").size(), 1U) << initial;
  EXPECT_NE(initial, child);
  EXPECT_EQ(out[7].text, "\"private\"");

  EXPECT_TRUE(out[8].failed);
  EXPECT_TRUE(out[8].text.starts_with("kh-mount-path: cannot read kernel memory")) << out[8].text;
  EXPECT_EQ(run->raw.find("Traceback"), std::string::npos) << run->raw;
}

}  // namespace
}  // namespace kh::test
