// The reproducer bundle's writer: shell quoting read back by /bin/sh, the power-on qemu line,
// paths relative to the bundle, hard links, and bad folders refused before anything boots.
#include "engine/run_bundle.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "common/child_process.h"
#include "common/file_io.h"
#include "common/temp_dir.h"
#include "image/shell_words.h"
#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::engine {
namespace {

constexpr std::string_view kScenario = R"(<scenario name="bundle">
  <guest program="mnt_ns_clone"/>
  <breakpoint function="copy_mnt_ns"/>
  <breakpoint function="attach_recursive_mnt" condition="dest_mp != 0"/>
</scenario>)";

void write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// A prepared run whose kernel and image are small files under `cache` (a path with a space and
// a quote, as a user's home could have).
PreparedRun prepared(const std::filesystem::path& cache) {
  PreparedRun run;
  auto scenario = trace::parse_scenario(kScenario, "bundle.xml");
  EXPECT_TRUE(scenario.ok());
  run.scenario = std::move(*scenario);
  run.resolved = trace::resolve(run.scenario, *KernelVersion::parse("6.1.192"));
  run.kernel.release = "6.1.192";
  run.kernel.dir = cache / "kernel";
  run.kernel.vmlinux = cache / "kernel" / "vmlinux";
  run.kernel.bzimage = cache / "kernel" / "bzImage";
  run.kernel.gdb_scripts = cache / "kernel" / "vmlinux-gdb.py";
  run.initramfs = cache / "initramfs" / "guest.cpio.gz";
  write(run.kernel.vmlinux, "ELF");
  write(run.kernel.bzimage, "HdrS");
  write(run.kernel.gdb_scripts, "import os\n");
  write(cache / "kernel" / "scripts" / "gdb" / "linux" / "utils.py", "# utils\n");
  write(run.initramfs, "070701");
  run.accel = vm::Accel::Tcg;
  run.current_task = "current_task";
  auto plan = plan_breakpoints(run.resolved, run.current_task);
  EXPECT_TRUE(plan.ok());
  run.plan = std::move(*plan);
  run.vm = vm_spec_for(RunOptions{}, run.kernel, run.initramfs, run.accel);
  return run;
}

