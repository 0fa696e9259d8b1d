// Labs end to end on Debian's 6.1 kernel under TCG, through the kharness binary: each guest form
// passes a scenario of its own, fork/exec scoping of a command line, `kharness record`, and the
// labs/bind-mount kit. No qemu or gdb may outlive a run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "common/deadline.h"
#include "common/temp_dir.h"
#include "labs/lab_support.h"
#include "support/processes.h"

namespace kh {
namespace {

using labs_test::kharness;
using labs_test::scenario_text;
using labs_test::write_text;

const std::filesystem::path kSource = KH_SOURCE_DIR;

// One tmpfs mount on /mnt, checked at do_mount.
const char* kOneMount =
    "<expect-hits exactly=\"1\"/><expect arg=\"dir_name\" equals=\"/mnt\"/><expect arg=\"type_page\" "
    "equals=\"tmpfs\"/>";
const char* kMountProgram =
    "#include <stdio.h>\n#include <sys/mount.h>\n"
    "int main(void) { if (mount(\"none\", \"/mnt\", \"tmpfs\", 0, NULL) != 0) { perror(\"mount\"); return 1; "
    "}\n"
    "  puts(\"KH-RESULT mounted=1\"); return 0; }\n";

class LabsVmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { test_support::become_subreaper(); }

  void SetUp() override {
    auto dir = TempDir::create("kh-labs-vm-");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
  }

  void TearDown() override {
    EXPECT_TRUE(test_support::children_left().empty())
        << ::testing::PrintToString(test_support::children_left());
  }

  const std::filesystem::path& dir() const { return dir_->path(); }

  static CommandOutput run(const std::filesystem::path& scenario, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "--accel", "tcg", scenario.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return kharness(args);
  }

  static nlohmann::json read_json(const std::filesystem::path& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  }

