#include "trace/version_names.h"

#include <algorithm>
#include <map>
#include <utility>

#include "trace/scenario_resolve.h"
#include "trace/xml_walker.h"

namespace kh::trace {
namespace {

// (location, message) of every naming problem of one resolution.
std::vector<NameProblem> name_problems(const ResolvedScenario& resolved) {
  std::vector<NameProblem> problems;
  std::map<std::string, std::string> breakpoints;
  for (const BreakpointSpec& breakpoint : resolved.breakpoints) {
    auto [it, inserted] = breakpoints.try_emplace(breakpoint.name, breakpoint.location);
    if (!inserted) {
      problems.push_back({breakpoint.location, fmt::format("duplicate breakpoint name '{}' (first defined at {})",
                                                           breakpoint.name, it->second)});
    }
    std::map<std::string, std::string> captures;
    Names capture_names;
    for (const CaptureSpec& capture : breakpoint.captures) {
      auto [cit, fresh] = captures.try_emplace(capture.name, capture.location);
      if (!fresh) {
        problems.push_back({capture.location, fmt::format("duplicate capture name '{}' in breakpoint '{}' (first "
                                                          "defined at {})",
                                                          capture.name, breakpoint.name, cit->second)});
      }
    }
    for (const auto& [name, where] : captures) capture_names.push_back(name);
    for (const HitExpectation& expectation : breakpoint.expectations) {
      for (const Check& check : expectation.checks) {
        const auto* value = std::get_if<ValueCheck>(&check.body);
        if (value == nullptr || value->source != ValueCheck::Source::Capture || captures.count(value->name)) {
          continue;
        }
        std::string message =
            fmt::format("<expect> names unknown capture '{}' in breakpoint '{}'", value->name, breakpoint.name);
        if (auto guess = closest_name(value->name, capture_names)) {
          message += fmt::format(" (did you mean '{}'?)", *guess);
        } else if (capture_names.empty()) {
          message += " (it has no <capture>)";
        }
        problems.push_back({check.location, std::move(message)});
      }
    }
  }
  return problems;
}

}  // namespace

std::vector<KernelVersion> probe_versions(const std::vector<const KernelVersionRange*>& ranges) {
  std::vector<KernelVersion> probes = {KernelVersion{0, 0, 0, {}}};
  auto add = [&](int major, int minor, int patch) { probes.push_back(KernelVersion{major, minor, patch, {}}); };
  for (const KernelVersionRange* range : ranges) {
    for (const KernelVersionRange::Bound& bound : range->bounds()) {
      const KernelVersion& v = bound.version;
      add(v.major, v.minor, v.patch);
      add(v.major, v.minor, v.patch + 1);
      add(v.major, v.minor + 1, 0);  // the end of an "X.Y" range
      if (v.patch > 0) {
        add(v.major, v.minor, v.patch - 1);
      } else if (v.minor > 0) {
        add(v.major, v.minor - 1, 1 << 20);
      } else if (v.major > 0) {
        add(v.major - 1, 1 << 20, 1 << 20);
      }
    }
  }
  std::sort(probes.begin(), probes.end());
  probes.erase(std::unique(probes.begin(), probes.end()), probes.end());
  return probes;
}

std::vector<NameProblem> check_names_across_versions(const Scenario& scenario,
                                                     const std::vector<KernelVersionRange>& when_ranges) {
  std::vector<const KernelVersionRange*> ranges;
  ranges.reserve(when_ranges.size() + 1);
  for (const KernelVersionRange& range : when_ranges) ranges.push_back(&range);
  if (scenario.kernels) ranges.push_back(&*scenario.kernels);
  std::vector<KernelVersion> probes;
  for (const KernelVersion& version : probe_versions(ranges)) {
    if (!scenario.kernels || scenario.kernels->contains(version)) probes.push_back(version);
  }
  if (probes.empty()) {
    return {{scenario.location,
             fmt::format("kernel range '{}' on <scenario> matches no kernel version", scenario.kernels->text())}};
  }
  struct Seen {
    std::string message;
    KernelVersion first;
    std::size_t count = 0;
  };
  std::map<std::pair<std::string, std::string>, Seen> found;
  std::vector<std::pair<std::string, std::string>> order;
  for (const KernelVersion& version : probes) {
    for (NameProblem& problem : name_problems(resolve(scenario, version))) {
      auto key = std::make_pair(problem.location, problem.message);
      auto [it, inserted] = found.try_emplace(key, Seen{problem.message, version, 0});
      if (inserted) order.push_back(key);
      ++it->second.count;
    }
  }
  std::vector<NameProblem> problems;
  for (const auto& key : order) {
    const Seen& seen = found.at(key);
    std::string message = seen.message;
    if (seen.count < probes.size()) {
      message += fmt::format(" on kernel {}", seen.first.to_string());
    }
    problems.push_back({key.first, std::move(message)});
  }
  return problems;
}

}  // namespace kh::trace
