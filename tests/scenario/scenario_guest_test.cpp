// The forms of <guest>: a built-in program, C sources, a prebuilt binary, a busybox command line,
// and the <file>/<dir> children, with every rule the loader enforces and its file:line.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "trace/scenario.h"

namespace kh::trace {
namespace {

const std::filesystem::path kGoodDir = std::filesystem::path(KH_SOURCE_DIR) / "tests/scenario/good";

std::string scenario_with(const std::string& guest) {
  return "<scenario name=\"g\">\n" + guest + "\n<breakpoint function=\"do_mount\"/>\n</scenario>\n";
}

TEST(ScenarioGuest, SourcesFilesAndDirsResolveAgainstTheScenarioFolder) {
  auto loaded = load_scenario_file(kGoodDir / "guest_source.xml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const GuestSpec& guest = loaded->guest;
  EXPECT_EQ(guest.kind, GuestKind::Source);
  EXPECT_EQ(guest.sources, (std::vector<std::filesystem::path>{kGoodDir / "lab.c", kGoodDir / "helpers/util.c"}));
  EXPECT_EQ(guest.cflags, "-O1 -DLAB=1");
  EXPECT_EQ(guest.program, "lab");
  EXPECT_EQ(guest.args, (std::vector<std::string>{"--fast"}));
  ASSERT_EQ(guest.files.size(), 2u);
  EXPECT_EQ(guest.files[0].src, kGoodDir / "data/input.txt");
  EXPECT_EQ(guest.files[0].dest, "/lab/input.txt");
  EXPECT_EQ(guest.files[0].location, loaded->file + ":7");
  EXPECT_TRUE(guest.files[1].src.empty());
  EXPECT_EQ(guest.files[1].dest, "/lab/empty");
}

TEST(ScenarioGuest, CommandLine) {
  auto loaded = load_scenario_file(kGoodDir / "guest_command.xml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(loaded->guest.kind, GuestKind::Command);
  EXPECT_EQ(loaded->guest.command, "unshare -m sh -c 'mount --bind /a /b'");
  EXPECT_EQ(loaded->guest.program, "sh");
  EXPECT_EQ(loaded->guest.describe(), "sh -c 'unshare -m sh -c 'mount --bind /a /b''");
}

TEST(ScenarioGuest, SourceAttributeAndBinary) {
  auto source = parse_scenario(scenario_with("<guest source=\"src/my_lab.c\"/>"), "labs/x/lab.xml");
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ(source->guest.sources, (std::vector<std::filesystem::path>{"labs/x/src/my_lab.c"}));
  EXPECT_EQ(source->guest.program, "my_lab");
  auto binary = parse_scenario(scenario_with("<guest binary=\"bin/prog\"><arg>1</arg></guest>"), "lab.xml");
  ASSERT_TRUE(binary.ok()) << binary.error().to_string();
  EXPECT_EQ(binary->guest.kind, GuestKind::Binary);
  EXPECT_EQ(binary->guest.binary, std::filesystem::path("./bin/prog"));
  EXPECT_EQ(binary->guest.program, "prog");
}

struct BadGuest {
  const char* name;
  const char* guest;
  const char* message;  // part of the first error
  int line;
};

class ScenarioBadGuest : public ::testing::TestWithParam<BadGuest> {};

TEST_P(ScenarioBadGuest, IsAConfigErrorWithItsLine) {
  const BadGuest& c = GetParam();
  auto parsed = parse_scenario(scenario_with(c.guest), "lab.xml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().kind, ErrorKind::Config);
  EXPECT_NE(parsed.error().message.find(c.message), std::string::npos) << parsed.error().message;
  EXPECT_EQ(parsed.error().location, "lab.xml:" + std::to_string(c.line));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScenarioBadGuest,
    ::testing::Values(
        BadGuest{"no_form", "<guest/>", "needs one of program=", 2},
        BadGuest{"two_forms", "<guest program=\"a\" command=\"true\"/>", "give exactly one", 2},
        BadGuest{"source_twice", "<guest source=\"a.c\">\n<source>b.c</source></guest>", "both source=", 3},
        BadGuest{"empty_source", "<guest>\n<source> </source></guest>", "empty <source>", 3},
        BadGuest{"cflags_on_binary", "<guest binary=\"p\" cflags=\"-O2\"/>", "cflags= on <guest> is for source=", 2},
        BadGuest{"arg_in_command", "<guest command=\"true\">\n<arg>x</arg></guest>", "the arguments belong", 3},
        BadGuest{"dest_climbs", "<guest program=\"p\">\n<file src=\"a\" dest=\"/lab/../../etc/passwd\"/></guest>",
                 "without '..'", 3},
        BadGuest{"dest_relative", "<guest program=\"p\">\n<dir dest=\"lab\"/></guest>", "absolute path", 3},
        BadGuest{"dest_root", "<guest program=\"p\">\n<dir dest=\"/\"/></guest>", "absolute path", 3},
        BadGuest{"src_outside", "<guest program=\"p\">\n<file src=\"../secret\" dest=\"/s\"/></guest>",
                 "outside the scenario's folder", 3},
        BadGuest{"src_absolute", "<guest program=\"p\">\n<file src=\"/etc/passwd\" dest=\"/s\"/></guest>",
                 "outside the scenario's folder", 3},
        BadGuest{"src_on_dir", "<guest program=\"p\">\n<dir src=\"a\" dest=\"/s\"/></guest>",
                 "unknown attribute 'src' on <dir>", 3},
        BadGuest{"unknown_child", "<guest program=\"p\">\n<files src=\"a\" dest=\"/s\"/></guest>", "files", 3}),
    [](const ::testing::TestParamInfo<BadGuest>& case_info) { return std::string(case_info.param.name); });

}  // namespace
}  // namespace kh::trace
