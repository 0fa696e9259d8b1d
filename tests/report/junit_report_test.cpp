#include "report/junit_report.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "report/sample_reports.h"

namespace kh::report {
namespace {

using nlohmann::json;

// Reads a JUnit file with Debian's python3-junitparser (what CI tools use) and prints what it
// saw as JSON: the document's counts, and per suite its counts and time, the counts junitparser
// computes from the test cases, the cases with their results, and <system-out>.
constexpr const char* kReadWithJunitparser = R"(
import json, sys
from junitparser import JUnitXml
document = JUnitXml.fromfile(sys.argv[1])
suites = []
for suite in document:
    declared = [suite.tests, suite.failures, suite.errors, suite.skipped]
    time = suite.time
    cases = [{"classname": case.classname, "name": case.name,
              "results": [{"kind": type(r).__name__, "message": r.message, "type": r.type, "text": r.text}
                          for r in case.result]} for case in suite]
    system_out = suite._elem.find("system-out")
    suite.update_statistics()
    suites.append({"name": suite.name, "declared": declared,
                   "counted": [suite.tests, suite.failures, suite.errors, suite.skipped],
                   "time": time, "cases": cases,
                   "system_out": None if system_out is None else system_out.text})
print(json.dumps({"totals": [document.tests, document.failures, document.errors, document.skipped],
                  "suites": suites}))
)";

json read_with_junitparser(const std::filesystem::path& path) {
  ChildSpec spec;
  // Debian's python: the first python3 on PATH may be a pyenv one without the module.
  spec.argv = {"/usr/bin/python3", "-c", kReadWithJunitparser, path.string()};
  auto output = run_command(spec, Deadline::in(std::chrono::seconds(60)));
  if (!output.ok()) {
    ADD_FAILURE() << output.error().to_string();
    return json();
  }
  if (output->exit_code != 0) {
    ADD_FAILURE() << "junitparser failed:\n" << output->output;
    return json();
  }
  return json::parse(output->output);
}

std::vector<trace::RunReport> regression_run() {
  return {testing::failing_report_419(), testing::timeout_report_61(), testing::infra_report(),
          testing::skipped_report_419()};
}

TEST(JunitReport, JunitparserReadsSuitesCasesAndCounts) {
  auto dir = TempDir::create("kh-junit-test-");
  ASSERT_TRUE(dir.ok());
  std::filesystem::path path = dir->path() / "junit.xml";
  Status written = write_junit_report(regression_run(), path);
  ASSERT_TRUE(written.ok()) << written.error().to_string();

  json seen = read_with_junitparser(path);
  ASSERT_TRUE(seen.is_object());
  EXPECT_EQ(seen["totals"], json({9, 1, 2, 1}));
  ASSERT_EQ(seen["suites"].size(), 4U);

  struct SuiteExpectation {
    std::string name;
    std::vector<int> counts;  // tests, failures, errors, skipped
    double time;
  };
  const std::vector<SuiteExpectation> suites = {
      {"trace-mount [4.19.304]", {6, 1, 0, 0}, 2.47},
      {"trace-mount [6.1.0]", {1, 0, 1, 0}, 62.0},  // its wall time
      {"bind-mount", {1, 0, 1, 0}, 0.39},
      {"trace-mount-6x", {1, 0, 0, 1}, 0.22},
  };
  for (std::size_t i = 0; i < suites.size(); ++i) {
    const json& suite = seen["suites"][i];
    SCOPED_TRACE(suites[i].name);
    EXPECT_EQ(suite["name"], suites[i].name);
    EXPECT_EQ(suite["declared"], json(suites[i].counts));
    EXPECT_EQ(suite["counted"], json(suites[i].counts));
    EXPECT_NEAR(suite["time"].get<double>(), suites[i].time, 1e-9);
    for (const json& testcase : suite["cases"]) {
      EXPECT_EQ(testcase["classname"], suites[i].name);
    }
  }

  const json& fail_cases = seen["suites"][0]["cases"];
  ASSERT_EQ(fail_cases.size(), 6U);
  EXPECT_EQ(fail_cases[0]["name"], "copy_mnt_ns: copy_mnt_ns is hit exactly 1 time(s)");
  EXPECT_EQ(fail_cases[0]["results"], json::array());
  const json& failure = fail_cases[2];
  EXPECT_EQ(failure["name"], "copy_mnt_ns: backtrace has copy_process <- kernel_clone <- __do_sys_clone");
  ASSERT_EQ(failure["results"].size(), 1U);
  EXPECT_EQ(failure["results"][0]["kind"], "Failure");
  EXPECT_EQ(failure["results"][0]["type"], "FAIL");
  EXPECT_EQ(failure["results"][0]["message"],
            "expected: copy_process <- kernel_clone <- __do_sys_clone; actual: copy_mnt_ns <- "
            "create_new_namespaces "
            "<- copy_namespaces <- copy_process <- _do_fork <- __do_sys_clone <- __se_sys_clone <- "
            "__x64_sys_clone <- "
            "do_syscall_64 <- entry_SYSCALL_64");
  std::string text = failure["results"][0]["text"];
  EXPECT_NE(text.find("\nexpected: copy_process <- kernel_clone <- __do_sys_clone\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("\nat:       scenarios/trace_mount.xml:19\n"), std::string::npos) << text;
  EXPECT_NE(seen["suites"][0]["system_out"].get<std::string>().find("KH: exit=0"), std::string::npos);

  const json& timeout = seen["suites"][1]["cases"][0];
  EXPECT_EQ(timeout["name"], "run");
  EXPECT_EQ(timeout["results"][0]["kind"], "Error");
  EXPECT_EQ(timeout["results"][0]["type"], "TIMEOUT");
  EXPECT_EQ(timeout["results"][0]["message"],
            "timeout in phase guest: the guest did not power off within 60 s");
  std::string evidence = timeout["results"][0]["text"];
  EXPECT_NE(evidence.find("  gdb: ^error,msg=\"The program is not being run.\"\n"), std::string::npos)
      << evidence;
  EXPECT_NE(evidence.find("  reboot: Power down\n"), std::string::npos) << evidence;

  const json& infra = seen["suites"][2]["cases"][0];
  EXPECT_EQ(infra["results"][0]["type"], "INFRA");
  EXPECT_EQ(infra["results"][0]["message"], "qemu-system-x86_64 (pid 4242) exited with status 1");
  EXPECT_TRUE(seen["suites"][2]["system_out"].is_null());

  const json& skipped = seen["suites"][3]["cases"][0];
  EXPECT_EQ(skipped["name"], "scenario trace-mount-6x applies to kernels >=5.10");
  EXPECT_EQ(skipped["results"][0]["kind"], "Skipped");
}

TEST(JunitReport, OneRunPerScenarioKeepsThePlainName) {
  std::string xml = junit_xml({testing::passing_report_419(), testing::infra_report()});
  EXPECT_NE(xml.find("<testsuite name=\"trace-mount\" tests=\"6\" failures=\"0\" errors=\"0\" skipped=\"0\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase classname=\"trace-mount\" name=\"copy_mnt_ns: newns != 0\" />"),
            std::string::npos);
}

// A run that broke after the matcher ran still says why, next to the expectation results.
TEST(JunitReport, BrokenRunWithResultsGetsARunCase) {
  trace::RunReport report = testing::passing_report_419();
  report.verdict = trace::Verdict::Infra;
  report.phase = "poweroff";
  report.detail = "gdb (pid 77) killed by signal 11";
  std::string xml = junit_xml({report});
  EXPECT_NE(xml.find("tests=\"7\" failures=\"0\" errors=\"1\""), std::string::npos) << xml;
  EXPECT_NE(
      xml.find("<error message=\"gdb (pid 77) killed by signal 11\" type=\"INFRA\">INFRA in phase poweroff"),
      std::string::npos)
      << xml;
}

TEST(JunitReport, SerialGarbageStaysValidXml) {
  trace::RunReport report = testing::timeout_report_61();
  report.serial_log =
      "\x1b"
      "c\x1b[0mSeaBIOS\r\n\xff\xfe broken \x01 bytes\n\xed\xa0\x80 surrogate\n";
  report.detail = "gdb said \x1b[31mno\x1b[0m";
  auto dir = TempDir::create("kh-junit-test-");
  ASSERT_TRUE(dir.ok());
  std::filesystem::path path = dir->path() / "junit.xml";
  ASSERT_TRUE(write_junit_report({report}, path).ok());
  json seen = read_with_junitparser(path);
  ASSERT_TRUE(seen.is_object());
  EXPECT_EQ(seen["suites"][0]["system_out"],
            "^[c^[[0mSeaBIOS\n\xEF\xBF\xBD\xEF\xBF\xBD broken ^A bytes\n\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
            "surrogate\n");
  EXPECT_EQ(seen["suites"][0]["cases"][0]["results"][0]["message"], "gdb said ^[[31mno^[[0m");
}

struct XmlTextCase {
  std::string input;
  std::string expected;
};

TEST(XmlText, KeepsUtf8AndReplacesWhatXmlForbids) {
  const std::vector<XmlTextCase> cases = {
      {"plain \"text\" <tag> & more", "plain \"text\" <tag> & more"},  // pugixml escapes these itself
      {"tab\tnewline\ncr\r", "tab\tnewline\ncr\r"},
      {"\x1b"
       "c",
       "^[c"},
      {std::string("nul\0byte", 8), "nul^@byte"},
      {"del\x7f", "del^?"},
      {"caf\xc3\xa9 \xe2\x86\x90 \xf0\x9f\x90\xa7", "caf\xc3\xa9 \xe2\x86\x90 \xf0\x9f\x90\xa7"},
      {"\xc3", "\xEF\xBF\xBD"},                  // cut short
      {"\xc0\xaf", "\xEF\xBF\xBD\xEF\xBF\xBD"},  // overlong '/'
      {"\xef\xbf\xbe", "\xEF\xBF\xBD"},          // U+FFFE is not a character
  };
  for (const XmlTextCase& c : cases) {
    EXPECT_EQ(xml_text(c.input), c.expected) << c.input;
  }
}

}  // namespace
}  // namespace kh::report
