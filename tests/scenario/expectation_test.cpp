// The matcher on hand-made traces: every kind of expectation, quantifiers, groups and verdicts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "trace/expectation.h"
#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::trace {
namespace {

const KernelVersion kKernel{6, 1, 0, {}};

// A hit of `breakpoint` with frames named by `chain` (innermost first); frame 0 gets `args`.
Hit make_hit(const std::string& breakpoint, int index, const std::vector<std::string>& chain,
             std::vector<FrameArg> args = {}, std::vector<CapturedValue> captures = {}) {
  Hit hit;
  hit.breakpoint = breakpoint;
  hit.index = index;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    Frame frame;
    frame.level = static_cast<int>(i);
    frame.func = chain[i];
    hit.frames.push_back(frame);
  }
  if (!hit.frames.empty()) hit.frames[0].args = std::move(args);
  hit.captures = std::move(captures);
  return hit;
}

CapturedValue value_of(const std::string& name, const std::string& value) { return {name, name, value, {}}; }
CapturedValue error_of(const std::string& name, const std::string& error) {
  return {name, name, std::nullopt, error};
}

// Evaluates `body` (the inside of <breakpoint function="f">) on the hits.
std::vector<ExpectationResult> run(const std::string& body, const std::vector<Hit>& hits) {
  std::string xml = "<scenario name=\"t\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n" + body +
                    "\n</breakpoint>\n</scenario>";
  auto scenario = parse_scenario(xml, "t.xml");
  EXPECT_TRUE(scenario.ok()) << (scenario.ok() ? "" : scenario.error().to_string());
  if (!scenario.ok()) return {};
  Trace trace;
  trace.hits = hits;
  return evaluate(resolve(*scenario, kKernel), trace);
}

ExpectationResult run_one(const std::string& body, const std::vector<Hit>& hits) {
  auto results = run(body, hits);
  EXPECT_EQ(results.size(), 1u);
  return results.empty() ? ExpectationResult{} : results.front();
}

const std::vector<std::string> kClone61 = {"copy_mnt_ns", "create_new_namespaces", "copy_namespaces",
                                           "copy_process", "kernel_clone", "__do_sys_clone"};

struct BacktraceCase {
  const char* name;
  const char* element;
  std::vector<std::string> frames;
  Verdict verdict;
  const char* actual_note;  // expected in `actual`, "" for none
};

const BacktraceCase kBacktraceCases[] = {
    {"gaps_allowed", "<expect-backtrace>copy_mnt_ns copy_process kernel_clone</expect-backtrace>", kClone61,
     Verdict::Pass, ""},
    {"order_matters", "<expect-backtrace>kernel_clone copy_process</expect-backtrace>", kClone61, Verdict::Fail,
     "(missing copy_process after kernel_clone)"},
    {"missing_first", "<expect-backtrace>_do_fork</expect-backtrace>", kClone61, Verdict::Fail, "(missing _do_fork)"},
    {"anchored_pass", "<expect-backtrace anchored=\"true\">copy_mnt_ns copy_process</expect-backtrace>", kClone61,
     Verdict::Pass, ""},
    {"anchored_fail", "<expect-backtrace anchored=\"true\">create_new_namespaces</expect-backtrace>", kClone61,
     Verdict::Fail, "(frame 0 is not create_new_namespaces)"},
    {"contiguous_pass", "<expect-backtrace contiguous=\"true\">copy_process kernel_clone</expect-backtrace>",
     kClone61, Verdict::Pass, ""},
    {"contiguous_fail", "<expect-backtrace contiguous=\"true\">copy_namespaces kernel_clone</expect-backtrace>",
     kClone61, Verdict::Fail, "(copy_namespaces is not directly followed by kernel_clone)"},
    {"inlined_frames_are_frames",
     "<expect-backtrace anchored=\"true\" contiguous=\"true\">mnt_set_mountpoint attach_mnt copy_tree"
     "</expect-backtrace>",
     {"mnt_set_mountpoint", "attach_mnt", "copy_tree", "copy_mnt_ns"}, Verdict::Pass, ""},
    {"unknown_frames_are_frames", "<expect-backtrace contiguous=\"true\">a ?? b</expect-backtrace>",
     {"a", "??", "b"}, Verdict::Pass, ""},
    {"compiler_clone_suffix", "<expect-backtrace>do_loopback graft_tree</expect-backtrace>",
     {"do_loopback.isra.0", "graft_tree.constprop.0"}, Verdict::Pass, ""},
    {"prefix_is_not_a_clone", "<expect-backtrace>do_mount</expect-backtrace>", {"do_mount_root"}, Verdict::Fail,
     "(missing do_mount)"},
    {"without_pass", "<expect-backtrace-without>ksys_unshare devtmpfsd</expect-backtrace-without>", kClone61,
     Verdict::Pass, ""},
    {"without_fail", "<expect-backtrace-without>ksys_unshare kernel_clone</expect-backtrace-without>", kClone61,
     Verdict::Fail, "(has kernel_clone)"},
};

