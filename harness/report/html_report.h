// The HTML report of one or more runs: one self-contained page (inline CSS and SVG, no script,
// nothing from the network; light and dark colours; prints well) that shows per breakpoint the
// call tree of its hits, the captured values of each hit, the mount trees of <capture-mounts>
// with what changed between two looks at one namespace, and every verdict.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "trace/run_report.h"
#include "report/html_page.h"

namespace kh::report {

// The page: per run a header (scenario, kernel, accelerator, phase timings, guest exit status and
// KH-RESULT lines, verdict totals), the call tree and hits of each breakpoint (chain ends link to
// rows `#hit-N`, highlighted when targeted), the mount namespaces, the verdicts (file:line,
// expected against actual for a FAIL), and unless it passed the evidence and the serial tail.
// Every text from the run is escaped. Cannot fail.
std::string run_report_html(const std::vector<trace::RunReport>& reports);

// A verdict as the pages show it: <span class="badge pass">PASS</span> (the class is the verdict
// in lower case). Pure.
std::string verdict_badge_html(trace::Verdict verdict);

// One run's part of such a page: <article class="run" id="PREFIXrun"> with its header, call trees,
// mount namespaces, verdicts and (unless it passed) console, every anchor in it starting with
// `id_prefix`, so that several runs share one page (run_report_html, the matrix page). Cannot fail.
std::string run_article_html(const trace::RunReport& report, std::string_view id_prefix);

// Writes run_report_html atomically. ErrorKind::Io on failure.
Status write_html_report(const std::vector<trace::RunReport>& reports, const std::filesystem::path& path);

}  // namespace kh::report
