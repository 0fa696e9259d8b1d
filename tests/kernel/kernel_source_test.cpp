#include "kernel/kernel_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "common/child_process.h"
#include "common/temp_dir.h"
#include "kernel/sha256.h"
#include "kernel/test_files.h"

namespace kh::kernel {
namespace {

using testing::count_entries;
using testing::make_fake_kernel_tree;
using testing::write_file;

struct MakefileCase {
  std::string text;
  std::string version;  // to_string() + suffix; empty: an error
};

TEST(ParseMakefileVersion, ReadsTheVersionVariables) {
  const std::vector<MakefileCase> cases = {
      {"# SPDX\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\nNAME = Curry\n", "6.1.192"},
      {"VERSION = 4\nPATCHLEVEL = 19\nSUBLEVEL = 304\nEXTRAVERSION =\n", "4.19.304"},
      {"VERSION = 6\nPATCHLEVEL = 13\nSUBLEVEL = 0\nEXTRAVERSION = -rc3\n", "6.13.0-rc3"},
      {"VERSION = 5\nPATCHLEVEL = 10\n", "5.10.0"},
      {"PATCHLEVEL = 10\nSUBLEVEL = 1\n", ""},
      {"all:\n\techo hi\n", ""},
      {"VERSION = six\nPATCHLEVEL = 1\n", ""},
  };
  for (const auto& c : cases) {
    auto version = parse_makefile_version(c.text);
    if (c.version.empty()) {
      EXPECT_FALSE(version.ok()) << c.text;
      continue;
    }
    ASSERT_TRUE(version.ok()) << c.text;
    EXPECT_EQ(version->to_string() + version->suffix, c.version);
  }
}

class KernelSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kh-source-test-");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
    ::setenv("KHARNESS_CACHE_DIR", (path() / "cache").c_str(), 1);
    ASSERT_TRUE(cache().create_dirs().ok());
  }
  void TearDown() override { ::unsetenv("KHARNESS_CACHE_DIR"); }

  const std::filesystem::path& path() const { return dir_->path(); }
  KernelCache cache() const { return KernelCache(path() / "cache"); }

  std::optional<TempDir> dir_;
};

TEST_F(KernelSourceTest, ChecksThatATreeIsABuildableKernelTree) {
  make_fake_kernel_tree(path() / "linux", "4.19.304");
  auto version = check_kernel_tree(path() / "linux");
  ASSERT_TRUE(version.ok()) << version.error().to_string();
  EXPECT_EQ(version->to_string(), "4.19.304");

  struct Case {
    std::filesystem::path dir;
    std::string message;
  };
  std::filesystem::create_directories(path() / "empty");
  make_fake_kernel_tree(path() / "no-kconfig");
  std::filesystem::remove(path() / "no-kconfig" / "Kconfig");
  make_fake_kernel_tree(path() / "built-in-place");
  write_file(path() / "built-in-place" / ".config", "CONFIG_X=y\n");
  write_file(path() / "other" / "Makefile", "all:\n\ttrue\n");
  for (const auto& c : std::vector<Case>{{path() / "missing", "no such directory"},
                                         {path() / "empty", "is not a kernel source tree"},
                                         {path() / "other", "is not a kernel source tree"},
                                         {path() / "no-kconfig", "Kconfig is missing"},
                                         {path() / "built-in-place", "make mrproper"}}) {
    auto result = check_kernel_tree(c.dir);
    ASSERT_FALSE(result.ok()) << c.dir;
    EXPECT_EQ(result.error().kind, ErrorKind::Config) << c.dir;
    EXPECT_NE(result.error().message.find(c.message), std::string::npos) << result.error().message;
    EXPECT_EQ(result.error().message.find('\n'), std::string::npos);
  }
}

TEST_F(KernelSourceTest, RefusesTwoSourcesAtOnce) {
  KernelRequest request;
  request.source_tree = path();
  request.version = "4.19.304";
  auto source = identify_source(request, cache());
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().kind, ErrorKind::Config);
}

