// `kharness bisect SCENARIO --kernel-source GIT_TREE --good REV --bad REV`: the kernel commit
// where the scenario's outcome (or its trace against a golden) changed.
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bisect/bisect.h"
#include "cli/cli_support.h"
#include "cli/commands.h"
#include "common/deadline.h"
#include "common/file_io.h"
#include "report/terminal_style.h"

namespace kh::cli {
namespace {

struct BisectArguments {
  std::string scenario;
  std::string tree;
  std::string good, bad;
  std::string golden;
  bool expect_pass = false;
  std::vector<std::string> fragments;
  int jobs = 0;
  std::string json_file;
  std::string accel = "auto";
  double timeout_s = 0;
};

int run_bisect_command(const BisectArguments& args) {
  if (!args.json_file.empty()) {
    if (Status ok = check_output_path(args.json_file, "--json"); !ok.ok()) {
      print_error(ok.error());
      return kExitError;
    }
  }
  bisect::BisectOptions options;
  options.scenario = args.scenario;
  options.tree = args.tree;
  options.good = args.good;
  options.bad = args.bad;
  options.golden = args.golden;
  options.extra_fragments.assign(args.fragments.begin(), args.fragments.end());
  options.jobs = args.jobs;
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
  options.on_line = [](std::string_view line) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    std::fflush(stderr);
  };
  auto result = bisect::run_bisect(options);
  if (!result.ok()) {
    print_error(result.error());
    // A signal makes whatever it broke fail too (a compiler killed mid-run): it is the reason.
    return interrupted() ? engine::kExitInterrupted : exit_code_for(result.error());
  }
  fmt::print("{}", bisect::format_bisect_result(*result, report::terminal_style_for(stdout)));
  std::fflush(stdout);
  if (!args.json_file.empty()) {
    const std::string json =
        bisect::bisect_json(*result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (Status written = write_file_atomically(args.json_file, json); !written.ok()) {
      print_error(written.error());
      return kExitInfra;
    }
  }
  return bisect::bisect_exit_code(*result);
}

}  // namespace

void add_bisect_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BisectArguments>();
  CLI::App* sub = app.add_subcommand(
      "bisect",
      "Find the kernel commit between --good and --bad where a scenario started to fail (or its "
      "trace stopped matching a golden)");
  sub->add_option("scenario", args->scenario, "Scenario file (XML)")->required()->check(CLI::ExistingFile);
  sub->add_option("--kernel-source", args->tree,
                  "The kernel's git tree (never checked out: kharness uses a worktree of its own)")
      ->option_text("GIT_TREE")
      ->required();
  sub->add_option("--good", args->good, "A revision that behaves well")->option_text("REV")->required();
  sub->add_option("--bad", args->bad, "A later revision that behaves badly")->option_text("REV")->required();
  CLI::Option* golden = sub->add_option("--golden", args->golden,
                                        "Good when the trace equals this golden file, bad when it differs")
                            ->option_text("FILE")
                            ->check(CLI::ExistingFile);
  sub->add_flag("--expect-pass", args->expect_pass,
                "Good when the scenario passes, bad when it fails (the default)")
      ->excludes(golden);
  sub->add_option("--config", args->fragments,
                  "An extra Kconfig fragment for every step's kernel (repeatable)")
      ->option_text("FRAGMENT")
      ->allow_extra_args(false);
  sub->add_option("-j,--jobs", args->jobs, "make -j for the kernel builds (default: the number of cores)")
      ->check(CLI::Range(1, 256));
  sub->add_option("--json", args->json_file, "Write the result, the steps and their times as JSON");
  sub->add_option("--accel", args->accel, "Accelerator: auto, kvm, tcg")->capture_default_str();
  sub->add_option("--timeout", args->timeout_s, "Seconds per run from gdb's start to power-off")
      ->check(CLI::PositiveNumber);
  sub->callback([args, &exit_code]() { exit_code = run_bisect_command(*args); });
}

}  // namespace kh::cli
