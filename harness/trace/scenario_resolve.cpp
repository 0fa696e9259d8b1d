#include "trace/scenario_resolve.h"

#include <utility>

namespace kh::trace {

ResolvedScenario resolve(const Scenario& scenario, const KernelVersion& kernel) {
  ResolvedScenario resolved;
  resolved.name = scenario.name;
  resolved.description = scenario.description;
  resolved.file = scenario.file;
  resolved.kernels = scenario.kernels ? scenario.kernels->text() : std::string();
  resolved.kernel = kernel;
  resolved.applies = !scenario.kernels || scenario.kernels->contains(kernel);
  resolved.guest = scenario.guest;
  resolved.timeout = scenario.timeout;
  resolved.location = scenario.location;
  if (!resolved.applies) {
    return resolved;
  }
  for (const BreakpointSpec& breakpoint : scenario.breakpoints) {
    if (!applies_to(breakpoint.when, kernel)) {
      continue;
    }
    BreakpointSpec chosen = breakpoint;
    chosen.captures.clear();
    chosen.expectations.clear();
    chosen.hit_counts.clear();
    for (const CaptureSpec& capture : breakpoint.captures) {
      if (applies_to(capture.when, kernel)) chosen.captures.push_back(capture);
    }
    for (const HitExpectation& expectation : breakpoint.expectations) {
      if (!applies_to(expectation.when, kernel)) {
        continue;
      }
      HitExpectation kept = expectation;
      kept.checks.clear();
      for (const Check& check : expectation.checks) {
        if (applies_to(check.when, kernel)) kept.checks.push_back(check);
      }
      // A group whose every check is for other kernels says nothing about this one.
      if (!kept.checks.empty()) {
        chosen.expectations.push_back(std::move(kept));
      }
    }
    for (const HitCountExpectation& count : breakpoint.hit_counts) {
      if (applies_to(count.when, kernel)) chosen.hit_counts.push_back(count);
    }
    resolved.breakpoints.push_back(std::move(chosen));
  }
  return resolved;
}

}  // namespace kh::trace
