// The trace engine end to end, through the kharness binary, on Debian's 6.1 kernel under TCG:
// verdicts, guest scoping, every failure class, and that no qemu or gdb outlives a run.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "support/processes.h"

namespace kh {
namespace {

const std::string kKharness = KH_BINARY_DIR "/kharness";
const std::string kScenarios = KH_SOURCE_DIR "/tests/engine/scenarios/";

// Makes this test process the reaper of every orphan below it, so that a qemu or gdb that
// outlives kharness becomes our child and shows up in test_support::children_left().
class EngineVmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { test_support::become_subreaper(); }

  void TearDown() override {
    std::vector<std::string> left = test_support::children_left();
    EXPECT_TRUE(left.empty()) << "processes outlived kharness: " << ::testing::PrintToString(left);
    test_support::kill_children();
  }

  static CommandOutput run(std::vector<std::string> args,
                           std::chrono::seconds limit = std::chrono::seconds(240)) {
    ChildSpec spec;
    spec.argv = {kKharness, "run", "--accel", "tcg"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = {{"NO_COLOR", "1"}};
    auto output = run_command(spec, Deadline::in(limit));
    EXPECT_TRUE(output.ok()) << (output.ok() ? "" : output.error().to_string());
    return output.ok() ? *output : CommandOutput{};
  }

  static nlohmann::json read_json(const std::filesystem::path& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  }
};

// A running `kharness run -v` whose stderr is read line by line, to act at a given phase.
struct BackgroundRun {
  ChildProcess child;
  std::string stderr_text;

  static BackgroundRun start(const std::string& scenario, std::vector<std::string> extra = {}) {
    ChildSpec spec;
    spec.argv = {kKharness, "run", "--accel", "tcg", "-v", scenario};
    spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
    spec.stdout_mode = Stdio::Null;
    spec.stderr_mode = Stdio::Pipe;
    spec.own_process_group = false;  // signals go to kharness itself, as from a shell's kill
    auto child = ChildProcess::spawn(spec);
    EXPECT_TRUE(child.ok());
    return BackgroundRun{std::move(*child), {}};
  }

  // Reads kharness's stderr until it contains `text`; false at EOF or the deadline.
  bool wait_for_stderr(std::string_view text, Deadline deadline) {
    char buffer[4096];
    while (stderr_text.find(text) == std::string::npos) {
      const int fd = child.stderr_fd();
      auto ready = wait_readable(std::span<const int>(&fd, 1), deadline);
      if (!ready.ok())
        return false;
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0)
        return false;
      stderr_text.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }

