// `kharness initramfs`: pack the guest image for one guest program, or list the guest programs.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "common/paths.h"
#include "common/task_comm.h"
#include "image/initramfs.h"
#include "image/shell_words.h"

namespace kh::cli {
namespace {

struct InitramfsOptions {
  std::string guest;
  std::string args;
  std::string output;
  std::string busybox = "/bin/busybox";
  bool list = false;
};

// Prints the guest programs one per line. Fails (Config) when there are none.
Result<void> list_guests() {
  auto guests = image::list_guest_programs();
  if (guests.empty()) {
    return make_error(ErrorKind::Config,
                      "no guest programs in {} (build the guest_programs target, or set "
                      "KHARNESS_GUEST_DIR)",
                      guest_programs_dir().string());
  }
  for (const auto& guest : guests) {
    fmt::print("{}\n", guest);
  }
  return {};
}

Result<void> run_initramfs(const InitramfsOptions& options) {
  if (options.list) {
    return list_guests();
  }
  if (options.guest.empty() || options.output.empty()) {
    return make_error(ErrorKind::Config, "initramfs needs --guest NAME and -o FILE (or --list)");
  }
  image::InitramfsSpec spec;
  spec.guest = options.guest;
  KH_ASSIGN_OR_RETURN(spec.args, image::split_shell_words(options.args));
  spec.output = options.output;
  spec.busybox = options.busybox;
  KH_TRY(image::build_initramfs(spec));
  fmt::print("{}: guest {} (task name {}), {} argument(s)\n", spec.output.string(), spec.guest,
             task_comm(spec.guest), spec.args.size());
  return {};
}

}  // namespace

void add_initramfs_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<InitramfsOptions>();
  CLI::App* command = app.add_subcommand(
      "initramfs",
      "Pack the guest image: busybox, the init, and one static guest program with its arguments");
  command->add_option("--guest", options->guest, "The guest program (see --list)");
  command->add_option("--args", options->args,
                      "The guest's arguments, split like a shell does (quotes, backslashes; no expansion)");
  command->add_option("-o,--output", options->output, "The .cpio.gz file to write");
  command->add_option("--busybox", options->busybox, "A static busybox (default /bin/busybox)");
  command->add_flag("--list", options->list, "List the guest programs and exit");
  command->callback([options, &exit_code]() {
    auto done = run_initramfs(*options);
    if (!done.ok()) {
      print_error(done.error());
      exit_code = exit_code_for(done.error());
      return;
    }
    exit_code = kExitPass;
  });
}

}  // namespace kh::cli
