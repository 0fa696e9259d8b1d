// The hits gdb collects itself: the plan a collecting breakpoint gets, and the lines it writes.
#include "engine/collected_hits.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "task_bytes.h"
#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::engine {
namespace {

constexpr std::string_view kScenario = R"(<scenario name="collect">
  <guest program="mnt_ns_clone"/>
  <breakpoint function="copy_mnt_ns" condition="flags != 0">
    <capture expr="flags" as="flags"/>
    <capture expr="ns-&gt;root" as="root"/>
  </breakpoint>
  <breakpoint function="do_mount" scope="all"/>
</scenario>)";

constexpr TaskLayout kLayout = test_data::kLayout61;
using test_data::task_bytes;

class CollectedHits : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scenario = trace::parse_scenario(kScenario, "collect.xml");
    ASSERT_TRUE(scenario.ok()) << scenario.error().to_string();
    resolved_ = trace::resolve(*scenario, *KernelVersion::parse("6.1.192"));
    auto plan = plan_breakpoints(resolved_, "current_task");
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    plan_ = std::move(*plan);
  }

  trace::ResolvedScenario resolved_;
  std::vector<PlannedBreakpoint> plan_;
  TaskReader task_ = TaskReader::by_layout("current_task", kLayout);
};

TEST_F(CollectedHits, APlanSaysWhatToCountCollectAndRead) {
  const nlohmann::json plan = nlohmann::json::parse(collecting_plan(plan_[0], 0, task_, 8));
  EXPECT_EQ(plan["index"], 0);
  EXPECT_EQ(plan["function"], "copy_mnt_ns");
  EXPECT_EQ(plan["condition"], "((current_task->personality & 0x2000000) != 0) && (flags != 0)");
  EXPECT_EQ(plan["user_condition"], "flags != 0");
  EXPECT_EQ(plan["guest"]["task"], "current_task");
  EXPECT_EQ(plan["guest"]["flag"], 0x2000000);
  EXPECT_EQ(plan["captures"], nlohmann::json::array({"flags", "ns->root"}));
  EXPECT_EQ(plan["caller_args"], false);
  EXPECT_EQ(plan["task"]["expression"], "current_task");
  EXPECT_EQ(plan["task"]["begin"], 696);
  EXPECT_EQ(plan["task"]["length"], 360);
  EXPECT_EQ(plan["max_steps"], 8);
}

TEST_F(CollectedHits, AScopeAllPlanHasNoGuestCheckAndExpressionsReadTheTaskByName) {
  const TaskReader by_name = TaskReader::by_expressions("$lx_current()");
  const nlohmann::json plan = nlohmann::json::parse(collecting_plan(plan_[1], 1, by_name, 8));
  EXPECT_EQ(plan["condition"], "");
  EXPECT_TRUE(plan["guest"].is_null());
  EXPECT_EQ(plan["task"]["expressions"], nlohmann::json::array({"$lx_current()->pid", "$lx_current()->comm"}));
  // No task reader yet (gdb could not say how): no task is read.
  EXPECT_TRUE(nlohmann::json::parse(collecting_plan(plan_[1], 1, TaskReader(), 8))["task"].is_null());
}

TEST_F(CollectedHits, ALineBecomesTheHitTheMiPathWouldHaveCollected) {
  const std::string line = "KH-HIT " + nlohmann::json{
      {"bp", 0},
      {"t", 12.5},
      {"frames",
       {{0, "0xffffffff810bdf32", "copy_mnt_ns", "fs/namespace.c", 3554,
         nlohmann::json::array({nlohmann::json::array({"flags", "738328576"}),
                                nlohmann::json::array({"flags@entry", "738328576"})})},
        {1, "0xffffffff8104a1b2", "create_new_namespaces", "kernel/nsproxy.c", 90, nlohmann::json::array()},
        {2, "0x00007f0000001000", "??", "", 0, nlohmann::json::array()}}},
      {"captures", {{true, "738328576"}, {false, "Cannot access memory at address 0x8"}}},
      {"task", {task_bytes("16000000", "mnt_ns_clone")}},
  }.dump();
  auto collected = parse_collected_hit(line, plan_, task_);
  ASSERT_TRUE(collected.ok()) << collected.error().to_string();
  EXPECT_EQ(collected->breakpoint, 0u);
  EXPECT_TRUE(collected->step_error.empty());
  EXPECT_DOUBLE_EQ(std::chrono::duration<double>(collected->at.time_since_epoch()).count(), 12.5);
  const trace::Hit& hit = collected->hit;
  EXPECT_EQ(hit.breakpoint, "copy_mnt_ns");
  // The trailing "??" frame (user space past the syscall entry) is dropped, as on the MI path.
  ASSERT_EQ(hit.frames.size(), 2u);
  EXPECT_EQ(hit.frames[0].func, "copy_mnt_ns");
  EXPECT_EQ(hit.frames[0].file, "fs/namespace.c");
  EXPECT_EQ(hit.frames[0].line, 3554);
  EXPECT_EQ(hit.frames[0].addr, "0xffffffff810bdf32");
  ASSERT_EQ(hit.frames[0].args.size(), 2u);
  EXPECT_EQ(hit.frames[0].args[1].name, "flags@entry");
  EXPECT_EQ(hit.frames[1].level, 1);
  ASSERT_EQ(hit.captures.size(), 2u);
  EXPECT_EQ(hit.captures[0].name, "flags");
  EXPECT_EQ(hit.captures[0].value, "738328576");
  EXPECT_FALSE(hit.captures[1].value.has_value());
  EXPECT_EQ(hit.captures[1].error, "Cannot access memory at address 0x8");
  EXPECT_EQ(hit.task_pid, 22);
  EXPECT_EQ(hit.task_comm, "mnt_ns_clone");
}

TEST_F(CollectedHits, AStepErrorIsCarriedAndACollectErrorIsGdbs) {
  auto stuck = parse_collected_hit(R"(KH-HIT {"bp":1,"t":1.0,"step_error":"the PC did not move"})", plan_, task_);
  ASSERT_TRUE(stuck.ok()) << stuck.error().to_string();
  EXPECT_EQ(stuck->breakpoint, 1u);
  EXPECT_EQ(stuck->step_error, "the PC did not move");

  auto failed = parse_collected_hit(R"(KH-HIT {"bp":0,"t":1.0,"error":"RuntimeError"})", plan_, task_);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::Gdb);
  EXPECT_NE(failed.error().message.find("'copy_mnt_ns': RuntimeError"), std::string::npos) << failed.error().message;
}

TEST_F(CollectedHits, AnythingElseIsAParseError) {
  const std::string_view lines[] = {
      "Breakpoint 1, copy_mnt_ns (flags=...)",
      "KH-HIT {not json",
      R"(KH-HIT {"bp":7,"t":1.0,"frames":[],"captures":[],"task":null})",
      R"(KH-HIT {"bp":0,"t":1.0,"frames":[],"captures":[[true,"1"]],"task":null})",
      R"(KH-HIT {"bp":0,"t":1.0,"frames":[[0]],"captures":[[true,"1"],[true,"2"]],"task":null})",
      R"(KH-HIT {"bp":0,"frames":[],"captures":[[true,"1"],[true,"2"]],"task":null})",
  };
  for (std::string_view line : lines) {
    auto parsed = parse_collected_hit(line, plan_, task_);
    ASSERT_FALSE(parsed.ok()) << line;
    EXPECT_EQ(parsed.error().kind, ErrorKind::Parse) << line;
  }
}

}  // namespace
}  // namespace kh::engine
