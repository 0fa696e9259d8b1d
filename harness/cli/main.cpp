// kharness: the thin command line over the harness library.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/deadline.h"
#include "common/paths.h"

int main(int argc, char** argv) {
  kh::install_interrupt_handlers();
  CLI::App app{"kharness: boot a kernel under QEMU, trace it with gdb/MI, and check what it does"};
  app.set_version_flag("--version", std::string("kharness ") + std::string(kh::version()));
  app.require_subcommand(1);
  int exit_code = 0;
  kh::cli::add_kernel_command(app, exit_code);
  kh::cli::add_initramfs_command(app, exit_code);
  kh::cli::add_run_command(app, exit_code);
  kh::cli::add_shell_command(app, exit_code);
  kh::cli::add_diff_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here too, with exit code 0.
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
