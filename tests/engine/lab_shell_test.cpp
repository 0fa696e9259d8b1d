// The lab shell's gdb script: the same breakpoints, with the same conditions, as the engine's plan.
#include "engine/lab_shell.h"

#include <gtest/gtest.h>

#include <string>

#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::engine {
namespace {

constexpr std::string_view kScenario = R"(<scenario name="shell">
  <guest program="mnt_ns_clone"/>
  <breakpoint function="copy_mnt_ns"/>
  <breakpoint function="do_mount" scope="all"/>
  <breakpoint function="attach_recursive_mnt" condition="dest_mp != 0"/>
</scenario>)";

PreparedRun prepared(vm::Accel accel) {
  PreparedRun run;
  auto scenario = trace::parse_scenario(kScenario, "shell.xml");
  EXPECT_TRUE(scenario.ok());
  run.scenario = std::move(*scenario);
  run.resolved = trace::resolve(run.scenario, *KernelVersion::parse("6.1.192"));
  run.kernel.release = "6.1.192";
  run.kernel.vmlinux = "/cache/vmlinux";
  run.accel = accel;
  run.current_task = "current_task";
  auto plan = plan_breakpoints(run.resolved, run.current_task);
  EXPECT_TRUE(plan.ok());
  run.plan = std::move(*plan);
  return run;
}

// The script's lines that set breakpoints, in order.
std::vector<std::string> break_lines(const std::string& script) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < script.size()) {
    std::size_t end = script.find('\n', at);
    std::string line = script.substr(at, end - at);
    if (line.starts_with("break ") || line.starts_with("thbreak ")) {
      lines.push_back(line);
    }
    at = end == std::string::npos ? script.size() : end + 1;
  }
  return lines;
}

TEST(LabShellScript, SetsExactlyTheEnginesBreakpointsWithItsConditions) {
  const PreparedRun run = prepared(vm::Accel::Tcg);
  const std::string script = lab_shell_script(run, "/run/kh/gdb.sock");
  std::vector<std::string> expected;
  for (const auto& planned : run.plan) {
    expected.push_back(planned.cli_command);
    // The engine's MI command carries the same condition text.
    if (!planned.condition.empty()) {
      EXPECT_NE(planned.insert_command.find(mi_quote(planned.condition)), std::string::npos);
      EXPECT_EQ(planned.cli_command, "break " + planned.spec->function + " if " + planned.condition);
    }
  }
  EXPECT_EQ(break_lines(script), expected);
  EXPECT_NE(script.find("target remote /run/kh/gdb.sock\n"), std::string::npos);
  EXPECT_NE(script.find("(current_task->personality & 0x2000000) != 0"), std::string::npos) << script;
  EXPECT_EQ(script.find("start_kernel"), std::string::npos);
}

TEST(LabShellScript, UnderKvmStopsAtStartKernelBeforeInsertingThem) {
  const PreparedRun run = prepared(vm::Accel::Kvm);
  const std::string script = lab_shell_script(run, "/s");
  const std::vector<std::string> lines = break_lines(script);
  ASSERT_EQ(lines.size(), run.plan.size() + 1);
  EXPECT_EQ(lines.front(), "thbreak start_kernel");
  const std::size_t start_kernel = script.find("thbreak start_kernel\ncontinue\n");
  ASSERT_NE(start_kernel, std::string::npos);
  EXPECT_LT(start_kernel, script.find(run.plan.front().cli_command));
}

}  // namespace
}  // namespace kh::engine
