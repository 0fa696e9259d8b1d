// The kharness subcommands. Each adds itself to the CLI11 app; when it runs, it stores the
// process exit code in `exit_code` (see exit codes in cli_support.h).
#pragma once

#include <CLI/CLI.hpp>

namespace kh::cli {

void add_kernel_command(CLI::App& app, int& exit_code);
void add_initramfs_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);
void add_shell_command(CLI::App& app, int& exit_code);
void add_diff_command(CLI::App& app, int& exit_code);
void add_matrix_command(CLI::App& app, int& exit_code);
void add_record_command(CLI::App& app, int& exit_code);
void add_bisect_command(CLI::App& app, int& exit_code);

}  // namespace kh::cli
