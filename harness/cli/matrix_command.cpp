// `kharness matrix SCENARIO... KERNEL-OPTIONS...`: every scenario on every kernel, in parallel,
// with the table, the changes from one kernel to the next, JUnit, JSON and goldens.
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "common/file_io.h"
#include "matrix/matrix.h"
#include "matrix/matrix_html.h"
#include "matrix/matrix_table.h"
#include "report/html_page.h"
#include "report/terminal_style.h"

namespace kh::cli {
namespace {

struct MatrixArguments {
  std::vector<std::string> scenarios;
  std::vector<std::string> packages, sources, tarballs, versions;
  std::vector<std::string> fragments;
  int jobs = 0;
  std::string out_dir;
  std::string junit_file;
  std::string json_file;
  std::string html_file;
  std::string golden_dir;
  bool update = false;
  bool plan = false;
  std::vector<std::string> merge;
  std::string accel = "auto";
  double timeout_s = 0;
};

std::vector<matrix::KernelColumn> columns_of(const MatrixArguments& args) {
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
  return columns;
}

// A new folder for a matrix run: ./kharness-matrix-YYYYMMDD-HHMMSS.
std::string default_out_dir() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
  return std::string("kharness-matrix-") + stamp;
}

void print_result(const matrix::MatrixResult& result, const report::TerminalStyle& style) {
  fmt::print("{}", matrix::format_matrix_table(result, style));
  const std::vector<std::string> changes = matrix::version_changes(result);
  if (!changes.empty()) {
    fmt::print("\nwhat changed from one kernel to the next:\n");
    for (const auto& line : changes) {
      fmt::print("  {}\n", line);
    }
  }
  const std::vector<std::string> golden = matrix::golden_lines(result);
  if (!golden.empty()) {
    fmt::print("\ngoldens:\n");
    for (const auto& line : golden) {
      fmt::print("  {}\n", line);
    }
  }
}

Status write_outputs(const matrix::MatrixResult& result, const MatrixArguments& args) {
  if (!args.junit_file.empty()) {
    KH_TRY(write_file_atomically(args.junit_file, matrix::matrix_junit_xml(result)));
  }
  if (!args.json_file.empty()) {
    KH_TRY(write_file_atomically(args.json_file,
                                 matrix::matrix_json(result).dump(2, ' ', false,
                                                                  nlohmann::json::error_handler_t::replace) +
                                     "\n"));
  }
  if (!args.html_file.empty()) {
    KH_TRY(matrix::write_matrix_html(result, args.html_file));
  }
  return {};
}

int run_matrix_command(const MatrixArguments& args) {
  for (const auto& [path, option] : {std::pair{&args.junit_file, "--junit"}, std::pair{&args.json_file, "--json"}}) {
    if (!path->empty()) {
      if (Status ok = check_output_path(*path, option); !ok.ok()) {
        print_error(ok.error());
        return kExitError;
      }
    }
  }
  if (Status html = args.html_file.empty() ? Status() : report::check_html_output(args.html_file); !html.ok()) {
    print_error(html.error());
    return kExitError;
  }
  if (args.update && args.golden_dir.empty()) {
    print_error(make_error(ErrorKind::Config, "--update writes goldens: give --golden DIR"));
    return kExitError;
  }
  const report::TerminalStyle style = report::terminal_style_for(stdout);
  matrix::MatrixResult result;
  if (!args.merge.empty()) {
    std::vector<std::filesystem::path> dirs(args.merge.begin(), args.merge.end());
    auto merged = matrix::merge_results(dirs, args.golden_dir, args.update);
    if (!merged.ok()) {
      print_error(merged.error());
      return exit_code_for(merged.error());
    }
    result = std::move(*merged);
  } else {
    matrix::MatrixOptions options;
    options.scenarios.assign(args.scenarios.begin(), args.scenarios.end());
    options.columns = columns_of(args);
    const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
    options.jobs = args.jobs > 0 ? args.jobs : static_cast<int>(cores > 0 ? cores : 1);
    options.golden_dir = args.golden_dir;
    options.update_golden = args.update;
    auto accel = vm::parse_accel(args.accel);
    if (!accel.ok()) {
      print_error(accel.error());
      return kExitError;
    }
    options.accel = *accel;
    if (args.timeout_s > 0) {
      options.timeout = std::chrono::milliseconds(static_cast<long long>(args.timeout_s * 1000));
    }
    options.progress = ::isatty(STDERR_FILENO) != 0;
    if (args.plan) {
      auto plan = matrix::plan_matrix(options);
      if (!plan.ok()) {
        print_error(plan.error());
        return exit_code_for(plan.error());
      }
      int code = kExitPass;
      for (const auto& cell : *plan) {
        fmt::print("{}\n", matrix::planned_cell_json(cell).dump());
        if (!cell.key_problem.empty()) {
          fmt::print(stderr, "kharness: error: {}: {}\n", cell.column.label(), cell.key_problem);
          code = kExitError;
        }
      }
      return code;
    }
    options.out_dir = args.out_dir.empty() ? default_out_dir() : args.out_dir;
    std::error_code ec;
    options.kharness = std::filesystem::read_symlink("/proc/self/exe", ec);
    auto ran = matrix::run_matrix(options);
    if (!ran.ok()) {
      print_error(ran.error());
      return exit_code_for(ran.error());
    }
    result = std::move(*ran);
    print_result(result, style);
    fmt::print("\nresults in {}\n", options.out_dir.string());
    if (Status written = write_outputs(result, args); !written.ok()) {
      print_error(written.error());
      return kExitInfra;
    }
    return matrix::matrix_exit_code(result);
  }
  print_result(result, style);
  if (Status written = write_outputs(result, args); !written.ok()) {
    print_error(written.error());
    return kExitInfra;
  }
  return matrix::matrix_exit_code(result);
}

}  // namespace

