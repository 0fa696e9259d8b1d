// `kharness run SCENARIO...`: run scenarios with the trace engine and report the verdicts.
#include <unistd.h>

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/kernel_options.h"
#include "common/kernel_version.h"
#include "engine/trace_engine.h"
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
  std::string prefer_kernel;
  bool verbose = false;
};

// The newest release of each long-term series that kharness knows, for --prefer-kernel downloads.
std::string latest_known_release(const KernelVersion& series) {
  if (series.major == 4 && series.minor == 19) {
    return "4.19.325";
  }
  return {};
}

bool kernel_chosen(const kernel::KernelRequest& request) {
  return !request.source_tree.empty() || !request.tarball.empty() || !request.version.empty() ||
         !request.debian_package.empty();
}

// --prefer-kernel X.Y without an explicit kernel: a cached X.Y build, else X.Y from kernel.org,
// else the default kernel (Debian's linux-source-6.1) with a notice that says how to pick X.Y.
Result<std::optional<kernel::KernelBuild>> preferred_kernel(const RunArguments& args) {
  if (args.prefer_kernel.empty() || kernel_chosen(args.kernel)) {
    return std::optional<kernel::KernelBuild>();
  }
  KH_ASSIGN_OR_RETURN(KernelVersion series, KernelVersion::parse(args.prefer_kernel));
  KH_ASSIGN_OR_RETURN(KernelVersionRange range, KernelVersionRange::parse(args.prefer_kernel));
  KH_ASSIGN_OR_RETURN(std::optional<kernel::KernelBuild> cached, kernel::find_cached_kernel(range));
  if (cached) {
    return cached;
  }
  const std::string release = latest_known_release(series);
  std::string why = fmt::format("no cached {} build", args.prefer_kernel);
  if (!release.empty()) {
    kernel::KernelRequest download = args.kernel;
    download.version = release;
    download.progress = ::isatty(STDERR_FILENO) != 0;
    auto built = kernel::provide_kernel(download);
    if (built.ok()) {
      return std::optional<kernel::KernelBuild>(std::move(*built));
    }
    if (built.error().kind != ErrorKind::Network) {
      return std::move(built).error();
    }
    why += " and kernel.org is out of reach";
  }
  fmt::print(stderr,
             "kharness: note: {}; using Debian's {}. For {}: KERNEL_SOURCE=DIR, KERNEL_TARBALL=FILE "
             "or KERNEL_VERSION=X.Y.Z\n",
             why, kernel::kDefaultDebianPackage, args.prefer_kernel);
  return std::optional<kernel::KernelBuild>();
}

// The exit code of a run: the worst verdict wins.
int exit_code_of(trace::Verdict verdict) {
  switch (verdict) {
    case trace::Verdict::Pass:
    case trace::Verdict::Skipped:
      return kExitPass;
    case trace::Verdict::Fail:
      return kExitFail;
    case trace::Verdict::Error:
      return kExitError;
    case trace::Verdict::Infra:
      return kExitInfra;
    case trace::Verdict::Timeout:
      return kExitTimeout;
  }
  return kExitInfra;
}

int run_scenarios(const RunArguments& args) {
  if (!args.json_file.empty() && args.scenarios.size() != 1) {
    print_error(make_error(ErrorKind::Config, "--json holds the trace of one scenario; run one at a time "
                                              "(--junit takes several)"));
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
  auto preferred = preferred_kernel(args);
  if (!preferred.ok()) {
    print_error(preferred.error());
    return exit_code_for(preferred.error());
  }
  options.kernel_build = std::move(*preferred);
  options.kernel.progress = ::isatty(STDERR_FILENO) != 0;
  options.accel = *accel;
  if (args.timeout_s > 0) {
    options.timeout = std::chrono::milliseconds(static_cast<long long>(args.timeout_s * 1000));
  }
  options.memory_mb = args.memory_mb;
  options.extra_append = args.append;
  options.gdb_transcript = args.gdb_log;
  options.progress = args.verbose;

  const report::TerminalStyle style = report::terminal_style_for(
      stdout, args.verbose ? report::Verbosity::Verbose : report::Verbosity::Normal);
  std::vector<engine::RunReport> reports;
  int exit_code = kExitPass;
  for (const auto& scenario : args.scenarios) {
    options.scenario = scenario;
    engine::RunReport run = engine::run_scenario(options);
    report::print_run_report(run, stdout, style);
    int code = run.detail == "interrupted" ? kExitInterrupted : exit_code_of(run.verdict);
    exit_code = std::max(exit_code, code);
    reports.push_back(std::move(run));
    if (code == kExitInterrupted) {
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
  run->add_option("--timeout", args->timeout_s, "Seconds from boot to power-off (default: the scenario's)")
      ->check(CLI::PositiveNumber);
  run->add_option("--memory", args->memory_mb, "Guest memory in MiB")->capture_default_str()->check(CLI::Range(64, 65536));
  run->add_option("--append", args->append, "More kernel command line");
  run->add_option("--json", args->json_file, "Write the full trace and verdicts as JSON");
  run->add_option("--junit", args->junit_file, "Write JUnit XML (one testsuite per scenario)");
  run->add_option("--html", args->html_file, "Write an HTML report: call trees, mount trees, verdicts");
  run->add_option("--gdb-log", args->gdb_log, "Write every GDB/MI line sent and received to this file");
  run->add_option("--prefer-kernel", args->prefer_kernel,
                  "Without a kernel option: use a cached X.Y build, else download X.Y, else the default kernel");
  run->add_flag("-v,--verbose", args->verbose, "Show phase timings as they happen and raw gdb values");
  run->callback([args, &exit_code]() { exit_code = run_scenarios(*args); });
}

}  // namespace kh::cli
