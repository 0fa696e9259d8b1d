// `kharness kernel ...` on bad input: each case is a one-line error and a non-zero exit, and
// nothing is built. Runs the real binary against a private cache.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "kernel/kernel_cache.h"
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

// Publishes a ready entry with vmlinux and bzImage shaped like real ones into the test's cache.
KernelBuild plant_entry(const KernelCache& cache, const std::string& key) {
  const std::filesystem::path staged = cache.kernels_dir() / (KernelCache::temp_prefix(key) + "t") / "entry";
  write_file(staged / "vmlinux", testing::fake_vmlinux(64 << 10));
  write_file(staged / "bzImage", testing::fake_bzimage(4096));
  write_file(staged / "config", "CONFIG_64BIT=y\n");
  write_file(staged / "build.log", "log\n");
  KernelBuild build;
  build.key = key;
  build.dir = staged;
  build.vmlinux = staged / "vmlinux";
  build.bzimage = staged / "bzImage";
  build.config = staged / "config";
  build.build_log = staged / "build.log";
  build.release = "9.9.9";
  build.version = KernelVersion{9, 9, 9, {}};
  build.source = "planted by the test";
  build.built_at = "2025-01-02T03:04:05Z";
  auto published = cache.publish(staged, build, nlohmann::json::object());
  EXPECT_TRUE(published.ok()) << published.error().to_string();
  std::filesystem::remove_all(staged.parent_path());
  return published.ok() ? *published : build;
}

TEST_F(KernelCliTest, KernelListShowsABrokenEntryAndHowToRemoveIt) {
  const KernelCache cache(path() / "cache");
  ASSERT_TRUE(cache.create_dirs().ok());
  plant_entry(cache, "aaaa000000000001");
  KernelBuild broken = plant_entry(cache, "aaaa000000000002");
  std::filesystem::resize_file(broken.bzimage, 1000);
  CliRun run = kharness({"kernel", "list"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = run.out.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(run.out.substr(start, end - start));
  }
  ASSERT_EQ(lines.size(), 2u) << run.out;
  std::sort(lines.begin(), lines.end());
  EXPECT_NE(lines[0].find("planted by the test"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find("BROKEN"), std::string::npos) << lines[0];
  EXPECT_TRUE(lines[1].starts_with("aaaa000000000002")) << lines[1];
  EXPECT_NE(lines[1].find("BROKEN: bzImage is 1000 bytes"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("`kharness kernel clean aaaa000000000002`"), std::string::npos) << lines[1];
}

// The key of a request is kharness's business: a first build of a fake tree fails (it has no
// tinyconfig) and leaves <key>.failed.log, which names it.
TEST_F(KernelCliTest, ABrokenCacheHitIsSaidAndRebuilt) {
  testing::make_fake_kernel_tree(path() / "linux");
  const std::vector<std::string> build = {"kernel", "build", "--kernel-source", (path() / "linux").string()};
  CliRun first = kharness(build);
  ASSERT_EQ(first.exit_code, 3) << first.err;
  const KernelCache cache(path() / "cache");
  std::string key;
  for (const auto& item : std::filesystem::directory_iterator(cache.kernels_dir())) {
    const std::string name = item.path().filename().string();
    if (name.ends_with(".failed.log")) {
      key = name.substr(0, name.size() - std::string_view(".failed.log").size());
    }
  }
  ASSERT_EQ(key.size(), kKeyLength) << "no failed.log in " << cache.kernels_dir();
  KernelBuild planted = plant_entry(cache, key);

  CliRun hit = kharness(build);
  EXPECT_EQ(hit.exit_code, 0) << hit.err;
  EXPECT_EQ(hit.out, planted.dir.string() + "\n");
  EXPECT_EQ(hit.err.find("broken"), std::string::npos) << hit.err;

  std::filesystem::resize_file(planted.vmlinux, 4096);
  CliRun rebuilt = kharness(build);
  // The rebuild fails like the first build did: the broken entry was not used.
  EXPECT_EQ(rebuilt.exit_code, 3) << rebuilt.err;
  EXPECT_TRUE(rebuilt.out.empty()) << rebuilt.out;
  EXPECT_NE(rebuilt.err.find("kharness: cached kernel " + key +
                             " (linux 9.9.9, planted by the test) is broken: "
                             "vmlinux is 4096 bytes"),
            std::string::npos)
      << rebuilt.err;
  EXPECT_NE(rebuilt.err.find("; rebuilding it"), std::string::npos) << rebuilt.err;
  EXPECT_NE(rebuilt.err.find("tinyconfig failed"), std::string::npos) << rebuilt.err;
}

}  // namespace
}  // namespace kh::kernel
