// Prints `mi_parse_throughput <MB/s> MB/s`: parse_line() over every line of the gdb-mi fixture
// transcripts, repeated for about a second. MB are 10^6 bytes of input lines (newlines excluded).
// Time is this thread's CPU time, so that other jobs on the shared 2-core machine do not show up
// as a slower parser; on an idle machine it equals the wall-clock time.
#include <time.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mi/mi_parser.h"

namespace {

constexpr const char* kTranscripts[] = {
    KH_FIXTURES_DIR "/trace-mount-linux-4.19.304.mi",
    KH_FIXTURES_DIR "/trace-mount-linux-source-6.1.mi",
};

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

bool read_lines(const char* path, std::vector<std::string>& lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "mi_parser_bench: cannot read {}\n", path);
    return false;
  }
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return true;
}

}  // namespace

int main() {
  std::vector<std::string> lines;
  for (const char* path : kTranscripts) {
    if (!read_lines(path, lines)) {
      return 1;
    }
  }
  std::size_t bytes_per_pass = 0;
  for (const auto& line : lines) {
    bytes_per_pass += line.size();
  }

  constexpr double kMinimumSeconds = 1.0;
  const double start = thread_cpu_seconds();
  std::size_t passes = 0;
  double seconds = 0;
  do {
    for (const auto& line : lines) {
      // Every fixture line is valid, so a failure means the parser broke, not a slow run.
      if (!kh::mi::parse_line(line).ok()) {
        fmt::print(stderr, "mi_parser_bench: fixture line does not parse: {}\n", line);
        return 1;
      }
    }
    ++passes;
    seconds = thread_cpu_seconds() - start;
  } while (seconds < kMinimumSeconds);

  const double megabytes = static_cast<double>(bytes_per_pass * passes) / 1e6;
  fmt::print("mi_parse_throughput {:.1f} MB/s\n", megabytes / seconds);
  return 0;
}
