// What every subcommand shares: exit codes and how errors reach the user.
#pragma once

#include "common/result.h"

namespace kh::cli {

// Process exit codes of kharness, one per verdict class.
enum ExitCode : int {
  kExitPass = 0,         // everything asked for worked / every expectation passed
  kExitFail = 1,         // an expectation was not met
  kExitError = 2,        // bad input: scenario, option, kernel tree, fragment
  kExitInfra = 3,        // qemu, gdb, the kernel build or the host broke
  kExitTimeout = 4,      // a phase did not finish in time
  kExitInterrupted = 130 // Ctrl-C / SIGTERM
};

// The exit code that an error of this kind ends kharness with.
int exit_code_for(const Error& error);
// Prints "kharness: error: [location: ]message" and the evidence lines to stderr.
void print_error(const Error& error);

}  // namespace kh::cli
