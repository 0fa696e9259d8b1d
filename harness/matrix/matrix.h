// Regression runs across kernel versions: `kharness matrix` runs every scenario on every kernel
// (each kernel option given is one column), builds the missing kernels first, runs the cells in
// parallel as independent `kharness run --out` processes, and reads the cells' folders back into
// one result: a table, the trace changes from one kernel to the next, JUnit, goldens. The same
// reading serves `--merge` of folders made anywhere (one CI job per kernel).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/kernel_version.h"
#include "common/result.h"
#include "kernel/kernel.h"
#include "report/golden.h"
#include "trace/run_report.h"
#include "vm/accel.h"

namespace kh::matrix {

// One column: one kernel option as the user gave it.
struct KernelColumn {
  std::string option;  // "--kernel-package", "--kernel-source", "--kernel-tarball", "--kernel-version"
  std::string value;
  kernel::KernelRequest request;  // the option as a request (extra fragments included)

  // "--kernel-package linux-source-6.1"
  std::string label() const;
  // The arguments that give `kharness run` this kernel: the option, its value, every --config.
  std::vector<std::string> run_arguments() const;
};

// The column a request means (the default Debian package when it names no kernel).
KernelColumn column_for_request(const kernel::KernelRequest& request);

// What to run.
struct MatrixOptions {
  std::vector<std::filesystem::path> scenarios;
  std::vector<KernelColumn> columns;
  int jobs = 2;
  std::filesystem::path out_dir;     // each cell in out_dir/<cell>/, matrix.json beside them
  std::filesystem::path golden_dir;  // empty: no golden check
  bool update_golden = false;        // write the goldens instead of checking them
  vm::Accel accel = vm::Accel::Auto;
  std::optional<std::chrono::milliseconds> timeout;  // per cell, as `run --timeout`
  std::filesystem::path kharness;    // the program that runs a cell (`kharness run ... --out`)
  bool progress = false;             // kernel builds' progress bars, one line per finished cell
};

// One cell of a plan: what a CI job runs with `kharness run SCENARIO <kernel> --out DIR`.
struct PlannedCell {
  std::string cell;  // SCENARIO@COLUMN-VALUE, unique in the plan
  std::string scenario;
  std::filesystem::path scenario_file;
  KernelColumn column;
  std::string cache_key;
  std::string key_problem;  // why the kernel's cache key could not be computed (a bad kernel option)
};

// The cells of `options` without running anything. Fails with Config for a bad scenario (with its
// file:line) before any build; a kernel option whose key cannot be computed is kept, with the
// reason in key_problem (run_matrix reports that column and runs the others).
Result<std::vector<PlannedCell>> plan_matrix(const MatrixOptions& options);

// One plan cell as a JSON line: scenario, scenario_file, kernel_option, kernel_value, config,
// cache_key, cell.
nlohmann::json planned_cell_json(const PlannedCell& cell);

// A kernel column once its kernel was asked for.
struct ColumnResult {
  KernelColumn column;
  std::string release;  // "6.1.192", empty when the kernel could not be had
  KernelVersion version;
  std::string key;
  std::optional<trace::Verdict> problem;  // ERROR (bad input) or INFRA when the kernel could not be had
  std::string reason;
  double build_seconds = 0;
  bool was_cached = false;
};

// One cell's outcome.
struct CellResult {
  std::string cell;  // SCENARIO@RELEASE (SCENARIO@COLUMN when the kernel could not be had)
  std::string scenario;
  std::string scenario_file;
  std::string column;  // the column's label
  std::string release;
  KernelVersion version;
  trace::Verdict verdict = trace::Verdict::Error;
  int passed = 0;
  int total = 0;
  std::string detail;
  std::string phase;
  double wall_seconds = 0;
  std::optional<trace::RunReport> report;  // absent when no run happened
  nlohmann::json kernel;                    // provenance: option, value, key, release, source, meta
  std::optional<report::GoldenCheck> golden;
  std::filesystem::path dir;
};

struct MatrixResult {
  std::vector<ColumnResult> columns;  // ordered by kernel version
  std::vector<std::string> scenarios;  // row order
  std::vector<CellResult> cells;
  std::vector<std::string> missing;  // cells a plan named that have no result (merge)
  double wall_seconds = 0;
};

// Builds every missing kernel (one at a time), runs every cell (`jobs` at once), checks or writes
// the goldens and writes out_dir/matrix.json. A column whose kernel cannot be had marks its cells
// ERROR or INFRA and the others still run. Fails only for bad input found before any build
// (Config) or when out_dir cannot be made (Io); Interrupted on Ctrl-C (every cell ended first).
Result<MatrixResult> run_matrix(const MatrixOptions& options);

// Reads cell folders made by `kharness run --out` or by run_matrix (a matrix folder holds one per
// cell, and its matrix.json names the cells it planned) into one result, checking or writing the
// goldens when `golden_dir` is set. Config when a folder holds no cell.
Result<MatrixResult> merge_results(const std::vector<std::filesystem::path>& dirs,
                                   const std::filesystem::path& golden_dir, bool update_golden);

// Writes a cell folder: report.json (the run's JSON report), serial.log and cell.json (the cell's
// name, its verdict and counts, the kernel's provenance). `golden` is the check made, if any.
Status write_cell_dir(const std::filesystem::path& dir, const trace::RunReport& report,
                      const KernelColumn& column, const std::optional<report::GoldenCheck>& golden);

// The golden check of a run: appends a "golden" result (PASS when the trace equals its golden,
// FAIL "trace differs from golden" with the diff) and makes a PASS run FAIL when it differs; with
// `update`, writes the golden instead. A missing golden is returned as such, nothing appended.
Result<report::GoldenCheck> apply_golden(trace::RunReport& report, const std::filesystem::path& golden_file,
                                         bool update);

// The worst verdict of the result's cells, as the exit status of `run` would be.
int matrix_exit_code(const MatrixResult& result);

// matrix.json: every cell with its verdict, counts, timings and kernel provenance, the columns
// with their build times, the missing cells.
nlohmann::json matrix_json(const MatrixResult& result);

// JUnit: one <testsuite> per cell named SCENARIO@RELEASE, one <testcase> per expectation.
std::string matrix_junit_xml(const MatrixResult& result);

}  // namespace kh::matrix
