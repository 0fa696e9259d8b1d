// The product scenarios (scenarios/*.xml): each loads, validates against the XSD, resolves for the
// supported kernels, uses what it captures, runs an existing guest program, and only breaks on
// kernel functions that tests/scenarios/kernel_functions.txt says a kharness kernel provides.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/kernel_version.h"
#include "scenarios/kernel_function_list.h"
#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::test {
namespace {

namespace fs = std::filesystem;

const fs::path kScenarioDir = fs::path(KH_SOURCE_DIR) / "scenarios";
const fs::path kFunctionList = fs::path(KH_SOURCE_DIR) / "tests" / "scenarios" / "kernel_functions.txt";

// The kernels the scenarios are written for: the fixtures' 4.19 and 6.1, Debian's 6.12, and the
// other long-term lines in between (kernel_versions_test checks each line's function names).
const std::vector<std::string> kSupportedKernels = {"4.19.304", "5.4.294", "5.10.238", "5.15.135",
                                                    "6.1.192",  "6.6.93",  "6.12.117"};

// The experiments of the seeds (BRIEF.md, "The seeds"), one scenario each.
const std::vector<std::string> kSeedExperiments = {"trace-mount", "unshare-mount", "bind-mount",
                                                   "propagation", "pivot-root",    "setns-mount"};

std::vector<fs::path> scenario_files() {
  std::vector<fs::path> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(kScenarioDir, error)) {
    if (entry.path().extension() == ".xml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

KernelVersion version(const std::string& text) {
  Result<KernelVersion> parsed = KernelVersion::parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? parsed.value() : KernelVersion{};
}

// Every capture name an expectation of the breakpoint reads.
std::set<std::string> captures_read(const trace::BreakpointSpec& breakpoint) {
  std::set<std::string> names;
  for (const trace::HitExpectation& expectation : breakpoint.expectations) {
    for (const trace::Check& check : expectation.checks) {
      if (const auto* value = std::get_if<trace::ValueCheck>(&check.body);
          value != nullptr && value->source == trace::ValueCheck::Source::Capture) {
        names.insert(value->name);
      }
    }
  }
  return names;
}

TEST(ScenarioFiles, EverySeedExperimentHasAScenario) {
  std::set<std::string> names;
  for (const fs::path& file : scenario_files()) {
    names.insert(file.stem().string());
  }
  for (const std::string& experiment : kSeedExperiments) {
    EXPECT_EQ(names.count(experiment), 1U) << "no scenarios/" << experiment << ".xml";
  }
}

// The seed experiments' guest programs (guest-programs/; hit_loop there is kharness's own).
const std::vector<std::string> kSeedGuestPrograms = {"mnt_ns_clone", "unshare_mnt", "bind_mount",
                                                     "propagation",  "pivot_root",  "setns_mnt"};

TEST(ScenarioFiles, EverySeedGuestProgramIsTraced) {
  std::set<std::string> traced;
  for (const fs::path& file : scenario_files()) {
    Result<trace::Scenario> scenario = trace::load_scenario_file(file);
    if (scenario.ok()) {
      traced.insert(scenario->guest.program);
    }
  }
  for (const std::string& program : kSeedGuestPrograms) {
    EXPECT_TRUE(fs::exists(fs::path(KH_SOURCE_DIR) / "guest-programs" / (program + ".c"))) << program;
    EXPECT_EQ(traced.count(program), 1U) << "no scenario runs guest-programs/" << program << ".c";
  }
}

TEST(KernelFunctionList, ParsesNamesAndRanges) {
  Result<std::vector<KernelFunction>> list =
      parse_kernel_function_list("# comment\n\ncopy_mnt_ns\n_do_fork <5.10  # renamed\nkernel_clone >=5.10\n",
                                 "list.txt");
  ASSERT_TRUE(list.ok()) << list.error().to_string();
  ASSERT_EQ(list->size(), 3U);
  EXPECT_EQ((*list)[1].location, "list.txt:4");
  EXPECT_EQ(functions_for(*list, version("4.19.304")), (std::vector<std::string>{"copy_mnt_ns", "_do_fork"}));
  EXPECT_EQ(functions_for(*list, version("6.1.192")), (std::vector<std::string>{"copy_mnt_ns", "kernel_clone"}));
  EXPECT_TRUE(lists(*list, "kernel_clone", version("5.10")));
  EXPECT_FALSE(lists(*list, "kernel_clone", version("5.9.16")));
  EXPECT_FALSE(lists(*list, "do_mount", version("6.1")));
}

TEST(KernelFunctionList, RejectsMalformedLinesWithTheirLine) {
  struct Case {
    const char* text;
    const char* location;
    const char* message;
  };
  const Case cases[] = {
      {"copy_mnt_ns\nkernel_clone >=5.10 extra\n", "list.txt:2", "found 3 words"},
      {"\n\n_do_fork <five\n", "list.txt:3", "bad kernel range '<five'"},
  };
  for (const Case& c : cases) {
    Result<std::vector<KernelFunction>> list = parse_kernel_function_list(c.text, "list.txt");
    ASSERT_FALSE(list.ok()) << c.text;
    EXPECT_EQ(list.error().location, c.location);
    EXPECT_NE(list.error().message.find(c.message), std::string::npos) << list.error().message;
  }
}

TEST(KernelFunctionList, TheProjectListParses) {
  Result<std::vector<KernelFunction>> list = read_kernel_function_list(kFunctionList);
  ASSERT_TRUE(list.ok()) << list.error().to_string();
  EXPECT_FALSE(list->empty());
}

class ScenarioFileTest : public testing::TestWithParam<fs::path> {};

TEST_P(ScenarioFileTest, LoadsWithItsFileName) {
  Result<trace::Scenario> scenario = trace::load_scenario_file(GetParam());
  ASSERT_TRUE(scenario.ok()) << scenario.error().to_string();
  EXPECT_EQ(scenario->name, GetParam().stem().string());
  EXPECT_FALSE(scenario->description.empty());
  EXPECT_FALSE(scenario->breakpoints.empty());
  EXPECT_TRUE(fs::exists(fs::path(KH_SOURCE_DIR) / "guest-programs" / (scenario->guest.program + ".c")))
      << "guest program " << scenario->guest.program;
}

TEST_P(ScenarioFileTest, ValidatesAgainstTheSchema) {
  ChildSpec spec;
  spec.argv = {"xmllint", "--noout", "--schema", (kScenarioDir / "scenario.xsd").string(), GetParam().string()};
  Result<CommandOutput> run = run_command(spec, Deadline::in(std::chrono::seconds(30)));
  if (!run.ok() && run.error().kind == ErrorKind::Process) {
    GTEST_SKIP() << "xmllint is not installed (package libxml2-utils)";
  }
  ASSERT_TRUE(run.ok()) << run.error().to_string();
  EXPECT_EQ(run->exit_code, 0) << run->output;
}

TEST_P(ScenarioFileTest, ResolvesForEverySupportedKernel) {
  Result<trace::Scenario> scenario = trace::load_scenario_file(GetParam());
  ASSERT_TRUE(scenario.ok()) << scenario.error().to_string();
  for (const std::string& kernel : kSupportedKernels) {
    SCOPED_TRACE("kernel " + kernel);
    trace::ResolvedScenario resolved = trace::resolve(*scenario, version(kernel));
    ASSERT_TRUE(resolved.applies);
    ASSERT_FALSE(resolved.breakpoints.empty());
    for (const trace::BreakpointSpec& breakpoint : resolved.breakpoints) {
      SCOPED_TRACE("breakpoint " + breakpoint.name + " (" + breakpoint.location + ")");
      // A breakpoint that checks nothing only slows the trace down.
      EXPECT_FALSE(breakpoint.expectations.empty() && breakpoint.hit_counts.empty());
      // Every capture costs a gdb round trip at every hit: each must be read by an expectation
      // (a mount list is there for the HTML report's mount tree).
      std::set<std::string> read = captures_read(breakpoint);
      for (const trace::CaptureSpec& capture : breakpoint.captures) {
        if (capture.kind == trace::CaptureKind::Mounts) continue;
        EXPECT_EQ(read.count(capture.name), 1U) << "capture '" << capture.name << "' (" << capture.location
                                                << ") is never checked";
      }
    }
  }
}

TEST_P(ScenarioFileTest, BreaksOnlyOnListedKernelFunctions) {
  Result<trace::Scenario> scenario = trace::load_scenario_file(GetParam());
  ASSERT_TRUE(scenario.ok()) << scenario.error().to_string();
  Result<std::vector<KernelFunction>> list = read_kernel_function_list(kFunctionList);
  ASSERT_TRUE(list.ok()) << list.error().to_string();
  for (const std::string& kernel : kSupportedKernels) {
    trace::ResolvedScenario resolved = trace::resolve(*scenario, version(kernel));
    for (const trace::BreakpointSpec& breakpoint : resolved.breakpoints) {
      EXPECT_TRUE(lists(*list, breakpoint.function, version(kernel)))
          << breakpoint.location << ": " << breakpoint.function << " is not in kernel_functions.txt for " << kernel;
    }
  }
}

std::string test_name(const testing::TestParamInfo<fs::path>& info) {
  std::string name = info.param.stem().string();
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(ProductScenarios, ScenarioFileTest, testing::ValuesIn(scenario_files()), test_name);

}  // namespace
}  // namespace kh::test
