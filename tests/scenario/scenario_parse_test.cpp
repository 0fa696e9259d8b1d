// Loading scenario files: the model of a full scenario, and every validation error with its line.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "trace/scenario.h"

namespace kh::trace {
namespace {

const std::filesystem::path kGoodDir = std::filesystem::path(KH_SOURCE_DIR) / "tests/scenario/good";

// All errors of a failed parse, one "file:line: message" per line.
std::string all_errors(const Result<Scenario>& result) {
  if (result.ok()) {
    return "(parsed without error)";
  }
  std::string text = result.error().to_string();
  for (const std::string& detail : result.error().details) text += "\n" + detail;
  return text;
}

TEST(ScenarioParse, EveryElementFieldByField) {
  auto loaded = load_scenario_file(kGoodDir / "every_element.xml");
  ASSERT_TRUE(loaded.ok()) << all_errors(loaded);
  const Scenario& s = *loaded;
  EXPECT_EQ(s.name, "every-element");
  EXPECT_EQ(s.description, "Uses every element and attribute once.");
  EXPECT_EQ(s.file, (kGoodDir / "every_element.xml").string());
  EXPECT_EQ(s.location, s.file + ":2");
  ASSERT_TRUE(s.kernels.has_value());
  EXPECT_EQ(s.kernels->text(), ">=4.19,<7.0");
  EXPECT_EQ(s.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(s.guest.program, "bin/unshare_then_mount_with_long_name");
  EXPECT_EQ(s.guest.comm, "unshare_then_mo");  // the file name, cut to 15 characters
  EXPECT_EQ(s.guest.args, (std::vector<std::string>{"-m", "/mount dir"}));
  EXPECT_EQ(s.guest.location, s.file + ":4");

  ASSERT_EQ(s.breakpoints.size(), 3u);
  const BreakpointSpec& mount = s.breakpoints[0];
  EXPECT_EQ(mount.name, "mount");
  EXPECT_EQ(mount.function, "do_mount");
  EXPECT_EQ(mount.scope, Scope::All);
  EXPECT_EQ(mount.condition, "flags != 0");
  EXPECT_TRUE(mount.when.empty());
  EXPECT_EQ(mount.location, s.file + ":8");
  ASSERT_EQ(mount.captures.size(), 2u);
  EXPECT_EQ(mount.captures[0].name, "dir");
  EXPECT_EQ(mount.captures[0].expr, "dir_name");
  EXPECT_EQ(mount.captures[1].name, "flags");  // no `as`: the expression names it
  EXPECT_EQ(mount.captures[1].location, s.file + ":10");
  ASSERT_EQ(mount.hit_counts.size(), 1u);
  EXPECT_EQ(mount.hit_counts[0].at_least, 1);
  EXPECT_EQ(mount.hit_counts[0].at_most, 4);

  ASSERT_EQ(mount.expectations.size(), 4u);
  const HitExpectation& dir = mount.expectations[0];
  EXPECT_EQ(dir.on, Quantifier::Every);
  EXPECT_FALSE(dir.grouped);
  ASSERT_EQ(dir.checks.size(), 1u);
  const auto& dir_check = std::get<ValueCheck>(dir.checks[0].body);
  EXPECT_EQ(dir_check.source, ValueCheck::Source::Capture);
  EXPECT_EQ(dir_check.name, "dir");
  ASSERT_EQ(dir_check.tests.size(), 1u);
  EXPECT_EQ(dir_check.tests[0].op, ValueOp::Matches);
  EXPECT_EQ(dir_check.tests[0].operand, "^/mount");

  const auto& flags = std::get<ValueCheck>(mount.expectations[1].checks[0].body);
  ASSERT_EQ(flags.tests.size(), 4u);
  EXPECT_EQ(flags.tests[0].op, ValueOp::Less);
  EXPECT_EQ(flags.tests[0].number, (GdbNumber{false, 0x100000}));
  EXPECT_EQ(flags.tests[1].op, ValueOp::GreaterEqual);
  EXPECT_EQ(flags.tests[2].op, ValueOp::BitsSet);
  EXPECT_EQ(flags.tests[2].number, (GdbNumber{false, 0x1000}));
  EXPECT_EQ(flags.tests[3].op, ValueOp::BitsClear);
  EXPECT_EQ(mount.expectations[1].on, Quantifier::Some);

  const auto& dev = std::get<ValueCheck>(mount.expectations[2].checks[0].body);
  EXPECT_EQ(dev.source, ValueCheck::Source::Arg);
  EXPECT_EQ(dev.name, "dev_name");
  EXPECT_EQ(dev.frame.level, 1);
  EXPECT_EQ(dev.tests[0].op, ValueOp::NotEquals);
  EXPECT_FALSE(dev.tests[0].number.has_value());

  const HitExpectation& group = mount.expectations[3];
  EXPECT_TRUE(group.grouped);
  EXPECT_EQ(group.on, Quantifier::Every);
  EXPECT_EQ(group.location, s.file + ":15");
  ASSERT_EQ(group.checks.size(), 2u);
  const auto& chain = std::get<BacktraceCheck>(group.checks[0].body);
  EXPECT_EQ(chain.functions, (std::vector<std::string>{"do_mount", "__do_sys_mount"}));
  EXPECT_TRUE(chain.contiguous);
  EXPECT_FALSE(chain.anchored);
  EXPECT_TRUE(group.checks[0].when.empty());
  ASSERT_EQ(group.checks[1].when.size(), 1u);
  EXPECT_EQ(group.checks[1].when[0].text(), "6.1");
  const auto& path_mount = std::get<ValueCheck>(group.checks[1].body);
  EXPECT_FALSE(path_mount.frame.level.has_value());
  EXPECT_EQ(path_mount.frame.function, "path_mount");
  EXPECT_EQ(path_mount.tests[0].operand, "/myproc");
  EXPECT_EQ(group.checks[1].location, s.file + ":18");

  const BreakpointSpec& old_fork = s.breakpoints[1];
  EXPECT_EQ(old_fork.name, "fork");
  EXPECT_EQ(old_fork.function, "_do_fork");
  EXPECT_EQ(old_fork.scope, Scope::Guest);
  ASSERT_EQ(old_fork.when.size(), 1u);
  EXPECT_EQ(old_fork.when[0].text(), "<5.10");

  const BreakpointSpec& new_fork = s.breakpoints[2];
  EXPECT_EQ(new_fork.function, "kernel_clone");
  ASSERT_EQ(new_fork.captures.size(), 1u);
  EXPECT_EQ(new_fork.captures[0].expr, "args->flags");
  ASSERT_EQ(new_fork.captures[0].when.size(), 1u);
  EXPECT_EQ(new_fork.captures[0].when[0].text(), ">=6.1");
  ASSERT_EQ(new_fork.expectations.size(), 2u);
  EXPECT_EQ(new_fork.expectations[0].when.size(), 1u);
  const auto& without = std::get<BacktraceWithoutCheck>(new_fork.expectations[1].checks[0].body);
  EXPECT_EQ(without.functions, (std::vector<std::string>{"ksys_unshare"}));
}

TEST(ScenarioParse, TraceMountExampleLoads) {
  auto loaded = load_scenario_file(kGoodDir / "trace_mount.xml");
  ASSERT_TRUE(loaded.ok()) << all_errors(loaded);
  EXPECT_EQ(loaded->guest.comm, "nsclone");
  const auto& newns = std::get<ValueCheck>(loaded->breakpoints[0].expectations.back().checks[0].body);
  EXPECT_EQ(newns.source, ValueCheck::Source::Capture);  // written with the example's `expr=`
  EXPECT_EQ(newns.name, "newns");
  EXPECT_EQ(loaded->breakpoints[0].captures[0].expr, "flags & 0x00020000");
}

TEST(ScenarioParse, MissingFileIsAnIoError) {
  auto loaded = load_scenario_file(kGoodDir / "no_such_file.xml");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, ErrorKind::Io);
}

// Same-named breakpoints and captures are fine when no kernel version has both.
TEST(ScenarioParse, SameNamesInDisjointVariants) {
  auto parsed = parse_scenario(R"(<scenario name="x">
  <guest program="p"/>
  <when kernel="&lt;5.10"><breakpoint name="fork" function="_do_fork"/></when>
  <when kernel="&gt;=5.10"><breakpoint name="fork" function="kernel_clone"/></when>
  <breakpoint function="f">
    <when kernel="4.19"><capture expr="a" as="c"/></when>
    <when kernel="6.1"><capture expr="b" as="c"/></when>
    <when kernel="4.19"><expect capture="c" equals="1"/></when>
    <expect-hit><when kernel="6.1"><expect capture="c" equals="2"/></when></expect-hit>
  </breakpoint>
</scenario>)",
                               "t.xml");
  EXPECT_TRUE(parsed.ok()) << all_errors(parsed);
}

struct BadCase {
  const char* name;
  const char* xml;
  const char* expected;  // a substring of one reported "file:line: message"
};

// Line 1 is <scenario>, line 2 the guest: the cases below put their fault on a known line.
const BadCase kBadCases[] = {
    {"malformed_xml", "<scenario name=\"x\">\n<guest program=\"p\">\n</scenario>\n",
     "t.xml:3: malformed XML: Start-end tags mismatch"},
    {"not_xml", "hello", "t.xml:1: no <scenario> element"},
    {"text_after_root", "<scenario name=\"x\"/>\n<guest", "t.xml:2: malformed XML"},
    {"only_a_comment", "<!-- nothing -->\n", "t.xml:1: no <scenario> element"},
    {"wrong_root", "<scenarios name=\"x\"/>", "t.xml:1: the root element must be <scenario>, not <scenarios>"},
    {"unknown_attribute",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint fuction=\"copy_mnt_ns\"/>\n</scenario>",
     "t.xml:3: unknown attribute 'fuction' on <breakpoint> (did you mean 'function'?)"},
    {"missing_function", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint fuction=\"copy_mnt_ns\"/>\n</scenario>",
     "t.xml:3: missing attribute 'function' on <breakpoint>"},
    {"attribute_on_its_own_line",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint\n  function=\"f\"\n  scpe=\"all\"/>\n</scenario>",
     "t.xml:5: unknown attribute 'scpe' on <breakpoint> (did you mean 'scope'?)"},
    {"unknown_element", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<brakpoint function=\"f\"/>\n</scenario>",
     "t.xml:3: unknown element <brakpoint> in <scenario> (did you mean <breakpoint>?)"},
    {"element_in_wrong_place",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<guest program=\"q\"/>\n"
     "</breakpoint>\n</scenario>",
     "t.xml:4: element <guest> is not allowed in <breakpoint>"},
    {"text_in_breakpoint",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\ncopy_mnt_ns\n</breakpoint>\n</scenario>",
     "t.xml:3: unexpected text 'copy_mnt_ns' in <breakpoint>"},
    {"missing_guest", "<scenario name=\"x\">\n<breakpoint function=\"f\"/>\n</scenario>",
     "t.xml:1: missing <guest> element in <scenario>"},
    {"two_guests",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<guest program=\"q\"/>\n<breakpoint function=\"f\"/>\n</scenario>",
     "t.xml:3: more than one <guest> in <scenario>"},
    {"missing_program", "<scenario name=\"x\">\n<guest/>\n<breakpoint function=\"f\"/>\n</scenario>",
     "t.xml:2: <guest> needs one of program=, source= (or <source> children), binary= or command="},
    {"duplicate_attribute",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\"\n function=\"g\"/>\n</scenario>",
     "t.xml:4: duplicate attribute 'function' on <breakpoint>"},
    {"empty_program", "<scenario name=\"x\">\n<guest program=\" \"/>\n<breakpoint function=\"f\"/>\n</scenario>",
     "t.xml:2: attribute 'program' on <guest> is empty"},
    {"missing_name", "<scenario>\n<guest program=\"p\"/>\n<breakpoint function=\"f\"/>\n</scenario>",
     "t.xml:1: missing attribute 'name' on <scenario>"},
    {"no_breakpoint", "<scenario name=\"x\">\n<guest program=\"p\"/>\n</scenario>",
     "t.xml:1: no <breakpoint> in <scenario>"},
    {"bad_regex",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<capture expr=\"e\" as=\"c\"/>\n"
     "<expect capture=\"c\" matches=\"a(b\"/>\n</breakpoint>\n</scenario>",
     "t.xml:5: bad regular expression 'a(b' in attribute 'matches' on <expect>"},
    {"bad_when_range",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<when kernel=\"&lt;5.x\">\n"
     "<expect-hits at-least=\"1\"/>\n</when>\n</breakpoint>\n</scenario>",
     "t.xml:4: bad kernel version range '<5.x'"},
    {"bad_scenario_range", "<scenario name=\"x\"\n kernel=\"newest\">\n<guest program=\"p\"/>\n"
                           "<breakpoint function=\"f\"/>\n</scenario>",
     "t.xml:2: bad kernel version range 'newest'"},
    {"empty_scenario_range",
     "<scenario name=\"x\" kernel=\"&gt;=6.0,&lt;5.0\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\"/>\n</scenario>",
     "t.xml:1: kernel range '>=6.0,<5.0' on <scenario> matches no kernel version"},
    {"duplicate_breakpoint",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\"/>\n<breakpoint function=\"f\"/>\n</scenario>",
     "t.xml:4: duplicate breakpoint name 'f' (first defined at t.xml:3)"},
    {"duplicate_breakpoint_by_name",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint name=\"b\" function=\"f\"/>\n"
     "<breakpoint name=\"b\" function=\"g\"/>\n</scenario>",
     "t.xml:4: duplicate breakpoint name 'b' (first defined at t.xml:3)"},
    {"duplicate_breakpoint_in_overlapping_variants",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<when kernel=\"&gt;=5.0\"><breakpoint function=\"f\"/></when>\n"
     "<when kernel=\"&lt;5.10\"><breakpoint function=\"f\"/></when>\n</scenario>",
     "t.xml:4: duplicate breakpoint name 'f' (first defined at t.xml:3) on kernel 5.0.0"},
    {"duplicate_capture",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<capture expr=\"a\" as=\"c\"/>\n"
     "<capture expr=\"b\" as=\"c\"/>\n</breakpoint>\n</scenario>",
     "t.xml:5: duplicate capture name 'c' in breakpoint 'f' (first defined at t.xml:4)"},
    {"unknown_capture",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<capture expr=\"a\" as=\"newns\"/>\n"
     "<expect expr=\"nwens\" not-equals=\"0\"/>\n</breakpoint>\n</scenario>",
     "t.xml:5: <expect> names unknown capture 'nwens' in breakpoint 'f' (did you mean 'newns'?)"},
    {"unknown_capture_no_captures",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<expect-hit>\n"
     "<expect capture=\"c\" equals=\"1\"/>\n</expect-hit>\n</breakpoint>\n</scenario>",
     "t.xml:5: <expect> names unknown capture 'c' in breakpoint 'f' (it has no <capture>)"},
    {"capture_of_another_variant",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n"
     "<when kernel=\"&lt;5.10\"><capture expr=\"a\" as=\"c\"/></when>\n<expect capture=\"c\" equals=\"1\"/>\n"
     "</breakpoint>\n</scenario>",
     "t.xml:5: <expect> names unknown capture 'c' in breakpoint 'f' (it has no <capture>) on kernel 5.10.0"},
    {"equals_and_matches",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<capture expr=\"a\" as=\"c\"/>\n"
     "<expect capture=\"c\" equals=\"1\" matches=\"1\"/>\n</breakpoint>\n</scenario>",
     "t.xml:5: conflicting attributes 'equals' and 'matches' on <expect>"},
    {"equals_and_lt",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<capture expr=\"a\" as=\"c\"/>\n"
     "<expect capture=\"c\" lt=\"3\" equals=\"1\"/>\n</breakpoint>\n</scenario>",
     "t.xml:5: conflicting attributes 'equals' and 'lt' on <expect>"},
    {"lt_and_le",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<capture expr=\"a\" as=\"c\"/>\n"
     "<expect capture=\"c\" lt=\"3\" le=\"1\"/>\n</breakpoint>\n</scenario>",
     "t.xml:5: conflicting attributes 'lt' and 'le' on <expect>"},
    {"capture_and_arg",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<capture expr=\"a\" as=\"c\"/>\n"
     "<expect capture=\"c\" arg=\"flags\" equals=\"1\"/>\n</breakpoint>\n</scenario>",
     "t.xml:5: conflicting attributes 'capture' and 'arg' on <expect>"},
    {"no_subject", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<expect equals=\"1\"/>\n"
                   "</breakpoint>\n</scenario>",
     "t.xml:4: <expect> needs 'capture' (or 'expr') naming a capture, or 'arg' naming a frame argument"},
    {"no_comparison",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<expect arg=\"flags\"/>\n"
     "</breakpoint>\n</scenario>",
     "t.xml:4: <expect> has no comparison"},
    {"frame_without_arg",
     "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<capture expr=\"a\" as=\"c\"/>\n"
     "<expect capture=\"c\" frame=\"1\" equals=\"1\"/>\n</breakpoint>\n</scenario>",
     "t.xml:5: attribute 'frame' on <expect> only applies with 'arg'"},
    {"bad_number", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n"
                   "<expect arg=\"flags\" gt=\"12abc\"/>\n</breakpoint>\n</scenario>",
     "t.xml:4: bad number '12abc' in attribute 'gt' on <expect> (expected decimal or 0x hex)"},
    {"bad_hex_number", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n"
                       "<expect arg=\"flags\" bits-set=\"0xZZ\"/>\n</breakpoint>\n</scenario>",
     "t.xml:4: bad number '0xZZ' in attribute 'bits-set' on <expect>"},
    {"bad_count", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n"
                  "<expect-hits at-least=\"-1\"/>\n</breakpoint>\n</scenario>",
     "t.xml:4: bad count '-1' in attribute 'at-least' on <expect-hits> (expected a non-negative integer)"},
    {"exactly_and_at_most", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n"
                            "<expect-hits exactly=\"1\" at-most=\"2\"/>\n</breakpoint>\n</scenario>",
     "t.xml:4: conflicting attributes 'exactly' and 'at-most' on <expect-hits>"},
    {"at_least_above_at_most", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n"
                               "<expect-hits at-least=\"3\" at-most=\"2\"/>\n</breakpoint>\n</scenario>",
     "t.xml:4: at-least 3 is greater than at-most 2 on <expect-hits>"},
    {"empty_hit_count", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n"
                        "<expect-hits/>\n</breakpoint>\n</scenario>",
     "t.xml:4: <expect-hits> needs 'exactly', 'at-least' or 'at-most'"},
    {"bad_timeout", "<scenario name=\"x\" timeout=\"5 minutes\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\"/>\n"
                    "</scenario>",
     "t.xml:1: bad timeout '5 minutes' on <scenario>"},
    {"bad_scope", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\" scope=\"everything\"/>\n"
                  "</scenario>",
     "t.xml:3: bad value 'everything' for attribute 'scope' on <breakpoint> (expected guest or all)"},
    {"bad_quantifier", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n"
                       "<expect-backtrace on=\"all\">f</expect-backtrace>\n</breakpoint>\n</scenario>",
     "t.xml:4: bad value 'all' for attribute 'on' on <expect-backtrace> (expected some or every)"},
    {"bad_bool", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n"
                 "<expect-backtrace anchored=\"yes\">f</expect-backtrace>\n</breakpoint>\n</scenario>",
     "t.xml:4: bad value 'yes' for attribute 'anchored' on <expect-backtrace> (expected true or false)"},
    {"on_inside_group", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<expect-hit>\n"
                        "<expect-backtrace on=\"every\">f</expect-backtrace>\n</expect-hit>\n</breakpoint>\n</scenario>",
     "t.xml:5: attribute 'on' is not allowed on <expect-backtrace> inside <expect-hit>"},
    {"empty_group", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n<expect-hit/>\n"
                    "</breakpoint>\n</scenario>",
     "t.xml:4: <expect-hit> holds no expectation"},
    {"empty_backtrace", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n"
                        "<expect-backtrace>  </expect-backtrace>\n</breakpoint>\n</scenario>",
     "t.xml:4: <expect-backtrace> lists no function"},
    {"bad_scenario_name", "<scenario name=\"trace mount\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\"/>\n"
                          "</scenario>",
     "t.xml:1: bad scenario name 'trace mount'"},
    {"when_without_kernel", "<scenario name=\"x\">\n<guest program=\"p\"/>\n<when>\n<breakpoint function=\"f\"/>\n"
                            "</when>\n</scenario>",
     "t.xml:3: missing attribute 'kernel' on <when>"},
};

class ScenarioBadInput : public testing::TestWithParam<BadCase> {};

TEST_P(ScenarioBadInput, ReportsFileAndLine) {
  const BadCase& bad = GetParam();
  auto parsed = parse_scenario(bad.xml, "t.xml");
  ASSERT_FALSE(parsed.ok()) << "accepted:\n" << bad.xml;
  EXPECT_EQ(parsed.error().kind, ErrorKind::Config);
  EXPECT_NE(all_errors(parsed).find(bad.expected), std::string::npos)
      << "expected: " << bad.expected << "\ngot:\n" << all_errors(parsed);
}

INSTANTIATE_TEST_SUITE_P(Table, ScenarioBadInput, testing::ValuesIn(kBadCases),
                         [](const testing::TestParamInfo<BadCase>& param_info) { return std::string(param_info.param.name); });

TEST(ScenarioParse, ReportsEveryErrorFirstOneInMessage) {
  auto parsed = parse_scenario(
      "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint fuction=\"f\"/>\n"
      "<breakpoint function=\"g\">\n<expect arg=\"a\" gt=\"x\"/>\n</breakpoint>\n</scenario>",
      "dir/t.xml");
  ASSERT_FALSE(parsed.ok());
  const Error& error = parsed.error();
  EXPECT_EQ(error.location, "dir/t.xml:3");
  EXPECT_EQ(error.message, "unknown attribute 'fuction' on <breakpoint> (did you mean 'function'?)");
  ASSERT_EQ(error.details.size(), 2u);
  EXPECT_EQ(error.details[0], "dir/t.xml:3: missing attribute 'function' on <breakpoint>");
  EXPECT_EQ(error.details[1],
            "dir/t.xml:5: bad number 'x' in attribute 'gt' on <expect> (expected decimal or 0x hex)");
}

TEST(ScenarioParse, AcceptsSchemaAttributesOnTheRoot) {
  auto parsed = parse_scenario(
      R"(<scenario name="x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          xsi:noNamespaceSchemaLocation="scenario.xsd"><guest program="p"/><breakpoint function="f"/></scenario>)",
      "t.xml");
  EXPECT_TRUE(parsed.ok()) << all_errors(parsed);
}

TEST(ScenarioParse, DefaultsAndArrowsInBacktraces) {
  auto parsed = parse_scenario(R"(<scenario name="x"><guest program="mnt_ns_clone"/>
<breakpoint function="f"><expect-backtrace>a &lt;- b &lt;- c</expect-backtrace></breakpoint></scenario>)",
                               "t.xml");
  ASSERT_TRUE(parsed.ok()) << all_errors(parsed);
  EXPECT_EQ(parsed->timeout, std::chrono::seconds(60));
  EXPECT_FALSE(parsed->kernels.has_value());
  EXPECT_EQ(parsed->guest.comm, "mnt_ns_clone");
  EXPECT_EQ(parsed->breakpoints[0].scope, Scope::Guest);
  EXPECT_EQ(parsed->breakpoints[0].name, "f");
  const auto& chain = std::get<BacktraceCheck>(parsed->breakpoints[0].expectations[0].checks[0].body);
  EXPECT_EQ(chain.functions, (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace kh::trace
