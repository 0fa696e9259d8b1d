// The expectation matcher: a resolved scenario and the hits a run counted in, one verdict per
// expectation out. Pure: no I/O, no gdb.
#pragma once

#include <string>
#include <vector>

#include "trace/scenario.h"
#include "trace/trace_model.h"

namespace kh::trace {

// Evaluates every expectation of `scenario` against `trace`, breakpoint by breakpoint and in file
// order within each. Each result is PASS or FAIL, or ERROR when a value the
// expectation needs could not be read by gdb on any hit; a scenario that does not apply to its
// kernel gives one SKIPPED result. On FAIL, `expected` and `actual` show the expected chain or
// value and the closest hit's. Cannot fail.
std::vector<ExpectationResult> evaluate(const ResolvedScenario& scenario, const Trace& trace);

// One line in words, e.g. "backtrace has copy_process <- kernel_clone", "newns != 0".
std::string describe(const Check& check);

// Whether a value as gdb printed it passes a test (see docs/scenarios.md, "Comparing values").
bool value_passes(const ValueTest& test, std::string_view gdb_value);

}  // namespace kh::trace
