// Scenarios recorded from traces: what is expected of each breakpoint, the <when> variants where
// kernels differ, and that the written scenario passes on the traces it was made from.
#include <gtest/gtest.h>

#include <string>

#include "trace/expectation.h"
#include "trace/scenario.h"
#include "trace/scenario_resolve.h"
#include "trace/scenario_writer.h"

namespace kh::trace {
namespace {

Frame frame(int level, std::string func) {
  Frame f;
  f.level = level;
  f.func = std::move(func);
  return f;
}

Hit hit(std::string breakpoint, std::vector<std::string> chain,
        const std::vector<std::pair<std::string, std::string>>& captures) {
  Hit h;
  h.breakpoint = std::move(breakpoint);
  for (std::size_t i = 0; i < chain.size(); ++i) h.frames.push_back(frame(static_cast<int>(i), chain[i]));
  for (auto& [name, value] : captures) h.captures.push_back(CapturedValue{name, name, value, ""});
  return h;
}

const char* kInput = R"(<scenario name="lab" timeout="90">
  <guest command="unshare -m mount --bind /a /b"/>
  <breakpoint function="attach_recursive_mnt">
    <capture expr="dest_mp-&gt;m_dentry-&gt;d_name.name" as="dest"/>
    <capture expr="source_mnt" as="source_ptr"/>
    <capture expr="flags" as="flags"/>
  </breakpoint>
</scenario>
)";

RecordedRun run_on(const char* version, bool old_chain) {
  RecordedRun run;
  run.version = KernelVersion::parse(version).value();
  run.release = version;
  std::vector<std::string> chain = old_chain
      ? std::vector<std::string>{"attach_recursive_mnt", "graft_tree", "do_loopback", "do_mount", "ksys_mount",
                                 "__do_sys_mount", "__se_sys_mount", "do_syscall_64", "entry_SYSCALL_64"}
      : std::vector<std::string>{"attach_recursive_mnt", "graft_tree", "do_loopback", "path_mount", "do_mount",
                                 "__do_sys_mount", "__se_sys_mount", "do_syscall_64", "entry_SYSCALL_64"};
  run.trace.hits.push_back(hit("attach_recursive_mnt", chain,
                               {{"dest", "0xffff888003a4c000 \"b\""}, {"source_ptr", "0xffff888003a4c100"}, {"flags", "4096"}}));
  run.trace.hits.back().index = 0;
  return run;
}

TEST(ScenarioWriter, ChainsStopAtTheSyscall) {
  std::vector<Frame> frames = {frame(0, "copy_mnt_ns"), frame(1, "??"), frame(2, "create_new_namespaces"),
                               frame(3, "__do_sys_clone"), frame(4, "__se_sys_clone"), frame(5, "do_syscall_64")};
  EXPECT_EQ(recorded_chain(frames), (std::vector<std::string>{"copy_mnt_ns", "create_new_namespaces", "__do_sys_clone"}));
  std::vector<Frame> kthread = {frame(0, "do_mount"), frame(1, "devtmpfsd"), frame(2, "kthread")};
  EXPECT_EQ(recorded_chain(kthread).size(), 3u);
}

TEST(ScenarioWriter, ValuesKeptAndLeftOut) {
  auto value = [](std::string text) { return recorded_value(CapturedValue{"x", "x", std::move(text), ""}); };
  EXPECT_EQ(value("0xffff888003a4c000 \"mount_dir_test\""), "mount_dir_test");
  EXPECT_EQ(value("\"rootfs\", '\\000' <repeats 9 times>"), "rootfs");
  EXPECT_EQ(value("4096"), "4096");
  EXPECT_EQ(value("-2"), "-2");
  EXPECT_EQ(value("0xffff888003a4c000"), "");        // a pointer
  EXPECT_EQ(value("123456789"), "");                 // not small
  EXPECT_EQ(value("0x0"), "");                       // written as a pointer
  EXPECT_EQ(value("0xffff8880 \"abc\"..."), "");     // cut short by gdb
  EXPECT_EQ(recorded_value(CapturedValue{"x", "x", std::nullopt, "no symbol"}), "");
}

TEST(ScenarioWriter, OneKernelExpectsWhatItSawAndPassesOnIt) {
  auto scenario = parse_scenario(kInput, "labs/lab-in.xml");
  ASSERT_TRUE(scenario.ok()) << scenario.error().to_string();
  std::vector<RecordedRun> runs = {run_on("6.1.158", false)};
  auto text = write_recorded_scenario(*scenario, runs, "labs/lab.xml", "kharness record lab-in.xml -o lab.xml");
  ASSERT_TRUE(text.ok()) << text.error().to_string();
  EXPECT_NE(text->find("<expect-hits exactly=\"1\"/>"), std::string::npos) << *text;
  EXPECT_NE(text->find("attach_recursive_mnt graft_tree do_loopback path_mount do_mount __do_sys_mount</expect-backtrace>"),
            std::string::npos) << *text;
  EXPECT_NE(text->find("<expect capture=\"dest\" equals=\"b\"/>"), std::string::npos) << *text;
  EXPECT_NE(text->find("<expect capture=\"flags\" equals=\"4096\"/>"), std::string::npos) << *text;
  EXPECT_EQ(text->find("capture=\"source_ptr\" equals"), std::string::npos) << *text;
  EXPECT_NE(text->find("Recorded by kharness"), std::string::npos);
  EXPECT_NE(text->find("timeout=\"90\""), std::string::npos);
  EXPECT_EQ(text->find("\n    <when"), std::string::npos) << *text;  // none: one kernel

  auto written = parse_scenario(*text, "labs/lab.xml");
  ASSERT_TRUE(written.ok()) << written.error().to_string();
  ResolvedScenario resolved = resolve(*written, runs[0].version);
  auto results = evaluate(resolved, runs[0].trace);
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(overall_verdict(results), Verdict::Pass);
  // And it can fail: one hit more breaks the exact count.
  Trace more = runs[0].trace;
  more.hits.push_back(more.hits[0]);
  more.hits[1].index = 1;
  EXPECT_EQ(overall_verdict(evaluate(resolved, more)), Verdict::Fail);
}

TEST(ScenarioWriter, KernelsThatDifferGetWhenVariantsNamingTheVersions) {
  auto scenario = parse_scenario(kInput, "lab-in.xml");
  ASSERT_TRUE(scenario.ok());
  std::vector<RecordedRun> runs = {run_on("6.1.158", false), run_on("4.19.325", true)};
  auto text = write_recorded_scenario(*scenario, runs, "lab.xml", "kharness record");
  ASSERT_TRUE(text.ok()) << text.error().to_string();
  EXPECT_NE(text->find("<when kernel=\"=4.19.325\">"), std::string::npos) << *text;
  EXPECT_NE(text->find("<when kernel=\"=6.1.158\">"), std::string::npos) << *text;
  // Shared by both: outside any <when>, once.
  std::size_t count = text->find("<expect-hits exactly=\"1\"/>");
  ASSERT_NE(count, std::string::npos);
  EXPECT_EQ(text->find("<expect-hits exactly=\"1\"/>", count + 1), std::string::npos) << *text;
  auto written = parse_scenario(*text, "lab.xml");
  ASSERT_TRUE(written.ok()) << written.error().to_string();
  for (const auto& run : runs) {
    EXPECT_EQ(overall_verdict(evaluate(resolve(*written, run.version), run.trace)), Verdict::Pass) << run.release;
  }
  // Each kernel's chain is expected only there.
  EXPECT_EQ(overall_verdict(evaluate(resolve(*written, runs[0].version), runs[1].trace)), Verdict::Fail);
}

TEST(ScenarioWriter, GuestPathsAreRewrittenForTheOutputFolder) {
  auto scenario = parse_scenario(
      "<scenario name=\"s\"><guest source=\"src/lab.c\"><file src=\"data/in.txt\" dest=\"/lab/in.txt\"/>"
      "<dir dest=\"/lab/empty\"/></guest><breakpoint function=\"do_mount\"/></scenario>",
      "kit/teacher.xml");
  ASSERT_TRUE(scenario.ok());
  auto text = write_recorded_scenario(*scenario, {run_on("6.1.0", false)}, "kit/lab.xml", "x -- y");
  ASSERT_TRUE(text.ok()) << text.error().to_string();
  EXPECT_NE(text->find("<guest source=\"src/lab.c\">"), std::string::npos) << *text;
  EXPECT_NE(text->find("<file src=\"data/in.txt\" dest=\"/lab/in.txt\"/>"), std::string::npos) << *text;
  EXPECT_NE(text->find("<dir dest=\"/lab/empty\"/>"), std::string::npos) << *text;
  EXPECT_EQ(text->find("x -- y"), std::string::npos) << "no -- in an XML comment";
  // A <file> that would be outside the output's folder does not load: the writer says so.
  auto elsewhere = write_recorded_scenario(*scenario, {run_on("6.1.0", false)}, "other/lab.xml", "x");
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_NE(elsewhere.error().to_string().find("outside the scenario's folder"), std::string::npos)
      << elsewhere.error().to_string();
}

}  // namespace
}  // namespace kh::trace
