// The one table from what stopped a run to its verdict and to kharness's exit status, used by the
// engine, every subcommand and the matrix alike.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "trace/trace_model.h"

namespace kh::engine {

// Process exit codes of kharness, one per verdict class.
enum ExitCode : int {
  kExitPass = 0,          // everything asked for worked / every expectation passed (or SKIPPED)
  kExitFail = 1,          // an expectation was not met
  kExitError = 2,         // bad input: scenario, option, kernel tree, fragment
  kExitInfra = 3,         // qemu, gdb, the kernel build or the host broke
  kExitTimeout = 4,       // a phase did not finish in time
  kExitInterrupted = 130  // Ctrl-C / SIGTERM
};

// The verdict of a run that an error of this kind ended before its expectations were judged:
// Config/Symbol -> ERROR, Timeout -> TIMEOUT, Interrupted -> INTERRUPTED, the rest -> INFRA.
trace::Verdict verdict_for(ErrorKind kind);

// The exit status for a verdict.
int exit_code_for(trace::Verdict verdict);

// The exit status for an error: exit_code_for(verdict_for(error.kind)).
int exit_code_for(const Error& error);

// The evidence of a run that `error` ended: its details, then each line gdb printed outside MI
// (mi::MiSession::non_mi_output(): a crash message, a Python traceback) that the details do not
// already hold, for INFRA verdicts only (a TIMEOUT or an ERROR says what it needs itself).
std::vector<std::string> run_evidence(const Error& error, std::span<const std::string> gdb_output);

}  // namespace kh::engine
