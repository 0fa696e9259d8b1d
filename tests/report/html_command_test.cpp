// `--html` through the built binary: `kharness diff A B --html FILE` writes the side-by-side page,
// and both `diff` and `run` refuse a file whose folder does not exist, `run` before anything boots.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/file_io.h"
#include "common/temp_dir.h"
#include "report/json_report.h"
#include "report/sample_reports.h"

namespace kh::report {
namespace {

class HtmlCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kh-html-cli-test-");
    ASSERT_TRUE(dir.ok()) << dir.error().to_string();
    dir_.emplace(std::move(dir).value());
    trace::RunReport old_kernel = testing::passing_report_419();
    trace::RunReport new_kernel = testing::passing_report_419();
    new_kernel.kernel_release = "6.1.0";
    new_kernel.trace = testing::trace_mount_trace_61();
    ASSERT_TRUE(write_json_report(old_kernel, path("v4.19.json")).ok());
    ASSERT_TRUE(write_json_report(new_kernel, path("v6.1.json")).ok());
  }

  std::string path(const std::string& name) const { return (dir_->path() / name).string(); }

  static CommandOutput kharness(std::vector<std::string> args) {
    ChildSpec spec;
    spec.argv = {std::string(KH_BINARY_DIR) + "/kharness"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = {{"NO_COLOR", "1"}};
    auto output = run_command(spec, Deadline::in(std::chrono::seconds(60)));
    EXPECT_TRUE(output.ok()) << output.error().to_string();
    return output.ok() ? std::move(output).value() : CommandOutput{};
  }

  std::optional<TempDir> dir_;
};

TEST_F(HtmlCommand, DiffWritesBothTreesAndStillPrintsTheTextDiff) {
  CommandOutput out = kharness({"diff", path("v4.19.json"), path("v6.1.json"), "--html", path("diff.html")});
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_NE(out.output.find("renamed _do_fork -> kernel_clone"), std::string::npos) << out.output;
  auto html = read_file(path("diff.html"));
  ASSERT_TRUE(html.ok()) << html.error().to_string();
  EXPECT_NE(html->find("<span class=\"badge fail\">DIFFERENT</span>"), std::string::npos);
  EXPECT_NE(html->find("<dt>A</dt><dd>4.19.304 (v4.19.json)</dd>"), std::string::npos);
  EXPECT_NE(html->find("class=\"node renamed\" data-func=\"kernel_clone\""), std::string::npos);

  CommandOutput same =
      kharness({"diff", path("v4.19.json"), path("v4.19.json"), "--html", path("same.html")});
  EXPECT_EQ(same.exit_code, 0) << same.output;
  auto equivalent = read_file(path("same.html"));
  ASSERT_TRUE(equivalent.ok());
  EXPECT_NE(equivalent->find("EQUIVALENT"), std::string::npos);
}

TEST_F(HtmlCommand, AFolderThatDoesNotExistIsAnErrorBeforeAnyWork) {
  const std::string nowhere = path("no-such-folder/report.html");
  CommandOutput diff = kharness({"diff", path("v4.19.json"), path("v6.1.json"), "--html", nowhere});
  EXPECT_EQ(diff.exit_code, 2) << diff.output;
  EXPECT_NE(diff.output.find("does not exist"), std::string::npos) << diff.output;
  EXPECT_EQ(diff.output.find("A = "), std::string::npos) << diff.output;

  // `run` says so at once: no kernel, no boot (this test has no VM).
  CommandOutput run =
      kharness({"run", std::string(KH_SOURCE_DIR) + "/scenarios/trace-mount.xml", "-v", "--html", nowhere});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("kharness: error: --html " + nowhere + ": folder"), std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("kharness: boot"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("kharness: kernel"), std::string::npos) << run.output;

  CommandOutput folder = kharness(
      {"run", std::string(KH_SOURCE_DIR) + "/scenarios/trace-mount.xml", "--html", dir_->path().string()});
  EXPECT_EQ(folder.exit_code, 2) << folder.output;
  EXPECT_NE(folder.output.find("is a folder"), std::string::npos) << folder.output;
}

TEST_F(HtmlCommand, HelpNamesTheOption) {
  CommandOutput run = kharness({"run", "--help"});
  EXPECT_NE(run.output.find("--html"), std::string::npos) << run.output;
  CommandOutput diff = kharness({"diff", "--help"});
  EXPECT_NE(diff.output.find("--html"), std::string::npos) << diff.output;
}

}  // namespace
}  // namespace kh::report
