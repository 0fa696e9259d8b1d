// `kharness record SCENARIO -o lab.xml [KERNEL-OPTIONS...]`: run a scenario (or a command line and
// some breakpoints) and write a scenario that expects what the runs saw.
#include <unistd.h>

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "common/file_io.h"
#include "common/temp_dir.h"
#include "engine/trace_engine.h"
#include "matrix/matrix.h"
#include "report/terminal_report.h"
#include "report/terminal_style.h"
#include "trace/scenario_writer.h"

namespace kh::cli {
namespace {

struct RecordArguments {
  std::string scenario;
  std::string output;
  std::string guest_command;
  std::vector<std::string> breaks;
  std::vector<std::string> packages, sources, tarballs, versions;
  std::vector<std::string> fragments;
  std::string accel = "auto";
  double timeout_s = 0;
};

std::vector<matrix::KernelColumn> columns_of(const RecordArguments& args) {
  std::vector<matrix::KernelColumn> columns;
  auto add = [&](const std::vector<std::string>& values, const char* option,
                 void (*set)(kernel::KernelRequest&, const std::string&)) {
    for (const auto& value : values) {
      matrix::KernelColumn column;
      column.option = option;
      column.value = value;
      set(column.request, value);
      for (const auto& fragment : args.fragments) {
        column.request.extra_fragments.emplace_back(fragment);
      }
      columns.push_back(std::move(column));
    }
  };
  add(args.packages, "--kernel-package", [](kernel::KernelRequest& r, const std::string& v) { r.debian_package = v; });
  add(args.sources, "--kernel-source", [](kernel::KernelRequest& r, const std::string& v) { r.source_tree = v; });
  add(args.tarballs, "--kernel-tarball", [](kernel::KernelRequest& r, const std::string& v) { r.tarball = v; });
  add(args.versions, "--kernel-version", [](kernel::KernelRequest& r, const std::string& v) { r.version = v; });
  if (columns.empty()) {
    matrix::KernelColumn column;
    for (const auto& fragment : args.fragments) {
      column.request.extra_fragments.emplace_back(fragment);
    }
    columns.push_back(std::move(column));
  }
  return columns;
}

// The scenario of `--guest-command ... --break ...`: the command as the guest, one guest-scoped
// breakpoint per function, nothing expected.
std::string command_scenario(const RecordArguments& args) {
  std::string text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<scenario name=\"recorded\" timeout=\"120\">\n";
  text += fmt::format("  <description>{}</description>\n", trace::xml_escape(args.guest_command));
  text += fmt::format("  <guest command=\"{}\"/>\n", trace::xml_escape(args.guest_command));
  for (const auto& function : args.breaks) {
    text += fmt::format("  <breakpoint function=\"{}\"/>\n", trace::xml_escape(function));
  }
  text += "</scenario>\n";
  return text;
}

// How the file was made, for its comment: the command line as the options give it.
std::string how_made(const RecordArguments& args) {
  std::string how = "kharness record";
  if (!args.scenario.empty()) {
    how += " " + args.scenario;
  }
  if (!args.guest_command.empty()) {
    how += fmt::format(" --guest-command \"{}\"", args.guest_command);
  }
  for (const auto& function : args.breaks) {
    how += " --break " + function;
  }
  how += " -o " + std::filesystem::path(args.output).filename().string();
  for (const auto& column : columns_of(args)) {
    if (!column.option.empty()) {
      how += " " + column.label();
    }
  }
  return how;
}

int record(const RecordArguments& args) {
  if (args.scenario.empty() == args.guest_command.empty()) {
    print_error(make_error(ErrorKind::Config, "record needs a SCENARIO, or --guest-command with --break (not both)"));
    return kExitError;
  }
  if (!args.guest_command.empty() && args.breaks.empty()) {
    print_error(make_error(ErrorKind::Config, "--guest-command needs at least one --break FUNCTION"));
    return kExitError;
  }
  if (!args.scenario.empty() && !args.breaks.empty()) {
    print_error(make_error(ErrorKind::Config, "--break is for --guest-command; a SCENARIO has its own breakpoints"));
    return kExitError;
  }
  if (Status output = check_output_path(args.output, "-o"); !output.ok()) {
    print_error(output.error());
    return kExitError;
  }
  auto accel = vm::parse_accel(args.accel);
  if (!accel.ok()) {
    print_error(accel.error());
    return kExitError;
  }
  std::optional<TempDir> temp;
  std::filesystem::path scenario_file = args.scenario;
  if (!args.guest_command.empty()) {
    auto made = TempDir::create("kharness-record-");
    if (!made.ok()) {
      print_error(made.error());
      return kExitInfra;
    }
    temp.emplace(std::move(made).value());
    scenario_file = temp->path() / "recorded.xml";
    if (Status written = write_file_atomically(scenario_file, command_scenario(args)); !written.ok()) {
      print_error(written.error());
      return kExitInfra;
    }
  }
  auto scenario = trace::load_scenario_file(scenario_file);
  if (!scenario.ok()) {
    print_error(scenario.error());
    return kExitError;
  }
  const report::TerminalStyle style = report::terminal_style_for(stdout, report::Verbosity::Normal);
  std::vector<trace::RecordedRun> runs;
  for (const auto& column : columns_of(args)) {
    engine::RunOptions options;
    options.scenario = scenario_file;
    options.kernel = column.request;
    options.kernel.progress = ::isatty(STDERR_FILENO) != 0;
    options.notice = [](std::string_view line) { fmt::print(stderr, "kharness: note: {}\n", line); };
    options.accel = *accel;
    if (args.timeout_s > 0) {
      options.timeout = std::chrono::milliseconds(static_cast<long long>(args.timeout_s * 1000));
    }
    trace::RunReport run = engine::run_scenario(options);
    // A FAIL still has a whole trace (the expectations of the input do not matter here); any other
    // verdict does not.
    if (run.verdict != trace::Verdict::Pass && run.verdict != trace::Verdict::Fail) {
      report::print_run_report(run, stdout, style);
      fmt::print(stderr, "kharness: error: nothing recorded: the run on {} ended {}\n",
                 column.option.empty() ? std::string("the default kernel") : column.label(), to_string(run.verdict));
      return exit_code_for(run.verdict);
    }
    if (run.guest_exit_status && *run.guest_exit_status != 0) {
      fmt::print(stderr, "kharness: note: the guest exited with status {} on Linux {}; recorded anyway\n",
                 *run.guest_exit_status, run.kernel_release);
    }
    auto version = KernelVersion::parse(run.kernel_version);
    if (!version.ok()) {
      print_error(version.error());
      return kExitInfra;
    }
    fmt::print(stderr, "kharness: recorded {} hits on Linux {}\n", run.trace.hits.size(), run.kernel_release);
    runs.push_back(trace::RecordedRun{*version, run.kernel_release, std::move(run.trace)});
  }
  if (!args.guest_command.empty()) {
    scenario->name = "recorded";
    scenario->file = args.guest_command;
  }
  auto text = trace::write_recorded_scenario(*scenario, runs, args.output, how_made(args));
  if (!text.ok()) {
    print_error(text.error());
    return kExitError;
  }
  if (Status written = write_file_atomically(args.output, *text); !written.ok()) {
    print_error(written.error());
    return kExitInfra;
  }
  fmt::print("wrote {}\n", args.output);
  return kExitPass;
}

}  // namespace

void add_record_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RecordArguments>();
  CLI::App* sub = app.add_subcommand(
      "record", "Run a scenario's guest and breakpoints and write a scenario that expects what the run saw");
  sub->add_option("scenario", args->scenario, "A scenario with a guest and breakpoints (expectations not needed)")
      ->check(CLI::ExistingFile);
  sub->add_option("-o,--output", args->output, "The scenario file to write")->required();
  sub->add_option("--guest-command", args->guest_command, "Instead of a SCENARIO: a busybox command line as the guest");
  sub->add_option("--break", args->breaks, "With --guest-command: a kernel function to break on (repeatable)");
  sub->add_option("--kernel-package", args->packages, "Record on Debian's kernel source package (repeatable)")
      ->option_text("PKG");
  sub->add_option("--kernel-source", args->sources, "Record on a kernel tree (repeatable)")->option_text("DIR");
  sub->add_option("--kernel-tarball", args->tarballs, "Record on a linux-X.Y.Z.tar.{xz,gz} (repeatable)")
      ->option_text("FILE");
  sub->add_option("--kernel-version", args->versions, "Record on linux X.Y.Z from kernel.org (repeatable)")
      ->option_text("X.Y.Z");
  sub->add_option("--config", args->fragments, "An extra Kconfig fragment for every kernel (repeatable)");
  sub->add_option("--accel", args->accel, "Accelerator: auto, kvm, tcg")->capture_default_str();
  sub->add_option("--timeout", args->timeout_s, "Seconds per run from gdb's start to power-off");
  sub->callback([args, &exit_code]() { exit_code = record(*args); });
}

}  // namespace kh::cli
