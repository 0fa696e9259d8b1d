// Snapshots end to end, through the kharness binary, on Debian's 6.1 kernel under TCG: a run
// restored from the saved machine sees the same trace as one booted from power-on, a broken
// snapshot falls back to a boot, two runs creating one snapshot share it, and nothing outlives them.
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/kernel_version.h"
#include "common/temp_dir.h"
#include "report/golden.h"
#include "report/json_report.h"

namespace kh {
namespace {

const std::string kKharness = KH_BINARY_DIR "/kharness";

std::set<pid_t> child_pids() {
  std::set<pid_t> pids;
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) {
    return pids;
  }
  while (dirent* task = ::readdir(tasks)) {
    if (task->d_name[0] == '.') continue;
    std::ifstream children(std::string("/proc/self/task/") + task->d_name + "/children");
    pid_t pid;
    while (children >> pid) pids.insert(pid);
  }
  ::closedir(tasks);
  return pids;
}

// Each test gets its own snapshot folder (KHARNESS_SNAPSHOT_DIR), so that it can break snapshots
// without touching the shared cache; the kernel stays in the cache.
class SnapshotVmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }

  void SetUp() override {
    dir_.emplace(std::move(TempDir::create("kh-snapshot-test-")).value());
    snapshots_ = dir_->path() / "snapshots";
  }

  void TearDown() override {
    std::set<pid_t> left = child_pids();
    EXPECT_TRUE(left.empty()) << left.size() << " processes outlived kharness";
    for (pid_t pid : left) {
      ::kill(pid, SIGKILL);
    }
  }

  ChildSpec run_spec(std::vector<std::string> args) const {
    ChildSpec spec;
    spec.argv = {kKharness, "run", "--accel", "tcg", "-v"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = {{"NO_COLOR", "1"}, {"KHARNESS_SNAPSHOT_DIR", snapshots_.string()}};
    return spec;
  }

  CommandOutput run(std::vector<std::string> args) const {
    auto output = run_command(run_spec(std::move(args)), Deadline::in(std::chrono::seconds(300)));
    EXPECT_TRUE(output.ok()) << (output.ok() ? "" : output.error().to_string());
    return output.ok() ? *output : CommandOutput{};
  }

  // The names of the files in the snapshot folder, but its locks and the remembered versions of
  // qemu (qemu-versions/, one small file per qemu binary).
  std::vector<std::string> snapshot_files() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(snapshots_, ec)) {
      const std::string name = entry.path().filename().string();
      if (!name.ends_with(".lock") && name != "qemu-versions") names.push_back(name);
    }
    return names;
  }

  std::filesystem::path json_path(std::string_view name) const { return dir_->path() / (std::string(name) + ".json"); }

  std::optional<TempDir> dir_;
  std::filesystem::path snapshots_;
};

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// The run's phase names, in order.
std::vector<std::string> phases(const nlohmann::json& report) {
  std::vector<std::string> names;
  for (const auto& phase : report["phases"]) names.push_back(phase["phase"].get<std::string>());
  return names;
}

