// A hand-made matrix result shaped like `kharness matrix` reads one back from its cells' folders,
// for the HTML page's tests: trace-mount and bind-mount on 4.19.304 and 6.1.0 (PASS, FAIL,
// TIMEOUT), a scenario whose every text is hostile to a page on 6.1.0, a column whose kernel
// could not be had (its cells ERROR, without a run) and a planned cell without a result.
#pragma once

#include "matrix/matrix.h"

namespace kh::matrix::testing {

MatrixResult sample_matrix();

}  // namespace kh::matrix::testing
