#include "cli/cli_support.h"

#include <fmt/format.h>

#include <cstdio>

namespace kh::cli {

void print_error(const Error& error) {
  fmt::print(stderr, "kharness: error: {}\n", error.to_string());
  for (const auto& line : error.details) {
    fmt::print(stderr, "  {}\n", line);
  }
}

}  // namespace kh::cli
