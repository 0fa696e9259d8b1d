#include "bisect/bisection.h"

#include <fmt/format.h>

#include <cstdlib>

namespace kh::bisect {

std::string_view to_string(Judgement judgement) {
  switch (judgement) {
    case Judgement::Good:
      return "good";
    case Judgement::Bad:
      return "bad";
    case Judgement::Skip:
      return "skip";
  }
  return "skip";
}

namespace {

std::string failed_summary(const trace::RunReport& report) {
  int failed = 0;
  for (const auto& result : report.results) {
    failed += result.verdict == trace::Verdict::Fail ? 1 : 0;
  }
  return fmt::format("FAIL: {} of {} expectations failed", failed, report.results.size());
}

std::string unjudgeable(const trace::RunReport& report) {
  std::string reason(trace::to_string(report.verdict));
  if (!report.detail.empty()) {
    reason += ": " + report.detail;
  }
  return reason;
}

}  // namespace

Verdict judge_run(const trace::RunReport& report, Criterion criterion,
                  const std::optional<report::GoldenCheck>& golden) {
  const bool traced = report.verdict == trace::Verdict::Pass || report.verdict == trace::Verdict::Fail;
  if (!traced) {
    return {Judgement::Skip, unjudgeable(report)};
  }
  if (criterion == Criterion::ExpectPass) {
    if (report.verdict == trace::Verdict::Pass) {
      return {Judgement::Good, "PASS"};
    }
    return {Judgement::Bad, failed_summary(report)};
  }
  if (!golden || golden->status == report::GoldenCheck::Status::Missing) {
    return {Judgement::Skip, "no golden to compare with"};
  }
  if (golden->status == report::GoldenCheck::Status::Match) {
    return {Judgement::Good, "trace equals the golden"};
  }
  return {Judgement::Bad, fmt::format("trace differs from the golden ({} diff lines)", golden->diff.size())};
}

Bisection::Bisection(int count) : count_(count < 1 ? 1 : count), bad_(count_ - 1) {}

std::optional<int> Bisection::next() const {
  // Candidates lie strictly between the bounds: the bad bound is known bad.
  const int low = good_ + 1;
  const int high = bad_ - 1;
  if (low > high) {
    return std::nullopt;
  }
  // The middle of the undecided commits low..bad_: trying it halves them whichever way it goes.
  const int middle = low + (bad_ - low) / 2;
  std::optional<int> best;
  for (int index = low; index <= high; ++index) {
    if (skipped_.contains(index)) {
      continue;
    }
    if (!best || std::abs(index - middle) < std::abs(*best - middle)) {
      best = index;
    }
  }
  return best;
}

void Bisection::mark(int index, Judgement judgement) {
  if (index < 0 || index >= count_) {
    return;
  }
  switch (judgement) {
    case Judgement::Good:
      if (index > good_ && index < bad_) {
        good_ = index;
      }
      break;
    case Judgement::Bad:
      if (index < bad_ && index > good_) {
        bad_ = index;
      }
      break;
    case Judgement::Skip:
      skipped_.insert(index);
      break;
  }
}

std::optional<int> Bisection::first_bad() const {
  if (!done() || !hidden_candidates().empty()) {
    return std::nullopt;
  }
  return bad_;
}

std::vector<int> Bisection::hidden_candidates() const {
  if (!done()) {
    return {};
  }
  std::vector<int> candidates;
  for (int index = good_ + 1; index < bad_; ++index) {
    if (skipped_.contains(index)) {
      candidates.push_back(index);
    }
  }
  if (!candidates.empty()) {
    candidates.push_back(bad_);
  }
  return candidates;
}

int Bisection::steps_left() const {
  int undecided = 0;
  for (int index = good_ + 1; index < bad_; ++index) {
    undecided += skipped_.contains(index) ? 0 : 1;
  }
  int steps = 0;
  // Each step halves the commits still possible (undecided + the bad bound).
  for (int possible = undecided + 1; possible > 1; possible = (possible + 1) / 2) {
    ++steps;
  }
  return steps;
}

}  // namespace kh::bisect
