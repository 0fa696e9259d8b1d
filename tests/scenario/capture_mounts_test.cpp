// <capture-mounts>: a capture of $kh_mount_table() with the Mounts kind, named "mounts" unless
// `as` says otherwise, and the errors of a misspelt or misused element.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::trace {
namespace {

const std::filesystem::path kGoodDir = std::filesystem::path(KH_SOURCE_DIR) / "tests/scenario/good";

TEST(CaptureMounts, IsAMountTableCaptureNamedMountsByDefault) {
  auto loaded = load_scenario_file(kGoodDir / "capture_mounts.xml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  ASSERT_EQ(loaded->breakpoints.size(), 2U);
  const BreakpointSpec& attach = loaded->breakpoints[0];
  ASSERT_EQ(attach.captures.size(), 2U);
  EXPECT_EQ(attach.captures[0].kind, CaptureKind::Mounts);
  EXPECT_EQ(attach.captures[0].name, "mounts");
  EXPECT_EQ(attach.captures[0].expr, "$kh_mount_table()");
  EXPECT_EQ(attach.captures[0].location, loaded->file + ":6");
  EXPECT_EQ(attach.captures[1].kind, CaptureKind::Value);

  const BreakpointSpec& exit = loaded->breakpoints[1];
  ASSERT_EQ(exit.captures.size(), 1U);
  EXPECT_EQ(exit.captures[0].kind, CaptureKind::Mounts);
  EXPECT_EQ(exit.captures[0].name, "at_exit");
  ASSERT_EQ(exit.captures[0].when.size(), 1U);
  EXPECT_EQ(exit.captures[0].when[0].text(), ">=5.0");
  // Resolution keeps the kind.
  ResolvedScenario resolved = resolve(*loaded, *KernelVersion::parse("6.1.0"));
  ASSERT_EQ(resolved.breakpoints[1].captures.size(), 1U);
  EXPECT_EQ(resolved.breakpoints[1].captures[0].kind, CaptureKind::Mounts);
  EXPECT_TRUE(resolve(*loaded, *KernelVersion::parse("4.19.304")).breakpoints[1].captures.empty());
}

struct BadCase {
  std::string breakpoint_body;
  std::string error;
};

TEST(CaptureMounts, MistakesAreReportedWithTheirLine) {
  const std::vector<BadCase> cases = {
      {"<capture-mounts expr=\"x\"/>", "t.xml:4: unknown attribute 'expr' on <capture-mounts>"},
      {"<capture-mounts as=\"a b\"/>", "t.xml:4: bad capture name 'a b'"},
      {"<capture-mounts>ns</capture-mounts>", "t.xml:4:"},
      {"<capture-mount/>",
       "t.xml:4: unknown element <capture-mount> in <breakpoint> (did you mean <capture-mounts>?)"},
      {"<capture-mounts/>\n<capture-mounts/>", "t.xml:5: duplicate capture name 'mounts'"},
      {"<capture expr=\"a\" as=\"mounts\"/>\n<capture-mounts/>", "t.xml:5: duplicate capture name 'mounts'"},
      {"<capture-mounts as=\"tree\"/>\n<expect capture=\"mounts\" matches=\"x\"/>",
       "t.xml:5: <expect> names unknown capture 'mounts'"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.breakpoint_body);
    std::string xml = "<scenario name=\"x\">\n<guest program=\"p\"/>\n<breakpoint function=\"f\">\n" +
                      c.breakpoint_body + "\n</breakpoint>\n</scenario>";
    auto parsed = parse_scenario(xml, "t.xml");
    ASSERT_FALSE(parsed.ok());
    std::string errors = parsed.error().to_string();
    for (const std::string& detail : parsed.error().details)
      errors += "\n" + detail;
    EXPECT_NE(errors.find(c.error), std::string::npos) << errors;
  }
}

}  // namespace
}  // namespace kh::trace
