#include "matrix/sample_matrix.h"

#include <string>

#include "report/sample_reports.h"

namespace kh::matrix::testing {
namespace {

using trace::Verdict;

ColumnResult column(const std::string& option, const std::string& value, const std::string& release) {
  ColumnResult result;
  result.column.option = option;
  result.column.value = value;
  result.release = release;
  if (!release.empty()) {
    result.version = *KernelVersion::parse(release);
  }
  return result;
}

CellResult cell(const std::string& scenario, const ColumnResult& column, trace::RunReport report,
                double wall_seconds) {
  CellResult result;
  result.cell = scenario + "@" + column.release;
  result.scenario = scenario;
  result.column = column.column.label();
  result.release = column.release;
  result.version = column.version;
  result.verdict = report.verdict;
  result.phase = report.phase;
  result.detail = report.detail;
  result.wall_seconds = wall_seconds;
  result.dir = "/tmp/matrix/" + result.cell;
  for (const auto& r : report.results) {
    result.total += r.verdict == Verdict::Skipped ? 0 : 1;
    result.passed += r.verdict == Verdict::Pass ? 1 : 0;
  }
  report.scenario = scenario;
  report.kernel_release = column.release;
  report.trace.kernel_release = column.release;
  result.report = std::move(report);
  return result;
}

CellResult unrunnable(const std::string& scenario, const ColumnResult& column) {
  CellResult result;
  result.cell = scenario + "@" + "not-a-kernel";
  result.scenario = scenario;
  result.column = column.column.label();
  result.verdict = *column.problem;
  result.detail = column.reason;
  return result;
}

}  // namespace

MatrixResult sample_matrix() {
  namespace samples = report::testing;
  MatrixResult result;
  result.columns = {column("--kernel-source", "/src/linux-4.19.y", "4.19.304"),
                    column("--kernel-package", "linux-source-6.1", "6.1.0"),
                    column("--kernel-source", "/src/not-a-kernel", "")};
  result.columns[0].build_seconds = 412;
  result.columns[1].was_cached = true;
  result.columns[2].problem = Verdict::Error;
  result.columns[2].reason = "/src/not-a-kernel: not a kernel tree (no Makefile <&>)";
  const std::string hostile = samples::hostile_report().scenario;
  result.cells.push_back(cell("trace-mount", result.columns[0], samples::passing_report_419(), 11.5));
  result.cells.push_back(cell("trace-mount", result.columns[1], samples::mount_report_61(), 9.25));
  result.cells.push_back(cell("bind-mount", result.columns[0], samples::failing_report_419(), 12));
  result.cells.push_back(cell("bind-mount", result.columns[1], samples::timeout_report_61(), 62));
  result.cells.push_back(cell(hostile, result.columns[1], samples::hostile_report(), 3));
  result.cells.push_back(unrunnable("trace-mount", result.columns[2]));
  result.cells.push_back(unrunnable("bind-mount", result.columns[2]));
  result.cells.push_back(unrunnable(hostile, result.columns[2]));
  result.scenarios = {"trace-mount", "bind-mount", hostile};
  result.missing = {"propagation@6.1.0"};
  result.wall_seconds = 98.4;
  return result;
}

}  // namespace kh::matrix::testing
