// `kharness diff` through the built binary: output and exit codes 0 (equivalent), 1 (different),
// 2 (unreadable input).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "report/json_report.h"
#include "report/sample_reports.h"

namespace kh::report {
namespace {

class DiffCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kh-diff-cli-test-");
    ASSERT_TRUE(dir.ok()) << dir.error().to_string();
    dir_.emplace(std::move(dir).value());
    trace::RunReport old_kernel = testing::passing_report_419();
    trace::RunReport new_kernel = testing::passing_report_419();
    new_kernel.kernel_release = "6.1.0";
    new_kernel.trace = testing::trace_mount_trace_61();
    ASSERT_TRUE(write_json_report(old_kernel, path("v4.19.json")).ok());
    ASSERT_TRUE(write_json_report(new_kernel, path("v6.1.json")).ok());
    std::ofstream(path("garbage.json")) << "{\"format\": 1, ";
  }

  std::string path(const std::string& name) const { return (dir_->path() / name).string(); }

  CommandOutput kharness(std::vector<std::string> args) const {
    ChildSpec spec;
    spec.argv = {std::string(KH_BINARY_DIR) + "/kharness"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    auto output = run_command(spec, Deadline::in(std::chrono::seconds(30)));
    EXPECT_TRUE(output.ok()) << output.error().to_string();
    return output.ok() ? std::move(output).value() : CommandOutput{};
  }

  std::optional<TempDir> dir_;
};

TEST_F(DiffCommand, DifferentKernelsExitOneAndNameTheChanges) {
  CommandOutput out = kharness({"diff", path("v4.19.json"), path("v6.1.json")});
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_EQ(out.output.rfind("A = 4.19.304 (v4.19.json)   B = 6.1.0 (v6.1.json)\n", 0), 0U) << out.output;
  EXPECT_NE(
      out.output.find("    renamed _do_fork -> kernel_clone  (between copy_process and __do_sys_clone)\n"),
      std::string::npos)
      << out.output;
  EXPECT_NE(out.output.find("    removed ksys_mount  (between do_mount and __do_sys_mount)\n"),
            std::string::npos);
  EXPECT_NE(out.output.find("    added   path_mount  (between do_loopback and do_mount)\n"),
            std::string::npos);
  EXPECT_EQ(out.output.find('\x1b'), std::string::npos) << "no colour when stdout is not a terminal";
}

TEST_F(DiffCommand, SameTraceExitsZero) {
  CommandOutput out = kharness({"diff", path("v6.1.json"), path("v6.1.json")});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_NE(out.output.find("\nequivalent: same hits, call chains and values at 3 breakpoints\n"),
            std::string::npos)
      << out.output;
}

TEST_F(DiffCommand, ColourOnRequest) {
  CommandOutput out = kharness({"diff", "--color", "always", path("v4.19.json"), path("v6.1.json")});
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_NE(out.output.find("\x1b[33mrenamed\x1b[0m _do_fork -> kernel_clone"), std::string::npos)
      << out.output;
}

struct BadInput {
  std::string name;
  std::vector<std::string> files;
  std::string named;    // the file the error names
  std::string problem;  // part of the message
};

TEST_F(DiffCommand, BadInputExitsTwoWithOneLineNamingTheFile) {
  const std::vector<BadInput> cases = {
      {"missing A", {"missing.json", "v6.1.json"}, "missing.json", "cannot open"},
      {"missing B", {"v4.19.json", "missing.json"}, "missing.json", "cannot open"},
      {"bad JSON", {"garbage.json", "v6.1.json"}, "garbage.json", "bad JSON"},
  };
  for (const BadInput& c : cases) {
    SCOPED_TRACE(c.name);
    CommandOutput out = kharness({"diff", path(c.files[0]), path(c.files[1])});
    EXPECT_EQ(out.exit_code, 2) << out.output;
    EXPECT_EQ(out.output.rfind("kharness: error: " + path(c.named) + ": ", 0), 0U) << out.output;
    EXPECT_NE(out.output.find(c.problem), std::string::npos) << out.output;
    EXPECT_EQ(std::count(out.output.begin(), out.output.end(), '\n'), 1) << out.output;
  }
}

TEST_F(DiffCommand, MissingArgumentIsAUsageError) {
  CommandOutput out = kharness({"diff", path("v4.19.json")});
  EXPECT_EQ(out.exit_code, 2) << out.output;
}

}  // namespace
}  // namespace kh::report
