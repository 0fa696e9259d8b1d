#include "kernel/kernel_source.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/child_process.h"
#include "common/sha256.h"
#include "common/temp_dir.h"
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

// A cached kernel needs no package version: dpkg-query runs only when a build records its source.
TEST(DescribeSource, AsksDpkgOnlyForADebianPackage) {
  SourceIdentity tarball;
  tarball.description = "tarball linux-6.1.tar.xz";
  EXPECT_EQ(describe_source(tarball), "tarball linux-6.1.tar.xz");

  SourceIdentity installed;
  installed.description = "debian dpkg";
  installed.debian_package = "dpkg";  // installed on every Debian: its version follows
  const std::string described = describe_source(installed);
  ASSERT_TRUE(described.starts_with("debian dpkg ")) << described;
  EXPECT_NE(described.find_first_of("0123456789", 12), std::string::npos) << described;

  SourceIdentity missing;
  missing.description = "debian linux-source-0.1";
  missing.debian_package = "linux-source-0.1";  // dpkg-query fails: the description stays
  EXPECT_EQ(describe_source(missing), "debian linux-source-0.1");
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

TEST_F(TarballExtractionTest, AFileThatIsNoTarIsAConfigErrorInTarsWords) {
  write_file(path() / "linux-9.9.8.tar", std::string(4096, 'x'));
  auto tree = prepare(path() / "linux-9.9.8.tar");
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().kind, ErrorKind::Config);
  EXPECT_NE(tree.error().message.find("tar: This does not look like a tar archive"), std::string::npos)
      << tree.error().message;
  EXPECT_EQ(tree.error().message.find('\n'), std::string::npos);
  EXPECT_EQ(count_entries(cache().sources_dir(), ".tmp-"), 0);
}

TEST_F(TarballExtractionTest, CorruptTarballIsAOneLineErrorAndLeavesNothing) {
  write_file(path() / "linux-9.9.9.tar.xz", std::string(4096, '\x42'));
  auto tree = prepare(path() / "linux-9.9.9.tar.xz");
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().kind, ErrorKind::Config);
  EXPECT_NE(tree.error().message.find("cannot extract"), std::string::npos) << tree.error().message;
  // tar's (and its decompressor's) own words, not just "tar failed".
  EXPECT_NE(tree.error().message.find("xz: (stdin): File format not recognized"), std::string::npos)
      << tree.error().message;
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

// Packs `members` (paths below `parent`) into a gzip tarball.
void pack(const std::filesystem::path& tarball, const std::filesystem::path& parent,
          std::vector<std::string> members, bool recursive = true) {
  ChildSpec tar;
  tar.argv = {"tar", "-czf", tarball.string(), "-C", parent.string()};
  if (!recursive) {
    tar.argv.emplace_back("--no-recursion");
  }
  tar.argv.insert(tar.argv.end(), members.begin(), members.end());
  auto packed = run_command(tar, Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(packed.ok() && packed->exit_code == 0) << (packed.ok() ? packed->output : "");
}

// A real full disk: the cache's source folder is a 256 KiB tmpfs, the tree needs 2 MiB.
TEST_F(TarballExtractionTest, AFullDiskIsAnIoErrorThatSaysSo) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "mounting a small tmpfs needs root; the permission variant below covers non-root";
  }
  // A private mount namespace: the tmpfs goes away with this process, whatever happens.
  if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    GTEST_SKIP() << "no private mount namespace here: " << std::strerror(errno);
  }
  make_fake_kernel_tree(path() / "src" / "linux-9.9.1", "9.9.1");
  write_file(path() / "src" / "linux-9.9.1" / "big.bin", std::string(2 << 20, '\0'));
  pack(path() / "linux-9.9.1.tar.gz", path() / "src", {"linux-9.9.1"});
  const std::filesystem::path sources = cache().sources_dir();
  ASSERT_EQ(::mount("tmpfs", sources.c_str(), "tmpfs", 0, "size=256k,mode=0755"), 0) << std::strerror(errno);
  struct Unmount {
    std::filesystem::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{sources};

  auto tree = prepare(path() / "linux-9.9.1.tar.gz");
  ASSERT_FALSE(tree.ok());
  const Error& error = tree.error();
  EXPECT_EQ(error.kind, ErrorKind::Io) << error.to_string();
  EXPECT_NE(error.message.find("No space left on device"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find(sources.string()), std::string::npos) << error.message;
  ASSERT_FALSE(error.details.empty());
  EXPECT_TRUE(error.details.front().starts_with("tar: ")) << error.details.front();
  EXPECT_EQ(count_entries(sources, ".tmp-"), 0);
}

// A folder of the extraction that cannot be written to: GNU tar restores a directory's mode
// (0555 here) once it moves on to another directory, and the member listed after that fails.
TEST_F(TarballExtractionTest, AnUnwritableFolderIsAnIoErrorThatSaysSo) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root writes into read-only folders; the tmpfs variant above covers root";
  }
  const std::filesystem::path src = path() / "src";
  make_fake_kernel_tree(src / "linux-9.9.2", "9.9.2");
  write_file(src / "linux-9.9.2" / "late.c", "int late;\n");
  write_file(src / "other" / "file", "x\n");
  std::filesystem::permissions(src / "linux-9.9.2", std::filesystem::perms(0555));
  pack(path() / "linux-9.9.2.tar.gz", src,
       {"linux-9.9.2", "linux-9.9.2/Makefile", "other", "other/file", "linux-9.9.2/late.c"},
       /*recursive=*/false);
  std::filesystem::permissions(src / "linux-9.9.2", std::filesystem::perms(0755));

  auto tree = prepare(path() / "linux-9.9.2.tar.gz");
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().kind, ErrorKind::Io) << tree.error().to_string();
  EXPECT_NE(tree.error().message.find("Permission denied"), std::string::npos) << tree.error().message;
  ASSERT_FALSE(tree.error().details.empty());
  EXPECT_NE(tree.error().details.front().find("late.c"), std::string::npos) << tree.error().details.front();
  // The read-only folder keeps TempDir from removing the partial tree; that is this test's doing.
  ChildSpec chmod;
  chmod.argv = {"chmod", "-R", "u+w", cache().sources_dir().string()};
  ASSERT_TRUE(run_command(chmod, Deadline::in(std::chrono::seconds(30))).ok());
}

