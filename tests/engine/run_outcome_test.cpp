// The one table from errors to verdicts to exit codes, and a signal at any point of a run.
#include "engine/run_outcome.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/deadline.h"
#include "common/temp_dir.h"
#include "engine/trace_engine.h"

namespace kh::engine {
namespace {

using trace::Verdict;

TEST(RunOutcome, EveryErrorKindHasItsVerdictAndExitCode) {
  struct Case {
    ErrorKind kind;
    Verdict verdict;
    int exit_code;
  };
  const Case cases[] = {
      {ErrorKind::Config, Verdict::Error, 2},      {ErrorKind::Symbol, Verdict::Error, 2},
      {ErrorKind::Timeout, Verdict::Timeout, 4},   {ErrorKind::Interrupted, Verdict::Interrupted, 130},
      {ErrorKind::Process, Verdict::Infra, 3},     {ErrorKind::Eof, Verdict::Infra, 3},
      {ErrorKind::Gdb, Verdict::Infra, 3},         {ErrorKind::Io, Verdict::Infra, 3},
      {ErrorKind::Network, Verdict::Infra, 3},     {ErrorKind::Build, Verdict::Infra, 3},
      {ErrorKind::Parse, Verdict::Infra, 3},       {ErrorKind::Internal, Verdict::Infra, 3},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(verdict_for(c.kind), c.verdict) << to_string(c.kind);
    EXPECT_EQ(exit_code_for(make_error(c.kind, "x")), c.exit_code) << to_string(c.kind);
  }
  EXPECT_EQ(exit_code_for(Verdict::Pass), 0);
  EXPECT_EQ(exit_code_for(Verdict::Skipped), 0);
  EXPECT_EQ(exit_code_for(Verdict::Fail), 1);
}

TEST(RunOutcome, InfraEvidenceAddsWhatGdbPrintedOutsideMiOnce) {
  Error gone = make_error(ErrorKind::Eof, "gdb is gone: killed by signal 9");
  gone.details = {"gdb stderr at 1.000 s: Fatal signal"};
  const std::vector<std::string> gdb_output = {"gdb stdout (not MI) at 0.500 s: banner",
                                               "gdb stderr at 1.000 s: Fatal signal"};
  EXPECT_EQ(run_evidence(gone, gdb_output),
            (std::vector<std::string>{"gdb stderr at 1.000 s: Fatal signal",
                                      "gdb stdout (not MI) at 0.500 s: banner"}));

  Error refused = make_error(ErrorKind::Gdb, "starting gdb: '-gdb-set confirm off' failed");
  EXPECT_EQ(run_evidence(refused, gdb_output), gdb_output);

  // A TIMEOUT or an ERROR keeps its own evidence only.
  Error timeout = make_error(ErrorKind::Timeout, "timeout in phase boot after 4.0 s");
  timeout.details = {"where the CPU was: default_idle"};
  EXPECT_EQ(run_evidence(timeout, gdb_output), timeout.details);
  EXPECT_TRUE(run_evidence(make_error(ErrorKind::Config, "bad scenario"), gdb_output).empty());
}

// Runs in a child process (a death test): the signal leaves kharness's "interrupted" state set for
// good, which would turn every later test in this binary into an interrupted one. 0 when all holds,
// else 1 with the reason on stderr; its temp folder is gone when it returns.
int signal_before_the_run_ends() {
  auto fail = [](const std::string& why) {
    std::fprintf(stderr, "%s\n", why.c_str());
    return 1;
  };
  install_interrupt_handlers();
  auto dir = TempDir::create("kh-outcome-test-");
  if (!dir.ok()) {
    return fail(dir.error().to_string());
  }
  const auto scenario = dir->path() / "broken.xml";
  std::ofstream(scenario) << "<scenario name=\"x\"><guest program=\"nope\"/>\n";  // not well-formed
  RunOptions options;
  options.scenario = scenario;

  trace::RunReport before = run_scenario(options);
  if (before.verdict != Verdict::Error) {
    return fail("before the signal: not ERROR: " + before.detail);
  }
  ::raise(SIGTERM);
  if (!interrupted()) {
    return fail("SIGTERM did not set the interrupted state");
  }
  trace::RunReport after = run_scenario(options);
  if (after.verdict != Verdict::Interrupted || after.detail.find("signal 15") == std::string::npos) {
    return fail("after the signal: " + after.detail);
  }
  if (exit_code_for(after.verdict) != 130 || !(after.wall_seconds > 0)) {
    return fail("exit code or wall time");
  }
  return 0;
}

TEST(RunOutcome, ASignalBeforeTheRunEndsMakesItInterruptedWhateverElseFailed) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::exit(signal_before_the_run_ends()), ::testing::ExitedWithCode(0), "");
  EXPECT_FALSE(interrupted());  // this process never saw the signal
}

}  // namespace
}  // namespace kh::engine
