// The JSON report of a run: everything the run produced (every counted hit with its frames,
// arguments and captured values, the results, kernel, accelerator, phase timings, guest results,
// verdict and the serial log), for CI artefacts and for `kharness diff`.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "trace/run_report.h"
#include "trace/trace_model.h"

namespace kh::report {

// The version of the report layout, in its "format" field. Readers accept this version and older
// ones; fields a version adds are optional when reading.
inline constexpr int kJsonReportFormat = 1;

// The report as JSON. Cannot fail.
nlohmann::json run_report_json(const trace::RunReport& report);

// The inverse of run_report_json: ErrorKind::Parse when `json` is not a run report (no "format"
// field, a newer format, a field of the wrong type), with a message naming the problem.
Result<trace::RunReport> run_report_from_json(const nlohmann::json& json);

// Writes run_report_json to `path` atomically (a temporary file renamed over it), indented.
// Bytes that are not UTF-8 (a garbled serial console) become U+FFFD. ErrorKind::Io on failure.
Status write_json_report(const trace::RunReport& report, const std::filesystem::path& path);

// Reads a report written by write_json_report. ErrorKind::Io when the file cannot be read,
// ErrorKind::Parse for bad JSON or a file that is not a run report; messages start with the path.
Result<trace::RunReport> read_json_report(const std::filesystem::path& path);

// The trace of a JSON file: a run report's "trace", or a bare trace (trace::to_json). Errors as
// read_json_report.
Result<trace::Trace> read_trace_file(const std::filesystem::path& path);

}  // namespace kh::report
