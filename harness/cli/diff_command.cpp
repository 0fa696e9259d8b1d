// `kharness diff A.json B.json [--html FILE]`: how two traces differ (e.g. a 4.19 run against a
// 6.1 run), on the terminal and optionally as an HTML page with both call trees side by side.
// Exit status 0 when they are equivalent, 1 when they differ, 2 when a file cannot be read or the
// HTML file cannot go where it was asked, 3 when writing it failed.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "report/html_page.h"
#include "report/json_report.h"
#include "report/terminal_style.h"
#include "report/trace_diff.h"

namespace kh::cli {
namespace {

struct DiffOptions {
  std::string file_a;
  std::string file_b;
  std::string colour = "auto";
  std::string html_file;
  bool verbose = false;
};

// "4.19.304 (runs/a.json)": the kernel of a side and the file it came from.
std::string side_label(const trace::Trace& trace, const std::string& file, std::string_view fallback) {
  std::string name = std::filesystem::path(file).filename().string();
  return fmt::format("{} ({})", trace.kernel_release.empty() ? fallback : trace.kernel_release, name);
}

int run_diff(const DiffOptions& options) {
  if (!options.html_file.empty()) {
    if (Status writable = report::check_html_output(options.html_file); !writable.ok()) {
      print_error(writable.error());
      return kExitError;
    }
  }
  auto a = report::read_trace_file(options.file_a);
  if (!a) {
    print_error(a.error());
    return kExitError;
  }
  auto b = report::read_trace_file(options.file_b);
  if (!b) {
    print_error(b.error());
    return kExitError;
  }
  report::TraceDiff diff = report::diff_traces(*a, *b);
  diff.label_a = side_label(*a, options.file_a, "A");
  diff.label_b = side_label(*b, options.file_b, "B");

  report::Verbosity verbosity = options.verbose ? report::Verbosity::Verbose : report::Verbosity::Normal;
  report::TerminalStyle style = report::terminal_style_for(stdout, verbosity);
  if (options.colour != "auto") {
    style.colour = options.colour == "always";
  }
  report::print_trace_diff(diff, stdout, style);
  if (!options.html_file.empty()) {
    if (Status written = report::write_trace_diff_html(diff, *a, *b, options.html_file); !written.ok()) {
      print_error(written.error());
      return kExitInfra;
    }
  }
  return diff.equivalent() ? kExitPass : kExitFail;
}

}  // namespace

void add_diff_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DiffOptions>();
  auto* diff = app.add_subcommand(
      "diff",
      "Compare two traces (JSON reports of `kharness run`): hit counts, call chains, captured values. "
      "Exit status 0: equivalent, 1: different, 2: unreadable input");
  diff->add_option("A", options->file_a, "The first JSON report (or trace)")->required();
  diff->add_option("B", options->file_b, "The second JSON report (or trace)")->required();
  diff->add_option("--color", options->colour,
                   "Colour the output: auto (on a terminal without NO_COLOR), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  diff->add_option("--html", options->html_file,
                   "Also write an HTML page: both call trees side by side, changed frames coloured");
  diff->add_flag("-v,--verbose", options->verbose, "Show every frame and the aligned chains");
  diff->callback([options, &exit_code] { exit_code = run_diff(*options); });
}

}  // namespace kh::cli
