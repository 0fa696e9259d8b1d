// The kharness binary's front door: --help, --version, and bad command lines.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/temp_dir.h"

namespace kh {
namespace {

CommandOutput kharness(std::vector<std::string> args) {
  ChildSpec spec;
  spec.argv = {KH_BINARY_DIR "/kharness"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  auto out = run_command(spec, Deadline::in(std::chrono::seconds(30)));
  EXPECT_TRUE(out.ok());
  return out.ok() ? *out : CommandOutput{};
}

TEST(CliSmoke, VersionPrintsTheVersion) {
  CommandOutput out = kharness({"--version"});
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.output.rfind("kharness ", 0), 0u) << out.output;
}

TEST(CliSmoke, HelpListsEverySubcommand) {
  CommandOutput out = kharness({"--help"});
  EXPECT_EQ(out.exit_code, 0);
  for (const char* command : {"run", "shell", "kernel", "initramfs", "diff"}) {
    EXPECT_NE(out.output.find(command), std::string::npos) << command << "\n" << out.output;
  }
}

TEST(CliSmoke, BadCommandLinesAreErrorsWithExitCodeTwo) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const Case cases[] = {
      {{}, "subcommand"},
      {{"frobnicate"}, "frobnicate"},
      {{"run"}, "scenario"},
      {{"run", "/no/such/scenario.xml"}, "/no/such/scenario.xml"},
      {{"run", "--accel", "warp", KH_SOURCE_DIR "/scenarios/trace-mount.xml"}, "warp"},
      // A bundle folder that cannot be one is refused before anything is built or booted.
      {{"run", "--bundle", KH_SOURCE_DIR "/README.md", KH_SOURCE_DIR "/scenarios/trace-mount.xml"},
       "is a file"},
      {{"run", "--bundle", KH_SOURCE_DIR "/scenarios", KH_SOURCE_DIR "/scenarios/trace-mount.xml"},
       "no reproduce.sh"},
      {{"run", "--bundle", "/tmp/kh-never-made", KH_SOURCE_DIR "/scenarios/trace-mount.xml",
        KH_SOURCE_DIR "/scenarios/trace-mount.xml"},
       "--bundle is about the trace of one scenario"},
  };
  for (const Case& c : cases) {
    CommandOutput out = kharness(c.args);
    EXPECT_EQ(out.exit_code, 2) << ::testing::PrintToString(c.args) << "\n" << out.output;
    EXPECT_NE(out.output.find(c.says), std::string::npos) << ::testing::PrintToString(c.args) << "\n"
                                                          << out.output;
  }
}

TEST(CliSmoke, AMalformedScenarioIsAnErrorWithFileAndLine) {
  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  const auto file = dir->path() / "broken.xml";
  std::ofstream(file) << "<scenario name=\"broken\">\n  <guest program=\"mnt_ns_clone\"/>\n"
                         "  <breakpoint fuction=\"do_mount\"/>\n</scenario>\n";
  CommandOutput out = kharness({"run", "--accel", "tcg", file.string()});
  EXPECT_EQ(out.exit_code, 2) << out.output;
  EXPECT_NE(out.output.find("broken.xml:3"), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("fuction"), std::string::npos) << out.output;
}

TEST(CliSmoke, MatrixKernelOptionsTakeOneValueEachSoScenariosMayFollow) {
  CommandOutput out =
      kharness({"matrix", "--plan", "--kernel-package", "linux-source-6.1", "--kernel-package",
                "linux-source-6.12", KH_SOURCE_DIR "/scenarios/trace-mount.xml"});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_NE(out.output.find("\"cell\":\"trace-mount@linux-source-6.1\""), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("\"cell\":\"trace-mount@linux-source-6.12\""), std::string::npos) << out.output;
}

}  // namespace
}  // namespace kh
