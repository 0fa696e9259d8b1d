// Every scenario under tests/scenario/good and scenarios/ loads and validates against
// scenarios/scenario.xsd, so that editors using the schema and kharness agree. The xmllint half
// needs libxml2-utils and is skipped without it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "trace/scenario.h"

namespace kh::trace {
namespace {

const std::filesystem::path kSource = KH_SOURCE_DIR;
const std::filesystem::path kSchema = kSource / "scenarios/scenario.xsd";

// The .xml files of the test inputs and of the product scenarios.
std::vector<std::filesystem::path> good_scenarios() {
  std::vector<std::filesystem::path> files;
  for (const char* dir : {"tests/scenario/good", "scenarios"}) {
    for (const auto& entry : std::filesystem::directory_iterator(kSource / dir)) {
      if (entry.path().extension() == ".xml") files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// xmllint's verdict on a file, or nullopt when xmllint is not installed.
std::optional<CommandOutput> xmllint(const std::filesystem::path& file) {
  ChildSpec spec;
  spec.argv = {"xmllint", "--noout", "--schema", kSchema.string(), file.string()};
  auto output = run_command(spec, Deadline::in(std::chrono::seconds(30)));
  if (!output.ok()) {
    if (output.error().kind == ErrorKind::Process) return std::nullopt;
    ADD_FAILURE() << output.error().to_string();
    return std::nullopt;
  }
  return *output;
}

TEST(ScenarioSchema, GoodScenariosLoad) {
  auto files = good_scenarios();
  ASSERT_FALSE(files.empty());
  for (const auto& file : files) {
    auto loaded = load_scenario_file(file);
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().to_string());
  }
}

TEST(ScenarioSchema, GoodScenariosValidate) {
  for (const auto& file : good_scenarios()) {
    auto output = xmllint(file);
    if (!output) GTEST_SKIP() << "xmllint not installed (Debian package libxml2-utils)";
    EXPECT_EQ(output->exit_code, 0) << file << ":\n" << output->output;
  }
}

// The schema is not a rubber stamp: the mistakes both it and the loader catch fail it too.
TEST(ScenarioSchema, RejectsWhatTheLoaderRejects) {
  const char* bad_files[] = {
      R"(<scenario name="x"><guest program="p"/><breakpoint fuction="f"/></scenario>)",
      R"(<scenario name="x"><guest program="p"/><brakpoint function="f"/></scenario>)",
      R"(<scenario name="x"><guest program="p"/><breakpoint function="f" scope="any"/></scenario>)",
      R"(<scenario name="x"><guest program="p"/><breakpoint function="f"><expect arg="a" gt="1x"/></breakpoint></scenario>)",
      R"(<scenario name="x"><guest program="p"/><breakpoint function="f"><expect-hit><expect-backtrace on="every">a</expect-backtrace></expect-hit></breakpoint></scenario>)",
      R"(<scenario name="x"><guest program="p"/><when kernel="5.x"><breakpoint function="f"/></when></scenario>)",
  };
  auto dir = TempDir::create("kh-scenario-xsd-");
  ASSERT_TRUE(dir.ok());
  int index = 0;
  for (const char* xml : bad_files) {
    std::filesystem::path file = dir->path() / fmt::format("bad{}.xml", index++);
    std::ofstream(file) << xml;
    EXPECT_FALSE(parse_scenario(xml, file.string()).ok()) << xml;
    auto output = xmllint(file);
    if (!output) GTEST_SKIP() << "xmllint not installed (Debian package libxml2-utils)";
    EXPECT_NE(output->exit_code, 0) << xml;
  }
}

}  // namespace
}  // namespace kh::trace