  static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::optional<TempDir> dir_;
};

TEST_F(LabsVmTest, SourceGuestPasses) {
  write_text(dir() / "lab.c", kMountProgram);
  write_text(dir() / "lab.xml", scenario_text("<guest source=\"lab.c\"/>", {"do_mount"}, kOneMount));
  auto out = run(dir() / "lab.xml");
  EXPECT_EQ(out.exit_code, 0) << out.output;
}

TEST_F(LabsVmTest, BinaryGuestPasses) {
  write_text(dir() / "prog.c", kMountProgram);
  ChildSpec cc;
  cc.argv = {"cc", "-static", "-o", (dir() / "prog").string(), (dir() / "prog.c").string()};
  auto built = run_command(cc, Deadline::in(std::chrono::seconds(120)));
  ASSERT_TRUE(built.ok() && built->exit_code == 0)
      << (built.ok() ? built->output : built.error().to_string());
  write_text(dir() / "lab.xml", scenario_text("<guest binary=\"prog\"/>", {"do_mount"}, kOneMount));
  auto out = run(dir() / "lab.xml");
  EXPECT_EQ(out.exit_code, 0) << out.output;
}

TEST_F(LabsVmTest, CommandGuestWithFilesAndDirsPasses) {
  write_text(dir() / "data.txt", "forty-two\n");
  write_text(dir() / "lab.xml",
             scenario_text(
                 "<guest command=\"test -d /lab/empty &amp;&amp; grep -q forty-two /lab/data.txt &amp;&amp; "
                 "mount -t tmpfs none /mnt\"><file src=\"data.txt\" dest=\"/lab/data.txt\"/>"
                 "<dir dest=\"/lab/empty\"/></guest>",
                 {"do_mount"}, kOneMount));
  auto out = run(dir() / "lab.xml");
  EXPECT_EQ(out.exit_code, 0) << out.output;
}

TEST_F(LabsVmTest, UnknownAppletFailsWithStatus127AndItsOutput) {
  write_text(dir() / "lab.xml", scenario_text("<guest command=\"no_such_applet --now\"/>", {"do_mount"},
                                              "<expect-hits exactly=\"0\"/>"));
  auto out = run(dir() / "lab.xml");
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_NE(out.output.find("exits with status 0"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("127"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("no_such_applet: not found"), std::string::npos) << out.output;
}

// unshare forks and execs sh, which runs mount, which execs mount again: none of them has the
// guest's first name, all carry kh-spawn's mark. The boot's own mounts (kdevtmpfs, init's mount -a)
// are only in the scope="all" count.
TEST_F(LabsVmTest, ForkAndExecKeepTheGuestScope) {
  write_text(
      dir() / "lab.xml",
      "<?xml version=\"1.0\"?>\n<scenario name=\"scope\" timeout=\"180\">\n"
      "  <guest command=\"unshare -m sh -c 'mount -t tmpfs none /mnt; exec mount --bind /mnt /tmp'\"/>\n"
      "  <breakpoint function=\"path_mount\"><capture expr=\"flags\" as=\"flags\"/></breakpoint>\n"
      "  <breakpoint function=\"path_mount\" name=\"every_mount\" scope=\"all\"/>\n"
      "</scenario>\n");
  auto out = run(dir() / "lab.xml", {"--json", (dir() / "report.json").string()});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  nlohmann::json report = read_json(dir() / "report.json");
  ASSERT_TRUE(report.is_object()) << out.output;
  int guest = 0;
  int guest_by_mount = 0;
  int all = 0;
  std::set<std::string> guest_comms;
  std::set<std::string> all_comms;
  for (const auto& hit : report["trace"]["hits"]) {
    std::string comm = hit.value("task_comm", "");
    if (hit["breakpoint"] == "path_mount") {
      ++guest;
      guest_by_mount += comm == "mount" ? 1 : 0;
      guest_comms.insert(comm);
    } else {
      ++all;
      all_comms.insert(comm);
    }
  }
  // Both mounts of the command line, after one and after two execs (busybox unshare -m may make
  // / private first, from its own task).
  EXPECT_EQ(guest_by_mount, 2) << report["trace"].dump(1);
  for (const auto& comm : guest_comms) {
    EXPECT_TRUE(comm == "mount" || comm == "unshare") << comm << ": " << report["trace"].dump(1);
  }
  // The boot: kdevtmpfs's devtmpfs, init's proc and sysfs (mount -a), none of them counted above.
  // (A stop at a PC where both breakpoints hold is reported by gdb as the first one's: the guest's
  // own mounts are counted for path_mount, not again for every_mount.)
  EXPECT_GE(all, 3) << report["trace"].dump(1);
  EXPECT_EQ(all_comms.count("kdevtmpfs"), 1u) << report["trace"].dump(1);
}

TEST_F(LabsVmTest, RecordTraceMountWritesAScenarioThatValidatesAndPasses) {
  const std::filesystem::path recorded = dir() / "trace-mount-recorded.xml";
  auto out = kharness({"record", (kSource / "scenarios/trace-mount.xml").string(), "-o", recorded.string(),
                       "--accel", "tcg"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  std::string text = read(recorded);
  EXPECT_NE(text.find("Recorded by kharness"), std::string::npos) << text;
  EXPECT_NE(
      text.find(
          ">copy_mnt_ns create_new_namespaces copy_namespaces copy_process kernel_clone __do_sys_clone<"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("equals=\"mount_dir_test\""), std::string::npos) << text;
  EXPECT_NE(text.find("equals=\"myproc\""), std::string::npos) << text;
  EXPECT_NE(text.find("<expect-hits exactly=\"1\"/>"), std::string::npos) << text;  // copy_mnt_ns
  EXPECT_EQ(text.find("0xffff"), std::string::npos) << "no pointer values: " << text;
  ChildSpec lint;
  lint.argv = {"xmllint", "--noout", "--schema", (kSource / "scenarios/scenario.xsd").string(),
               recorded.string()};
  auto linted = run_command(lint, Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(linted.ok());
  EXPECT_EQ(linted->exit_code, 0) << linted->output;
  auto again = run(recorded);
  EXPECT_EQ(again.exit_code, 0) << again.output;
}

TEST_F(LabsVmTest, RecordACommandLineWithBreakpoints) {
  const std::filesystem::path recorded = dir() / "lab.xml";
  auto out =
      kharness({"record", "--guest-command", "mkdir -p /a /b && unshare -m mount --bind /a /b", "--break",
                "do_loopback", "--break", "attach_recursive_mnt", "-o", recorded.string(), "--accel", "tcg"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  std::string text = read(recorded);
  EXPECT_NE(text.find("command=\"mkdir -p /a /b &amp;&amp; unshare -m mount --bind /a /b\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("<breakpoint function=\"do_loopback\">\n    <expect-hits exactly=\"1\"/>"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(">attach_recursive_mnt graft_tree do_loopback path_mount do_mount __do_sys_mount<"),
            std::string::npos)
      << text;
  auto again = run(recorded);
  EXPECT_EQ(again.exit_code, 0) << again.output;
}

// Two kernels at once: 6.12 reaches get_mountpoint through do_lock_mount, 6.1 does not. The
// recorded scenario says so in one <when> variant per kernel, and only there: what both kernels
// showed (the other chain, both breakpoints' hit counts) is written once, outside any variant.
TEST_F(LabsVmTest, RecordOnTwoKernelsWritesWhenVariantsOnlyWhereTheyDiffer) {
  const std::filesystem::path recorded = dir() / "two-kernels.xml";
  const std::vector<std::string> kernels = {"--kernel-package", "linux-source-6.1", "--kernel-package",
                                            "linux-source-6.12"};
  std::vector<std::string> args = {"record",
                                   "--guest-command",
                                   "mkdir -p /a /b && unshare -m mount --bind /a /b",
                                   "--break",
                                   "get_mountpoint",
                                   "--break",
                                   "attach_recursive_mnt",
                                   "-o",
                                   recorded.string(),
                                   "--accel",
                                   "tcg"};
  args.insert(args.end(), kernels.begin(), kernels.end());
  auto out = kharness(args, {}, std::chrono::seconds(600));
  ASSERT_EQ(out.exit_code, 0) << out.output;
  const std::string text = read(recorded);
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count("<when kernel=\"=6.1."), 1u) << text;
  EXPECT_EQ(count("<when kernel=\"=6.12."), 1u) << text;
  EXPECT_EQ(count("<when kernel=\"="), 2u) << text;
  // Each kernel's own chain sits in its variant; the shared one before them, once.
  const std::size_t first_when = text.find("<when kernel=\"=6.1.");
  const std::size_t second_when = text.find("<when kernel=\"=6.12.");
  const std::size_t old_chain = text.find(">get_mountpoint lock_mount do_loopback");
  const std::size_t new_chain = text.find(">get_mountpoint do_lock_mount");
  ASSERT_NE(old_chain, std::string::npos) << text;
  ASSERT_NE(new_chain, std::string::npos) << text;
  EXPECT_GT(old_chain, first_when) << text;
  EXPECT_LT(old_chain, second_when) << text;
  EXPECT_GT(new_chain, second_when) << text;
  const std::size_t shared = text.find(">get_mountpoint attach_recursive_mnt graft_tree do_loopback");
  EXPECT_LT(shared, first_when) << text;
  EXPECT_EQ(count(">get_mountpoint attach_recursive_mnt graft_tree do_loopback"), 1u) << text;
  EXPECT_EQ(count("<expect-hits exactly=\"2\"/>"), 1u) << text;  // get_mountpoint: the same on both
  EXPECT_EQ(count(">attach_recursive_mnt graft_tree do_loopback path_mount do_mount __do_sys_mount<"), 1u)
      << text;
  ChildSpec lint;
  lint.argv = {"xmllint", "--noout", "--schema", (kSource / "scenarios/scenario.xsd").string(),
               recorded.string()};
  auto linted = run_command(lint, Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(linted.ok());
  EXPECT_EQ(linted->exit_code, 0) << linted->output;
  // It passes again on each kernel.
  for (const char* package : {"linux-source-6.1", "linux-source-6.12"}) {
    auto again = run(recorded, {"--kernel-package", package});
    EXPECT_EQ(again.exit_code, 0) << package << ":\n" << again.output;
  }
}

// The kit as a student gets it: lab.xml, data/ and their own lab.c in one folder.
class BindMountLabTest : public LabsVmTest {
 protected:
  std::filesystem::path student_folder(const std::filesystem::path& program) {
    const std::filesystem::path kit = kSource / "labs/bind-mount";
    std::filesystem::create_directories(dir() / "data");
    std::filesystem::copy_file(kit / "lab.xml", dir() / "lab.xml");
    std::filesystem::copy_file(kit / "data/hello.txt", dir() / "data/hello.txt");
    std::filesystem::copy_file(program, dir() / "lab.c");
    return dir() / "lab.xml";
  }
};

TEST_F(BindMountLabTest, ReferenceSolutionPasses) {
  auto out = run(student_folder(kSource / "labs/bind-mount/solution/lab.c"));
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_NE(out.output.find("PASS"), std::string::npos) << out.output;
}

TEST_F(BindMountLabTest, SkeletonFailsSayingWhatIsMissing) {
  auto out = run(student_folder(kSource / "labs/bind-mount/lab.c"));
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_NE(out.output.find("do_loopback"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("lab.xml:"), std::string::npos) << out.output;
  EXPECT_EQ(out.output.find("ERROR"), std::string::npos) << out.output;
}

}  // namespace
}  // namespace kh
