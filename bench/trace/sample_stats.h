// The statistics the trace benchmark reports: medians, so that a few slow samples (a page-cache
// miss, a busy neighbour on the shared cores) do not move a figure.
#pragma once

#include <vector>

namespace kh::bench {

// The median of `samples` (the mean of the two middle ones for an even count); 0 when empty.
double median(std::vector<double> samples);

// The differences between consecutive `times`: the cost of each hit after the first. Empty for
// fewer than two times.
std::vector<double> consecutive_gaps(const std::vector<double>& times);

}  // namespace kh::bench
