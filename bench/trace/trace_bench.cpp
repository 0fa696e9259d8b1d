// The end-to-end figures of kharness against their floors, on the cached default kernel (Debian's
// 6.1) under TCG, all measured in one run so that machine load weighs on both sides alike:
//   trace_mount_wall, bare_boot_wall, trace_overhead_ratio: a whole run_scenario() of
//     scenarios/trace-mount.xml (what a user waits for: kernel cache lookup, image, gdb, restore,
//     hits, qemu ended at the guest's exit) against qemu alone booting the same kernel and
//     initramfs to power-off; runs
//     interleaved (bare, trace, bare, trace, ...), medians reported. The engine restores its
//     snapshot (saved by an untimed first run); the bare boot stays a boot from power-on.
//   snapshot_restore_wall: the "restore" phase of those runs: what is left to wait, once gdb is
//     ready, until the restored machine is paused at the init's wait point (qemu -incoming starts
//     before gdb and restores while gdb starts).
//   breakpoint_hit_cost, gdb_cli_hit_cost, hit_cost_ratio: the median time between consecutive
//     counted hits of scenarios/bench/hit-loop.xml (1000 umask calls), for the engine and for gdb's
//     own breakpoint `commands` doing the same work; runs interleaved, median over all their hits.
//   breakpoint_extra_hits, gdb_cli_extra_hits: the hits each side counted beyond the guest's
//     calls, per 1000 calls (the engine steps past each hit itself and must count 0; gdb's loop
//     counts a call twice when QEMU skips its step over the breakpoint).
// Figures go to stdout as `<name> <value> <unit>`, progress to stderr. Exits 1 when a run fails.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "bare_boot.h"
#include "common/deadline.h"
#include "common/result.h"
#include "engine/run_preparation.h"
#include "engine/trace_engine.h"
#include "gdb_cli_hits.h"
#include "sample_stats.h"
#include "trace/scenario.h"

