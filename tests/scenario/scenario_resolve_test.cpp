// Resolving <when kernel="..."> variants: one file, the right expectations per kernel version.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::trace {
namespace {

const std::filesystem::path kGoodDir = std::filesystem::path(KH_SOURCE_DIR) / "tests/scenario/good";

KernelVersion version(const char* text) { return *KernelVersion::parse(text); }

Scenario load(const char* name) {
  auto loaded = load_scenario_file(kGoodDir / name);
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().to_string());
  return loaded.ok() ? *loaded : Scenario{};
}

// The function chains of every backtrace check of a breakpoint, in order.
std::vector<std::vector<std::string>> chains(const BreakpointSpec& breakpoint) {
  std::vector<std::vector<std::string>> out;
  for (const HitExpectation& expectation : breakpoint.expectations) {
    for (const Check& check : expectation.checks) {
      if (const auto* backtrace = std::get_if<BacktraceCheck>(&check.body)) out.push_back(backtrace->functions);
    }
  }
  return out;
}

const BreakpointSpec* find(const ResolvedScenario& scenario, const std::string& name) {
  for (const BreakpointSpec& breakpoint : scenario.breakpoints) {
    if (breakpoint.name == name) return &breakpoint;
  }
  return nullptr;
}

using Chains = std::vector<std::vector<std::string>>;

TEST(ScenarioResolve, TraceMountOn4_19) {
  ResolvedScenario resolved = resolve(load("trace_mount.xml"), version("4.19.304"));
  EXPECT_TRUE(resolved.applies);
  EXPECT_EQ(resolved.kernel.to_string(), "4.19.304");
  ASSERT_EQ(resolved.breakpoints.size(), 3u);
  EXPECT_EQ(chains(resolved.breakpoints[0]),
            (Chains{{"copy_mnt_ns", "create_new_namespaces", "copy_namespaces", "copy_process"},
                    {"copy_process", "_do_fork", "__do_sys_clone"}}));
  EXPECT_EQ(chains(resolved.breakpoints[1]),
            (Chains{{"attach_recursive_mnt", "graft_tree", "do_loopback"},
                    {"do_loopback", "do_mount", "ksys_mount", "__do_sys_mount"}}));
  // The group keeps its value checks next to the 4.19 chain.
  EXPECT_EQ(resolved.breakpoints[1].expectations[0].checks.size(), 5u);
}

TEST(ScenarioResolve, TraceMountOn6_1) {
  ResolvedScenario resolved = resolve(load("trace_mount.xml"), version("6.1.192"));
  EXPECT_TRUE(resolved.applies);
  ASSERT_EQ(resolved.breakpoints.size(), 3u);
  EXPECT_EQ(chains(resolved.breakpoints[0]),
            (Chains{{"copy_mnt_ns", "create_new_namespaces", "copy_namespaces", "copy_process"},
                    {"copy_process", "kernel_clone", "__do_sys_clone"}}));
  EXPECT_EQ(chains(resolved.breakpoints[1]),
            (Chains{{"attach_recursive_mnt", "graft_tree", "do_loopback"},
                    {"do_loopback", "path_mount", "do_mount", "__do_sys_mount"}}));
}

TEST(ScenarioResolve, TraceMountBoundaryIs5_10) {
  EXPECT_EQ(chains(resolve(load("trace_mount.xml"), version("5.9.16")).breakpoints[0])[1][1], "_do_fork");
  EXPECT_EQ(chains(resolve(load("trace_mount.xml"), version("5.10.0")).breakpoints[0])[1][1], "kernel_clone");
}

TEST(ScenarioResolve, TooOldKernelIsNotApplicable) {
  ResolvedScenario resolved = resolve(load("trace_mount.xml"), version("4.14.1"));
  EXPECT_FALSE(resolved.applies);
  EXPECT_EQ(resolved.kernels, ">=4.19");
  EXPECT_TRUE(resolved.breakpoints.empty());
  EXPECT_EQ(resolved.guest.program, "mnt_ns_clone");  // still there for a report
}

TEST(ScenarioResolve, BreakpointsCapturesAndGroupChecksPerVersion) {
  Scenario scenario = load("every_element.xml");

  ResolvedScenario old_kernel = resolve(scenario, version("4.19.304"));
  const BreakpointSpec* fork = find(old_kernel, "fork");
  ASSERT_NE(fork, nullptr);
  EXPECT_EQ(fork->function, "_do_fork");
  EXPECT_TRUE(fork->expectations.empty());
  // The <expect-hit> drops its 6.1-only check.
  EXPECT_EQ(find(old_kernel, "mount")->expectations[3].checks.size(), 1u);

  ResolvedScenario middle = resolve(scenario, version("5.15.0"));
  fork = find(middle, "fork");
  ASSERT_NE(fork, nullptr);
  EXPECT_EQ(fork->function, "kernel_clone");
  EXPECT_TRUE(fork->captures.empty());
  ASSERT_EQ(fork->expectations.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<BacktraceWithoutCheck>(fork->expectations[0].checks[0].body));

  ResolvedScenario new_kernel = resolve(scenario, version("6.1.192"));
  fork = find(new_kernel, "fork");
  ASSERT_NE(fork, nullptr);
  ASSERT_EQ(fork->captures.size(), 1u);
  EXPECT_EQ(fork->captures[0].name, "clone_flags");
  EXPECT_EQ(fork->expectations.size(), 2u);
  const BreakpointSpec* mount = find(new_kernel, "mount");
  ASSERT_EQ(mount->expectations[3].checks.size(), 2u);
  EXPECT_EQ(std::get<ValueCheck>(mount->expectations[3].checks[1].body).frame.function, "path_mount");

  EXPECT_FALSE(resolve(scenario, version("7.0.0")).applies);
}

TEST(ScenarioResolve, GroupWithNoCheckForTheKernelIsDropped) {
  auto scenario = parse_scenario(
      "<scenario name=\"x\"><guest program=\"p\"/><breakpoint function=\"f\">"
      "<expect-hit><when kernel=\"6.1\"><expect-backtrace>g</expect-backtrace></when></expect-hit>"
      "</breakpoint></scenario>",
      "t.xml");
  ASSERT_TRUE(scenario.ok()) << scenario.error().to_string();
  EXPECT_EQ(resolve(*scenario, version("6.1.5")).breakpoints[0].expectations.size(), 1u);
  EXPECT_TRUE(resolve(*scenario, version("6.12.0")).breakpoints[0].expectations.empty());
}

}  // namespace
}  // namespace kh::trace
