#include "kernel/git_tree.h"

#include <fmt/format.h>

#include <chrono>
#include <system_error>

#include "common/child_process.h"
#include "common/deadline.h"
#include "common/strings.h"

namespace kh::kernel {
namespace {

constexpr auto kGitTimeout = std::chrono::minutes(10);

Result<CommandOutput> run_git(const std::filesystem::path& dir, const std::vector<std::string>& args) {
  ChildSpec spec;
  spec.argv = {"git", "-C", dir.string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  // No pager, no prompts, no translated messages to parse.
  spec.env = {{"LC_ALL", "C"}, {"GIT_TERMINAL_PROMPT", "0"}, {"GIT_PAGER", "cat"}, {"GIT_OPTIONAL_LOCKS", "0"}};
  spec.stdout_mode = Stdio::Pipe;
  spec.stderr_to_stdout = true;
  auto output = run_command(spec, Deadline::in(kGitTimeout));
  if (!output.ok()) {
    Error error = std::move(output).error();
    if (error.kind == ErrorKind::Interrupted) {
      return error;
    }
    return make_error(ErrorKind::Process, "git does not run ({}): install git", error.message);
  }
  return output;
}

bool is_full_hash(std::string_view text) {
  return text.size() == 40 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

std::string first_line(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  return std::string(line);
}

Result<GitTree> GitTree::open(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return make_error(ErrorKind::Config, "{} is not a git tree: no such folder", path.string());
  }
  KH_ASSIGN_OR_RETURN(CommandOutput output, run_git(path, {"rev-parse", "--show-toplevel"}));
  if (output.exit_code != 0) {
    return make_error(ErrorKind::Config, "{} is not a git tree: {}", path.string(), first_line(output.output));
  }
  return GitTree(std::filesystem::path(trim_end(output.output)));
}

Result<std::string> GitTree::git(const std::vector<std::string>& args) const {
  KH_ASSIGN_OR_RETURN(CommandOutput output, run_git(path_, args));
  if (output.exit_code != 0) {
    return make_error(ErrorKind::Config, "git {} failed in {}: {}", args.empty() ? "" : args.front(),
                      path_.string(), first_line(output.output));
  }
  return output.output;
}

Result<std::string> GitTree::resolve(std::string_view rev) const {
  KH_ASSIGN_OR_RETURN(CommandOutput output,
                      run_git(path_, {"rev-parse", "--verify", "--quiet", "--end-of-options",
                                      std::string(rev) + "^{commit}"}));
  std::string hash(trim_end(output.output));
  if (output.exit_code != 0 || !is_full_hash(hash)) {
    return make_error(ErrorKind::Config, "unknown revision '{}' in {}", rev, path_.string());
  }
  return hash;
}

Result<bool> GitTree::is_ancestor(const std::string& ancestor, const std::string& descendant) const {
  KH_ASSIGN_OR_RETURN(CommandOutput output, run_git(path_, {"merge-base", "--is-ancestor", ancestor, descendant}));
  if (output.exit_code > 1) {
    return make_error(ErrorKind::Config, "git merge-base failed in {}: {}", path_.string(),
                      first_line(output.output));
  }
  return output.exit_code == 0;
}

Result<std::vector<std::string>> GitTree::ancestry_path(const std::string& good, const std::string& bad) const {
  KH_ASSIGN_OR_RETURN(std::string text, git({"rev-list", "--ancestry-path", "--topo-order", "--reverse",
                                             good + ".." + bad}));
  std::vector<std::string> commits;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty()) {
      if (!is_full_hash(line)) {
        return make_error(ErrorKind::Parse, "git rev-list printed '{}'", line);
      }
      commits.push_back(std::move(line));
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return commits;
}

Result<CommitInfo> GitTree::commit_info(const std::string& rev) const {
  KH_ASSIGN_OR_RETURN(std::string text, git({"show", "-s", "--format=%H%x00%aI%x00%s", rev, "--"}));
  CommitInfo info;
  std::size_t first = text.find('\0');
  std::size_t second = first == std::string::npos ? first : text.find('\0', first + 1);
  if (second == std::string::npos) {
    return make_error(ErrorKind::Parse, "git show printed no commit for '{}'", rev);
  }
  info.hash = text.substr(0, first);
  info.author_date = text.substr(first + 1, second - first - 1);
  info.subject = trim_end(std::string_view(text).substr(second + 1));
  return info;
}

Result<std::string> GitTree::file_at(const std::string& rev, const std::string& file) const {
  KH_ASSIGN_OR_RETURN(CommandOutput output, run_git(path_, {"show", rev + ":" + file}));
  if (output.exit_code != 0) {
    return make_error(ErrorKind::Config, "{} has no {} at {}", path_.string(), file, rev.substr(0, 12));
  }
  return output.output;
}

Result<PrivateWorktree> PrivateWorktree::ensure(const GitTree& tree, const std::filesystem::path& dir,
                                                const std::string& rev) {
  std::error_code ec;
  if (std::filesystem::exists(dir / ".git", ec)) {
    // Ours when git sees it as a work tree of the same repository.
    auto common = run_git(dir, {"rev-parse", "--path-format=absolute", "--git-common-dir"});
    auto expected = tree.git({"rev-parse", "--path-format=absolute", "--git-common-dir"});
    if (common.ok() && common->exit_code == 0 && expected.ok() &&
        std::filesystem::weakly_canonical(trim_end(common->output), ec) ==
            std::filesystem::weakly_canonical(trim_end(*expected), ec)) {
      return PrivateWorktree(dir);
    }
  }
  // A leftover folder, or one the repository forgot: made again.
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot remove {}: {}", dir.string(), ec.message());
  }
  std::filesystem::create_directories(dir.parent_path(), ec);
  KH_TRY(tree.git({"worktree", "prune"}));
  KH_TRY(tree.git({"worktree", "add", "--detach", "--force", dir.string(), rev}));
  return PrivateWorktree(dir);
}

Status PrivateWorktree::checkout(const std::string& hash) const {
  auto tree = GitTree::open(dir_);
  if (!tree.ok()) {
    return std::move(tree).error();
  }
  // A checkout killed by Ctrl-C leaves its index.lock; nobody else uses this worktree (its owner
  // holds the bisection's lock), so the lock is stale and the forced checkout below repairs the rest.
  if (auto git_dir = tree->git({"rev-parse", "--absolute-git-dir"}); git_dir.ok()) {
    std::error_code ec;
    std::filesystem::remove(std::filesystem::path(trim_end(*git_dir)) / "index.lock", ec);
  }
  KH_TRY(tree->git({"checkout", "--quiet", "--force", "--detach", hash}));
  KH_TRY(tree->git({"clean", "--quiet", "-d", "--force", "-x"}));
  return {};
}

Result<std::string> PrivateWorktree::head() const {
  KH_ASSIGN_OR_RETURN(GitTree tree, GitTree::open(dir_));
  return tree.resolve("HEAD");
}

}  // namespace kh::kernel
