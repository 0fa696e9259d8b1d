// Golden traces: a run's trace normalised to what must not change between two runs of the same
// scenario on the same kernel series (per breakpoint its hit count, each hit's call chain and
// captured values; no addresses, pids or timings), written so that a change reads well in a code
// review, and the check of a run against one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/kernel_version.h"
#include "common/result.h"
#include "trace/trace_model.h"

namespace kh::report {

// The golden file of `scenario` on `kernel` in `dir`: DIR/SCENARIO@MAJOR.MINOR.json.
std::filesystem::path golden_path(const std::filesystem::path& dir, std::string_view scenario,
                                  const KernelVersion& kernel);

// The golden text of a trace: stable key order, one hit per line. Two runs that saw the same
// calls give byte-identical text. Pure.
std::string golden_text(const trace::Trace& trace, const KernelVersion& kernel);

// Golden text read back as a trace whose frames hold only function names and whose captures hold
// the normalised values. ErrorKind::Parse naming `origin` for text that is not a golden.
Result<trace::Trace> parse_golden(std::string_view text, std::string_view origin);

// A golden file read back as a trace whose frames hold only function names and whose captures
// hold the normalised values. ErrorKind::Parse (with the path) for a file that is not a golden.
Result<trace::Trace> read_golden(const std::filesystem::path& path);

// How a run compares with its golden.
struct GoldenCheck {
  enum class Status { Match, Differs, Missing };
  Status status = Status::Missing;
  std::filesystem::path file;
  std::vector<std::string> diff;  // for Differs: the trace diff, one line each (golden -> run)
};

// Compares `trace` with the golden file `path` (normalising the trace as golden_text does).
// A missing file is Status::Missing, not an error; ErrorKind::Parse/Io for a file that cannot be
// read as a golden.
Result<GoldenCheck> check_golden(const trace::Trace& trace, const std::filesystem::path& path);

// Writes golden_text(trace) to `path` atomically, creating its folder. ErrorKind::Io on failure.
Status write_golden(const trace::Trace& trace, const KernelVersion& kernel, const std::filesystem::path& path);

}  // namespace kh::report
