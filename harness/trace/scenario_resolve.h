// The resolution of a scenario's <when kernel="..."> variants for one kernel version.
#pragma once

#include "common/kernel_version.h"
#include "trace/scenario.h"

namespace kh::trace {

// Chooses the variants of a validated scenario for `kernel`. Cannot fail: parse_scenario has
// already checked names and references for every kernel version.
ResolvedScenario resolve(const Scenario& scenario, const KernelVersion& kernel);

}  // namespace kh::trace
