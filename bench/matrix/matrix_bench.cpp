// The speed of `kharness matrix` against its floor, measured in one run so that machine load weighs
// on both alike: matrix_wall (every scenario of scenarios/ x the two Debian kernels, both cached,
// -j 2) and matrix_serial_wall (the same cells, -j 1), each the median of its rounds, interleaved;
// matrix_speedup = serial / parallel. Figures on stdout as `<name> <value> <unit>`, progress on
// stderr. Exits 1 when a matrix run does not pass.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/temp_dir.h"

namespace kh::bench {
namespace {

using Seconds = std::chrono::duration<double>;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

Result<double> time_matrix(const std::vector<std::string>& scenarios, int jobs, const std::filesystem::path& out) {
  ChildSpec spec;
  spec.argv = {KH_BINARY_DIR "/kharness", "matrix", "--accel", "tcg", "-j", std::to_string(jobs), "--out",
               out.string(), "--kernel-package", "linux-source-6.1", "--kernel-package", "linux-source-6.12"};
  spec.argv.insert(spec.argv.end(), scenarios.begin(), scenarios.end());
  spec.env = {{"NO_COLOR", "1"}};
  const auto started = Clock::now();
  KH_ASSIGN_OR_RETURN(CommandOutput output, run_command(spec, Deadline::in(std::chrono::minutes(30))));
  const double wall = Seconds(Clock::now() - started).count();
  if (output.exit_code != 0) {
    Error error = make_error(ErrorKind::Process, "kharness matrix -j {} exited with {}", jobs, output.exit_code);
    error.details.push_back(output.output);
    return error;
  }
  return wall;
}

}  // namespace
}  // namespace kh::bench

int main(int argc, char** argv) {
  int rounds = 1;
  CLI::App app{"kharness matrix against the same cells one by one"};
  app.add_option("--rounds", rounds, "Interleaved parallel/serial matrix runs; medians reported")->check(CLI::Range(1, 5));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  kh::install_interrupt_handlers();
  std::vector<std::string> scenarios;
  for (const auto& entry : std::filesystem::directory_iterator(KH_SOURCE_DIR "/scenarios")) {
    if (entry.path().extension() == ".xml") {
      scenarios.push_back(entry.path().string());
    }
  }
  std::sort(scenarios.begin(), scenarios.end());
  auto dir = kh::TempDir::create("kharness-matrix-bench-");
  if (!dir.ok()) {
    fmt::print(stderr, "matrix_bench: {}\n", dir.error().to_string());
    return 1;
  }
  // A first run builds what is missing (kernels, images), so that the timed ones compare cells only.
  if (auto warm = kh::bench::time_matrix(scenarios, 2, dir->path() / "warm"); !warm.ok()) {
    fmt::print(stderr, "matrix_bench: {}\n", warm.error().to_string());
    for (const auto& line : warm.error().details) {
      fmt::print(stderr, "{}\n", line);
    }
    return 1;
  }
  std::vector<double> parallel;
  std::vector<double> serial;
  for (int round = 1; round <= rounds; ++round) {
    auto fast = kh::bench::time_matrix(scenarios, 2, dir->path() / fmt::format("j2-{}", round));
    auto slow = kh::bench::time_matrix(scenarios, 1, dir->path() / fmt::format("j1-{}", round));
    if (!fast.ok() || !slow.ok()) {
      fmt::print(stderr, "matrix_bench: {}\n", (!fast.ok() ? fast.error() : slow.error()).to_string());
      return 1;
    }
    fmt::print(stderr, "matrix_bench: round {}/{}: {} cells, -j 2 {:.1f} s, -j 1 {:.1f} s\n", round, rounds,
               scenarios.size() * 2, *fast, *slow);
    parallel.push_back(*fast);
    serial.push_back(*slow);
  }
  const double matrix_wall = kh::bench::median(parallel);
  const double matrix_serial_wall = kh::bench::median(serial);
  fmt::print("matrix_wall {:.3f} s\n", matrix_wall);
  fmt::print("matrix_serial_wall {:.3f} s\n", matrix_serial_wall);
  fmt::print("matrix_speedup {:.2f}\n", matrix_serial_wall / matrix_wall);
  return 0;
}
