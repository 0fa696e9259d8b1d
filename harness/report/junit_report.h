// JUnit XML for CI: one <testsuite> per run of a scenario, one <testcase> per expectation.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "trace/run_report.h"

namespace kh::report {

// One <testsuite>: its name and the run it reports.
struct JunitSuite {
  std::string name;
  const trace::RunReport* report = nullptr;
};

// The JUnit document of `suites`, each as junit_xml(reports) writes a run. The counts of
// <testsuites> leave out `skipped`, which the JUnit schema allows on <testsuite> only.
std::string junit_xml(const std::vector<JunitSuite>& suites);

// The JUnit document of `reports`. Per run: a <testsuite> named after the scenario (with
// " [kernel release]" when the list holds the scenario for several kernels) with tests,
// failures, errors, skipped and time (the run's wall time); per expectation a <testcase>
// (classname = the suite name, name = "breakpoint: description") with <failure> for FAIL,
// <error> for TIMEOUT/INFRA/ERROR and <skipped/> for SKIPPED. A run that broke (or has no
// results) gets a testcase "run" carrying the verdict, phase, detail, evidence and serial tail.
// <system-out> holds the serial log. Text is made valid XML 1.0 (see xml_text). Cannot fail.
std::string junit_xml(const std::vector<trace::RunReport>& reports);

// Writes junit_xml(reports) to `path` atomically. ErrorKind::Io on failure.
Status write_junit_report(const std::vector<trace::RunReport>& reports, const std::filesystem::path& path);

// `text` as XML 1.0 allows it: bytes that are not UTF-8 become U+FFFD, control characters other
// than tab, newline and carriage return become caret notation (ESC is "^["). Pure.
std::string xml_text(std::string_view text);

}  // namespace kh::report
