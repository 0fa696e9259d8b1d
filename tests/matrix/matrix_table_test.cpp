// The matrix as people read it, and cell folders merged back into one result.
#include "matrix/matrix_table.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/temp_dir.h"
#include "report/sample_reports.h"

namespace kh::matrix {
namespace {

using trace::Verdict;

ColumnResult column(const std::string& package, const std::string& release) {
  ColumnResult result;
  result.column.option = "--kernel-package";
  result.column.value = package;
  result.release = release;
  result.version = *KernelVersion::parse(release);
  return result;
}

CellResult cell(const std::string& scenario, const ColumnResult& column, trace::RunReport report) {
  CellResult result;
  result.cell = scenario + "@" + column.release;
  result.scenario = scenario;
  result.column = column.column.label();
  result.release = column.release;
  result.version = column.version;
  result.verdict = report.verdict;
  result.phase = report.phase;
  for (const auto& r : report.results) {
    result.total += r.verdict == Verdict::Skipped ? 0 : 1;
    result.passed += r.verdict == Verdict::Pass ? 1 : 0;
  }
  result.report = std::move(report);
  return result;
}

MatrixResult two_kernels() {
  MatrixResult result;
  // Given out of order: the table orders columns by version.
  result.columns = {column("linux-source-6.1", "6.1.192"), column("linux-4.19", "4.19.304")};
  trace::RunReport on_61 = report::testing::passing_report_419();
  on_61.trace = report::testing::trace_mount_trace_61();
  on_61.kernel_release = "6.1.192";
  result.cells.push_back(cell("trace-mount", result.columns[0], on_61));
  result.cells.push_back(cell("trace-mount", result.columns[1], report::testing::passing_report_419()));
  result.cells.push_back(cell("bind-mount", result.columns[1], report::testing::failing_report_419()));
  result.cells.push_back(cell("bind-mount", result.columns[0], report::testing::timeout_report_61()));
  result.scenarios = {"trace-mount", "bind-mount"};
  std::stable_sort(result.columns.begin(), result.columns.end(),
                   [](const ColumnResult& a, const ColumnResult& b) { return a.version < b.version; });
  return result;
}

TEST(CellText, EachVerdictReadsAsTheIssueShowsIt) {
  CellResult c;
  c.verdict = Verdict::Pass, c.passed = 21, c.total = 21;
  EXPECT_EQ(cell_text(c), "PASS 21/21");
  c.verdict = Verdict::Fail, c.passed = 19;
  EXPECT_EQ(cell_text(c), "FAIL 19/21");
  c.verdict = Verdict::Skipped;
  EXPECT_EQ(cell_text(c), "SKIP");
  c.verdict = Verdict::Timeout, c.phase = "guest exit";
  EXPECT_EQ(cell_text(c), "TIMEOUT guest exit");
  c.verdict = Verdict::Infra;
  EXPECT_EQ(cell_text(c), "INFRA");
}

TEST(MatrixTable, OneRowPerScenarioOneColumnPerReleaseInVersionOrder) {
  const std::string table = format_matrix_table(two_kernels(), report::TerminalStyle{});
  const std::size_t header_end = table.find('\n');
  const std::string header = table.substr(0, header_end);
  EXPECT_LT(header.find("4.19.304"), header.find("6.1.192")) << table;
  EXPECT_EQ(header.rfind("scenario", 0), 0u) << table;
  EXPECT_NE(table.find("\ntrace-mount  "), std::string::npos) << table;
  EXPECT_NE(table.find("TIMEOUT"), std::string::npos) << table;
  EXPECT_NE(table.find("4 cells:"), std::string::npos) << table;
  // Columns line up: every cell of the first kernel column starts where its title does.
  const std::size_t title_at = header.find("4.19.304");
  std::size_t line_start = header_end + 1;
  for (int row = 0; row < 2; ++row) {
    const std::size_t line_end = table.find('\n', line_start);
    const std::string line = table.substr(line_start, line_end - line_start);
    ASSERT_GT(line.size(), title_at) << table;
    EXPECT_NE(line[title_at], ' ') << table;
    EXPECT_EQ(line[title_at - 1], ' ') << table;
    line_start = line_end + 1;
  }
}

TEST(VersionChanges, NamesTheRenamedAndAddedFramesFromOneColumnToTheNext) {
  const std::vector<std::string> lines = version_changes(two_kernels());
  ASSERT_FALSE(lines.empty());
  const std::string& line = lines.front();
  EXPECT_EQ(line.rfind("trace-mount  4.19.304 -> 6.1.192  ", 0), 0u) << line;
  EXPECT_NE(line.find("_do_fork -> kernel_clone"), std::string::npos) << line;
  EXPECT_NE(line.find("+ path_mount"), std::string::npos) << line;
}

TEST(MergeResults, AMissingCellIsReportedAndCountsAsBroken) {
  auto dir = TempDir::create("kh-merge-test-");
  ASSERT_TRUE(dir.ok());
  KernelColumn column;
  column.option = "--kernel-package";
  column.value = "linux-source-6.1";
  trace::RunReport report = report::testing::passing_report_419();
  ASSERT_TRUE(write_cell_dir(dir->path() / "trace-mount@4.19.304", report, column, std::nullopt).ok());
  // A matrix folder whose plan names a second cell that never reported.
  {
    std::ofstream(dir->path() / "matrix.json")
        << R"({"format":1,"planned":["trace-mount@4.19.304","bind-mount@4.19.304"]})";
  }
  auto merged = merge_results({dir->path()}, {}, false);
  ASSERT_TRUE(merged.ok()) << merged.error().to_string();
  ASSERT_EQ(merged->cells.size(), 1u);
  EXPECT_EQ(merged->cells[0].verdict, Verdict::Pass);
  EXPECT_EQ(merged->missing, std::vector<std::string>{"bind-mount@4.19.304"});
  EXPECT_EQ(matrix_exit_code(*merged), 3);
  const std::string table = format_matrix_table(*merged, report::TerminalStyle{});
  EXPECT_NE(table.find("missing: bind-mount@4.19.304"), std::string::npos) << table;

  auto nothing = merge_results({dir->path() / "trace-mount@4.19.304" / "nope"}, {}, false);
  EXPECT_FALSE(nothing.ok());
}

}  // namespace
}  // namespace kh::matrix
