// The breakpoint plan: which gdb breakpoints a scenario becomes and what a hit collects.
#include "engine/breakpoint_plan.h"

#include <gtest/gtest.h>

#include "engine/hit_collector.h"
#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::engine {
namespace {

trace::ResolvedScenario resolved(std::string_view xml) {
  auto scenario = trace::parse_scenario(xml, "plan.xml");
  EXPECT_TRUE(scenario.ok()) << (scenario.ok() ? "" : scenario.error().to_string());
  return trace::resolve(*scenario, *KernelVersion::parse("6.1.192"));
}

constexpr std::string_view kScenario = R"(<scenario name="plan">
  <guest program="mnt_ns_clone"/>
  <breakpoint function="copy_mnt_ns">
    <capture expr="flags &amp; 0x00020000" as="newns"/>
    <capture expr="ns-&gt;root" as="root"/>
  </breakpoint>
  <breakpoint function="do_mount" scope="all"/>
  <breakpoint function="attach_recursive_mnt" condition="dest_mp != 0"/>
</scenario>)";

TEST(MiQuote, EscapesWhatMiNeeds) {
  struct Case {
    std::string_view input;
    std::string_view quoted;
  };
  const Case cases[] = {
      {"copy_mnt_ns", "\"copy_mnt_ns\""},
      {"a \"b\"", "\"a \\\"b\\\"\""},
      {"back\\slash", "\"back\\\\slash\""},
      {"tab\tnew\nline", "\"tab\\tnew\\nline\""},
      {"", "\"\""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(mi_quote(c.input), c.quoted) << c.input;
  }
}

TEST(GuestCondition, ReadsTheMarkThatForkAndExecKeep) {
  // WHOLE_SECONDS, set by kh-spawn: one read of task_struct.personality, whatever the task's name.
  EXPECT_EQ(guest_condition("current_task"), "(current_task->personality & 0x2000000) != 0");
  EXPECT_EQ(guest_condition("pcpu_hot.current_task"), "(pcpu_hot.current_task->personality & 0x2000000) != 0");
  EXPECT_EQ(guest_condition("$lx_current()"), "($lx_current()->personality & 0x2000000) != 0");
}

TEST(PlanBreakpoints, GuestScopeGetsTheMarkConditionAndAllScopeNone) {
  auto scenario = resolved(kScenario);
  auto plan = plan_breakpoints(scenario, "$lx_current()");
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  ASSERT_EQ(plan->size(), 3u);
  EXPECT_EQ((*plan)[0].insert_command,
            "-break-insert -c \"($lx_current()->personality & 0x2000000) != 0\" \"copy_mnt_ns\"");
  EXPECT_EQ((*plan)[1].insert_command, "-break-insert \"do_mount\"");
  EXPECT_EQ((*plan)[1].condition, "");
  EXPECT_EQ((*plan)[2].condition, "(($lx_current()->personality & 0x2000000) != 0) && (dest_mp != 0)");
}

TEST(PlanBreakpoints, TheLabShellsCliBreakpointsCarryTheEnginesConditions) {
  auto scenario = resolved(kScenario);
  auto plan = plan_breakpoints(scenario, "current_task");
  ASSERT_TRUE(plan.ok());
  for (const PlannedBreakpoint& planned : *plan) {
    const std::string expected = planned.condition.empty()
                                     ? "break " + planned.spec->function
                                     : "break " + planned.spec->function + " if " + planned.condition;
    EXPECT_EQ(planned.cli_command, expected);
  }
  EXPECT_EQ((*plan)[1].cli_command, "break do_mount");
}

TEST(PlanBreakpoints, CollectCommandsEndWithAStepAndIndexTheAnswers) {
  auto scenario = resolved(kScenario);
  auto plan = plan_breakpoints(scenario, "current_task");
  ASSERT_TRUE(plan.ok());
  const CollectPlan& collect = (*plan)[0].collect;
  // The task's commands are the collector's (TaskReader), put in before the step.
  ASSERT_EQ(collect.commands.size(), 4u);
  EXPECT_TRUE(collect.task);
  EXPECT_EQ(collect.commands[collect.frames], "-stack-list-frames");
  EXPECT_EQ(collect.arguments, std::string::npos);
  EXPECT_EQ(collect.commands[collect.first_capture], "-data-evaluate-expression \"flags & 0x00020000\"");
  EXPECT_EQ(collect.commands[collect.first_capture + 1], "-data-evaluate-expression \"ns->root\"");
  EXPECT_EQ(collect.commands.back(), "-exec-step-instruction");
}

TEST(PlanBreakpoints, GuestScopeWithoutGdbScriptsIsASymbolErrorWithTheLine) {
  auto scenario = resolved(kScenario);
  auto plan = plan_breakpoints(scenario, /*current_task=*/"");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().kind, ErrorKind::Symbol);
  EXPECT_EQ(plan.error().location, "plan.xml:3");
  EXPECT_NE(plan.error().message.find("CONFIG_GDB_SCRIPTS"), std::string::npos);
}

TEST(PlanBreakpoints, AllScopeWorksWithoutGdbScripts) {
  auto scenario = resolved(R"(<scenario name="all"><guest program="mnt_ns_clone"/>
    <breakpoint function="do_mount" scope="all"/></scenario>)");
  auto plan = plan_breakpoints(scenario, "");
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE((*plan)[0].collect.task);
  EXPECT_EQ((*plan)[0].collect.commands.size(), 2u);
}

TEST(PlanBreakpoints, CallerArgumentsOnlyWhenAnExpectationReadsThem) {
  auto scenario = resolved(R"(<scenario name="args"><guest program="mnt_ns_clone"/>
    <breakpoint function="attach_recursive_mnt"><expect arg="dev_name" frame="path_mount" equals="/myproc"/></breakpoint>
    <breakpoint function="do_mount"><expect arg="dev_name" equals="proc"/></breakpoint></scenario>)");
  auto plan = plan_breakpoints(scenario, "current_task");
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  const CollectPlan& callers = (*plan)[0].collect;
  ASSERT_NE(callers.arguments, std::string::npos);
  EXPECT_EQ(callers.commands[callers.arguments], "-stack-list-arguments --simple-values");
  EXPECT_EQ((*plan)[1].collect.arguments, std::string::npos);
}

TEST(CommFromValue, ReadsTheCStringOfACharArray) {
  EXPECT_EQ(comm_from_value("\"mnt_ns_clone\\000\\000\\000\""), "mnt_ns_clone");
  EXPECT_EQ(comm_from_value("\"swapper/0\\000\\000\\000\\000\\000\\000\""), "swapper/0");
  EXPECT_EQ(comm_from_value("\"kdevtmpfs\", '\\000' <repeats 6 times>"), "kdevtmpfs");
}

}  // namespace
}  // namespace kh::engine
