// The bisection over a fake history: which commit is tried next, how skips are handled, when
// they hide the answer, and how a run judges a commit.
#include "bisect/bisection.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace kh::bisect {
namespace {

// A history of `count` commits whose first bad one is `first_bad` and whose commits in
// `unbuildable` cannot be judged; returns the order tried and the bisection at its end.
struct Simulation {
  std::vector<int> tried;
  Bisection bisection{1};
};

Simulation simulate(int count, int first_bad, const std::set<int>& unbuildable) {
  Simulation sim{{}, Bisection(count)};
  while (auto index = sim.bisection.next()) {
    sim.tried.push_back(*index);
    Judgement judgement = unbuildable.contains(*index) ? Judgement::Skip
                          : *index >= first_bad         ? Judgement::Bad
                                                        : Judgement::Good;
    sim.bisection.mark(*index, judgement);
    if (sim.tried.size() > static_cast<std::size_t>(count)) {
      break;
    }
  }
  return sim;
}

struct FoundCase {
  int count;
  int first_bad;
  std::set<int> unbuildable;
  std::size_t max_steps;
};

TEST(Bisection, FindsTheFirstBadCommit) {
  const std::vector<FoundCase> cases = {
      {1, 0, {}, 0},     // only the bad end: it is the answer
      {2, 0, {}, 1},     {2, 1, {}, 1},     {6, 4, {2}, 4},  {10, 7, {}, 4}, {10, 0, {}, 4},
      {10, 9, {}, 4},    {100, 37, {}, 7},  {100, 37, {50, 25, 37 + 1}, 10},
      {1000, 999, {}, 10}, {7, 3, {0, 6}, 4},
  };
  for (const auto& c : cases) {
    Simulation sim = simulate(c.count, c.first_bad, c.unbuildable);
    ASSERT_TRUE(sim.bisection.first_bad().has_value()) << c.count << "/" << c.first_bad;
    EXPECT_EQ(*sim.bisection.first_bad(), c.first_bad) << c.count << "/" << c.first_bad;
    EXPECT_LE(sim.tried.size(), c.max_steps) << c.count << "/" << c.first_bad;
    EXPECT_TRUE(sim.bisection.hidden_candidates().empty());
  }
}

// The history of the VM test: c1 c2 c3(does not build) c4 c5(first bad) c6(bad end).
TEST(Bisection, TheTestHistorySkipsTheBrokenCommitAndTriesItsNeighbours) {
  Simulation sim = simulate(6, 4, {2});
  EXPECT_EQ(sim.tried, (std::vector<int>{2, 1, 3, 4}));
  EXPECT_EQ(sim.bisection.skipped(), (std::set<int>{2}));
  EXPECT_EQ(sim.bisection.first_bad(), 4);
  EXPECT_EQ(sim.bisection.last_good(), 3);
}

TEST(Bisection, NextIsTheMiddleAndThenTheOlderNeighbourOfASkip) {
  Bisection bisection(7);  // six candidates 0..5 and the bad end 6
  EXPECT_EQ(bisection.next(), 3);
  bisection.mark(3, Judgement::Skip);
  EXPECT_EQ(bisection.next(), 2);
  bisection.mark(2, Judgement::Skip);
  EXPECT_EQ(bisection.next(), 4);
  bisection.mark(4, Judgement::Good);
  EXPECT_EQ(bisection.next(), 5);
  bisection.mark(5, Judgement::Bad);
  EXPECT_FALSE(bisection.next().has_value());
  EXPECT_EQ(bisection.first_bad(), 5);
}

struct HiddenCase {
  int count;
  int first_bad;
  std::set<int> unbuildable;
  std::vector<int> candidates;
};

TEST(Bisection, SkipsThatHideTheAnswerAreReported) {
  const std::vector<HiddenCase> cases = {
      {5, 2, {1, 2}, {1, 2, 3}},     // good 0, then only skips before the bad 3
      {3, 0, {0, 1}, {0, 1, 2}},     // nothing judgeable between the ends
      {6, 5, {4}, {4, 5}},           // the commit right before the bad end cannot be built
      {4, 1, {0}, {0, 1}},           // the commit right after the good end cannot be built
  };
  for (const auto& c : cases) {
    Simulation sim = simulate(c.count, c.first_bad, c.unbuildable);
    EXPECT_TRUE(sim.bisection.done());
    EXPECT_FALSE(sim.bisection.first_bad().has_value()) << c.count << "/" << c.first_bad;
    EXPECT_EQ(sim.bisection.hidden_candidates(), c.candidates) << c.count << "/" << c.first_bad;
  }
}

TEST(Bisection, MarksOutsideTheBoundsChangeNothing) {
  Bisection bisection(10);
  bisection.mark(6, Judgement::Bad);
  bisection.mark(8, Judgement::Good);  // after a known bad commit: contradictory, ignored
  bisection.mark(-1, Judgement::Bad);
  bisection.mark(42, Judgement::Good);
  EXPECT_EQ(bisection.last_good(), -1);
  EXPECT_EQ(bisection.bad(), 6);
}

TEST(Bisection, StepsLeftIsLog2OfThePossibleCommits) {
  EXPECT_EQ(Bisection(1).steps_left(), 0);
  EXPECT_EQ(Bisection(2).steps_left(), 1);
  EXPECT_EQ(Bisection(6).steps_left(), 3);
  EXPECT_EQ(Bisection(8).steps_left(), 3);
  EXPECT_EQ(Bisection(9).steps_left(), 4);
  EXPECT_EQ(Bisection(1024).steps_left(), 10);
}

trace::RunReport report_with(trace::Verdict verdict) {
  trace::RunReport report;
  report.verdict = verdict;
  report.detail = "detail";
  return report;
}

report::GoldenCheck golden_with(report::GoldenCheck::Status status) {
  report::GoldenCheck check;
  check.status = status;
  check.diff = {"a", "b"};
  return check;
}

TEST(JudgeRun, ExpectPassJudgesByTheVerdict) {
  using V = trace::Verdict;
  const std::vector<std::pair<V, Judgement>> cases = {
      {V::Pass, Judgement::Good},    {V::Fail, Judgement::Bad},   {V::Timeout, Judgement::Skip},
      {V::Infra, Judgement::Skip},   {V::Error, Judgement::Skip}, {V::Skipped, Judgement::Skip},
      {V::Interrupted, Judgement::Skip},
  };
  for (const auto& [verdict, judgement] : cases) {
    EXPECT_EQ(judge_run(report_with(verdict), Criterion::ExpectPass, std::nullopt).judgement, judgement)
        << trace::to_string(verdict);
  }
  EXPECT_EQ(judge_run(report_with(V::Timeout), Criterion::ExpectPass, std::nullopt).reason, "TIMEOUT: detail");
}

TEST(JudgeRun, GoldenJudgesByTheTraceWhateverTheExpectations) {
  using V = trace::Verdict;
  using S = report::GoldenCheck::Status;
  struct Case {
    V verdict;
    std::optional<S> golden;
    Judgement judgement;
  };
  const std::vector<Case> cases = {
      {V::Pass, S::Match, Judgement::Good},     {V::Fail, S::Match, Judgement::Good},
      {V::Pass, S::Differs, Judgement::Bad},    {V::Fail, S::Differs, Judgement::Bad},
      {V::Pass, S::Missing, Judgement::Skip},   {V::Pass, std::nullopt, Judgement::Skip},
      {V::Infra, S::Match, Judgement::Skip},    {V::Timeout, S::Differs, Judgement::Skip},
  };
  for (const auto& c : cases) {
    std::optional<report::GoldenCheck> golden;
    if (c.golden) {
      golden = golden_with(*c.golden);
    }
    EXPECT_EQ(judge_run(report_with(c.verdict), Criterion::Golden, golden).judgement, c.judgement)
        << trace::to_string(c.verdict);
  }
}

}  // namespace
}  // namespace kh::bisect
