// `kharness run SCENARIO...`: run scenarios with the trace engine and report the verdicts.
#include <unistd.h>

#include <fmt/format.h>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/kernel_options.h"
#include "common/file_io.h"
#include "engine/run_bundle.h"
#include "engine/trace_engine.h"
#include "matrix/matrix.h"
#include "report/html_report.h"
#include "report/json_report.h"
#include "report/junit_report.h"
#include "report/terminal_report.h"
#include "report/terminal_style.h"

namespace kh::cli {
namespace {

struct RunArguments {
  std::vector<std::string> scenarios;
  kernel::KernelRequest kernel;
  std::string accel = "auto";
  double timeout_s = 0;
  int memory_mb = 256;
  std::string append;
  std::string json_file;
  std::string junit_file;
  std::string html_file;
  std::string gdb_log;
  std::string gdb = "gdb";
  std::string out_dir;
  std::string bundle_dir;
  std::string golden_file;
  std::string prefer_kernel;
  bool verbose = false;
  bool no_snapshot = false;
  bool hits_over_mi = false;
};

// Bad output paths are bad input: found before anything is built or booted.
Status check_outputs(const RunArguments& args) {
  for (const auto& [path, option] : {std::pair{&args.json_file, "--json"}, std::pair{&args.out_dir, "--out"},
                                      std::pair{&args.golden_file, "--golden"},
                                      std::pair{&args.bundle_dir, "--bundle"}}) {
    if (!path->empty() && args.scenarios.size() != 1) {
      return make_error(ErrorKind::Config, "{} is about the trace of one scenario; run one at a time "
                                           "(--junit takes several)", option);
    }
  }
  if (!args.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.out_dir, ec);
    if (ec || !std::filesystem::is_directory(args.out_dir, ec)) {
      return make_error(ErrorKind::Config, "--out {}: cannot make this folder", args.out_dir);
    }
    KH_TRY(check_output_path(std::filesystem::path(args.out_dir) / "cell.json", "--out"));
  }
  if (!args.bundle_dir.empty()) {
    KH_TRY(engine::check_bundle_dir(args.bundle_dir, "--bundle"));
  }
  const std::pair<const std::string*, std::string_view> outputs[] = {
      {&args.json_file, "--json"}, {&args.junit_file, "--junit"}, {&args.gdb_log, "--gdb-log"}};
  for (const auto& [path, option] : outputs) {
    if (!path->empty()) {
      KH_TRY(check_output_path(*path, option));
    }
  }
  return {};
}

int run_scenarios(const RunArguments& args) {
  if (Status outputs = check_outputs(args); !outputs.ok()) {
    print_error(outputs.error());
    return kExitError;
  }
  if (Status html = args.html_file.empty() ? Status() : report::check_html_output(args.html_file); !html.ok()) {
    print_error(html.error());
    return kExitError;
  }
  auto accel = vm::parse_accel(args.accel);
  if (!accel.ok()) {
    print_error(accel.error());
    return kExitError;
  }
  engine::RunOptions options;
  options.kernel = args.kernel;
  options.kernel.progress = ::isatty(STDERR_FILENO) != 0;
  options.prefer_kernel = args.prefer_kernel;
  options.notice = [](std::string_view line) { fmt::print(stderr, "kharness: note: {}\n", line); };
  options.accel = *accel;
  if (args.timeout_s > 0) {
    options.timeout = std::chrono::milliseconds(static_cast<long long>(args.timeout_s * 1000));
  }
  options.memory_mb = args.memory_mb;
  options.extra_append = args.append;
  options.gdb_transcript = args.gdb_log;
  options.gdb_path = args.gdb;
  options.progress = args.verbose;
  options.no_snapshot = args.no_snapshot;
  options.hits_over_mi = args.hits_over_mi;
  options.bundle = args.bundle_dir;

  const report::TerminalStyle style = report::terminal_style_for(
      stdout, args.verbose ? report::Verbosity::Verbose : report::Verbosity::Normal);
  std::vector<trace::RunReport> reports;
  std::optional<report::GoldenCheck> golden;
  int exit_code = kExitPass;
  for (const auto& scenario : args.scenarios) {
    options.scenario = scenario;
    trace::RunReport run = engine::run_scenario(options);
    if (!args.golden_file.empty()) {
      auto checked = matrix::apply_golden(run, args.golden_file, /*update=*/false);
      if (!checked.ok()) {
        print_error(checked.error());
        exit_code = std::max(exit_code, static_cast<int>(kExitError));
      } else {
        golden = *checked;
        if (golden->status == report::GoldenCheck::Status::Missing) {
          fmt::print(stderr, "kharness: note: no golden {} to compare with\n", args.golden_file);
        }
      }
    }
    report::print_run_report(run, stdout, style);
    const int code = engine::exit_code_for(run.verdict);
    exit_code = std::max(exit_code, code);
    const bool stop = run.verdict == trace::Verdict::Interrupted;
    reports.push_back(std::move(run));
    if (stop) {
      break;
    }
  }
  if (!args.json_file.empty()) {
    Status written = report::write_json_report(reports.front(), args.json_file);
    if (!written.ok()) {
      print_error(written.error());
      exit_code = std::max(exit_code, static_cast<int>(kExitInfra));
    }
  }
  if (!args.out_dir.empty()) {
    Status written = matrix::write_cell_dir(args.out_dir, reports.front(), matrix::column_for_request(args.kernel), golden);
    if (!written.ok()) {
      print_error(written.error());
      exit_code = std::max(exit_code, static_cast<int>(kExitInfra));
    }
  }
  if (!args.junit_file.empty()) {
    Status written = report::write_junit_report(reports, args.junit_file);
    if (!written.ok()) {
      print_error(written.error());
      exit_code = std::max(exit_code, static_cast<int>(kExitInfra));
    }
  }
  if (Status written = args.html_file.empty() ? Status() : report::write_html_report(reports, args.html_file);
      !written.ok()) {
    print_error(written.error());
    exit_code = std::max(exit_code, static_cast<int>(kExitInfra));
  }
  return exit_code;
}

// CLI11's PositiveNumber says "Value 0 not in range 0.000000 to 1.79769e+308" for 0.
std::string positive_seconds(const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && value > 0) {
      return {};
    }
  } catch (const std::exception&) {
  }
  return fmt::format("must be a number of seconds more than 0, not '{}'", text);
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RunArguments>();
  CLI::App* run = app.add_subcommand("run", "Run scenarios: boot the kernel, trace the guest, check expectations");
  run->add_option("scenario", args->scenarios, "Scenario files (XML, see docs/scenarios.md)")
      ->required()
      ->check(CLI::ExistingFile);
  add_kernel_options(*run, args->kernel);
  run->add_option("--accel", args->accel, "Accelerator: auto (probe KVM, fall back to TCG), kvm, tcg")
      ->capture_default_str();
  run->add_option("--timeout", args->timeout_s,
                  "Seconds from gdb's start to power-off (default: the scenario's)")
      ->check(CLI::Validator(positive_seconds, "SECONDS"));
  run->add_option("--memory", args->memory_mb, "Guest memory in MiB")->capture_default_str()->check(CLI::Range(64, 65536));
  run->add_option("--append", args->append, "More kernel command line");
  run->add_option("--json", args->json_file, "Write the full trace and verdicts as JSON");
  run->add_option("--junit", args->junit_file, "Write JUnit XML (one testsuite per scenario)");
  run->add_option("--html", args->html_file, "Write an HTML report: call trees, mount trees, verdicts");
  run->add_option("--gdb-log", args->gdb_log, "Write every GDB/MI line sent and received to this file");
  run->add_option("--gdb", args->gdb, "The gdb to run (with Python; default: gdb from PATH)")->option_text("PROGRAM");
  run->add_option("--out", args->out_dir,
                  "Write the results as one matrix cell (report.json, serial.log, cell.json) into DIR");
  run->add_option("--bundle", args->bundle_dir,
                  "Write a reproducer into DIR: kernel, initramfs, qemu command, breakpoints.gdb and "
                  "reproduce.sh, which boots the same VM and opens gdb at the same breakpoints without kharness")
      ->option_text("DIR");
  run->add_option("--golden", args->golden_file, "Compare the trace with this golden (see kharness matrix --golden)");
  run->add_option("--prefer-kernel", args->prefer_kernel,
                  "Without a kernel option: use a cached X.Y build, else download X.Y, else the default kernel");
  run->add_flag("--no-snapshot", args->no_snapshot,
                "Boot every guest from power-on instead of restoring the saved machine at its wait point");
  run->add_flag("--hits-over-mi", args->hits_over_mi,
                "Collect every hit over GDB/MI instead of inside gdb's Python (slower; what gdb before 11 gets)");
  run->add_flag("-v,--verbose", args->verbose, "Show phase timings as they happen and raw gdb values");
  run->callback([args, &exit_code]() { exit_code = run_scenarios(*args); });
}

}  // namespace kh::cli
