#include "cli/cli_support.h"

#include <fmt/format.h>

#include <cstdio>

namespace kh::cli {

int exit_code_for(const Error& error) {
  switch (error.kind) {
    case ErrorKind::Config:
    case ErrorKind::Symbol:
      return kExitError;
    case ErrorKind::Timeout:
      return kExitTimeout;
    case ErrorKind::Interrupted:
      return kExitInterrupted;
    case ErrorKind::Gdb:
    case ErrorKind::Eof:
    case ErrorKind::Parse:
    case ErrorKind::Process:
    case ErrorKind::Io:
    case ErrorKind::Network:
    case ErrorKind::Build:
    case ErrorKind::Internal:
      return kExitInfra;
  }
  return kExitInfra;
}

void print_error(const Error& error) {
  fmt::print(stderr, "kharness: error: {}\n", error.to_string());
  for (const auto& line : error.details) {
    fmt::print(stderr, "  {}\n", line);
  }
}

}  // namespace kh::cli