bool has(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// What two runs of one scenario must agree on: the golden text of the trace (per breakpoint its hit
// count, each hit's call chain and captured values; no pids, addresses or times).
std::string trace_of(const std::filesystem::path& json_file) {
  auto report = report::read_json_report(json_file);
  if (!report.ok()) return "unreadable: " + report.error().to_string();
  auto version = KernelVersion::parse(report->kernel_version);
  if (!version.ok()) return "no kernel version";
  return report::golden_text(report->trace, *version);
}

TEST_F(SnapshotVmTest, EveryScenarioTracesTheSameRestoredAsBootedFromPowerOn) {
  std::vector<std::filesystem::path> scenarios;
  for (const auto& entry : std::filesystem::directory_iterator(KH_SOURCE_DIR "/scenarios")) {
    if (entry.path().extension() == ".xml") scenarios.push_back(entry.path());
  }
  std::sort(scenarios.begin(), scenarios.end());
  ASSERT_FALSE(scenarios.empty());
  for (const auto& scenario : scenarios) {
    SCOPED_TRACE(scenario.filename().string());
    const std::string name = scenario.stem().string();
    CommandOutput booted = run({"--no-snapshot", "--json", json_path(name + "-boot").string(), scenario.string()});
    CommandOutput restored = run({"--json", json_path(name + "-restore").string(), scenario.string()});
    EXPECT_EQ(booted.exit_code, 0) << booted.output;
    EXPECT_EQ(restored.exit_code, 0) << restored.output;
    const nlohmann::json boot_report = read_json(json_path(name + "-boot"));
    const nlohmann::json restore_report = read_json(json_path(name + "-restore"));
    ASSERT_FALSE(boot_report.is_discarded());
    ASSERT_FALSE(restore_report.is_discarded());
    EXPECT_TRUE(has(phases(boot_report), "boot"));
    EXPECT_FALSE(has(phases(boot_report), "restore"));
    // A scenario with a scope="all" breakpoint must see the boot: it never restores.
    std::ifstream xml(scenario);
    const std::string text((std::istreambuf_iterator<char>(xml)), std::istreambuf_iterator<char>());
    if (text.find("scope=\"all\"") == std::string::npos) {
      EXPECT_TRUE(has(phases(restore_report), "restore")) << restored.output;
    }
    const std::string boot_trace = trace_of(json_path(name + "-boot"));
    EXPECT_EQ(boot_trace, trace_of(json_path(name + "-restore")));
    EXPECT_NE(boot_trace.find("\"hits\""), std::string::npos) << boot_trace;
  }
}

TEST_F(SnapshotVmTest, ACorruptSnapshotIsDeletedAndTheRunBootsAndPasses) {
  const std::string scenario = KH_SOURCE_DIR "/scenarios/trace-mount.xml";
  CommandOutput first = run({scenario});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::vector<std::string> files = snapshot_files();
  ASSERT_EQ(files.size(), 1u);
  const std::filesystem::path file = snapshots_ / files[0];
  for (const std::string_view damage : {"truncate", "garbage"}) {
    SCOPED_TRACE(damage);
    if (damage == "truncate") {
      std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
    } else {
      std::ofstream(file, std::ios::trunc) << "not a qemu migration stream\n";
    }
    CommandOutput broken = run({"--json", json_path("broken").string(), scenario});
    EXPECT_EQ(broken.exit_code, 0) << broken.output;
    const nlohmann::json report = read_json(json_path("broken"));
    EXPECT_TRUE(has(phases(report), "boot")) << broken.output;
    EXPECT_FALSE(has(phases(report), "restore")) << broken.output;
    EXPECT_NE(broken.output.find("no usable snapshot"), std::string::npos) << broken.output;
    EXPECT_TRUE(snapshot_files().empty()) << ::testing::PrintToString(snapshot_files());
    // The next run saves a good one again.
    CommandOutput again = run({scenario});
    EXPECT_EQ(again.exit_code, 0) << again.output;
    ASSERT_EQ(snapshot_files().size(), 1u);
  }
}

TEST_F(SnapshotVmTest, TwoRunsCreatingOneSnapshotBothPassAndLeaveOne) {
  const std::string scenario = KH_SOURCE_DIR "/scenarios/trace-mount.xml";
  std::vector<ChildProcess> runs;
  for (int i = 0; i < 2; ++i) {
    ChildSpec spec = run_spec({"--json", json_path("run" + std::to_string(i)).string(), scenario});
    spec.stdout_mode = Stdio::Null;
    spec.stderr_mode = Stdio::Null;
    auto child = ChildProcess::spawn(spec);
    ASSERT_TRUE(child.ok());
    runs.push_back(std::move(*child));
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(runs[i].wait(Deadline::in(std::chrono::seconds(300))).ok());
    EXPECT_EQ(runs[i].exit_code(), 0);
    const nlohmann::json report = read_json(json_path("run" + std::to_string(i)));
    EXPECT_TRUE(has(phases(report), "restore"));
  }
  EXPECT_EQ(snapshot_files().size(), 1u) << ::testing::PrintToString(snapshot_files());
}

}  // namespace
}  // namespace kh
