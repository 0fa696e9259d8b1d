// `kharness shell SCENARIO`: an interactive gdb at the scenario's breakpoints, for course labs.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "cli/kernel_options.h"
#include "engine/lab_shell.h"

namespace kh::cli {
namespace {

struct ShellArguments {
  std::string scenario;
  kernel::KernelRequest kernel;
  std::string accel = "auto";
  int memory_mb = 256;
  std::string append;
  std::string prefer_kernel;
};

int run_shell(const ShellArguments& args) {
  auto accel = vm::parse_accel(args.accel);
  if (!accel.ok()) {
    print_error(accel.error());
    return kExitError;
  }
  engine::RunOptions options;
  options.scenario = args.scenario;
  options.kernel = args.kernel;
  options.prefer_kernel = args.prefer_kernel;
  options.notice = [](std::string_view line) { fmt::print(stderr, "kharness: note: {}\n", line); };
  options.accel = *accel;
  options.memory_mb = args.memory_mb;
  options.extra_append = args.append;
  auto status = engine::run_lab_shell(options);
  if (!status.ok()) {
    print_error(status.error());
    return exit_code_for(status.error());
  }
  return *status;
}

}  // namespace

void add_shell_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ShellArguments>();
  CLI::App* shell = app.add_subcommand(
      "shell", "Boot a scenario's VM and open an interactive gdb at its breakpoints, helpers loaded");
  shell->add_option("scenario", args->scenario, "Scenario file (XML)")->required()->check(CLI::ExistingFile);
  add_kernel_options(*shell, args->kernel);
  shell->add_option("--accel", args->accel, "Accelerator: auto, kvm, tcg")->capture_default_str();
  shell->add_option("--memory", args->memory_mb, "Guest memory in MiB")->capture_default_str()->check(CLI::Range(64, 65536));
  shell->add_option("--append", args->append, "More kernel command line");
  shell->add_option("--prefer-kernel", args->prefer_kernel,
                    "Without a kernel option: use a cached X.Y build, else download X.Y, else the default kernel");
  shell->callback([args, &exit_code]() { exit_code = run_shell(*args); });
}

}  // namespace kh::cli