TEST_F(KernelSourceTest, TreeIdentityFollowsEditsOutsideGit) {
  make_fake_kernel_tree(path() / "linux");
  KernelRequest request;
  request.source_tree = path() / "linux";
  auto first = identify_source(request, cache());
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->kind, SourceIdentity::Kind::Tree);
  auto again = identify_source(request, cache());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->identity, again->identity);

  write_file(path() / "linux" / "fs" / "namespace.c", "int copy_mnt_ns;\n");
  auto edited = identify_source(request, cache());
  ASSERT_TRUE(edited.ok());
  EXPECT_NE(edited->identity, first->identity);
}

TEST_F(KernelSourceTest, TreeIdentityInGitIsHeadPlusLocalChanges) {
  const std::filesystem::path tree = path() / "linux";
  make_fake_kernel_tree(tree);
  auto git = [&](std::vector<std::string> args) {
    ChildSpec spec;
    spec.argv = {"git", "-C", tree.string(), "-c", "user.name=t", "-c", "user.email=t@example.org"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    auto output = run_command(spec, Deadline::in(std::chrono::seconds(30)));
    ASSERT_TRUE(output.ok() && output->exit_code == 0) << (output.ok() ? output->output : "");
  };
  git({"init", "-q"});
  git({"add", "."});
  git({"commit", "-q", "-m", "fake kernel"});
  KernelRequest request;
  request.source_tree = tree;
  auto clean = identify_source(request, cache());
  ASSERT_TRUE(clean.ok()) << clean.error().to_string();
  EXPECT_NE(clean->identity.find(":git:"), std::string::npos);
  EXPECT_EQ(clean->description.find("local changes"), std::string::npos);

  write_file(tree / "Kconfig", "mainmenu \"Fake\"\nconfig FAKE_OPTION\n\tbool \"edited\"\n");
  auto dirty = identify_source(request, cache());
  ASSERT_TRUE(dirty.ok());
  EXPECT_NE(dirty->identity, clean->identity);
  EXPECT_NE(dirty->description.find("local changes"), std::string::npos);

  write_file(tree / "Kconfig", "mainmenu \"Fake\"\nconfig FAKE_OPTION\n\tbool \"fake\"\n");
  write_file(tree / "kernel" / "new_file.c", "int x;\n");
  auto untracked = identify_source(request, cache());
  ASSERT_TRUE(untracked.ok());
  EXPECT_NE(untracked->identity, clean->identity);
  EXPECT_NE(untracked->identity, dirty->identity);

  std::filesystem::remove_all(tree / "kernel");
  auto back = identify_source(request, cache());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->identity, clean->identity);
}

TEST_F(KernelSourceTest, TarballIdentityIsItsSha256) {
  write_file(path() / "linux-1.2.3.tar.gz", "not really a tarball");
  KernelRequest request;
  request.tarball = path() / "linux-1.2.3.tar.gz";
  auto source = identify_source(request, cache());
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ(source->kind, SourceIdentity::Kind::Tarball);
  EXPECT_EQ(source->sha256, sha256_hex("not really a tarball"));
  EXPECT_EQ(source->identity, "tarball:" + sha256_hex("not really a tarball"));
  // Memoized, but a changed file is hashed again.
  EXPECT_NE(testing::read_file(cache().sources_dir() / "sha256-memo.json").find(source->sha256),
            std::string::npos);
  write_file(path() / "linux-1.2.3.tar.gz", "another tarball, of another size");
  auto changed = identify_source(request, cache());
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->sha256, sha256_hex("another tarball, of another size"));
}

TEST_F(KernelSourceTest, BadSourcesAreOneLineConfigErrors) {
  std::vector<KernelRequest> requests(5);
  requests[0].tarball = path() / "missing.tar.xz";
  requests[1].tarball = path();
  requests[2].debian_package = "linux-source-0.1";
  requests[3].debian_package = "../../etc/passwd";
  requests[4].version = "latest";
  for (const auto& request : requests) {
    auto source = identify_source(request, cache());
    ASSERT_FALSE(source.ok());
    EXPECT_EQ(source.error().kind, ErrorKind::Config) << source.error().message;
    EXPECT_EQ(source.error().message.find('\n'), std::string::npos);
  }
}

