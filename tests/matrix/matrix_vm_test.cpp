// `kharness matrix` end to end on Debian's 6.1 and 6.12 under TCG, through the kharness binary:
// the table, the cell folders, JUnit against the CI schema, goldens, SKIP, a broken column,
// plan -> run --out -> merge, the HTML page of a run and of a merge, and Ctrl-C.
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/file_io.h"
#include "common/temp_dir.h"
#include "support/processes.h"

namespace kh {
namespace {

const std::string kKharness = KH_BINARY_DIR "/kharness";
const std::string kScenarios = KH_SOURCE_DIR "/scenarios/";
const std::string kTestScenarios = KH_SOURCE_DIR "/tests/matrix/scenarios/";
const std::vector<std::string> kKernels = {"--kernel-package", "linux-source-6.1", "--kernel-package",
                                           "linux-source-6.12"};

CommandOutput kharness(std::vector<std::string> args,
                       std::chrono::seconds limit = std::chrono::seconds(1500)) {
  ChildSpec spec;
  spec.argv = {kKharness};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = {{"NO_COLOR", "1"}};
  auto output = run_command(spec, Deadline::in(limit));
  EXPECT_TRUE(output.ok()) << (output.ok() ? "" : output.error().to_string());
  return output.ok() ? *output : CommandOutput{};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  auto text = read_file(path);
  return text.ok() ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
}

class MatrixVmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = TempDir::create("kh-matrix-test-");
    ASSERT_TRUE(made.ok());
    dir_.emplace(std::move(*made));
  }
  std::filesystem::path dir() const { return dir_->path(); }
  std::optional<TempDir> dir_;
};