class BacktraceTable : public testing::TestWithParam<BacktraceCase> {};

TEST_P(BacktraceTable, Matches) {
  const BacktraceCase& c = GetParam();
  ExpectationResult result = run_one(c.element, {make_hit("f", 0, c.frames)});
  EXPECT_EQ(result.verdict, c.verdict) << result.actual;
  EXPECT_NE(result.actual.find(c.actual_note), std::string::npos) << result.actual;
  EXPECT_EQ(result.hit_index, 0);
}

INSTANTIATE_TEST_SUITE_P(Table, BacktraceTable, testing::ValuesIn(kBacktraceCases),
                         [](const testing::TestParamInfo<BacktraceCase>& param_info) { return std::string(param_info.param.name); });

TEST(Matcher, BacktraceFailureShowsExpectedAndClosestChain) {
  std::vector<Hit> hits = {make_hit("f", 0, {"copy_mnt_ns", "ksys_unshare", "devtmpfsd"}),
                           make_hit("f", 1, {"copy_mnt_ns", "copy_namespaces", "copy_process", "_do_fork"})};
  ExpectationResult result =
      run_one("<expect-backtrace>copy_mnt_ns copy_namespaces copy_process kernel_clone</expect-backtrace>", hits);
  EXPECT_EQ(result.verdict, Verdict::Fail);
  EXPECT_EQ(result.kind, "backtrace");
  EXPECT_EQ(result.breakpoint, "f");
  EXPECT_EQ(result.location, "t.xml:4");
  EXPECT_EQ(result.expected, "copy_mnt_ns <- copy_namespaces <- copy_process <- kernel_clone");
  EXPECT_EQ(result.actual,
            "copy_mnt_ns <- copy_namespaces <- copy_process <- _do_fork (missing kernel_clone after copy_process)");
  EXPECT_EQ(result.hit_index, 1);
  EXPECT_EQ(result.description, "backtrace has copy_mnt_ns <- copy_namespaces <- copy_process <- kernel_clone");
}

struct ValueCase {
  const char* name;
  const char* attributes;  // of <expect capture="v" ...>
  const char* value;       // as gdb printed it
  bool passes;
};

const ValueCase kValueCases[] = {
    {"string_equals", R"(equals="myproc")", R"(0xffff888003a4c000 "myproc")", true},
    {"string_differs", R"(equals="myproc")", R"(0xffff888003a4c000 "myprocs")", false},
    {"char_array", R"(equals="abc")", R"("abc", '\000' <repeats 12 times>)", true},
    {"escapes", R"(equals="a&quot;b")", R"("a\"b")", true},
    {"truncated_prefix", R"(equals="aaaab")", R"(0x1 "aaaa"...)", true},
    {"truncated_other", R"(equals="aaab")", R"(0x1 "aaaa"...)", false},
    {"number_decimal", R"(equals="131584")", "131584", true},
    {"number_hex_vs_decimal", R"(equals="0x20200")", "131584", true},
    {"pointer_with_symbol", R"(equals="0xffffffff8183f600")", "0xffffffff8183f600 <init_user_ns>", true},
    {"null_pointer", R"(equals="0")", "0x0", true},
    {"not_equals_zero", R"(not-equals="0")", "131072", true},
    {"not_equals_zero_fails", R"(not-equals="0")", "0", false},
    {"enum_name", R"(equals="MNT_SHARED")", "MNT_SHARED", true},
    {"bool", R"(equals="false")", "false", true},
    {"string_is_not_its_pointer", R"(equals="0xffff888003a4c000")", R"(0xffff888003a4c000 "myproc")", false},
    {"matches_string", R"(matches="^my")", R"(0x1 "myproc")", true},
    {"matches_symbol", R"(matches="&lt;init_user_ns&gt;$")", "0xffffffff8183f600 <init_user_ns>", true},
    {"matches_fails", R"(matches="^proc$")", R"(0x1 "myproc")", false},
    {"matches_long_value", R"(matches="^(a|b)*$")", "'a' <repeats 100000 times>", true},
    {"lt", R"(lt="10")", "9", true},
    {"lt_equal_fails", R"(lt="10")", "10", false},
    {"le_negative", R"(le="-1")", "-2", true},
    {"gt_hex", R"(gt="0xffff000000000000")", "0xffff888000092d80", true},
    {"ge_and_lt_range", R"(ge="1" lt="5")", "5", false},
    {"not_a_number", R"(gt="0")", "<optimized out>", false},
    {"bits_set", R"(bits-set="0x00020000")", "738328593", true},
    {"bits_set_exactly", R"(bits-set="0x00020000")", "131072", true},
    {"bits_set_fails", R"(bits-set="0x00020000")", "17", false},
    {"bits_clear", R"(bits-clear="0x1")", "738328576", true},
    {"bits_clear_fails", R"(bits-clear="0x1")", "738328593", false},
    {"bits_of_negative", R"(bits-set="0x8000000000000000")", "-1", true},
};