TEST_F(KernelSourceTest, MissingDebianPackageNamesTheOtherWays) {
  KernelRequest request;
  request.debian_package = "linux-source-0.1";
  auto source = identify_source(request, cache());
  ASSERT_FALSE(source.ok());
  for (const char* way : {"--kernel-source", "--kernel-tarball", "--kernel-version", "make deps"}) {
    EXPECT_NE(source.error().message.find(way), std::string::npos) << source.error().message;
  }
}

// Extraction: once per tarball, into the cache, atomically.
class TarballExtractionTest : public KernelSourceTest {
 protected:
  Result<SourceTree> prepare(const std::filesystem::path& tarball) {
    KernelRequest request;
    request.tarball = tarball;
    KH_ASSIGN_OR_RETURN(SourceIdentity source, identify_source(request, cache()));
    BuildProgress progress(false, "test");
    KH_ASSIGN_OR_RETURN(BuildLog log, BuildLog::create(path() / "build.log", progress));
    return prepare_source_tree(source, cache(), log, progress);
  }
};

TEST_F(TarballExtractionTest, ExtractsOnceAndReusesTheTree) {
  make_fake_kernel_tree(path() / "src" / "linux-4.19.304", "4.19.304");
  ChildSpec tar;
  tar.argv = {
      "tar",           "-czf", (path() / "linux-4.19.304.tar.gz").string(), "-C", (path() / "src").string(),
      "linux-4.19.304"};
  auto packed = run_command(tar, Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(packed.ok() && packed->exit_code == 0);

  auto tree = prepare(path() / "linux-4.19.304.tar.gz");
  ASSERT_TRUE(tree.ok()) << tree.error().to_string();
  EXPECT_EQ(tree->version.to_string(), "4.19.304");
  EXPECT_EQ(tree->path.filename(), "linux-4.19.304");
  EXPECT_EQ(tree->path.parent_path().parent_path(), cache().sources_dir());
  EXPECT_TRUE(std::filesystem::exists(tree->path / "Kconfig"));

  // A marker in the extracted tree survives a second request: nothing is extracted again.
  write_file(tree->path / "marker", "x");
  auto again = prepare(path() / "linux-4.19.304.tar.gz");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->path, tree->path);
  EXPECT_TRUE(std::filesystem::exists(again->path / "marker"));
  EXPECT_EQ(count_entries(cache().sources_dir(), ".tmp-"), 0);
}

TEST_F(TarballExtractionTest, CorruptTarballIsAOneLineErrorAndLeavesNothing) {
  write_file(path() / "linux-9.9.9.tar.xz", std::string(4096, '\x42'));
  auto tree = prepare(path() / "linux-9.9.9.tar.xz");
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().kind, ErrorKind::Config);
  EXPECT_NE(tree.error().message.find("cannot extract"), std::string::npos) << tree.error().message;
  EXPECT_EQ(tree.error().message.find('\n'), std::string::npos);
  EXPECT_TRUE(tree.error().details.empty());
  EXPECT_EQ(count_entries(cache().sources_dir(), ".tmp-"), 0);
  EXPECT_EQ(count_entries(cache().sources_dir(), sha256_hex(std::string(4096, '\x42')).substr(0, 8)), 0);
}

TEST_F(TarballExtractionTest, TarballWithoutAKernelTreeIsRejected) {
  write_file(path() / "src" / "project" / "README", "not a kernel\n");
  ChildSpec tar;
  tar.argv = {"tar",    "-czf", (path() / "project.tar.gz").string(), "-C", (path() / "src").string(),
              "project"};
  auto packed = run_command(tar, Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(packed.ok() && packed->exit_code == 0);
  auto tree = prepare(path() / "project.tar.gz");
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().kind, ErrorKind::Config);
  EXPECT_NE(tree.error().message.find("holds no kernel source tree"), std::string::npos)
      << tree.error().message;
  EXPECT_EQ(count_entries(cache().sources_dir(), ".tmp-"), 0);
}

}  // namespace
}  // namespace kh::kernel
