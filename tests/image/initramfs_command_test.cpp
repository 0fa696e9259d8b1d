// `kharness initramfs`: options, exit codes and messages.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/cli_support.h"
#include "cli/commands.h"
#include "common/temp_dir.h"
#include "common/file_io.h"
#include "image/initramfs.h"

namespace kh::cli {
namespace {

struct CommandRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `kharness initramfs ARGS...` in-process.
CommandRun run_initramfs(std::vector<std::string> args) {
  CLI::App app;
  int exit_code = -1;
  add_initramfs_command(app, exit_code);
  args.insert(args.begin(), {"kharness", "initramfs"});
  std::vector<const char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args) {
    argv.push_back(arg.c_str());
  }
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  CommandRun run;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    run.exit_code = exit_code;
  } catch (const CLI::ParseError& e) {
    run.exit_code = kExitError;
  }
  std::fflush(nullptr);
  run.out = ::testing::internal::GetCapturedStdout();
  run.err = ::testing::internal::GetCapturedStderr();
  return run;
}

TEST(InitramfsCommandTest, ListsTheGuestPrograms) {
  auto run = run_initramfs({"--list"});
  EXPECT_EQ(run.exit_code, kExitPass) << run.err;
  // One name per line, as list_guest_programs() has them.
  std::string expected;
  for (const auto& guest : image::list_guest_programs()) {
    expected += guest + "\n";
  }
  EXPECT_EQ(run.out, expected);
  EXPECT_NE(run.out.find("mnt_ns_clone\n"), std::string::npos);
}

TEST(InitramfsCommandTest, WritesTheImageWithTheSplitArguments) {
  auto dir = TempDir::create("kh-cli-initramfs-");
  ASSERT_TRUE(dir.ok());
  auto output = dir->path() / "guest.cpio.gz";
  auto run =
      run_initramfs({"--guest", "mnt_ns_clone", "--args", "--root '/' 'two words'", "-o", output.string()});
  ASSERT_EQ(run.exit_code, kExitPass) << run.err;
  EXPECT_NE(run.out.find("task name mnt_ns_clone"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("3 argument(s)"), std::string::npos) << run.out;
  EXPECT_TRUE(std::filesystem::exists(output));
}

TEST(InitramfsCommandTest, BadInputIsExitCodeTwoWithAMessage) {
  struct Case {
    std::vector<std::string> args;
    const char* message_part;
  };
  const Case cases[] = {
      {{"-o", "/tmp/x.cpio.gz"}, "needs --guest NAME and -o FILE"},
      {{"--guest", "mnt_ns_clone"}, "needs --guest NAME and -o FILE"},
      {{"--guest", "nope", "-o", "/tmp/kh-never-written.cpio.gz"}, "guest program 'nope' not found"},
      {{"--guest", "mnt_ns_clone", "--args", "'open", "-o", "/tmp/kh-never-written.cpio.gz"},
       "unterminated '"},
      {{"--guest", "this_name_is_too_long", "-o", "/tmp/kh-never-written.cpio.gz"}, "not found"},
  };
  for (const auto& c : cases) {
    auto run = run_initramfs(c.args);
    EXPECT_EQ(run.exit_code, kExitError) << c.message_part;
    EXPECT_NE(run.err.find("kharness: error: "), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(c.message_part), std::string::npos) << run.err;
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/kh-never-written.cpio.gz"));
}

}  // namespace
}  // namespace kh::cli