class ValueTable : public testing::TestWithParam<ValueCase> {};

TEST_P(ValueTable, Compares) {
  const ValueCase& c = GetParam();
  std::string body = std::string("<capture expr=\"x\" as=\"v\"/>\n<expect capture=\"v\" ") + c.attributes + "/>";
  ExpectationResult result = run_one(body, {make_hit("f", 0, {"f"}, {}, {value_of("v", c.value)})});
  EXPECT_EQ(result.verdict, c.passes ? Verdict::Pass : Verdict::Fail) << c.value;
  EXPECT_EQ(result.actual, c.value);
  EXPECT_EQ(result.kind, "value");
}

INSTANTIATE_TEST_SUITE_P(Table, ValueTable, testing::ValuesIn(kValueCases),
                         [](const testing::TestParamInfo<ValueCase>& param_info) { return std::string(param_info.param.name); });

TEST(Matcher, ValueFailureShowsExpectedAndClosestValue) {
  std::vector<Hit> hits = {make_hit("f", 3, {"f"}, {}, {value_of("dest", "0x1 \"proc\"")}),
                           make_hit("f", 5, {"f"}, {}, {value_of("dest", "0x2 \"mount_dir_test\"")})};
  ExpectationResult result =
      run_one("<capture expr=\"d\" as=\"dest\"/>\n<expect capture=\"dest\" equals=\"mount_dir_tst\"/>", hits);
  EXPECT_EQ(result.verdict, Verdict::Fail);
  EXPECT_EQ(result.expected, "== \"mount_dir_tst\"");
  EXPECT_EQ(result.description, "dest == \"mount_dir_tst\"");
  EXPECT_EQ(result.actual, "0x1 \"proc\"");
  EXPECT_EQ(result.hit_index, 3);
  EXPECT_EQ(result.location, "t.xml:5");
}

TEST(Matcher, FrameArguments) {
  Hit hit = make_hit("f", 0, {"attach_recursive_mnt", "graft_tree", "do_loopback", "path_mount", "do_mount"},
                     {{"parent_path", "0x0"}, {"moving", "false"}});
  hit.frames[3].args = {{"dev_name", "0xffff888000300a38 \"/myproc\""}};
  hit.frames[4].args = {{"dir_name", "0x7ffe740f9f73 \"/mount_dir_test\""}};
  std::vector<Hit> hits = {hit};
  EXPECT_EQ(run_one(R"(<expect arg="parent_path" equals="0"/>)", hits).verdict, Verdict::Pass);
  EXPECT_EQ(run_one(R"(<expect arg="moving" frame="0" equals="false"/>)", hits).verdict, Verdict::Pass);
  EXPECT_EQ(run_one(R"(<expect arg="dev_name" frame="path_mount" equals="/myproc"/>)", hits).verdict, Verdict::Pass);
  EXPECT_EQ(run_one(R"(<expect arg="dir_name" frame="4" matches="mount_dir"/>)", hits).verdict, Verdict::Pass);

  ExpectationResult no_frame = run_one(R"(<expect arg="dev_name" frame="ksys_mount" equals="/myproc"/>)", hits);
  EXPECT_EQ(no_frame.verdict, Verdict::Fail);
  EXPECT_EQ(no_frame.actual, "<no frame ksys_mount in the backtrace>");
  EXPECT_EQ(no_frame.description, "arg dev_name of ksys_mount == \"/myproc\"");

  ExpectationResult no_arg = run_one(R"(<expect arg="flags" equals="0"/>)", hits);
  EXPECT_EQ(no_arg.verdict, Verdict::Fail);
  EXPECT_EQ(no_arg.actual, "<frame 0 (attach_recursive_mnt) has no argument 'flags'; it has parent_path, moving>");
}

