// A kernel tree that is a git repository, read through the `git` program, and a private linked
// worktree of it in which kharness checks out other commits without touching the user's checkout.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kh::kernel {

// One commit, for people.
struct CommitInfo {
  std::string hash;         // 40 hex digits
  std::string subject;      // the first line of the message
  std::string author_date;  // ISO 8601 (`git log --format=%aI`)
};

// A git repository's top-level folder.
class GitTree {
 public:
  // The repository whose work tree is (or contains) `path`. ErrorKind::Config "not a git tree"
  // when git does not know it, ErrorKind::Process when git cannot run.
  static Result<GitTree> open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }

  // The full hash of the commit `rev` names. ErrorKind::Config "unknown revision" otherwise.
  Result<std::string> resolve(std::string_view rev) const;
  // True when `ancestor` is an ancestor of (or equal to) `descendant`; both full hashes.
  Result<bool> is_ancestor(const std::string& ancestor, const std::string& descendant) const;
  // The commits that are descendants of `good` and ancestors of `bad` (bad included, good not),
  // oldest first, parents before children (`git rev-list --ancestry-path --topo-order --reverse`).
  Result<std::vector<std::string>> ancestry_path(const std::string& good, const std::string& bad) const;
  // Hash, subject and author date of a commit. ErrorKind::Config for an unknown one.
  Result<CommitInfo> commit_info(const std::string& rev) const;
  // The contents of `file` (relative to the top) at `rev`. ErrorKind::Config when it has none.
  Result<std::string> file_at(const std::string& rev, const std::string& file) const;

  // Runs `git -C <tree> args...`; the output (stdout and stderr) when git exits 0, else
  // ErrorKind::Config with git's first output line. Fails with Process when git cannot run,
  // Interrupted on Ctrl-C.
  Result<std::string> git(const std::vector<std::string>& args) const;

 private:
  explicit GitTree(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// A detached linked worktree of a repository at a folder kharness owns (`git worktree add
// --detach`). Checking out in it moves only its own HEAD: the repository's branches, its
// refs/bisect and the user's work tree stay as they are.
class PrivateWorktree {
 public:
  // The worktree at `dir`, created from `tree` at `rev` if it does not exist yet (a folder left
  // by a killed creation, or one git no longer knows, is made again). Io/Config/Process errors.
  static Result<PrivateWorktree> ensure(const GitTree& tree, const std::filesystem::path& dir,
                                        const std::string& rev);

  const std::filesystem::path& path() const { return dir_; }

  // Checks out `hash` (detached), discarding any change in the worktree, and removes untracked
  // files, so that the tree is exactly that commit (a checkout left half-done by Ctrl-C included). Only files that differ get a new mtime, which
  // is what keeps an out-of-tree build incremental. Errors as GitTree::git.
  Status checkout(const std::string& hash) const;
  // The commit checked out now.
  Result<std::string> head() const;

 private:
  explicit PrivateWorktree(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

// The first line of a text, without its newline.
std::string first_line(std::string_view text);

}  // namespace kh::kernel
