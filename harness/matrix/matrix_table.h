// The matrix as people read it: one row per scenario, one column per kernel release, the totals,
// and per scenario what changed in its trace from one column to the next.
#pragma once

#include <string>
#include <vector>

#include "matrix/matrix.h"
#include "report/trace_diff.h"
#include "report/terminal_style.h"

namespace kh::matrix {

// "PASS 21/21", "FAIL 19/21", "SKIP", "TIMEOUT guest exit", "INFRA", "ERROR", "INTERRUPTED".
std::string cell_text(const CellResult& cell);

// The table, the totals line (cells by verdict, wall time, each kernel build's time) and the
// problems of columns whose kernel could not be had. Colour per `style`. Pure.
std::string format_matrix_table(const MatrixResult& result, const report::TerminalStyle& style);

// A column's heading: its kernel release, else the option's value.
std::string column_title(const ColumnResult& column);

// The cell of `scenario` in `column`, nullptr when there is none.
const CellResult* find_cell(const MatrixResult& result, const std::string& scenario, const ColumnResult& column);

// Two cells of one scenario in neighbouring columns (version order; cells without a hit are
// skipped) and how their traces differ.
struct VersionStep {
  std::string scenario;
  const CellResult* from = nullptr;  // points into the MatrixResult given
  const CellResult* to = nullptr;
  report::TraceDiff diff;  // from's trace against to's
};

// Every scenario's steps from one column to the next, scenarios in row order. Pure.
std::vector<VersionStep> version_steps(const MatrixResult& result);

// One step's changes, one text per breakpoint that changed: "attach_recursive_mnt: + path_mount,
// - ksys_mount", "hits 2 -> 3", "dest a -> b". Empty when the traces are the same. Pure.
std::vector<std::string> step_changes(const VersionStep& step);

// What changed in each scenario's trace from one column to the next (columns in version order),
// one line per change: "4.19.304 -> 5.10.135  copy_mnt_ns: _do_fork -> kernel_clone;
// attach_recursive_mnt: + path_mount, - ksys_mount". Pure.
std::vector<std::string> version_changes(const MatrixResult& result);

// The golden differences of the cells, "CELL: line" each. Pure.
std::vector<std::string> golden_lines(const MatrixResult& result);

}  // namespace kh::matrix
