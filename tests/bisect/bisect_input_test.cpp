// Bad input to `kharness bisect` is a one-line Config error before any build: small git trees
// made in a temporary folder stand in for kernel trees (the checks only read git and Makefiles).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "bisect/bisect.h"
#include "common/child_process.h"
#include "common/temp_dir.h"
#include "kernel/git_tree.h"

namespace kh::bisect {
namespace {

void git(const std::filesystem::path& dir, std::vector<std::string> args) {
  ChildSpec spec;
  spec.argv = {"git", "-C", dir.string(), "-c", "user.name=T", "-c", "user.email=t@example.invalid"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  auto out = run_command(spec, Deadline::in(std::chrono::seconds(30)));
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->exit_code, 0) << out->output;
}

void write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file) << text;
}

std::string text_of(const Result<std::string>& result) { return result.ok() ? *result : std::string(); }

std::string makefile(int version, int patchlevel) {
  return "VERSION = " + std::to_string(version) + "\nPATCHLEVEL = " + std::to_string(patchlevel) +
         "\nSUBLEVEL = 0\nEXTRAVERSION =\n";
}

// A repository with commits "one" (linux 6.1) -> "two" -> "three" on main and "side" branching
// from "one"; "old" is a root of its own with linux 3.10.
class BisectInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kh-bisect-input-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    repo_ = dir_->path() / "repo";
    std::filesystem::create_directories(repo_);
    git(repo_, {"init", "-q", "-b", "main"});
    write(repo_ / "Makefile", makefile(6, 1));
    git(repo_, {"add", "Makefile"});
    git(repo_, {"commit", "-q", "-m", "one"});
    git(repo_, {"tag", "one"});
    for (const char* name : {"two", "three"}) {
      write(repo_ / "file", name);
      git(repo_, {"add", "file"});
      git(repo_, {"commit", "-q", "-m", name});
      git(repo_, {"tag", name});
    }
    git(repo_, {"checkout", "-q", "-b", "side", "one"});
    write(repo_ / "side", "side");
    git(repo_, {"add", "side"});
    git(repo_, {"commit", "-q", "-m", "side"});
    git(repo_, {"tag", "side"});
    git(repo_, {"checkout", "-q", "--orphan", "ancient"});
    write(repo_ / "Makefile", makefile(3, 10));
    git(repo_, {"add", "Makefile"});
    git(repo_, {"commit", "-q", "-m", "old"});
    git(repo_, {"tag", "old"});
    write(repo_ / "Makefile", makefile(6, 1));
    git(repo_, {"commit", "-q", "-a", "-m", "new"});
    git(repo_, {"tag", "new"});
    git(repo_, {"checkout", "-q", "main"});
  }

  BisectOptions options(std::string good, std::string bad) const {
    BisectOptions o;
    o.scenario = std::filesystem::path(KH_SOURCE_DIR) / "scenarios" / "trace-mount.xml";
    o.tree = repo_;
    o.good = std::move(good);
    o.bad = std::move(bad);
    return o;
  }

  std::unique_ptr<TempDir> dir_;
  std::filesystem::path repo_;
};

struct BadInput {
  std::string good, bad;
  std::string message_part;
};

TEST_F(BisectInputTest, BadRevisionsAreConfigErrors) {
  const std::vector<BadInput> cases = {
      {"one", "nonesuch", "unknown revision 'nonesuch'"},
      {"nonesuch", "three", "unknown revision 'nonesuch'"},
      {"three", "one", "is not an ancestor of --bad"},
      {"side", "three", "is not an ancestor of --bad"},
      {"two", "two", "are the same commit"},
      {"old", "new", "applies to kernels >=4.19, but the good revision"},
  };
  for (const auto& c : cases) {
    auto result = run_bisect(options(c.good, c.bad));
    ASSERT_FALSE(result.ok()) << c.good << ".." << c.bad;
    EXPECT_EQ(result.error().kind, ErrorKind::Config) << result.error().message;
    EXPECT_NE(result.error().message.find(c.message_part), std::string::npos) << result.error().message;
    EXPECT_EQ(result.error().message.find('\n'), std::string::npos) << result.error().message;
  }
}

TEST_F(BisectInputTest, NotAGitTreeIsAConfigError) {
  BisectOptions o = options("one", "three");
  o.tree = dir_->path();
  auto result = run_bisect(o);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::Config);
  EXPECT_NE(result.error().message.find("is not a git tree"), std::string::npos) << result.error().message;
}

TEST_F(BisectInputTest, AMissingGoldenIsAConfigError) {
  BisectOptions o = options("one", "three");
  o.golden = dir_->path() / "missing.json";
  auto result = run_bisect(o);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::Config);
  EXPECT_NE(result.error().message.find("does not exist"), std::string::npos) << result.error().message;
}

TEST_F(BisectInputTest, GitTreeListsTheAncestryPathOldestFirst) {
  auto tree = kernel::GitTree::open(repo_);
  ASSERT_TRUE(tree.ok());
  auto one = tree->resolve("one");
  auto three = tree->resolve("three");
  auto two = tree->resolve("two");
  ASSERT_TRUE(one.ok() && two.ok() && three.ok());
  auto path = tree->ancestry_path(*one, *three);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, (std::vector<std::string>{*two, *three}));
  auto info = tree->commit_info(*two);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->subject, "two");
  EXPECT_EQ(info->hash, *two);
  EXPECT_FALSE(info->author_date.empty());
}

TEST_F(BisectInputTest, APrivateWorktreeLeavesTheUsersCheckoutAlone) {
  auto tree = kernel::GitTree::open(repo_);
  ASSERT_TRUE(tree.ok());
  auto head_before = tree->resolve("HEAD");
  auto one = tree->resolve("one");
  auto three = tree->resolve("three");
  ASSERT_TRUE(head_before.ok() && one.ok() && three.ok());
  auto worktree = kernel::PrivateWorktree::ensure(*tree, dir_->path() / "wt", *one);
  ASSERT_TRUE(worktree.ok()) << worktree.error().message;
  ASSERT_TRUE(worktree->checkout(*three).ok());
  EXPECT_EQ(text_of(worktree->head()), *three);
  EXPECT_TRUE(std::filesystem::exists(dir_->path() / "wt" / "file"));
  ASSERT_TRUE(worktree->checkout(*one).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_->path() / "wt" / "file"));
  EXPECT_EQ(text_of(tree->resolve("HEAD")), *head_before);
  auto branch = tree->git({"symbolic-ref", "HEAD"});
  EXPECT_EQ(text_of(branch), "refs/heads/main\n");
  // Opening it again reuses it.
  auto again = kernel::PrivateWorktree::ensure(*tree, dir_->path() / "wt", *three);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(text_of(again->head()), *one);
}

}  // namespace
}  // namespace kh::bisect