TEST_F(MatrixVmTest, TwoScenariosOnTwoKernelsPassWithTableFilesAndValidJunit) {
  const auto out = dir() / "out";
  const auto junit = dir() / "junit.xml";
  const auto html = dir() / "matrix.html";
  CommandOutput run =
      kharness(with({"matrix", kScenarios + "trace-mount.xml", kScenarios + "bind-mount.xml", "--accel",
                     "tcg", "-j", "2", "--out", out.string(), "--junit", junit.string(), "--json",
                     (dir() / "matrix.json").string(), "--html", html.string()},
                    kKernels));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("scenario"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("6.1."), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("6.12."), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("trace-mount"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("4 cells: 4 PASS"), std::string::npos) << run.output;
  nlohmann::json matrix = read_json(out / "matrix.json");
  ASSERT_TRUE(matrix.is_object()) << run.output;
  ASSERT_EQ(matrix["cells"].size(), 4u);
  for (const auto& cell : matrix["cells"]) {
    EXPECT_EQ(cell["verdict"], "PASS") << cell.dump();
    const std::filesystem::path cell_dir = cell["dir"].get<std::string>();
    EXPECT_TRUE(std::filesystem::exists(cell_dir / "report.json")) << cell_dir;
    EXPECT_TRUE(std::filesystem::exists(cell_dir / "serial.log")) << cell_dir;
    EXPECT_FALSE(cell["kernel"]["key"].get<std::string>().empty()) << cell.dump();
    EXPECT_TRUE(cell["kernel"].contains("cache_entry")) << cell.dump();
  }
  ChildSpec lint;
  lint.argv = {"xmllint", "--noout", "--schema", KH_SOURCE_DIR "/tests/matrix/junit.xsd", junit.string()};
  auto linted = run_command(lint, Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(linted.ok());
  EXPECT_EQ(linted->exit_code, 0) << linted->output;
  const std::string xml = *read_file(junit);
  EXPECT_NE(xml.find("<testsuite name=\"trace-mount@6.1."), std::string::npos) << xml.substr(0, 2000);
  EXPECT_NE(xml.find("<testsuite name=\"bind-mount@6.12."), std::string::npos);

  // The page: a link per cell to its section, read back from the cells' report.json, with the
  // call trees and the mount lists (trace-mount's bind marked as added), and per scenario the
  // step from 6.1 to 6.12.
  auto page = read_file(html);
  ASSERT_TRUE(page.ok()) << page.error().to_string();
  EXPECT_NE(page->find("<span class=\"badge pass\">PASS</span> <span>kharness matrix</span>"),
            std::string::npos);
  EXPECT_NE(page->find("data-cells=\"4\" data-passed=\"4\""), std::string::npos);
  std::size_t pass_cells = 0;
  for (std::size_t at = page->find("<td class=\"cell pass\" data-cell=\""); at != std::string::npos;
       at = page->find("<td class=\"cell pass\" data-cell=\"", at + 1)) {
    ++pass_cells;
  }
  EXPECT_EQ(pass_cells, 4u);
  for (int n = 0; n < 4; ++n) {
    EXPECT_NE(page->find(fmt::format("<a href=\"#cell-{}\"", n)), std::string::npos) << n;
    EXPECT_NE(page->find(fmt::format("<section class=\"cell\" id=\"cell-{}\" data-cell=\"", n)),
              std::string::npos)
        << n;
    EXPECT_NE(page->find(fmt::format("<article class=\"run\" id=\"cell-{}-run\">", n)), std::string::npos)
        << n;
  }
  EXPECT_NE(page->find("data-breakpoint=\"attach_recursive_mnt\""), std::string::npos);
  EXPECT_NE(page->find("<g class=\"mount added\" data-mount-point=\"/mount_dir_test\""), std::string::npos);
  EXPECT_NE(page->find("<section class=\"scenario-changes\" id=\"changes-0\" data-scenario=\"trace-mount\">"),
            std::string::npos);
  EXPECT_NE(page->find("id=\"step-0-0\""), std::string::npos);
  EXPECT_NE(page->find("id=\"step-1-0\""), std::string::npos);
  EXPECT_EQ(page->find("src=\"http"), std::string::npos);
}

TEST_F(MatrixVmTest, GoldensAreWrittenThenCheckedAndAnEditedOneFailsNamingTheFrame) {
  const auto goldens = dir() / "goldens";
  const std::vector<std::string> base = {"matrix",           kScenarios + "trace-mount.xml",
                                         "--accel",          "tcg",
                                         "--kernel-package", "linux-source-6.1",
                                         "--golden",         goldens.string()};
  CommandOutput update = kharness(with(base, {"--update", "--out", (dir() / "a").string()}));
  ASSERT_EQ(update.exit_code, 0) << update.output;
  std::vector<std::filesystem::path> written;
  for (const auto& entry : std::filesystem::directory_iterator(goldens)) {
    written.push_back(entry.path());
  }
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].filename(), "trace-mount@6.1.json");
  const std::string first = *read_file(written[0]);

  CommandOutput check = kharness(with(base, {"--out", (dir() / "b").string()}));
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(*read_file(written[0]), first) << "a check must not rewrite the golden";

  std::string edited = first;
  const std::size_t at = edited.find("\"do_loopback\"");
  ASSERT_NE(at, std::string::npos) << first;
  edited.replace(at, 13, "\"do_loopback_renamed\"");
  ASSERT_TRUE(write_file_atomically(written[0], edited).ok());
  CommandOutput differs = kharness(with(base, {"--out", (dir() / "c").string()}));
  EXPECT_EQ(differs.exit_code, 1) << differs.output;
  EXPECT_NE(differs.output.find("FAIL"), std::string::npos) << differs.output;
  EXPECT_NE(differs.output.find("trace differs from golden"), std::string::npos) << differs.output;
  EXPECT_NE(differs.output.find("do_loopback_renamed"), std::string::npos) << differs.output;

  // Only the failing cell keeps its reproducer; the golden check, not the cell's own run, made it
  // fail, so the bundle is kept or removed by the matrix once the verdict is final.
  auto bundles_in = [](const std::filesystem::path& out) {
    std::vector<std::filesystem::path> bundles;
    for (const auto& cell : std::filesystem::directory_iterator(out)) {
      if (std::filesystem::exists(cell.path() / "bundle")) {
        bundles.push_back(cell.path() / "bundle");
      }
    }
    return bundles;
  };
  EXPECT_TRUE(bundles_in(dir() / "a").empty());
  const std::vector<std::filesystem::path> kept = bundles_in(dir() / "c");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_TRUE(std::filesystem::is_regular_file(kept[0] / "reproduce.sh"));
  EXPECT_TRUE(std::filesystem::is_regular_file(kept[0] / "breakpoints.gdb"));
  EXPECT_TRUE(std::filesystem::is_regular_file(kept[0] / "vmlinux"));

  // The same golden through `run --golden`.
  CommandOutput single =
      kharness({"run", kScenarios + "trace-mount.xml", "--accel", "tcg", "--golden", written[0].string()});
  EXPECT_EQ(single.exit_code, 1) << single.output;
  EXPECT_NE(single.output.find("do_loopback_renamed"), std::string::npos) << single.output;
}