TEST(Matcher, SomeHitByDefaultEveryOnRequest) {
  std::vector<Hit> hits = {make_hit("f", 0, {"f", "do_new_mount"}), make_hit("f", 1, {"f", "do_loopback"})};
  EXPECT_EQ(run_one("<expect-backtrace>do_loopback</expect-backtrace>", hits).verdict, Verdict::Pass);
  EXPECT_EQ(run_one("<expect-backtrace>do_loopback</expect-backtrace>", hits).hit_index, 1);
  ExpectationResult every = run_one("<expect-backtrace on=\"every\">do_loopback</expect-backtrace>", hits);
  EXPECT_EQ(every.verdict, Verdict::Fail);
  EXPECT_EQ(every.hit_index, 0);  // the first hit that breaks it
  EXPECT_EQ(every.description, "backtrace has do_loopback on every hit");
  EXPECT_EQ(run_one("<expect-backtrace on=\"every\">f</expect-backtrace>", hits).verdict, Verdict::Pass);
}

TEST(Matcher, NoHitsFailsEvenForEvery) {
  for (const char* body : {"<expect-backtrace>f</expect-backtrace>", "<expect-backtrace on=\"every\">f</expect-backtrace>",
                           "<expect-hit on=\"every\"><expect-backtrace>f</expect-backtrace></expect-hit>"}) {
    ExpectationResult result = run_one(body, {make_hit("other", 0, {"f"})});
    EXPECT_EQ(result.verdict, Verdict::Fail) << body;
    EXPECT_EQ(result.actual, "no hits") << body;
    EXPECT_FALSE(result.hit_index.has_value()) << body;
  }
}

// The proc mount and the bind mount both hit attach_recursive_mnt: the bind path and the bind
// destination must be seen on the same hit.
TEST(Matcher, GroupNeedsOneHitForAllChecks) {
  std::vector<Hit> hits = {
      make_hit("f", 0, {"attach_recursive_mnt", "do_new_mount"}, {}, {value_of("dest", "0x1 \"mount_dir_test\"")}),
      make_hit("f", 1, {"attach_recursive_mnt", "do_loopback"}, {}, {value_of("dest", "0x2 \"proc\"")}),
  };
  const std::string capture = "<capture expr=\"d\" as=\"dest\"/>\n";
  // Each check alone holds on some hit...
  EXPECT_EQ(run_one(capture + "<expect-backtrace>do_loopback</expect-backtrace>", hits).verdict, Verdict::Pass);
  EXPECT_EQ(run_one(capture + "<expect capture=\"dest\" equals=\"mount_dir_test\"/>", hits).verdict, Verdict::Pass);
  // ...but not both on the same one.
  ExpectationResult group = run_one(capture +
                                        "<expect-hit>\n<expect-backtrace>do_loopback</expect-backtrace>\n"
                                        "<expect capture=\"dest\" equals=\"mount_dir_test\"/>\n</expect-hit>",
                                    hits);
  EXPECT_EQ(group.verdict, Verdict::Fail);
  EXPECT_EQ(group.kind, "hit");
  EXPECT_EQ(group.expected, "backtrace has do_loopback; dest == \"mount_dir_test\"");
  EXPECT_EQ(group.description, "one hit with: backtrace has do_loopback; dest == \"mount_dir_test\"");
  // Both hits meet one check each; the bind hit is closer (its dest was at least readable) and
  // shows what it lacks.
  EXPECT_EQ(group.hit_index, 1);
  EXPECT_EQ(group.actual, "dest: 0x2 \"proc\"");

  hits[1].captures = {value_of("dest", "0x2 \"mount_dir_test\"")};
  ExpectationResult fixed = run_one(capture +
                                        "<expect-hit>\n<expect-backtrace>do_loopback</expect-backtrace>\n"
                                        "<expect capture=\"dest\" equals=\"mount_dir_test\"/>\n</expect-hit>",
                                    hits);
  EXPECT_EQ(fixed.verdict, Verdict::Pass);
  EXPECT_EQ(fixed.hit_index, 1);
  EXPECT_EQ(fixed.actual, "backtrace: attach_recursive_mnt <- do_loopback; dest: 0x2 \"mount_dir_test\"");
}