  // The pid of kharness's qemu child, or -1.
  pid_t qemu_pid() const {
    DIR* proc = ::opendir("/proc");
    pid_t found = -1;
    while (dirent* entry = ::readdir(proc)) {
      pid_t pid = std::atoi(entry->d_name);
      if (pid <= 0)
        continue;
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string line;
      std::getline(stat, line);
      auto close = line.rfind(')');
      if (close == std::string::npos || line.find("(qemu-system-x86") == std::string::npos)
        continue;
      std::istringstream rest(line.substr(close + 2));
      std::string state;
      pid_t parent = 0;
      rest >> state >> parent;
      if (parent == child.pid())
        found = pid;
    }
    ::closedir(proc);
    return found;
  }
};

TEST_F(EngineVmTest, CorrectExpectationsPassAndTheJsonHoldsTheTrace) {
  TempDir dir = std::move(TempDir::create("kh-engine-test-")).value();
  const auto json_path = dir.path() / "trace.json";
  CommandOutput out = run({kScenarios + "bind-path.xml", "--json", json_path.string()});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_NE(out.output.find("PASS"), std::string::npos) << out.output;
  nlohmann::json report = read_json(json_path);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["verdict"], "PASS");
  EXPECT_EQ(report["accel"], "tcg");
  EXPECT_FALSE(report["kernel_release"].get<std::string>().empty());
  ASSERT_GE(report["trace"]["hits"].size(), 3u);
  for (const auto& hit : report["trace"]["hits"]) {
    EXPECT_EQ(hit["task_comm"], "mnt_ns_clone");
    EXPECT_GT(hit["task_pid"].get<int>(), 1);
    ASSERT_FALSE(hit["frames"].empty());
    EXPECT_EQ(hit["frames"][0]["func"], hit["breakpoint"]);
    // Trailing ?? frames are dropped.
    EXPECT_NE(hit["frames"].back()["func"], "??");
  }
  EXPECT_FALSE(report["phases"].empty());
}

// The hits of a run without what differs from boot to boot: the hit times, heap and user-stack
// addresses, and the bytes an argument's char pointer happens to point to.
nlohmann::json comparable_hits(const nlohmann::json& report) {
  const std::regex heap("0xffff888[0-9a-f]{9}");
  const std::regex user("0x7ff[0-9a-f]{9}");
  auto stable = [&](const std::string& value) {
    return std::regex_replace(std::regex_replace(value, heap, "HEAP"), user, "USER");
  };
  nlohmann::json hits = report["trace"]["hits"];
  for (auto& hit : hits) {
    hit.erase("time_s");
    for (auto& frame : hit["frames"]) {
      for (auto& arg : frame["args"]) {
        const std::string value = stable(arg["value"].get<std::string>());
        arg["value"] = value.substr(0, value.find(" \""));
      }
    }
    for (auto& capture : hit["captures"]) {
      if (capture["value"].is_string()) {
        capture["value"] = stable(capture["value"].get<std::string>());
      }
    }
  }
  return hits;
}

TEST_F(EngineVmTest, HitsCollectedInGdbAreTheHitsCollectedOverMiAndLeaveNoFile) {
  TempDir dir = std::move(TempDir::create("kh-engine-test-")).value();
  const std::filesystem::path tmp = dir.path() / "tmp";
  std::filesystem::create_directory(tmp);
  auto traced = [&](const std::string& name, std::vector<std::string> extra) {
    ChildSpec spec;
    spec.argv = {kKharness, "run", "--accel", "tcg", KH_SOURCE_DIR "/scenarios/trace-mount.xml", "--json",
                 (dir.path() / name).string()};
    spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
    spec.env = {{"NO_COLOR", "1"}, {"TMPDIR", tmp.string()}};
    auto output = run_command(spec, Deadline::in(std::chrono::seconds(240)));
    EXPECT_TRUE(output.ok() && output->exit_code == 0) << (output.ok() ? output->output : output.error().to_string());
    return read_json(dir.path() / name);
  };
  const nlohmann::json in_gdb = traced("gdb.json", {});
  const nlohmann::json over_mi = traced("mi.json", {"--hits-over-mi"});
  ASSERT_FALSE(in_gdb.is_discarded());
  ASSERT_FALSE(over_mi.is_discarded());
  EXPECT_EQ(in_gdb["verdict"], "PASS");
  EXPECT_EQ(over_mi["verdict"], "PASS");
  ASSERT_GE(in_gdb["trace"]["hits"].size(), 10u);
  // Frames with their arguments (entry values too), captures, tasks, in the same order.
  EXPECT_EQ(comparable_hits(in_gdb), comparable_hits(over_mi));
  // The hit file's private folder went with the run (qemu's too).
  EXPECT_TRUE(std::filesystem::is_empty(tmp)) << std::filesystem::directory_iterator(tmp)->path();
}

TEST_F(EngineVmTest, WrongFrameAndWrongStringFailWithExpectedAndActual) {
  CommandOutput out = run({kScenarios + "wrong-expectations.xml"});
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_NE(out.output.find("FAIL"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("no_such_caller"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("not_the_mount_dir"), std::string::npos) << out.output;
  // The actual value of the closest hit is shown next to the expected one.
  EXPECT_NE(out.output.find("mount_dir_test"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("do_loopback"), std::string::npos) << out.output;
}

TEST_F(EngineVmTest, GuestScopeSeesOnlyTheGuestAndScopeAllAlsoSeesInit) {
  TempDir dir = std::move(TempDir::create("kh-engine-test-")).value();
  CommandOutput guest = run({kScenarios + "scope-guest.xml", "--json", (dir.path() / "guest.json").string()});
  EXPECT_EQ(guest.exit_code, 0) << guest.output;
  nlohmann::json guest_report = read_json(dir.path() / "guest.json");
  ASSERT_EQ(guest_report["trace"]["hits"].size(), 2u);
  for (const auto& hit : guest_report["trace"]["hits"]) {
    EXPECT_EQ(hit["task_comm"], "mnt_ns_clone");
  }

  CommandOutput all = run({kScenarios + "scope-all.xml", "--json", (dir.path() / "all.json").string()});
  EXPECT_EQ(all.exit_code, 0) << all.output;
  nlohmann::json all_report = read_json(dir.path() / "all.json");
  std::set<std::string> comms;
  for (const auto& hit : all_report["trace"]["hits"]) {
    comms.insert(hit["task_comm"].get<std::string>());
  }
  EXPECT_TRUE(comms.count("mnt_ns_clone")) << ::testing::PrintToString(comms);
  EXPECT_GE(comms.size(), 2u) << "init's own mounts should be counted too: "
                              << ::testing::PrintToString(comms);
}

TEST_F(EngineVmTest, UnknownFunctionIsAnErrorBeforeTheVmBoots) {
  CommandOutput out = run({kScenarios + "unknown-function.xml", "-v"});
  EXPECT_EQ(out.exit_code, 2) << out.output;
  EXPECT_NE(out.output.find("no_such_kernel_function"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("unknown-function.xml:6"), std::string::npos) << out.output;
  EXPECT_EQ(out.output.find("kharness: boot"), std::string::npos) << out.output;
}

TEST_F(EngineVmTest, HangingGuestTimesOutInPhaseGuestExit) {
  CommandOutput out = run({kScenarios + "hang.xml", "--timeout", "30"});
  EXPECT_EQ(out.exit_code, 4) << out.output;
  EXPECT_NE(out.output.find("TIMEOUT"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("guest exit"), std::string::npos) << out.output;
  // The serial log tail comes with anything but PASS.
  EXPECT_NE(out.output.find("KH-START"), std::string::npos) << out.output;
  // The kernel's helpers, which the trace did without, are loaded for the evidence.
  EXPECT_NE(out.output.find("lx-ps:"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("lx-dmesg:"), std::string::npos) << out.output;
}

TEST_F(EngineVmTest, KernelPanicIsInfraWithThePanicLine) {
  CommandOutput out =
      run({kScenarios + "bind-path.xml", "--append", "rdinit=/no/such/init init=/no/such/init"});
  EXPECT_EQ(out.exit_code, 3) << out.output;
  EXPECT_NE(out.output.find("INFRA"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("Kernel panic"), std::string::npos) << out.output;
}

TEST_F(EngineVmTest, QemuKilledMidRunIsInfra) {
  BackgroundRun run = BackgroundRun::start(kScenarios + "hang.xml", {"--timeout", "60"});
  ASSERT_TRUE(run.wait_for_stderr("kharness: boot", Deadline::in(std::chrono::seconds(90))))
      << run.stderr_text;
  pid_t qemu = run.qemu_pid();
  ASSERT_GT(qemu, 0);
  ASSERT_EQ(::kill(qemu, SIGKILL), 0);
  auto state = run.child.wait(Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(run.child.exit_code(), 3);
}

TEST_F(EngineVmTest, SigintMidRunEndsEverythingWithItsOwnVerdict) {
  TempDir dir = std::move(TempDir::create("kh-engine-test-")).value();
  const auto json_path = dir.path() / "interrupted.json";
  BackgroundRun run =
      BackgroundRun::start(kScenarios + "hang.xml", {"--timeout", "60", "--json", json_path.string()});
  ASSERT_TRUE(run.wait_for_stderr("kharness: boot", Deadline::in(std::chrono::seconds(90))))
      << run.stderr_text;
  ASSERT_GT(run.qemu_pid(), 0);
  ::kill(run.child.pid(), SIGINT);
  auto state = run.child.wait(Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(run.child.exit_code(), 130);
  nlohmann::json report = read_json(json_path);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["verdict"], "INTERRUPTED") << report.dump().substr(0, 500);
  EXPECT_GT(report["wall_seconds"].get<double>(), 0.5);
}

TEST_F(EngineVmTest, HitsAfterTheGuestExitedAreResumedFromUntilPowerOff) {
  TempDir dir = std::move(TempDir::create("kh-engine-test-")).value();
  const auto json_path = dir.path() / "late.json";
  CommandOutput out = run({kScenarios + "scope-all-at-poweroff.xml", "--json", json_path.string()});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  nlohmann::json report = read_json(json_path);
  ASSERT_FALSE(report.is_discarded());
  // The guest ended by itself (reboot -f, which qemu -no-reboot turns into its exit): the
  // kernel's last words are on the console.
  EXPECT_NE(report["serial_log"].get<std::string>().find("reboot: Restarting system"), std::string::npos)
      << report["serial_log"].get<std::string>();
}

TEST_F(EngineVmTest, AGdbThatHangsAtStartUpTimesOutInPhaseGdbStart) {
  TempDir dir = std::move(TempDir::create("kh-engine-test-")).value();
  const auto fake_gdb = dir.path() / "gdb";
  {
    std::ofstream script(fake_gdb);
    script << "#!/bin/sh\nexec sleep 600\n";
  }
  std::filesystem::permissions(fake_gdb, std::filesystem::perms::owner_all);
  CommandOutput out = run({kScenarios + "bind-path.xml", "--timeout", "4", "--gdb", fake_gdb.string()});
  EXPECT_EQ(out.exit_code, 4) << out.output;
  EXPECT_NE(out.output.find("TIMEOUT"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("gdb start"), std::string::npos) << out.output;
}

// A gdb that prints outside MI and dies at start-up: INFRA, and its words are the evidence.
TEST_F(EngineVmTest, WhatADyingGdbPrintedOutsideMiIsTheInfraEvidence) {
  TempDir dir = std::move(TempDir::create("kh-engine-test-")).value();
  const auto fake_gdb = dir.path() / "gdb";
  {
    std::ofstream script(fake_gdb);
    script << "#!/bin/sh\necho 'fake gdb: not MI at all'\necho 'fake gdb: giving up' >&2\nexit 1\n";
  }
  std::filesystem::permissions(fake_gdb, std::filesystem::perms::owner_all);
  const auto json_path = dir.path() / "dead-gdb.json";
  const auto gdb_log = dir.path() / "gdb.log";
  CommandOutput out = run({kScenarios + "bind-path.xml", "--timeout", "60", "--gdb", fake_gdb.string(),
                           "--json", json_path.string(), "--gdb-log", gdb_log.string()});
  EXPECT_EQ(out.exit_code, 3) << out.output;
  nlohmann::json report = read_json(json_path);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["verdict"], "INFRA");
  std::string evidence;
  for (const auto& line : report["evidence"]) {
    evidence += line.get<std::string>() + "\n";
  }
  EXPECT_NE(evidence.find("gdb stdout (not MI) at "), std::string::npos) << evidence;
  EXPECT_NE(evidence.find(" s: fake gdb: not MI at all\n"), std::string::npos) << evidence;
  EXPECT_NE(evidence.find(" s: fake gdb: giving up\n"), std::string::npos) << evidence;
  std::ifstream in(gdb_log);
  std::stringstream log;
  log << in.rdbuf();
  EXPECT_NE(log.str().find(" ? fake gdb: not MI at all\n"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find(" ! fake gdb: giving up\n"), std::string::npos) << log.str();
}

TEST_F(EngineVmTest, GdbKilledMidRunIsInfraNamingThePhase) {
  TempDir dir = std::move(TempDir::create("kh-engine-test-")).value();
  const auto json_path = dir.path() / "gdb-killed.json";
  BackgroundRun run =
      BackgroundRun::start(kScenarios + "hang.xml", {"--timeout", "60", "--json", json_path.string()});
  ASSERT_TRUE(run.wait_for_stderr("kharness: boot", Deadline::in(std::chrono::seconds(90))))
      << run.stderr_text;
  ChildSpec pkill;
  pkill.argv = {"pkill", "-KILL", "-P", std::to_string(run.child.pid()), "-x", "gdb"};
  auto killed = run_command(pkill, Deadline::in(std::chrono::seconds(10)));
  ASSERT_TRUE(killed.ok());
  ASSERT_EQ(killed->exit_code, 0) << "no gdb child found";
  auto state = run.child.wait(Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(run.child.exit_code(), 3);
  nlohmann::json report = read_json(json_path);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["verdict"], "INFRA");
  EXPECT_NE(report["detail"].get<std::string>().find("gdb exited unexpectedly in phase guest exit"),
            std::string::npos)
      << report["detail"];
  EXPECT_EQ(report["phase"], "guest exit");
}

TEST_F(EngineVmTest, BadOutputPathsAreErrorsBeforeAnythingBoots) {
  for (const char* option : {"--json", "--junit", "--gdb-log"}) {
    CommandOutput out = run({kScenarios + "bind-path.xml", "-v", option, "/nonexistent-kh-dir/out.file"});
    EXPECT_EQ(out.exit_code, 2) << option << "\n" << out.output;
    EXPECT_NE(out.output.find(option), std::string::npos) << out.output;
    EXPECT_NE(out.output.find("does not exist"), std::string::npos) << out.output;
    EXPECT_EQ(out.output.find("kharness: kernel"), std::string::npos) << out.output;
  }
}

TEST_F(EngineVmTest, TwoRunsAtOnceBothPass) {
  BackgroundRun first = BackgroundRun::start(kScenarios + "bind-path.xml");
  BackgroundRun second = BackgroundRun::start(kScenarios + "bind-path.xml");
  ASSERT_TRUE(first.child.wait(Deadline::in(std::chrono::seconds(240))).ok());
  ASSERT_TRUE(second.child.wait(Deadline::in(std::chrono::seconds(240))).ok());
  EXPECT_EQ(first.child.exit_code(), 0);
  EXPECT_EQ(second.child.exit_code(), 0);
}

TEST_F(EngineVmTest, LabShellStopsAtTheGuestsBreakpointAndQuittingEndsTheVm) {
  ChildSpec spec;
  spec.argv = {kKharness, "shell", "--accel", "tcg", KH_SOURCE_DIR "/scenarios/trace-mount.xml"};
  spec.stdin_mode = Stdio::Pipe;
  spec.stdout_mode = Stdio::Pipe;
  spec.stderr_to_stdout = true;
  auto shell = ChildProcess::spawn(spec);
  ASSERT_TRUE(shell.ok());
  // gdb reads these once the script's `continue` stopped at the first breakpoint.
  const std::string commands = "kh-task\nkh-mounts\nquit\n";
  ASSERT_EQ(::write(shell->stdin_fd(), commands.data(), commands.size()),
            static_cast<ssize_t>(commands.size()));
  shell->close_stdin();
  std::string output;
  char buffer[4096];
  const Deadline deadline = Deadline::in(std::chrono::seconds(120));
  for (;;) {
    const int fd = shell->stdout_fd();
    auto ready = wait_readable(std::span<const int>(&fd, 1), deadline);
    ASSERT_TRUE(ready.ok()) << output;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0)
      break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  ASSERT_TRUE(shell->wait(deadline).ok());
  EXPECT_EQ(shell->exit_code(), 0) << output;
  EXPECT_NE(output.find("Breakpoint 1, copy_mnt_ns"), std::string::npos) << output;
  EXPECT_NE(output.find("comm=mnt_ns_clone"), std::string::npos) << output;
  EXPECT_NE(output.find("/proc proc proc"), std::string::npos) << output;
  EXPECT_EQ(output.find("auto-loading has been declined"), std::string::npos) << output;
}

}  // namespace
}  // namespace kh
