// `kharness run --bundle` on Debian's 6.1 under TCG, then the bundle's reproduce.sh --batch, moved
// to another folder, without kharness: its first breakpoint hit is the run's first counted hit
// (same function, same top frames), and neither qemu, gdb nor its temp folder is left behind.
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/temp_dir.h"

namespace kh {
namespace {

const std::string kKharness = KH_BINARY_DIR "/kharness";
const std::string kScenario = KH_SOURCE_DIR "/scenarios/trace-mount.xml";
constexpr std::size_t kTopFrames = 5;

std::set<pid_t> child_pids() {
  std::set<pid_t> pids;
  DIR* tasks = ::opendir("/proc/self/task");
  while (tasks != nullptr) {
    dirent* task = ::readdir(tasks);
    if (task == nullptr)
      break;
    if (task->d_name[0] == '.')
      continue;
    std::ifstream children(std::string("/proc/self/task/") + task->d_name + "/children");
    pid_t pid;
    while (children >> pid)
      pids.insert(pid);
  }
  if (tasks != nullptr)
    ::closedir(tasks);
  return pids;
}

// The function names of gdb's `bt` lines ("#0  f (...)", "#1  0xffff... in g (...)"), in order.
std::vector<std::string> backtrace_functions(const std::string& output) {
  std::vector<std::string> functions;
  std::size_t at = 0;
  while (at < output.size()) {
    std::size_t end = output.find('\n', at);
    end = end == std::string::npos ? output.size() : end;
    std::string line = output.substr(at, end - at);
    at = end + 1;
    if (line.size() < 2 || line[0] != '#' || !std::isdigit(static_cast<unsigned char>(line[1])))
      continue;
    std::size_t name = line.find_first_of(' ');
    name = line.find_first_not_of(' ', name);
    if (name == std::string::npos)
      continue;
    if (line.compare(name, 2, "0x") == 0) {
      const std::size_t in = line.find(" in ", name);
      if (in == std::string::npos)
        continue;
      name = in + 4;
    }
    functions.push_back(line.substr(name, line.find(' ', name) - name));
  }
  return functions;
}

TEST(BundleVm, TheReproducerStopsAtTheRunsFirstHitAndLeavesNothing) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  TempDir dir = std::move(TempDir::create("kh-bundle-vm-")).value();
  const auto bundle = dir.path() / "bundle";
  const auto json_path = dir.path() / "run.json";

  ChildSpec run;
  run.argv = {kKharness, "run",      "--accel",       "tcg",    "--kernel-package", "linux-source-6.1",
              kScenario, "--bundle", bundle.string(), "--json", json_path.string()};
  run.env = {{"NO_COLOR", "1"}};
  auto ran = run_command(run, Deadline::in(std::chrono::seconds(600)));
  ASSERT_TRUE(ran.ok()) << ran.error().to_string();
  ASSERT_EQ(ran->exit_code, 0) << ran->output;
  std::ifstream json_file(json_path);
  const nlohmann::json report = nlohmann::json::parse(json_file);
  ASSERT_FALSE(report["trace"]["hits"].empty());
  const nlohmann::json& first = report["trace"]["hits"][0];
  std::vector<std::string> expected;
  for (const auto& frame : first["frames"]) {
    if (expected.size() == kTopFrames)
      break;
    expected.push_back(frame["func"].get<std::string>());
  }

  // Moved, as to another machine: nothing in it may point at its old place or at kharness.
  const auto moved = dir.path() / "elsewhere" / "it's moved";
  std::filesystem::create_directories(moved.parent_path());
  std::filesystem::rename(bundle, moved);
  const auto tmp = dir.path() / "tmp";
  std::filesystem::create_directories(tmp);
  ChildSpec reproduce;
  reproduce.argv = {(moved / "reproduce.sh").string(), "--batch"};
  reproduce.env = {{"TMPDIR", tmp.string()}};
  auto reproduced = run_command(reproduce, Deadline::in(std::chrono::seconds(300)));
  ASSERT_TRUE(reproduced.ok()) << reproduced.error().to_string();
  EXPECT_EQ(reproduced->exit_code, 0) << reproduced->output;

  EXPECT_NE(reproduced->output.find("Breakpoint 1, " + expected.front() + " ("), std::string::npos)
      << reproduced->output;
  std::vector<std::string> seen = backtrace_functions(reproduced->output);
  if (seen.size() > kTopFrames)
    seen.resize(kTopFrames);
  EXPECT_EQ(seen, expected) << reproduced->output;

  EXPECT_TRUE(std::filesystem::is_empty(tmp)) << "reproduce.sh left its temp folder";
  std::vector<std::string> left;
  for (pid_t pid : child_pids()) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    std::getline(comm, name);
    left.push_back(name);
    ::kill(pid, SIGKILL);
  }
  EXPECT_TRUE(left.empty()) << "processes outlived reproduce.sh: " << ::testing::PrintToString(left);
}

}  // namespace
}  // namespace kh