TEST(Matcher, GroupShowsTheClosestHit) {
  std::vector<Hit> hits = {
      make_hit("f", 0, {"a"}, {}, {value_of("v", "1")}),
      make_hit("f", 1, {"a", "b", "c"}, {}, {value_of("v", "2")}),
  };
  ExpectationResult result = run_one(
      "<capture expr=\"x\" as=\"v\"/>\n<expect-hit><expect-backtrace>a b c d</expect-backtrace>"
      "<expect capture=\"v\" equals=\"3\"/></expect-hit>",
      hits);
  EXPECT_EQ(result.verdict, Verdict::Fail);
  EXPECT_EQ(result.hit_index, 1);
  EXPECT_EQ(result.actual, "backtrace: a <- b <- c (missing d after c); v: 2");
}

TEST(Matcher, CaptureErrorsOnEveryHitAreErrors) {
  const std::string body = "<capture expr=\"x->y\" as=\"v\"/>\n<expect capture=\"v\" equals=\"1\"/>";
  std::vector<Hit> broken = {make_hit("f", 0, {"f"}, {}, {error_of("v", "There is no member named y.")}),
                             make_hit("f", 1, {"f"}, {}, {error_of("v", "There is no member named y.")})};
  ExpectationResult error = run_one(body, broken);
  EXPECT_EQ(error.verdict, Verdict::Error);
  EXPECT_EQ(error.actual, "v: <error: There is no member named y.>");

  std::vector<Hit> one_readable = {make_hit("f", 0, {"f"}, {}, {error_of("v", "Cannot access memory")}),
                                   make_hit("f", 1, {"f"}, {}, {value_of("v", "2")})};
  ExpectationResult fail = run_one(body, one_readable);
  EXPECT_EQ(fail.verdict, Verdict::Fail);
  EXPECT_EQ(fail.actual, "2");  // the readable hit is the closer one
  EXPECT_EQ(fail.hit_index, 1);

  one_readable[1].captures = {value_of("v", "1")};
  EXPECT_EQ(run_one(body, one_readable).verdict, Verdict::Pass);
}

struct CountCase {
  const char* element;
  int hits;
  Verdict verdict;
  const char* expected;
};

const CountCase kCountCases[] = {
    {"<expect-hits exactly=\"1\"/>", 1, Verdict::Pass, "1"},
    {"<expect-hits exactly=\"1\"/>", 2, Verdict::Fail, "1"},
    {"<expect-hits exactly=\"0\"/>", 0, Verdict::Pass, "0"},
    {"<expect-hits at-least=\"1\"/>", 0, Verdict::Fail, "at least 1"},
    {"<expect-hits at-least=\"1\"/>", 3, Verdict::Pass, "at least 1"},
    {"<expect-hits at-most=\"2\"/>", 3, Verdict::Fail, "at most 2"},
    {"<expect-hits at-most=\"2\"/>", 0, Verdict::Pass, "at most 2"},
    {"<expect-hits at-least=\"1\" at-most=\"2\"/>", 2, Verdict::Pass, "1 to 2"},
};

class HitCountTable : public testing::TestWithParam<CountCase> {};

TEST_P(HitCountTable, Counts) {
  const CountCase& c = GetParam();
  std::vector<Hit> hits;
  hits.reserve(static_cast<std::size_t>(c.hits) + 1);
  for (int i = 0; i < c.hits; ++i) hits.push_back(make_hit("f", i, {"f"}));
  hits.push_back(make_hit("g", c.hits, {"g"}));  // another breakpoint's hit does not count
  ExpectationResult result = run_one(c.element, hits);
  EXPECT_EQ(result.verdict, c.verdict);
  EXPECT_EQ(result.kind, "hits");
  EXPECT_EQ(result.expected, c.expected);
  EXPECT_EQ(result.actual, std::to_string(c.hits));
}