struct ExtractionCase {
  std::string what;
  std::vector<std::string> tar_lines;
  int probe_errno;  // 0: the destination takes data
  ErrorKind kind;
  std::string in_message;
};

TEST(ExtractionError, TellsTheDiskFromTheArchive) {
  const std::vector<std::string> short_write = {"tar: linux/big: Wrote only 7168 of 10240 bytes",
                                                "tar: Exiting with failure status due to previous errors"};
  const std::vector<ExtractionCase> cases = {
      {"not xz",
       {"xz: (stdin): File format not recognized", "tar: Child returned status 1",
        "tar: Error is not recoverable: exiting now"},
       0,
       ErrorKind::Config,
       "xz: (stdin): File format not recognized; tar: Child returned status 1"},
      {"not tar",
       {"tar: This does not look like a tar archive",
        "tar: Exiting with failure status due to previous errors"},
       0,
       ErrorKind::Config,
       "This does not look like a tar archive"},
      {"truncated",
       {"gzip: stdin: unexpected end of file", "tar: Unexpected EOF in archive"},
       0,
       ErrorKind::Config,
       "unexpected end of file"},
      {"silent", {}, 0, ErrorKind::Config, "said nothing"},
      {"full disk, short write", short_write, ENOSPC, ErrorKind::Io, "No space left on device"},
      {"short write, space back", short_write, 0, ErrorKind::Io, "only part of a file"},
      {"quota",
       {"tar: linux/x.c: Cannot write: Disk quota exceeded"},
       0,
       ErrorKind::Io,
       "Disk quota exceeded"},
      {"read-only",
       {"tar: linux: Cannot mkdir: Read-only file system"},
       EROFS,
       ErrorKind::Io,
       "Read-only file system"},
      {"read-only, tar only",
       {"tar: linux: Cannot mkdir: Read-only file system"},
       0,
       ErrorKind::Io,
       "Read-only file system"},
      {"permission",
       {"tar: linux/Makefile: Cannot open: Permission denied"},
       0,
       ErrorKind::Io,
       "Permission denied"},
      {"failing disk",
       {"tar: linux/fs/namespace.c: Cannot write: Input/output error"},
       0,
       ErrorKind::Io,
       "Input/output error"},
      {"corrupt archive on a full disk",
       {"tar: This does not look like a tar archive"},
       ENOSPC,
       ErrorKind::Io,
       "No space left on device"},
  };
  for (const auto& c : cases) {
    Status probe;
    if (c.probe_errno != 0) {
      probe = make_error(ErrorKind::Io, "cannot write to /cache/kernel-sources/.tmp-x: {}",
                         std::strerror(c.probe_errno));
    }
    Error error = extraction_error("/t/linux.tar.xz", "/cache/kernel-sources", c.tar_lines, probe);
    EXPECT_EQ(error.kind, c.kind) << c.what << ": " << error.message;
    EXPECT_NE(error.message.find(c.in_message), std::string::npos) << c.what << ": " << error.message;
    EXPECT_NE(error.message.find("/t/linux.tar.xz"), std::string::npos) << c.what;
    EXPECT_EQ(error.message.find('\n'), std::string::npos) << c.what;
    if (c.kind == ErrorKind::Config) {
      EXPECT_TRUE(error.details.empty()) << c.what;
    } else {
      EXPECT_NE(error.message.find("/cache/kernel-sources"), std::string::npos) << c.what;
      EXPECT_EQ(error.details.size(), c.tar_lines.size()) << c.what;
    }
  }
}

TEST(ExtractionError, KeepsTheLastLinesOfALongComplaint) {
  std::vector<std::string> lines;
  lines.reserve(40);
  for (int i = 0; i < 40; ++i) {
    lines.push_back(fmt::format("tar: linux/file{}: Cannot open: No space left on device", i));
  }
  Error error = extraction_error("/t/linux.tar.xz", "/cache", lines, {});
  EXPECT_EQ(error.kind, ErrorKind::Io);
  ASSERT_EQ(error.details.size(), 10u);
  EXPECT_EQ(error.details.back(), lines.back());
}

}  // namespace
}  // namespace kh::kernel
