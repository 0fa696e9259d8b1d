// Every product scenario, run for real by the trace engine on Debian's 6.1 kernel under TCG (from
// the kernel cache; the first run builds it): each expectation passes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/trace_engine.h"

namespace kh::test {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> scenario_files() {
  std::vector<fs::path> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(KH_SOURCE_DIR) / "scenarios", error)) {
    if (entry.path().extension() == ".xml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string describe(const trace::RunReport& run) {
  std::string text = fmt::format("{} on {}: {} {}\n", run.scenario, run.kernel_release, trace::to_string(run.verdict),
                                 run.detail);
  for (const trace::ExpectationResult& result : run.results) {
    text += fmt::format("  {} {} [{}] {}\n    expected {}\n    actual   {}\n", trace::to_string(result.verdict),
                        result.location, result.breakpoint, result.description, result.expected, result.actual);
  }
  for (const std::string& line : run.evidence) {
    text += "  evidence: " + line + "\n";
  }
  for (const std::string& line : run.serial_tail) {
    text += "  serial: " + line + "\n";
  }
  return text;
}

class ScenarioVmTest : public testing::TestWithParam<fs::path> {};

TEST_P(ScenarioVmTest, PassesOnDebian61) {
  engine::RunOptions options;
  options.scenario = GetParam();
  options.accel = vm::Accel::Tcg;
  trace::RunReport run = engine::run_scenario(options);
  ASSERT_EQ(run.verdict, trace::Verdict::Pass) << describe(run);
  EXPECT_FALSE(run.results.empty());
  for (const trace::ExpectationResult& result : run.results) {
    EXPECT_EQ(result.verdict, trace::Verdict::Pass) << result.location << " " << result.description;
  }
  // The guest itself saw what Linux documents.
  ASSERT_TRUE(run.guest_exit_status.has_value()) << describe(run);
  EXPECT_EQ(*run.guest_exit_status, 0) << describe(run);
}

std::string test_name(const testing::TestParamInfo<fs::path>& info) {
  std::string name = info.param.stem().string();
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(ProductScenarios, ScenarioVmTest, testing::ValuesIn(scenario_files()), test_name);

}  // namespace
}  // namespace kh::test