TEST_F(MatrixVmTest, ASkippedScenarioAndABrokenColumnDoNotStopTheOthers) {
  const auto not_a_tree = dir() / "not-a-kernel";
  std::filesystem::create_directories(not_a_tree);
  CommandOutput run =
      kharness({"matrix", kScenarios + "bind-mount.xml", kTestScenarios + "only-new-kernels.xml", "--accel",
                "tcg", "--out", (dir() / "out").string(), "--kernel-package", "linux-source-6.1",
                "--kernel-source", not_a_tree.string()});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("SKIP"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("PASS"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("ERROR --kernel-source " + not_a_tree.string()), std::string::npos) << run.output;
}

TEST_F(MatrixVmTest, PlanThenRunOutThenMergeGivesTheSameVerdictsAsAMatrixRun) {
  const std::vector<std::string> scenarios = {kScenarios + "trace-mount.xml", kScenarios + "propagation.xml"};
  CommandOutput plan = kharness(with(with({"matrix"}, scenarios), with({"--plan"}, kKernels)));
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  std::vector<nlohmann::json> cells;
  std::size_t at = 0;
  while (at < plan.output.size()) {
    const std::size_t end = plan.output.find('\n', at);
    auto line = nlohmann::json::parse(plan.output.substr(at, end - at), nullptr, false);
    if (line.is_object()) {
      cells.push_back(line);
    }
    at = end == std::string::npos ? plan.output.size() : end + 1;
  }
  ASSERT_EQ(cells.size(), 4u) << plan.output;
  const auto merged_html = dir() / "merged.html";
  std::vector<std::string> merge = {"matrix", "--html", merged_html.string(), "--merge"};
  for (const auto& cell : cells) {
    EXPECT_FALSE(cell["cache_key"].get<std::string>().empty());
    const auto cell_dir = dir() / "jobs" / cell["cell"].get<std::string>();
    CommandOutput ran = kharness({"run", cell["scenario_file"].get<std::string>(), "--accel", "tcg",
                                  cell["kernel_option"].get<std::string>(),
                                  cell["kernel_value"].get<std::string>(), "--out", cell_dir.string()});
    EXPECT_EQ(ran.exit_code, 0) << ran.output;
    merge.push_back(cell_dir.string());
  }
  CommandOutput merged = kharness(merge);
  EXPECT_EQ(merged.exit_code, 0) << merged.output;
  // --merge writes the page too: the four cells, each linked from the table to its section.
  auto page = read_file(merged_html);
  ASSERT_TRUE(page.ok()) << page.error().to_string();
  for (int n = 0; n < 4; ++n) {
    EXPECT_NE(page->find(fmt::format("<a href=\"#cell-{}\"", n)), std::string::npos) << n;
    EXPECT_NE(page->find(fmt::format("<section class=\"cell\" id=\"cell-{}\"", n)), std::string::npos) << n;
  }
  EXPECT_NE(page->find("data-scenario=\"propagation\""), std::string::npos);
  CommandOutput direct = kharness(with(
      with({"matrix"}, scenarios), with({"--accel", "tcg", "--out", (dir() / "direct").string()}, kKernels)));
  EXPECT_EQ(direct.exit_code, 0) << direct.output;
  // The same table: everything before the totals line's wall time.
  auto table = [](const std::string& output) { return output.substr(0, output.find("; wall")); };
  auto merged_table = table(merged.output);
  EXPECT_EQ(merged_table.substr(0, merged_table.find(" cells:")),
            table(direct.output).substr(0, table(direct.output).find(" cells:")))
      << merged.output << "\n---\n"
      << direct.output;
}

TEST_F(MatrixVmTest, CtrlCEndsEveryCellAndLeavesNoProcess) {
  test_support::become_subreaper();
  ChildSpec spec;
  spec.argv = {kKharness,
               "matrix",
               KH_SOURCE_DIR "/tests/engine/scenarios/hang.xml",
               kScenarios + "trace-mount.xml",
               "--accel",
               "tcg",
               "-j",
               "2",
               "--out",
               (dir() / "out").string(),
               "--kernel-package",
               "linux-source-6.1"};
  spec.stdout_mode = Stdio::Null;
  spec.stderr_mode = Stdio::Null;
  spec.own_process_group = false;
  auto child = ChildProcess::spawn(spec);
  ASSERT_TRUE(child.ok());
  // Wait until the trace-mount cell has its verdict while the hanging cell still runs a qemu of
  // this matrix (not any qemu on the machine: tests run side by side): the Ctrl-C then comes in
  // the middle of a trace, not while the cells start (a run starts qemu before gdb).
  const auto cells = dir() / "out";
  auto trace_mount_done = [&cells] {
    std::error_code ec;
    for (const auto& cell : std::filesystem::directory_iterator(cells, ec)) {
      if (cell.path().filename().string().rfind("trace-mount@", 0) == 0 &&
          std::filesystem::exists(cell.path() / "report.json", ec)) {
        return true;
      }
    }
    return false;
  };
  const Deadline deadline = Deadline::in(std::chrono::seconds(300));
  while ((!trace_mount_done() || test_support::descendants_named(child->pid(), "qemu-system-x86") < 1) &&
         !deadline.expired()) {
    auto none = wait_readable({}, Deadline::in(std::chrono::milliseconds(100)));
    (void)none;
  }
  ASSERT_FALSE(deadline.expired()) << "the trace-mount cell did not end while the hanging cell ran a qemu";
  ::kill(child->pid(), SIGINT);
  ASSERT_TRUE(child->wait(Deadline::in(std::chrono::seconds(60))).ok());
  EXPECT_EQ(child->exit_code(), 130);
  // Every descendant that outlived kharness was reparented to us: none may be left.
  EXPECT_THAT(test_support::children_left(), ::testing::IsEmpty());
  // The hanging cell was ended by the matrix's Ctrl-C, not killed: its kharness wrote its verdict.
  bool interrupted_cell = false;
  std::error_code ec;
  for (const auto& cell : std::filesystem::directory_iterator(cells, ec)) {
    if (cell.path().filename().string().rfind("engine-hang@", 0) == 0) {
      nlohmann::json report = read_json(cell.path() / "report.json");
      interrupted_cell = report.is_object() && report.value("verdict", "") == "INTERRUPTED";
      EXPECT_TRUE(interrupted_cell) << cell.path() << ": " << report.dump();
    }
  }
  EXPECT_TRUE(interrupted_cell) << "no engine-hang cell in " << cells;
}

}  // namespace
}  // namespace kh
