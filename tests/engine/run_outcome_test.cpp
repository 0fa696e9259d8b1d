// The one table from errors to verdicts to exit codes, and a signal at any point of a run.
#include "engine/run_outcome.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>

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

// Each ctest test runs in a process of its own, so the interrupt flag set here stays here.
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

TEST(RunOutcome, ASignalBeforeTheRunEndsMakesItInterruptedWhateverElseFailed) {
  install_interrupt_handlers();
  auto dir = TempDir::create("kh-outcome-test-");
  ASSERT_TRUE(dir.ok());
  const auto scenario = dir->path() / "broken.xml";
  std::ofstream(scenario) << "<scenario name=\"x\"><guest program=\"nope\"/>\n";  // not well-formed
  RunOptions options;
  options.scenario = scenario;

  trace::RunReport before = run_scenario(options);
  EXPECT_EQ(before.verdict, Verdict::Error);

  ::raise(SIGTERM);
  ASSERT_TRUE(interrupted());
  trace::RunReport after = run_scenario(options);
  EXPECT_EQ(after.verdict, Verdict::Interrupted) << after.detail;
  EXPECT_NE(after.detail.find("signal 15"), std::string::npos) << after.detail;
  EXPECT_EQ(exit_code_for(after.verdict), 130);
  EXPECT_GT(after.wall_seconds, 0);
}

}  // namespace
}  // namespace kh::engine
