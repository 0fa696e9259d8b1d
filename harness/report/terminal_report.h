// The terminal report of one run: reads like the gdb session of seed 000, only checked. Per
// breakpoint, each distinct call chain once ("x2" for repeats) with the captured values, then one
// PASS/FAIL line per expectation (expected vs actual under a FAIL), then the totals and verdict.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "trace/run_report.h"
#include "report/terminal_style.h"
#include "trace/trace_model.h"

namespace kh::report {

// Writes the report of `report` to `out`. Cannot fail: a failed write to a terminal is ignored
// (the JSON and JUnit files are the records).
void print_run_report(const trace::RunReport& report, std::FILE* out, const TerminalStyle& style);

// The text print_run_report writes.
std::string format_run_report(const trace::RunReport& report, const TerminalStyle& style);

// "a <- b <- c" as the report shows a backtrace: with Verbosity::Normal the syscall-entry frames
// below the system call (__se_sys_*, __x64_sys_*, do_syscall_64, entry_SYSCALL_64, ...) are left
// out, so the chain ends at __do_sys_clone as in seed 000; Verbose shows every frame.
std::string displayed_chain(const std::vector<trace::Frame>& frames, Verbosity verbosity);
// The same for a chain of function names.
std::string displayed_chain(const std::vector<std::string>& functions, Verbosity verbosity);

// "12 passed, 1 failed", with ", 2 errors" and ", 1 skipped" when there are any.
std::string format_totals(const std::vector<trace::ExpectationResult>& results);

}  // namespace kh::report
