// The log of one kernel build: every step's output goes to build.log; on a terminal a one-line
// progress display (phase, files compiled, elapsed) is kept up to date on stderr.
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace kh::kernel {

// The progress line. Disabled, it prints nothing at all.
class BuildProgress {
 public:
  BuildProgress(bool enabled, std::string title);
  BuildProgress(const BuildProgress&) = delete;
  BuildProgress& operator=(const BuildProgress&) = delete;
  // Ends the progress line so that later output starts on a fresh line.
  ~BuildProgress();

  // What is being built ("linux 6.1.192"), shown first on the line.
  void set_title(std::string title);
  // The current step ("extracting", "compiling"); redraws at once.
  void set_phase(std::string_view phase);
  // Counts compiled files from kbuild's "  CC      fs/namespace.o" lines.
  void observe_line(std::string_view line);
  // Redraws the line if enough time has passed since the last redraw (or `force`).
  void draw(bool force = false);
  // The number of "CC"/"AS" lines seen so far.
  int compiled_files() const { return compiled_; }

 private:
  bool enabled_;
  std::string title_;
  std::string phase_;
  int compiled_ = 0;
  Clock::time_point start_;
  Clock::time_point last_draw_{};
  bool drawn_ = false;
};

// The build log file plus the steps that write to it.
class BuildLog {
 public:
  // Creates (truncates) the log file; ErrorKind::Io when it cannot.
  static Result<BuildLog> create(const std::filesystem::path& path, BuildProgress& progress);

  // Runs one step to completion, its stdout and stderr appended to the log and shown to the
  // progress line. Fails with ErrorKind::Build ("<step> failed: make exited with status 2") whose
  // details are the first error line and the log tail; ErrorKind::Interrupted on Ctrl-C (the step
  // is killed); ErrorKind::Process when it cannot start.
  Status run(std::string_view step, const ChildSpec& spec);
  // Appends a line of kharness's own to the log (the commands it runs, verification results).
  void note(std::string_view line);

  // Where the log is written.
  const std::filesystem::path& path() const { return path_; }
  // The last lines (up to 25) of the most recent step's output, for callers that explain its
  // failure in their own words.
  const std::deque<std::string>& step_tail() const { return tail_; }

 private:
  BuildLog(std::filesystem::path path, UniqueFd fd, BuildProgress& progress)
      : path_(std::move(path)), fd_(std::move(fd)), progress_(&progress) {}
  void write_all(std::string_view bytes);
  void take_line(std::string_view line);

  std::filesystem::path path_;
  UniqueFd fd_;
  BuildProgress* progress_;
  std::string first_error_;       // of the current step
  std::deque<std::string> tail_;  // last lines of the current step
};

// True for an output line that names the cause of a failure: a compiler error, a link error,
// make's "***" line, a complaint of tar or a decompressor. The first such line is reported.
bool is_error_line(std::string_view line);

}  // namespace kh::kernel