void add_matrix_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<MatrixArguments>();
  CLI::App* sub = app.add_subcommand(
      "matrix", "Run scenarios on several kernels (each kernel option is one column), in parallel");
  sub->add_option("scenario", args->scenarios, "Scenario files (XML)")->check(CLI::ExistingFile);
  sub->add_option("--kernel-package", args->packages, "A column: Debian's kernel source package (repeatable)")
      ->option_text("NAME")
      ->allow_extra_args(false);
  sub->add_option("--kernel-source", args->sources, "A column: a kernel tree (repeatable)")->option_text("DIR")
      ->allow_extra_args(false);
  sub->add_option("--kernel-tarball", args->tarballs, "A column: a linux-X.Y.Z.tar.{xz,gz} (repeatable)")
      ->option_text("FILE")
      ->allow_extra_args(false);
  sub->add_option("--kernel-version", args->versions, "A column: linux X.Y.Z from kernel.org (repeatable)")
      ->option_text("X.Y.Z")
      ->allow_extra_args(false);
  sub->add_option("--config", args->fragments, "An extra Kconfig fragment for every column (repeatable)")
      ->option_text("FRAGMENT")
      ->allow_extra_args(false);
  sub->add_option("-j,--jobs", args->jobs, "Cells run at once (default: the number of cores)")
      ->check(CLI::Range(1, 64));
  sub->add_option("--out", args->out_dir, "Folder for the cells' results (default: ./kharness-matrix-<time>)");
  sub->add_option("--junit", args->junit_file, "Write JUnit XML: one testsuite per cell SCENARIO@RELEASE");
  sub->add_option("--json", args->json_file, "Write every cell's verdict, counts, timings and kernel provenance");
  sub->add_option("--html", args->html_file,
                  "Write an HTML page: the table, each cell's call trees and verdicts, the changes between kernels");
  sub->add_option("--golden", args->golden_dir, "Compare each cell's trace with DIR/SCENARIO@MAJOR.MINOR.json");
  sub->add_flag("--update", args->update, "With --golden: write the goldens from this run instead");
  sub->add_flag("--plan", args->plan, "Print the cells as JSON lines and run nothing");
  sub->add_option("--merge", args->merge, "Read result folders made by `matrix` or `run --out` instead of running")
      ->option_text("DIR...");
  sub->add_option("--accel", args->accel, "Accelerator: auto, kvm, tcg")->capture_default_str();
  sub->add_option("--timeout", args->timeout_s, "Seconds per cell from gdb's start to power-off")
      ->check(CLI::PositiveNumber);
  sub->callback([args, &exit_code]() {
    if (args->merge.empty() && args->scenarios.empty()) {
      print_error(make_error(ErrorKind::Config, "matrix: give scenario files (or --merge DIR...)"));
      exit_code = kExitError;
      return;
    }
    exit_code = run_matrix_command(*args);
  });
}

}  // namespace kh::cli
