// `kharness bisect` end to end on a small kernel history made from Debian's linux-source-6.1
// (make_history.sh): finds the commit that renamed do_loopback with --expect-pass and with
// --golden, skips the commit that does not build, reports the trace diff, and runs again from
// the cache. The first run builds one full kernel (minutes) and then only fs/namespace.o, the
// link and bzImage per step; a second run of the same bisection builds nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/file_io.h"
#include "common/paths.h"
#include "common/temp_dir.h"
#include "engine/trace_engine.h"
#include "kernel/kernel_cache.h"
#include "report/golden.h"
#include "support/processes.h"

namespace kh {
namespace {

const std::string kKharness = KH_BINARY_DIR "/kharness";
const std::string kScenario = KH_SOURCE_DIR "/scenarios/trace-mount.xml";

CommandOutput run(std::vector<std::string> argv, std::chrono::seconds limit) {
  ChildSpec spec;
  spec.argv = std::move(argv);
  spec.env = {{"NO_COLOR", "1"}};
  auto output = run_command(spec, Deadline::in(limit));
  EXPECT_TRUE(output.ok()) << (output.ok() ? "" : output.error().to_string());
  return output.ok() ? *output : CommandOutput{};
}

std::string rev(const std::filesystem::path& repo, const std::string& name) {
  CommandOutput out = run({"git", "-C", repo.string(), "rev-parse", name}, std::chrono::seconds(30));
  return out.output.substr(0, out.output.find('\n'));
}

nlohmann::json read_json(const std::filesystem::path& path) {
  auto text = read_file(path);
  return text.ok() ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
}

void print_steps(const std::string& title, const nlohmann::json& result) {
  std::printf("%s: %.1f s in all (builds %.1f s, runs %.1f s)\n", title.c_str(),
              result.value("wall_seconds", 0.0), result.value("build_seconds", 0.0),
              result.value("run_seconds", 0.0));
  for (const auto& step : result["steps"]) {
    std::printf("  %-18s %.12s %-4s build %6.1f s (%s%d files) run %5.1f s\n",
                step["role"].get<std::string>().c_str(), step["commit"]["hash"].get<std::string>().c_str(),
                step["judgement"].get<std::string>().c_str(), step["build_seconds"].get<double>(),
                step["kernel_cached"].get<bool>() ? "cached, " : "", step["compiled_files"].get<int>(),
                step["run_seconds"].get<double>());
  }
  std::fflush(stdout);
}

class BisectVmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    CommandOutput made =
        run({KH_SOURCE_DIR "/tests/bisect/make_history.sh", (cache_dir() / "test-bisect").string()},
            std::chrono::seconds(1800));
    ASSERT_EQ(made.exit_code, 0) << made.output;
    repo_ = made.output.substr(0, made.output.find('\n'));
  }

  void SetUp() override {
    ASSERT_FALSE(repo_.empty());
    auto made = TempDir::create("kh-bisect-test-");
    ASSERT_TRUE(made.ok());
    dir_.emplace(std::move(*made));
  }

  CommandOutput bisect(const std::string& good, const std::string& bad, std::vector<std::string> more) {
    std::vector<std::string> argv = {
        kKharness, "bisect", kScenario, "--kernel-source", repo_.string(), "--good",
        good,      "--bad",  bad,       "--accel",         "tcg"};
    argv.insert(argv.end(), more.begin(), more.end());
    return run(argv, std::chrono::seconds(5000));
  }

  static inline std::filesystem::path repo_;
  std::optional<TempDir> dir_;
};

// One test, in order: the first bisection builds the kernels the others reuse.
TEST_F(BisectVmTest, FindsTheRenameWithExpectPassAndWithAGoldenSkippingTheBrokenCommit) {
  const std::string renamed = rev(repo_, "kh-bisect-c5");
  const std::string broken = rev(repo_, "kh-bisect-c3");
  const std::string head_before = rev(repo_, "HEAD");

  // --expect-pass (the default).
  const auto json1 = dir_->path() / "expect-pass.json";
  CommandOutput first = bisect("kh-bisect-base", "kh-bisect-c6", {"--json", json1.string()});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  nlohmann::json result = read_json(json1);
  ASSERT_TRUE(result.is_object()) << first.output;
  print_steps("bisect --expect-pass", result);
  EXPECT_EQ(result["outcome"], "found");
  EXPECT_EQ(result["first_bad"]["hash"], renamed) << first.output;
  EXPECT_EQ(result["first_bad"]["subject"], "namespace: rename do_loopback");
  EXPECT_EQ(result["last_good"]["hash"], rev(repo_, "kh-bisect-c4"));
  ASSERT_EQ(result["skipped"].size(), 1u) << first.output;
  EXPECT_EQ(result["skipped"][0]["hash"], broken);
  EXPECT_NE(first.output.find("the first bad commit is " + renamed.substr(0, 12)), std::string::npos)
      << first.output;
  ASSERT_TRUE(result["trace_diff"].is_object()) << first.output;
  EXPECT_NE(result["trace_diff"].dump().find("do_loopback_bisect"), std::string::npos)
      << result["trace_diff"].dump();
  EXPECT_NE(first.output.find("do_loopback_bisect"), std::string::npos) << first.output;
  // The user's checkout did not move.
  EXPECT_EQ(rev(repo_, "HEAD"), head_before);

  // A golden of the good end's trace, from its cached kernel.
  const std::string good_key = result["steps"][0]["kernel_key"];
  auto good_kernel =
      kernel::KernelCache(cache_dir()).load_entry(kernel::KernelCache(cache_dir()).entry_dir(good_key));
  ASSERT_TRUE(good_kernel.has_value()) << good_key;
  engine::RunOptions options;
  options.scenario = kScenario;
  options.kernel_build = *good_kernel;
  options.accel = vm::Accel::Tcg;
  trace::RunReport good_run = engine::run_scenario(options);
  ASSERT_EQ(good_run.verdict, trace::Verdict::Pass) << good_run.detail;
  const auto golden = dir_->path() / "trace-mount@6.1.json";
  ASSERT_TRUE(report::write_golden(good_run.trace, good_kernel->version, golden).ok());

  // --golden: the same answer, every kernel from the cache.
  const auto json2 = dir_->path() / "golden.json";
  CommandOutput second =
      bisect("kh-bisect-base", "kh-bisect-c6", {"--golden", golden.string(), "--json", json2.string()});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  nlohmann::json again = read_json(json2);
  print_steps("bisect --golden", again);
  EXPECT_EQ(again["first_bad"]["hash"], renamed) << second.output;
  ASSERT_EQ(again["skipped"].size(), 1u) << second.output;
  EXPECT_EQ(again["skipped"][0]["hash"], broken);
  for (const auto& step : again["steps"]) {
    if (step["commit"]["hash"] != broken) {
      EXPECT_TRUE(step["kernel_cached"].get<bool>()) << step.dump();
    }
  }

  // Both ends bad: the range does not show the change.
  CommandOutput same = bisect("kh-bisect-c5", "kh-bisect-c6", {});
  EXPECT_EQ(same.exit_code, 1) << same.output;
  EXPECT_NE(same.output.find("does not show the change"), std::string::npos) << same.output;
  EXPECT_EQ(rev(repo_, "HEAD"), head_before);
}

