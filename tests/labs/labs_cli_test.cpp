// Bad guests through the kharness binary: `run`, `shell` and `record` end with ERROR (exit 2) and
// the scenario's file:line before any kernel is chosen or booted, and leave no process behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/temp_dir.h"
#include "labs/lab_support.h"
#include "support/processes.h"

namespace kh {
namespace {

using labs_test::kharness;
using labs_test::scenario_text;
using labs_test::write_text;

class LabsCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { test_support::become_subreaper(); }

  void SetUp() override {
    auto dir = TempDir::create("kh-labs-cli-");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
  }

  void TearDown() override {
    EXPECT_TRUE(test_support::children_left().empty())
        << ::testing::PrintToString(test_support::children_left());
    // An empty cache of its own: nothing was built or downloaded into it but the guest's parts.
    std::error_code ec;
    EXPECT_FALSE(std::filesystem::exists(cache() / "kernels", ec));
    EXPECT_FALSE(std::filesystem::exists(cache() / "kernel-sources", ec));
  }

  std::filesystem::path cache() const { return dir_->path() / "cache"; }
  std::vector<std::pair<std::string, std::string>> env() const {
    return {{"KHARNESS_CACHE_DIR", cache().string()}};
  }

  std::filesystem::path scenario(const std::string& guest) {
    std::filesystem::path path = dir_->path() / "lab.xml";
    write_text(path, scenario_text(guest, {"do_mount"}));
    return path;
  }

  std::optional<TempDir> dir_;
};

struct CliCase {
  const char* name;
  const char* command;  // run, shell, record
  const char* guest;
  const char* expected;  // in the output
  int line;              // of the scenario, in the output
};

class LabsCliBadGuest : public LabsCliTest, public ::testing::WithParamInterface<CliCase> {};

TEST_P(LabsCliBadGuest, ErrorWithFileAndLineBeforeAnyKernel) {
  const CliCase& c = GetParam();
  write_text(dir_->path() / "broken.c", "int main(void) {\n  return undeclared_thing;\n}\n");
  std::filesystem::copy_file("/bin/ls", dir_->path() / "dynamic");
  std::filesystem::path file = scenario(c.guest);
  std::vector<std::string> args = {c.command, file.string()};
  if (std::string(c.command) == "record") {
    args.push_back("-o");
    args.push_back((dir_->path() / "out.xml").string());
  }
  auto out = kharness(args, env(), std::chrono::seconds(120));
  EXPECT_EQ(out.exit_code, 2) << out.output;
  EXPECT_NE(out.output.find(c.expected), std::string::npos) << out.output;
  EXPECT_NE(out.output.find(file.string() + ":" + std::to_string(c.line)), std::string::npos) << out.output;
  EXPECT_FALSE(std::filesystem::exists(dir_->path() / "out.xml"));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LabsCliBadGuest,
    ::testing::Values(
        CliCase{"run_compile_error", "run", "<guest source=\"broken.c\"/>", "broken.c:2:", 3},
        CliCase{"run_missing_source", "run", "<guest source=\"absent.c\"/>", "absent.c does not exist", 3},
        CliCase{"run_dynamic_binary", "run", "<guest binary=\"dynamic\"/>", "dynamically linked", 3},
        CliCase{"run_missing_file", "run",
                "<guest command=\"true\">\n<file src=\"absent.txt\" dest=\"/a\"/></guest>",
                "absent.txt for /a does not exist", 4},
        CliCase{"run_dest_escapes", "run",
                "<guest command=\"true\">\n<file src=\"lab.xml\" dest=\"/lab/../../x\"/></guest>",
                "without '..'", 4},
        CliCase{"run_src_escapes", "run",
                "<guest command=\"true\">\n<file src=\"../x\" dest=\"/x\"/></guest>",
                "outside the scenario's folder", 4},
        CliCase{"shell_compile_error", "shell", "<guest source=\"broken.c\"/>", "broken.c:2:", 3},
        CliCase{"record_compile_error", "record", "<guest source=\"broken.c\"/>", "broken.c:2:", 3}),
    [](const ::testing::TestParamInfo<CliCase>& case_info) { return std::string(case_info.param.name); });

TEST_F(LabsCliTest, RecordNeedsAScenarioOrACommandWithBreakpoints) {
  auto neither = kharness({"record", "-o", (dir_->path() / "out.xml").string()}, env());
  EXPECT_EQ(neither.exit_code, 2) << neither.output;
  EXPECT_NE(neither.output.find("record needs a SCENARIO, or --guest-command"), std::string::npos)
      << neither.output;
  auto no_break =
      kharness({"record", "--guest-command", "true", "-o", (dir_->path() / "out.xml").string()}, env());
  EXPECT_EQ(no_break.exit_code, 2) << no_break.output;
  EXPECT_NE(no_break.output.find("at least one --break"), std::string::npos) << no_break.output;
}

}  // namespace
}  // namespace kh