INSTANTIATE_TEST_SUITE_P(Table, HitCountTable, testing::ValuesIn(kCountCases));

TEST(Matcher, ScenarioForOtherKernelsIsSkipped) {
  auto scenario = parse_scenario(
      "<scenario name=\"old\" kernel=\"&lt;5.0\"><guest program=\"p\"/>"
      "<breakpoint function=\"f\"><expect-hits at-least=\"1\"/></breakpoint></scenario>",
      "t.xml");
  ASSERT_TRUE(scenario.ok());
  ResolvedScenario resolved = resolve(*scenario, kKernel);
  EXPECT_FALSE(resolved.applies);
  EXPECT_TRUE(resolved.breakpoints.empty());
  auto results = evaluate(resolved, Trace{});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::Skipped);
  EXPECT_EQ(results[0].kind, "scenario");
  EXPECT_EQ(results[0].expected, "<5.0");
  EXPECT_EQ(results[0].actual, "6.1.0");
  EXPECT_EQ(overall_verdict(results), Verdict::Skipped);
}

TEST(Matcher, ResultsFollowTheFile) {
  auto results = run("<expect-hits at-least=\"1\"/>\n<expect-backtrace>f</expect-backtrace>\n"
                     "<expect-backtrace>g</expect-backtrace>",
                     {make_hit("f", 0, {"f"})});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].location, "t.xml:4");
  EXPECT_EQ(results[1].location, "t.xml:5");
  EXPECT_EQ(results[2].location, "t.xml:6");
  EXPECT_EQ(overall_verdict(results), Verdict::Fail);
}

TEST(Matcher, NeedsCallerArgs) {
  auto scenario = parse_scenario(
      "<scenario name=\"t\"><guest program=\"p\"/>"
      "<breakpoint function=\"a\"><expect arg=\"x\" equals=\"1\"/></breakpoint>"
      "<breakpoint function=\"b\"><expect-hit><expect arg=\"x\" frame=\"do_mount\" equals=\"1\"/></expect-hit>"
      "</breakpoint>"
      "<breakpoint function=\"c\"><expect arg=\"x\" frame=\"2\" equals=\"1\"/></breakpoint></scenario>",
      "t.xml");
  ASSERT_TRUE(scenario.ok()) << scenario.error().to_string();
  EXPECT_FALSE(needs_caller_args(scenario->breakpoints[0]));
  EXPECT_TRUE(needs_caller_args(scenario->breakpoints[1]));
  EXPECT_TRUE(needs_caller_args(scenario->breakpoints[2]));
}

TEST(Matcher, ExpectedFunctionsAreNamedOnceInFileOrderForTheKernelOnly) {
  auto scenario = parse_scenario(
      "<scenario name=\"t\"><guest program=\"p\"/>"
      "<breakpoint function=\"a\"><expect-backtrace>a copy_process kernel_clone</expect-backtrace>"
      "<expect-backtrace-without on=\"every\">ksys_unshare copy_process</expect-backtrace-without>"
      "<when kernel=\"&lt;5.10\"><expect-backtrace>_do_fork</expect-backtrace></when></breakpoint>"
      "<breakpoint function=\"b\"><capture expr=\"1\" as=\"c\"/><expect-hit>"
      "<expect arg=\"x\" frame=\"do_mount\" equals=\"1\"/><expect arg=\"y\" frame=\"2\" equals=\"1\"/>"
      "<expect capture=\"c\" equals=\"1\"/></expect-hit></breakpoint></scenario>",
      "t.xml");
  ASSERT_TRUE(scenario.ok()) << scenario.error().to_string();
  EXPECT_EQ(expected_functions(resolve(*scenario, kKernel)),
            (std::vector<std::string>{"a", "copy_process", "kernel_clone", "ksys_unshare", "do_mount"}));
  EXPECT_EQ(expected_functions(resolve(*scenario, *KernelVersion::parse("4.19.304"))),
            (std::vector<std::string>{"a", "copy_process", "kernel_clone", "ksys_unshare", "_do_fork", "do_mount"}));
}

}  // namespace
}  // namespace kh::trace
