// kharness: the thin command line over the harness library.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

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
  kh::cli::add_matrix_command(app, exit_code);
  kh::cli::add_record_command(app, exit_code);
  kh::cli::add_bisect_command(app, exit_code);
  // CLI11 would only say "A subcommand is required" for a mistyped command: name it.
  std::string known;
  bool is_known = false;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    known += (known.empty() ? "" : ", ") + sub->get_name();
    is_known = is_known || (argc > 1 && sub->get_name() == argv[1]);
  }
  if (argc > 1 && argv[1][0] != '-' && !is_known) {
    std::fprintf(stderr, "kharness: error: unknown command '%s' (commands: %s; see kharness --help)\n", argv[1],
                 known.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here too, with exit code 0.
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