namespace kh::bench {
namespace {

using Seconds = std::chrono::duration<double>;

// A bare boot of the trace-mount image takes about 1.5 s under TCG.
constexpr std::chrono::milliseconds kBareBootTimeout{60'000};

// What to run; the defaults are what `make bench` measures.
struct BenchOptions {
  int rounds = 5;      // interleaved bare boots and trace-mount runs
  int hit_rounds = 3;  // interleaved gdb-commands and engine runs of the hit loop
  std::filesystem::path trace_scenario = KH_SOURCE_DIR "/scenarios/trace-mount.xml";
  std::filesystem::path hit_scenario = KH_SOURCE_DIR "/scenarios/bench/hit-loop.xml";
};

// The medians the benchmark prints (seconds for walls, milliseconds for hit costs).
struct Figures {
  double trace_mount_wall = 0;
  double bare_boot_wall = 0;
  double snapshot_restore_wall = 0;
  double breakpoint_hit_cost_ms = 0;
  double gdb_cli_hit_cost_ms = 0;
  // Stops counted beyond the guest's calls (1000 umask calls per round), per 1000 calls, over all
  // rounds: gdb's loop counts a call twice when QEMU skips its step over the breakpoint.
  double gdb_cli_extra_hits = 0;
  double breakpoint_extra_hits = 0;
};

// What the hit rounds counted, for the extra-hits figures.
struct HitCounts {
  int calls = 0;
  int cli_hits = 0;
  int engine_hits = 0;
};

// A scenario with its kernel, guest image and VM, ready for either side of a comparison: the
// engine's own preparation, so that both sides boot exactly what a run boots.
struct Prepared {
  engine::RunOptions options;
  engine::PreparedRun run;
};

// Every run of the benchmark uses the default kernel under TCG: the accelerator that works here,
// and one that does not depend on a KVM probe.
engine::RunOptions run_options(const std::filesystem::path& scenario) {
  engine::RunOptions options;
  options.scenario = scenario;
  options.accel = vm::Accel::Tcg;
  return options;
}

// Prepares the scenario on `kernel` as a run does. Fails like prepare_run, and with Config when
// the scenario does not apply to the kernel.
Result<Prepared> prepare(const std::filesystem::path& file, const kernel::KernelBuild& kernel) {
  Prepared prepared;
  prepared.options = run_options(file);
  prepared.options.kernel_build = kernel;
  KH_ASSIGN_OR_RETURN(prepared.run, engine::prepare_run(prepared.options));
  if (!prepared.run.resolved.applies) {
    return make_error(ErrorKind::Config, "{} does not apply to kernel {}", file.string(), kernel.release);
  }
  // The engine's runs look the kernel up again, as a user's run does.
  prepared.options.kernel_build.reset();
  return prepared;
}

// Why each expectation of a report failed, and the evidence, one line each.
std::vector<std::string> failure_lines(const trace::RunReport& report) {
  std::vector<std::string> lines;
  for (const auto& result : report.results) {
    if (result.verdict != trace::Verdict::Pass) {
      lines.push_back(fmt::format("{} {}: expected {}, actual {}", trace::to_string(result.verdict),
                                  result.description, result.expected, result.actual));
    }
  }
  lines.insert(lines.end(), report.evidence.begin(), report.evidence.end());
  lines.insert(lines.end(), report.serial_tail.begin(), report.serial_tail.end());
  return lines;
}

// The whole engine run, as a user waits for it. A run that went from boot to power-off measured
// what it should even when an expectation failed (that is the scenario's business: it is shown
// on stderr); any other verdict (ERROR, INFRA, TIMEOUT, SKIPPED) measured nothing.
Result<trace::RunReport> run_engine(const engine::RunOptions& options, double& wall_seconds) {
  const auto started = Clock::now();
  trace::RunReport report = engine::run_scenario(options);
  wall_seconds = Seconds(Clock::now() - started).count();
  if (report.verdict == trace::Verdict::Fail) {
    fmt::print(stderr, "trace_bench: warning: {} verdict FAIL (timed all the same)\n", options.scenario.string());
    for (const auto& line : failure_lines(report)) {
      if (!line.empty()) {
        fmt::print(stderr, "  {}\n", line);
      }
    }
  } else if (report.verdict != trace::Verdict::Pass) {
    Error error = make_error(ErrorKind::Process, "{}: {} {}", options.scenario.string(),
                             trace::to_string(report.verdict), report.detail);
    error.details = failure_lines(report);
    return error;
  }
  return report;
}

std::string describe_phases(const trace::RunReport& report) {
  std::vector<std::string> phases;
  for (const auto& phase : report.phases) {
    phases.push_back(fmt::format("{} {:.3f}", phase.phase, phase.seconds));
  }
  return fmt::format("{}", fmt::join(phases, ", "));
}

// The fewest hits the scenario's <expect-hits> allow for any breakpoint (0 without one).
int expected_hits(const trace::ResolvedScenario& scenario) {
  int fewest = std::numeric_limits<int>::max();
  for (const auto& breakpoint : scenario.breakpoints) {
    for (const auto& count : breakpoint.hit_counts) {
      fewest = std::min(fewest, count.at_least.value_or(0));
    }
  }
  return fewest == std::numeric_limits<int>::max() ? 0 : fewest;
}

Status measure_trace_mount(const BenchOptions& bench, const kernel::KernelBuild& kernel, Figures& figures) {
  KH_ASSIGN_OR_RETURN(Prepared prepared, prepare(bench.trace_scenario, kernel));
  // The first run saves the snapshot when there is none; the timed ones restore it.
  double first_wall = 0;
  KH_ASSIGN_OR_RETURN(trace::RunReport first, run_engine(prepared.options, first_wall));
  fmt::print(stderr, "trace_bench: first trace-mount {:.3f} s ({})\n", first_wall, describe_phases(first));
  std::vector<double> bare_walls;
  std::vector<double> trace_walls;
  std::vector<double> restore_walls;
  for (int round = 1; round <= bench.rounds; ++round) {
    KH_ASSIGN_OR_RETURN(double bare, time_bare_boot(prepared.run.vm, kBareBootTimeout));
    bare_walls.push_back(bare);
    double wall = 0;
    KH_ASSIGN_OR_RETURN(trace::RunReport report, run_engine(prepared.options, wall));
    trace_walls.push_back(wall);
    for (const auto& phase : report.phases) {
      if (phase.phase == "restore") {
        restore_walls.push_back(phase.seconds);
      }
    }
    fmt::print(stderr, "trace_bench: round {}/{}: bare boot {:.3f} s, trace-mount {:.3f} s ({})\n", round,
               bench.rounds, bare, wall, describe_phases(report));
  }
  figures.bare_boot_wall = median(bare_walls);
  figures.trace_mount_wall = median(trace_walls);
  if (restore_walls.size() != trace_walls.size()) {
    return make_error(ErrorKind::Process, "{} of {} trace-mount runs restored a snapshot; the others booted",
                      restore_walls.size(), trace_walls.size());
  }
  figures.snapshot_restore_wall = median(restore_walls);
  return {};
}

// One run of each side of the hit-cost comparison; appends their gaps between consecutive hits.
Status time_hits_once(const Prepared& prepared, int round, int rounds, std::vector<double>& cli_gaps,
                      std::vector<double>& engine_gaps, HitCounts& counts) {
  const int expected = expected_hits(prepared.run.resolved);
  KH_ASSIGN_OR_RETURN(std::vector<double> cli_times,
                      gdb_cli_hit_times(prepared.run, prepared.run.timeout));
  if (static_cast<int>(cli_times.size()) < expected) {
    return make_error(ErrorKind::Process, "gdb's breakpoint commands saw {} hits, the scenario expects at least {}",
                      cli_times.size(), expected);
  }
  const std::vector<double> cli = consecutive_gaps(cli_times);
  cli_gaps.insert(cli_gaps.end(), cli.begin(), cli.end());

  double wall = 0;
  KH_ASSIGN_OR_RETURN(trace::RunReport report, run_engine(prepared.options, wall));
  std::vector<double> engine_times;
  for (const auto& hit : report.trace.hits) {
    engine_times.push_back(hit.time_s);
  }
  if (static_cast<int>(engine_times.size()) < std::max(expected, 2)) {
    return make_error(ErrorKind::Process, "{}: the engine saw {} hits, the scenario expects at least {}",
                      prepared.options.scenario.string(), engine_times.size(), std::max(expected, 2));
  }
  const std::vector<double> engine = consecutive_gaps(engine_times);
  engine_gaps.insert(engine_gaps.end(), engine.begin(), engine.end());
  counts.calls += expected;
  counts.cli_hits += static_cast<int>(cli_times.size());
  counts.engine_hits += static_cast<int>(engine_times.size());
  fmt::print(stderr,
             "trace_bench: hits {}/{}: gdb commands {} hits, median {:.3f} ms; engine {} hits, median {:.3f} ms, "
             "run {:.3f} s ({})\n",
             round, rounds, cli_times.size(), 1000 * median(cli), engine_times.size(), 1000 * median(engine), wall,
             describe_phases(report));
  return {};
}

// Each side's figure is the median over the gaps of all its rounds: a burst of load from the
// other users of the machine then hits one round, not the figure.
Status measure_hit_cost(const BenchOptions& bench, const kernel::KernelBuild& kernel, Figures& figures) {
  KH_ASSIGN_OR_RETURN(Prepared prepared, prepare(bench.hit_scenario, kernel));
  std::vector<double> cli_gaps;
  std::vector<double> engine_gaps;
  HitCounts counts;
  for (int round = 1; round <= bench.hit_rounds; ++round) {
    KH_TRY(time_hits_once(prepared, round, bench.hit_rounds, cli_gaps, engine_gaps, counts));
  }
  figures.gdb_cli_hit_cost_ms = 1000 * median(cli_gaps);
  figures.breakpoint_hit_cost_ms = 1000 * median(engine_gaps);
  // The scenario's guest makes exactly as many calls as it expects hits (hit_loop --count).
  if (counts.calls > 0) {
    figures.gdb_cli_extra_hits = 1000.0 * (counts.cli_hits - counts.calls) / counts.calls;
    figures.breakpoint_extra_hits = 1000.0 * (counts.engine_hits - counts.calls) / counts.calls;
  }
  return {};
}

Result<Figures> measure(const BenchOptions& bench) {
  // The kernel both sides boot; the engine's own runs look it up again, as a user's run does.
  KH_ASSIGN_OR_RETURN(engine::PreparedRun first, engine::prepare_run(run_options(bench.trace_scenario)));
  const kernel::KernelBuild kernel = first.kernel;
  fmt::print(stderr, "trace_bench: kernel {} ({}), TCG, {} trace-mount rounds, {} hit-loop rounds\n", kernel.release,
             kernel.key, bench.rounds, bench.hit_rounds);
  Figures figures;
  KH_TRY(measure_trace_mount(bench, kernel, figures));
  KH_TRY(measure_hit_cost(bench, kernel, figures));
  return figures;
}

}  // namespace
}  // namespace kh::bench

int main(int argc, char** argv) {
  kh::bench::BenchOptions bench;
  CLI::App app{"kharness end-to-end benchmarks: trace-mount against a bare boot, a breakpoint hit against gdb's own"};
  app.add_option("--rounds", bench.rounds, "Interleaved bare/trace-mount runs; the median is reported")
      ->check(CLI::Range(1, 20));
  app.add_option("--hit-rounds", bench.hit_rounds,
                 "Interleaved gdb-commands/engine runs of the hit loop; the median over all their hits is reported")
      ->check(CLI::Range(1, 20));
  app.add_option("--trace-scenario", bench.trace_scenario, "The scenario timed against a bare boot")
      ->check(CLI::ExistingFile);
  app.add_option("--hit-scenario", bench.hit_scenario, "The scenario whose hits are timed")->check(CLI::ExistingFile);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  kh::install_interrupt_handlers();

  auto figures = kh::bench::measure(bench);
  if (!figures.ok()) {
    fmt::print(stderr, "trace_bench: {}\n", figures.error().to_string());
    for (const auto& line : figures.error().details) {
      fmt::print(stderr, "  {}\n", line);
    }
    return 1;
  }
  fmt::print("trace_mount_wall {:.3f} s\n", figures->trace_mount_wall);
  fmt::print("bare_boot_wall {:.3f} s\n", figures->bare_boot_wall);
  fmt::print("trace_overhead_ratio {:.2f}\n", figures->trace_mount_wall / figures->bare_boot_wall);
  fmt::print("snapshot_restore_wall {:.3f} s\n", figures->snapshot_restore_wall);
  fmt::print("breakpoint_hit_cost {:.3f} ms\n", figures->breakpoint_hit_cost_ms);
  fmt::print("gdb_cli_hit_cost {:.3f} ms\n", figures->gdb_cli_hit_cost_ms);
  fmt::print("hit_cost_ratio {:.2f}\n", figures->breakpoint_hit_cost_ms / figures->gdb_cli_hit_cost_ms);
  fmt::print("breakpoint_extra_hits {:.1f} per_1000_calls\n", figures->breakpoint_extra_hits);
  fmt::print("gdb_cli_extra_hits {:.1f} per_1000_calls\n", figures->gdb_cli_extra_hits);
  return 0;
}
