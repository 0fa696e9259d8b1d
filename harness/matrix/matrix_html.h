// `kharness matrix --html FILE`: the matrix as one self-contained page (report/html_page.h): the
// table of scenarios x kernels, each cell linking to its own section (the run page's header, call
// trees, mount trees and verdicts, from the cell's report), and per scenario what changed in its
// trace from one kernel to the next (the diff page's call trees side by side).
#pragma once

#include <filesystem>
#include <string>

#include "common/result.h"
#include "matrix/matrix.h"

namespace kh::matrix {

// The page. Anchors: the table `#matrix`, each cell `#cell-N` (N in table order: rows, then
// columns; its run's anchors start with `cell-N-`), each scenario's changes `#changes-S` and each
// step `#step-S-K`. A cell that never ran (its kernel could not be had) shows its verdict and
// why; a planned cell without a result is listed as missing. Every text is escaped. Cannot fail.
std::string matrix_html(const MatrixResult& result);

// Writes matrix_html atomically. ErrorKind::Io on failure.
Status write_matrix_html(const MatrixResult& result, const std::filesystem::path& path);

}  // namespace kh::matrix
