// `kharness kernel ...` on bad input: each case is a one-line error and a non-zero exit, and
// nothing is built. Runs the real binary against a private cache.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "kernel/test_files.h"

namespace kh::kernel {
namespace {

using testing::write_file;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class KernelCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kh-cli-test-");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
  }

  const std::filesystem::path& path() const { return dir_->path(); }

  CliRun kharness(std::vector<std::string> args) {
    ChildSpec spec;
    spec.argv = {std::string(KH_BINARY_DIR) + "/kharness"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = {{"KHARNESS_CACHE_DIR", (path() / "cache").string()},
                {"KHARNESS_KERNEL_MIRROR", "http://127.0.0.1:9/"}};
    spec.stdout_mode = Stdio::File;
    spec.stdout_file = path() / "stdout";
    spec.stderr_mode = Stdio::File;
    spec.stderr_file = path() / "stderr";
    CliRun run;
    auto child = ChildProcess::spawn(spec);
    EXPECT_TRUE(child.ok());
    if (!child.ok()) {
      return run;
    }
    auto state = child->wait(Deadline::in(std::chrono::seconds(60)));
    EXPECT_TRUE(state.ok());
    run.exit_code = state.ok() && *state == ChildProcess::State::Exited ? child->exit_code() : -1;
    run.out = testing::read_file(path() / "stdout");
    run.err = testing::read_file(path() / "stderr");
    return run;
  }

  std::optional<TempDir> dir_;
};

struct BadInput {
  std::string what;
  std::vector<std::string> args;
  std::string message;
};

TEST_F(KernelCliTest, BadInputIsAOneLineErrorWithExitCode2) {
  std::filesystem::create_directories(path() / "not-a-kernel" / "src");
  write_file(path() / "not-a-kernel" / "Makefile", "all:\n\ttrue\n");
  write_file(path() / "linux-9.9.9.tar.xz", std::string(2048, 'x'));
  write_file(path() / "bad.config", "CONFIG_OK=y\nthis is not kconfig\n");
  const std::vector<BadInput> cases = {
      {"not a kernel tree",
       {"kernel", "build", "--kernel-source", (path() / "not-a-kernel").string()},
       "is not a kernel source tree"},
      {"missing tree",
       {"kernel", "build", "--kernel-source", (path() / "nowhere").string()},
       "no such directory"},
      {"missing tarball",
       {"kernel", "build", "--kernel-tarball", (path() / "linux-1.0.0.tar.xz").string()},
       "no such file"},
      {"corrupt tarball",
       {"kernel", "build", "--kernel-tarball", (path() / "linux-9.9.9.tar.xz").string()},
       "cannot extract kernel tarball"},
      {"unknown version form", {"kernel", "build", "--kernel-version", "latest"}, "not a kernel.org release"},
      {"rc version", {"kernel", "build", "--kernel-version", "6.1-rc3"}, "expected X.Y or X.Y.Z"},
      {"unknown package", {"kernel", "build", "--kernel-package", "linux-source-0.1"}, "is not installed"},
      {"missing fragment",
       {"kernel", "build", "--kernel-source", (path() / "not-a-kernel").string(), "--config",
        (path() / "nope.config").string()},
       "nope.config does not exist"},
      {"clean without key", {"kernel", "clean"}, "give either a KEY"},
      {"clean unknown key", {"kernel", "clean", "0123abcd"}, "no kernel in the cache"},
  };
  for (const auto& c : cases) {
    CliRun run = kharness(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.what << ": " << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << c.what << ": " << run.err;
    EXPECT_NE(run.err.find("kharness: error: "), std::string::npos) << c.what << ": " << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << c.what << ": " << run.err;
    EXPECT_TRUE(run.out.empty()) << c.what << ": " << run.out;
  }
}

TEST_F(KernelCliTest, AMalformedFragmentIsReportedWithItsLine) {
  write_file(path() / "bad.config", "CONFIG_OK=y\nthis is not kconfig\n");
  CliRun run = kharness({"kernel", "build", "--config", (path() / "bad.config").string()});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("bad.config:2"), std::string::npos) << run.err;
}

TEST_F(KernelCliTest, OfflineDownloadFailsNamingTheOtherWays) {
  CliRun run = kharness({"kernel", "build", "--kernel-version", "4.19.304"});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  for (const char* way : {"--kernel-source", "--kernel-tarball", "linux-source-6.1"}) {
    EXPECT_NE(run.err.find(way), std::string::npos) << run.err;
  }
}

TEST_F(KernelCliTest, TwoSourcesAtOnceAreRefused) {
  CliRun run =
      kharness({"kernel", "build", "--kernel-version", "4.19.304", "--kernel-package", "linux-source-6.1"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("excludes"), std::string::npos) << run.err;
}

TEST_F(KernelCliTest, AnEmptyCacheListsNothing) {
  CliRun run = kharness({"kernel", "list"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
  CliRun clean = kharness({"kernel", "clean", "--all"});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
}

}  // namespace
}  // namespace kh::kernel
