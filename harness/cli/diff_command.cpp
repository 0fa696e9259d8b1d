#include "cli/commands.h"

namespace kh::cli {

void add_diff_command(CLI::App& /*app*/, int& /*exit_code*/) {}

}  // namespace kh::cli
