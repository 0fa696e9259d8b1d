// The name checks of a scenario across kernel versions: breakpoint names, capture names and the
// captures that <expect> refers to must hold for every kernel the scenario can be resolved for,
// and each <when> variant changes what is defined.
#pragma once

#include <string>
#include <vector>

#include "common/kernel_version.h"
#include "trace/scenario.h"

namespace kh::trace {

// The versions at which some range starts or stops containing versions, and their neighbours,
// sorted: every distinct way of resolving a scenario whose <when> and <scenario kernel> ranges
// these are happens at one of them.
std::vector<KernelVersion> probe_versions(const std::vector<const KernelVersionRange*>& ranges);

struct NameProblem {
  std::string location;  // "file:line" of the item at fault
  std::string message;
};

// The naming problems of `scenario` (parsed, its <when> ranges in `when_ranges`) over every kernel
// version it applies to, in the order first found: duplicate breakpoint or capture names, and
// <expect> naming an unknown capture (with a "did you mean"). A problem that only some versions
// have ends with " on kernel X.Y.Z", the first of them. A <scenario kernel> range that no version
// meets is one problem at the scenario's location.
std::vector<NameProblem> check_names_across_versions(const Scenario& scenario,
                                                     const std::vector<KernelVersionRange>& when_ranges);

}  // namespace kh::trace
