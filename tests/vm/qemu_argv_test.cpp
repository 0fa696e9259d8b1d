#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vm/accel.h"
#include "vm/qemu_vm.h"

namespace kh::vm {
namespace {

bool contains(const std::vector<std::string>& argv, std::string_view arg) {
  return std::find(argv.begin(), argv.end(), arg) != argv.end();
}

// The argument after `option`, or "" when the option is missing.
std::string value_of(const std::vector<std::string>& argv, std::string_view option) {
  auto it = std::find(argv.begin(), argv.end(), option);
  return it == argv.end() || it + 1 == argv.end() ? std::string() : *(it + 1);
}

VmSpec base_spec() {
  VmSpec spec;
  spec.kernel = "/cache/bzImage";
  return spec;
}

TEST(ParseAccelTest, AcceptsTheThreeNamesOnly) {
  const std::pair<std::string_view, Accel> good[] = {
      {"auto", Accel::Auto}, {"kvm", Accel::Kvm}, {"tcg", Accel::Tcg}};
  for (const auto& [text, accel] : good) {
    auto parsed = parse_accel(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(*parsed, accel);
    EXPECT_EQ(to_string(accel), text);
  }
  for (std::string_view bad : {"", "KVM", "hvf", "tcg ", "kvm,tcg"}) {
    auto parsed = parse_accel(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().kind, ErrorKind::Config);
    EXPECT_NE(parsed.error().message.find("auto, kvm or tcg"), std::string::npos);
  }
}

TEST(KernelCommandLineTest, BaseLineThenExtra) {
  VmSpec spec = base_spec();
  EXPECT_EQ(kernel_command_line(spec), "console=ttyS0 nokaslr panic=-1 oops=panic quiet");
  spec.extra_append = "rdinit=/init kh.args=x";
  EXPECT_EQ(kernel_command_line(spec), "console=ttyS0 nokaslr panic=-1 oops=panic quiet rdinit=/init kh.args=x");
}

TEST(QemuArgvTest, StoppedGuestWithPrivateGdbSocket) {
  VmSpec spec = base_spec();
  spec.initrd = "/work/initramfs.cpio.gz";
  auto argv = qemu_argv(spec, "/tmp/kh-abc123");
  ASSERT_TRUE(argv.ok()) << argv.error().to_string();
  EXPECT_EQ(argv->front(), "qemu-system-x86_64");
  EXPECT_TRUE(contains(*argv, "-S"));
  EXPECT_EQ(value_of(*argv, "-gdb"), "unix:/tmp/kh-abc123/gdb.sock,server,nowait");
  EXPECT_TRUE(contains(*argv, "-no-reboot"));
  EXPECT_TRUE(contains(*argv, "-nographic"));
  EXPECT_EQ(value_of(*argv, "-monitor"), "none");
  EXPECT_EQ(value_of(*argv, "-serial"), "file:/tmp/kh-abc123/serial.log");
  EXPECT_EQ(value_of(*argv, "-accel"), "tcg");
  EXPECT_FALSE(contains(*argv, "-cpu"));
  EXPECT_EQ(value_of(*argv, "-kernel"), "/cache/bzImage");
  EXPECT_EQ(value_of(*argv, "-initrd"), "/work/initramfs.cpio.gz");
  EXPECT_EQ(value_of(*argv, "-m"), "256");
  EXPECT_EQ(value_of(*argv, "-smp"), "1");
  const std::string append = value_of(*argv, "-append");
  for (std::string_view word : {"console=ttyS0", "nokaslr", "panic=-1", "oops=panic"}) {
    EXPECT_NE(append.find(word), std::string::npos) << word;
  }
  // Parallel runs must never share the fixed gdb port.
  for (const std::string& arg : *argv) {
    EXPECT_NE(arg, "-s");
    EXPECT_EQ(arg.find("tcp::1234"), std::string::npos) << arg;
    EXPECT_EQ(arg.find("tcp:"), std::string::npos) << arg;
  }
}

TEST(QemuArgvTest, KvmUsesTheHostCpu) {
  VmSpec spec = base_spec();
  spec.accel = Accel::Kvm;
  spec.memory_mb = 512;
  spec.cpus = 2;
  auto argv = qemu_argv(spec, "/tmp/kh-abc123");
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(value_of(*argv, "-accel"), "kvm");
  EXPECT_EQ(value_of(*argv, "-cpu"), "host");
  EXPECT_EQ(value_of(*argv, "-m"), "512");
  EXPECT_EQ(value_of(*argv, "-smp"), "2");
}

TEST(QemuArgvTest, RunningGuestWithoutGdb) {
  VmSpec spec = base_spec();
  spec.gdbstub = false;
  spec.start_stopped = false;
  spec.qemu = "/opt/qemu/bin/qemu-system-x86_64";
  auto argv = qemu_argv(spec, "/tmp/kh-abc123");
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(argv->front(), "/opt/qemu/bin/qemu-system-x86_64");
  EXPECT_FALSE(contains(*argv, "-S"));
  EXPECT_FALSE(contains(*argv, "-gdb"));
  EXPECT_FALSE(contains(*argv, "-initrd"));
}

struct BadSpecCase {
  std::string_view what;
  VmSpec spec;
  std::string run_dir;
  std::string_view message_part;
};

TEST(QemuArgvTest, SnapshotVmHasQmpGoPortAndIncomingState) {
  VmSpec spec = base_spec();
  auto plain = qemu_argv(spec, "/tmp/kh-abc123");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(contains(*plain, "-qmp"));
  EXPECT_FALSE(contains(*plain, "-chardev"));
  EXPECT_FALSE(contains(*plain, "-incoming"));

  spec.qmp = true;
  spec.go_port = true;
  spec.incoming = "/cache/snapshots/it's.state";
  auto argv = qemu_argv(spec, "/tmp/kh-abc123");
  ASSERT_TRUE(argv.ok());
  EXPECT_EQ(value_of(*argv, "-qmp"), "unix:/tmp/kh-abc123/qmp.sock,server=on,wait=off");
  EXPECT_EQ(value_of(*argv, "-chardev"), "socket,id=khgo,path=/tmp/kh-abc123/go.sock,server=on,wait=off");
  EXPECT_EQ(value_of(*argv, "-device"), "isa-serial,chardev=khgo");
  // qemu runs exec: through /bin/sh: the path is one quoted word.
  EXPECT_EQ(value_of(*argv, "-incoming"), "exec:cat '/cache/snapshots/it'\\''s.state'");
}

TEST(QemuArgvTest, RejectsUnusableSpecs) {
  auto with = [](auto change) {
    VmSpec spec = base_spec();
    change(spec);
    return spec;
  };
  const BadSpecCase cases[] = {
      {"unresolved accel", with([](VmSpec& s) { s.accel = Accel::Auto; }), "/tmp/kh-a", "resolved"},
      {"stopped without gdb", with([](VmSpec& s) { s.gdbstub = false; }), "/tmp/kh-a", "gdbstub"},
      {"no memory", with([](VmSpec& s) { s.memory_mb = 0; }), "/tmp/kh-a", "positive"},
      {"no cpus", with([](VmSpec& s) { s.cpus = -1; }), "/tmp/kh-a", "positive"},
      {"comma in dir", base_spec(), "/tmp/a,b/kh-a", "','"},
      {"socket path too long", base_spec(), "/tmp/" + std::string(100, 'd') + "/kh-a", "107"},
  };
  for (const auto& c : cases) {
    auto argv = qemu_argv(c.spec, c.run_dir);
    ASSERT_FALSE(argv.ok()) << c.what;
    EXPECT_EQ(argv.error().kind, ErrorKind::Config) << c.what;
    EXPECT_NE(argv.error().message.find(c.message_part), std::string::npos)
        << c.what << ": " << argv.error().message;
  }
}

TEST(QemuArgvTest, SocketPathAtTheLimitIsAccepted) {
  // "/" + dir + "/gdb.sock" is exactly 107 bytes.
  const std::string dir = "/" + std::string(kMaxUnixSocketPath - 1 - 9, 'd');
  ASSERT_EQ(dir.size() + 9, kMaxUnixSocketPath);
  EXPECT_TRUE(qemu_argv(base_spec(), dir).ok());
  EXPECT_FALSE(qemu_argv(base_spec(), dir + "d").ok());
}

}  // namespace
}  // namespace kh::vm