// What /bin/sh makes of `words` (shell text) with $here, $run_dir and $qemu set: one word a line.
std::vector<std::string> sh_words(const std::string& words) {
  ChildSpec spec;
  spec.argv = {"/bin/sh", "-c",
               "here=\"/odd dir/it's\"; run_dir=/tmp/kh-repro-x; qemu=qemu-system-x86_64; "
               "for w in " +
                   words + "; do printf '%s\\n' \"$w\"; done"};
  auto output = run_command(spec, Deadline::in(std::chrono::seconds(10)));
  EXPECT_TRUE(output.ok());
  EXPECT_EQ(output->exit_code, 0) << output->output;
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < output->output.size()) {
    std::size_t end = output->output.find('\n', at);
    lines.push_back(output->output.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

TEST(BundleShellWord, ReadsBackAsTheSameWordWithTheFoldersFilledIn) {
  const std::string words = bundle_shell_word("@KH_BUNDLE@/bzImage") + " " +
                            bundle_shell_word("file:@KH_RUN_DIR@/serial.log") + " " +
                            bundle_shell_word("it's \"quoted\" $HOME `x` \\") + " " + bundle_shell_word("") +
                            " " + bundle_shell_word("@KH_QEMU@");
  EXPECT_EQ(sh_words(words),
            (std::vector<std::string>{"/odd dir/it's/bzImage", "file:/tmp/kh-repro-x/serial.log",
                                      "it's \"quoted\" $HOME `x` \\", "", "qemu-system-x86_64"}));
}

TEST(BundleQemuCommand, BootsFromPowerOnWhateverTheSnapshotAdded) {
  TempDir dir = std::move(TempDir::create("kh-bundle-test-")).value();
  PreparedRun run = prepared(dir.path() / "ca che's");
  vm::VmSpec spec = run.vm;
  spec.qmp = true;
  spec.go_port = true;
  spec.incoming = "/cache/snapshots/x.state";
  spec.extra_append = "kh.debug=1";
  auto command = bundle_qemu_command(spec);
  ASSERT_TRUE(command.ok()) << command.error().to_string();
  const std::vector<std::string> words = sh_words(*command);
  const std::vector<std::string> expected = {"qemu-system-x86_64",
                                             "-nographic",
                                             "-monitor",
                                             "none",
                                             "-serial",
                                             "file:/tmp/kh-repro-x/serial.log",
                                             "-no-reboot",
                                             "-accel",
                                             "tcg",
                                             "-m",
                                             "256",
                                             "-smp",
                                             "1",
                                             "-kernel",
                                             "/odd dir/it's/bzImage",
                                             "-initrd",
                                             "/odd dir/it's/initramfs.cpio.gz",
                                             "-append",
                                             "console=ttyS0 nokaslr panic=-1 oops=panic quiet kh.debug=1",
                                             "-S",
                                             "-gdb",
                                             "unix:/tmp/kh-repro-x/gdb.sock,server,nowait"};
  EXPECT_EQ(words, expected);
}

TEST(RunBundle, HoldsLinksScriptsAndRelativePathsOnly) {
  TempDir dir = std::move(TempDir::create("kh-bundle-test-")).value();
  const std::filesystem::path cache = dir.path() / "ca che's";
  const PreparedRun run = prepared(cache);
  const std::filesystem::path bundle = dir.path() / "my \"bundle\" 1";
  const std::vector<std::string> used = {"qemu-system-x86_64", "-kernel",
                                         (cache / "kernel" / "bzImage").string(), "-append",
                                         "console=ttyS0 it's"};
  Status written = write_run_bundle(run, bundle, used, /*restored=*/true);
  ASSERT_TRUE(written.ok()) << written.error().to_string();

  struct stat original {
  }, linked{};
  ASSERT_EQ(::stat(run.kernel.vmlinux.c_str(), &original), 0);
  ASSERT_EQ(::stat((bundle / "vmlinux").c_str(), &linked), 0);
  EXPECT_EQ(original.st_ino, linked.st_ino) << "same file system: a hard link, not a copy";
  EXPECT_TRUE(std::filesystem::is_regular_file(bundle / "bzImage"));
  EXPECT_TRUE(std::filesystem::is_regular_file(bundle / "initramfs.cpio.gz"));
  EXPECT_TRUE(std::filesystem::is_regular_file(bundle / "vmlinux-gdb.py"));
  EXPECT_TRUE(std::filesystem::is_regular_file(bundle / "scripts" / "gdb" / "linux" / "utils.py"));
  EXPECT_EQ(::access((bundle / "reproduce.sh").c_str(), X_OK), 0);

  // Nothing in the scripts names the caches or the bundle's own folder: it can be moved.
  const std::string script = read_file(bundle / "reproduce.sh").value();
  const std::string gdb = read_file(bundle / "breakpoints.gdb").value();
  for (const std::string* text : {&script, &gdb}) {
    EXPECT_EQ(text->find(cache.string()), std::string::npos) << *text;
    EXPECT_EQ(text->find(bundle.string()), std::string::npos) << *text;
  }
  ChildSpec syntax;
  syntax.argv = {"/bin/sh", "-n", (bundle / "reproduce.sh").string()};
  auto checked = run_command(syntax, Deadline::in(std::chrono::seconds(10)));
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->exit_code, 0) << checked->output;

  // The gdb script is the plan's own CLI breakpoints after the target.
  const std::size_t target = gdb.find("eval \"target remote %s\", $kh_socket\n");
  ASSERT_NE(target, std::string::npos) << gdb;
  for (const PlannedBreakpoint& planned : run.plan) {
    EXPECT_GT(gdb.find(planned.cli_command + "\n"), target) << planned.cli_command;
  }
  EXPECT_NE(gdb.find("\nfile vmlinux\nsource vmlinux-gdb.py\n"), std::string::npos) << gdb;

  // qemu-command.txt: the argv kharness ran, exactly, then the reproducer's.
  const std::string commands = read_file(bundle / "qemu-command.txt").value();
  EXPECT_NE(commands.find("restoring a snapshot"), std::string::npos) << commands;
  const std::size_t line = commands.find("\nqemu-system-x86_64 ");
  ASSERT_NE(line, std::string::npos) << commands;
  const std::string used_line = commands.substr(line + 1, commands.find('\n', line + 1) - line - 1);
  EXPECT_EQ(image::split_shell_words(used_line).value(), used);
  EXPECT_NE(commands.find("\"$qemu\" -nographic"), std::string::npos) << commands;

  // A second bundle into the same folder replaces the first.
  EXPECT_TRUE(write_run_bundle(run, bundle, {}, false).ok());
  EXPECT_NE(read_file(bundle / "qemu-command.txt").value().find("never started qemu"), std::string::npos);
}

TEST(CheckBundleDir, RefusesFilesForeignFoldersAndUnmakeablePaths) {
  TempDir dir = std::move(TempDir::create("kh-bundle-test-")).value();
  write(dir.path() / "a file", "x");
  write(dir.path() / "photos" / "cat.jpg", "x");

  auto is_file = check_bundle_dir(dir.path() / "a file", "--bundle");
  ASSERT_FALSE(is_file.ok());
  EXPECT_EQ(is_file.error().kind, ErrorKind::Config);
  EXPECT_NE(is_file.error().message.find("--bundle"), std::string::npos);
  EXPECT_NE(is_file.error().message.find("is a file"), std::string::npos) << is_file.error().message;

  auto below_file = check_bundle_dir(dir.path() / "a file" / "b", "--bundle");
  ASSERT_FALSE(below_file.ok());
  EXPECT_EQ(below_file.error().kind, ErrorKind::Config);
  EXPECT_NE(below_file.error().message.find("cannot make"), std::string::npos) << below_file.error().message;

  auto foreign = check_bundle_dir(dir.path() / "photos", "--bundle");
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("no reproduce.sh"), std::string::npos) << foreign.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "photos" / "cat.jpg"));

  EXPECT_TRUE(check_bundle_dir(dir.path() / "new" / "nested bundle", "--bundle").ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "new" / "nested bundle"));
}

}  // namespace
}  // namespace kh::engine
