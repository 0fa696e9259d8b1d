#include "engine/run_outcome.h"

#include <algorithm>

namespace kh::engine {

using trace::Verdict;

Verdict verdict_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Config:
    case ErrorKind::Symbol:
      return Verdict::Error;
    case ErrorKind::Timeout:
      return Verdict::Timeout;
    case ErrorKind::Interrupted:
      return Verdict::Interrupted;
    case ErrorKind::Eof:
    case ErrorKind::Parse:
    case ErrorKind::Process:
    case ErrorKind::Gdb:
    case ErrorKind::Io:
    case ErrorKind::Network:
    case ErrorKind::Build:
    case ErrorKind::Internal:
      return Verdict::Infra;
  }
  return Verdict::Infra;
}

int exit_code_for(Verdict verdict) {
  switch (verdict) {
    case Verdict::Pass:
    case Verdict::Skipped:
      return kExitPass;
    case Verdict::Fail:
      return kExitFail;
    case Verdict::Error:
      return kExitError;
    case Verdict::Infra:
      return kExitInfra;
    case Verdict::Timeout:
      return kExitTimeout;
    case Verdict::Interrupted:
      return kExitInterrupted;
  }
  return kExitInfra;
}

int exit_code_for(const Error& error) { return exit_code_for(verdict_for(error.kind)); }

std::vector<std::string> run_evidence(const Error& error, std::span<const std::string> gdb_output) {
  std::vector<std::string> evidence = error.details;
  if (verdict_for(error.kind) != Verdict::Infra) {
    return evidence;
  }
  const std::size_t own = evidence.size();
  for (const std::string& line : gdb_output) {
    if (std::find(evidence.begin(), evidence.begin() + static_cast<std::ptrdiff_t>(own), line) ==
        evidence.begin() + static_cast<std::ptrdiff_t>(own)) {
      evidence.push_back(line);
    }
  }
  return evidence;
}

}  // namespace kh::engine
