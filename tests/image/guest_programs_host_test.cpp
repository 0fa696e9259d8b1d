// Each guest program's logic, run on the host as root: `unshare -m --propagation private PROGRAM
// --root TMP`, so whatever it mounts lives in a namespace that dies with it; the host's mount
// table is checked afterwards.
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "guest_expectations.h"
#include "common/file_io.h"
#include "image/initramfs.h"

namespace kh::image {
namespace {

CommandOutput run(const std::vector<std::string>& argv) {
  ChildSpec spec;
  spec.argv = argv;
  auto out = run_command(spec, Deadline::in(std::chrono::seconds(60)));
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().to_string());
  return out.ok() ? *out : CommandOutput{};
}

class GuestProgramHostTest : public ::testing::TestWithParam<testing::GuestCase> {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "the guest programs mount file systems: run as root";
    }
    auto probe = run({"unshare", "-m", "--propagation", "private", "true"});
    if (probe.exit_code != 0) {
      GTEST_SKIP() << "cannot make a mount namespace here: " << probe.output;
    }
  }
};

TEST_P(GuestProgramHostTest, BehavesAsLinuxDocumentsAndLeavesNoMounts) {
  const testing::GuestCase& c = GetParam();
  auto root = TempDir::create("kh-guest-root-");
  ASSERT_TRUE(root.ok());
  auto out = run({"unshare", "-m", "--propagation", "private", (testing::kGuestDir / c.program).string(),
                  "--root", root->path().string()});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  EXPECT_EQ(out.output.find(kFailPrefix), std::string::npos) << out.output;
  auto results = testing::parse_results(out.output);
  for (const auto& [name, value] : c.results) {
    auto found = results.find(name);
    ASSERT_NE(found, results.end()) << "no KH-RESULT " << name << " in:\n" << out.output;
    EXPECT_EQ(found->second, value) << name;
  }

  auto mountinfo = read_file("/proc/self/mountinfo");
  ASSERT_TRUE(mountinfo.ok());
  EXPECT_EQ(mountinfo->find(root->path().string()), std::string::npos)
      << "a mount under " << root->path() << " reached the host:\n"
      << *mountinfo;
}

INSTANTIATE_TEST_SUITE_P(AllGuests, GuestProgramHostTest, ::testing::ValuesIn(testing::kGuestCases),
                         [](const ::testing::TestParamInfo<testing::GuestCase>& param_info) {
                           return std::string(param_info.param.program);
                         });

TEST(GuestProgramUsageTest, BadArgumentsAreUsageErrors) {
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    const char* output_part;
  };
  const Case cases[] = {
      {{"--bogus"}, 2, "unexpected argument '--bogus'"},
      {{"--root", "/nonexistent/dir"}, 1, "KH-FAIL --root /nonexistent/dir"},
      {{"--help"}, 0, "usage: mnt_ns_clone [--root DIR]"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {(testing::kGuestDir / "mnt_ns_clone").string()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto out = run(argv);
    EXPECT_EQ(out.exit_code, c.exit_code) << out.output;
    EXPECT_NE(out.output.find(c.output_part), std::string::npos) << out.output;
  }
}

// kh-spawn as rcS runs it with kh.wait=1: the go line on fd 3, then the mark and the exec.
TEST(KhSpawnTest, WaitsForTheGoLineThenMarksAndExecs) {
  const std::string spawn = (testing::kGuestDir / "helpers" / "kh-spawn").string();
  auto out = run({"sh", "-c",
                  "printf 'go\\n' | \"$0\" --wait-go 3 the-guest sh -c "
                  "'cat /proc/self/personality; [ -e /proc/self/fd/3 ] && echo fd3-open || echo fd3-closed' 3<&0",
                  spawn});
  EXPECT_EQ(out.exit_code, 0) << out.output;
  // WHOLE_SECONDS (0x2000000), the guest mark; the port is not handed on to the guest.
  EXPECT_EQ(out.output, "\nKH-WAIT\nKH-START the-guest\n02000000\nfd3-closed\n");

  auto plain = run({spawn, "sh", "-c", "cat /proc/self/personality"});
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_EQ(plain.output, "02000000\n");

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"--wait-go", "3", "name"}, {"--wait-go", "three", "name", "true"}}) {
    std::vector<std::string> argv = {spawn};
    argv.insert(argv.end(), args.begin(), args.end());
    auto bad = run(argv);
    EXPECT_EQ(bad.exit_code, 2) << bad.output;
    EXPECT_NE(bad.output.find("kh-spawn"), std::string::npos) << bad.output;
  }
}

}  // namespace
}  // namespace kh::image