// The processes `pattern` matches (pgrep -f), by count.
int processes_matching(const std::string& pattern) {
  ChildSpec pgrep;
  pgrep.argv = {"pgrep", "-c", "-f", pattern};
  auto ran = run_command(pgrep, Deadline::in(std::chrono::seconds(5)));
  return ran.ok() ? std::atoi(ran->output.c_str()) : 0;
}

// After the test above: every kernel but the broken commit's is cached, so the bisection reaches
// the build of that commit within seconds. Ctrl-C there ends make and its compilers, leaves the
// private worktree clean and the user's checkout where it was; the same bisection then runs again
// from the cache and finds the same commit.
TEST_F(BisectVmTest, CtrlCDuringABuildLeavesNoProcessAndTheSameBisectThenSucceeds) {
  test_support::become_subreaper();
  const std::string head_before = rev(repo_, "HEAD");
  ChildSpec spec;
  spec.argv = {kKharness,        "bisect", kScenario,      "--kernel-source", repo_.string(), "--good",
               "kh-bisect-base", "--bad",  "kh-bisect-c6", "--accel",         "tcg"};
  spec.env = {{"NO_COLOR", "1"}};
  spec.stdout_mode = Stdio::File;
  spec.stdout_file = dir_->path() / "interrupted.log";
  spec.stderr_mode = Stdio::File;
  spec.stderr_file = spec.stdout_file;
  spec.own_process_group = false;
  auto child = ChildProcess::spawn(spec);
  ASSERT_TRUE(child.ok()) << child.error().to_string();
  // kharness's own make: out of tree into its bisect state (not any other kernel build).
  const std::string make_pattern = "^make .*O=" + (cache_dir() / "bisect").string() + "/[0-9a-f]+/build";
  const Deadline deadline = Deadline::in(std::chrono::seconds(300));
  while (processes_matching(make_pattern) < 1 && !deadline.expired() && child->running()) {
    ::usleep(100 * 1000);
  }
  auto log = [&] {
    auto text = read_file(spec.stdout_file);
    return text.ok() ? *text : std::string();
  };
  ASSERT_TRUE(child->running()) << "kharness ended before building the broken commit:\n" << log();
  ASSERT_GE(processes_matching(make_pattern), 1) << log();
  ::kill(child->pid(), SIGINT);
  ASSERT_TRUE(child->wait(Deadline::in(std::chrono::seconds(60))).ok()) << log();
  EXPECT_EQ(child->exit_code(), 130) << log();
  EXPECT_THAT(test_support::children_left(), ::testing::IsEmpty()) << log();
  EXPECT_EQ(processes_matching(make_pattern), 0);
  EXPECT_EQ(rev(repo_, "HEAD"), head_before);
  // The private worktree holds no half-applied checkout.
  for (const auto& state : std::filesystem::directory_iterator(cache_dir() / "bisect")) {
    const auto worktree = state.path() / "worktree";
    if (std::filesystem::exists(worktree)) {
      CommandOutput status =
          run({"git", "-C", worktree.string(), "status", "--porcelain"}, std::chrono::seconds(60));
      EXPECT_EQ(status.exit_code, 0) << status.output;
      EXPECT_EQ(status.output, "") << worktree;
    }
  }

  const auto json = dir_->path() / "again.json";
  CommandOutput again = bisect("kh-bisect-base", "kh-bisect-c6", {"--json", json.string()});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  nlohmann::json result = read_json(json);
  print_steps("bisect after Ctrl-C", result);
  EXPECT_EQ(result["first_bad"]["hash"], rev(repo_, "kh-bisect-c5")) << again.output;
  for (const auto& step : result["steps"]) {
    if (step["commit"]["hash"] != rev(repo_, "kh-bisect-c3")) {
      EXPECT_TRUE(step["kernel_cached"].get<bool>()) << step.dump();
    }
  }
}

}  // namespace
}  // namespace kh
