// What every subcommand shares: exit codes and how errors reach the user.
#pragma once

#include "common/result.h"
#include "engine/run_outcome.h"

namespace kh::cli {

// The process exit codes (engine/run_outcome.h has the one table from errors and verdicts).
using engine::ExitCode;
using engine::kExitError;
using engine::kExitFail;
using engine::kExitInfra;
using engine::kExitInterrupted;
using engine::kExitPass;
using engine::kExitTimeout;
using engine::exit_code_for;

// Prints "kharness: error: [location: ]message" and the evidence lines to stderr.
void print_error(const Error& error);

}  // namespace kh::cli
