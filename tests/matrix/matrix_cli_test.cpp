// `kharness matrix --html` through the built binary, without a VM: `--merge` of cell folders (as
// `run --out` writes them) writes the page, and a --html that cannot be written is an ERROR before
// anything is planned, built or booted.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/file_io.h"
#include "common/temp_dir.h"
#include "matrix/matrix.h"
#include "report/sample_reports.h"

namespace kh::matrix {
namespace {

class MatrixHtmlCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kh-matrix-cli-test-");
    ASSERT_TRUE(dir.ok()) << dir.error().to_string();
    dir_.emplace(std::move(dir).value());
  }

  std::filesystem::path path(const std::string& name) const { return dir_->path() / name; }

  // trace-mount on 4.19.304 and on 6.1.0 (with its mount lists), as two cell folders in `cells`.
  void write_cells() {
    KernelColumn old_kernel;
    old_kernel.option = "--kernel-source";
    old_kernel.value = "/src/linux-4.19.y";
    KernelColumn new_kernel;
    new_kernel.option = "--kernel-package";
    new_kernel.value = "linux-source-6.1";
    ASSERT_TRUE(write_cell_dir(path("cells/trace-mount@4.19.304"), report::testing::passing_report_419(),
                               old_kernel, std::nullopt)
                    .ok());
    ASSERT_TRUE(write_cell_dir(path("cells/trace-mount@6.1.0"), report::testing::mount_report_61(),
                               new_kernel, std::nullopt)
                    .ok());
  }

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

TEST_F(MatrixHtmlCommand, MergeWritesThePageWithTheTableCellsAndChanges) {
  write_cells();
  CommandOutput out =
      kharness({"matrix", "--merge", path("cells").string(), "--html", path("m.html").string()});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_NE(out.output.find("2 cells: 2 PASS"), std::string::npos) << out.output;
  auto html = read_file(path("m.html"));
  ASSERT_TRUE(html.ok()) << html.error().to_string();
  EXPECT_NE(html->find("<table class=\"matrix\">"), std::string::npos);
  EXPECT_NE(html->find("<td class=\"cell pass\" data-cell=\"trace-mount@4.19.304\"><a href=\"#cell-0\""),
            std::string::npos);
  EXPECT_NE(html->find("<td class=\"cell pass\" data-cell=\"trace-mount@6.1.0\"><a href=\"#cell-1\""),
            std::string::npos);
  EXPECT_NE(html->find("<section class=\"cell\" id=\"cell-1\" data-cell=\"trace-mount@6.1.0\">"),
            std::string::npos);
  // Read back from report.json: the call trees, the mount lists, the changes between the kernels.
  EXPECT_NE(html->find("<g class=\"mount added\" data-mount-point=\"/mount_dir_test\""), std::string::npos);
  EXPECT_NE(html->find("<section class=\"version-step differs\" id=\"step-0-0\">"), std::string::npos);
  EXPECT_NE(html->find("class=\"node renamed\" data-func=\"kernel_clone\""), std::string::npos);
}

TEST_F(MatrixHtmlCommand, AnUnwritableHtmlIsAnErrorBeforeAnythingRuns) {
  write_cells();
  const std::string missing = path("no-such-folder/m.html").string();
  // A run: nothing planned, no kernel asked for, no output folder made.
  const std::string scenario = KH_SOURCE_DIR "/scenarios/trace-mount.xml";
  CommandOutput run =
      kharness({"matrix", scenario, "--kernel-package", "linux-source-6.1",
                "--accel", "tcg", "--out", path("out").string(), "--html", missing});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("--html " + missing + ": folder " + path("no-such-folder").string() +
                            " does not exist"),
            std::string::npos)
      << run.output;
  EXPECT_FALSE(std::filesystem::exists(path("out")));
  // A folder is no file name.
  CommandOutput folder =
      kharness({"matrix", "--merge", path("cells").string(), "--html", path("cells").string()});
  EXPECT_EQ(folder.exit_code, 2) << folder.output;
  EXPECT_NE(folder.output.find("is a folder; give a file name"), std::string::npos) << folder.output;
  EXPECT_EQ(folder.output.find("2 cells"), std::string::npos) << "the table was printed: " << folder.output;
}

}  // namespace
}  // namespace kh::matrix
