// Kernels of single commits of a git tree, built one after another into ONE persistent build
// folder (so that a step recompiles only what changed since the last one) and published as
// ordinary cache entries keyed by the commit, the fragments and the compiler: building the same
// commit again, in any later bisection, is a cache hit.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "kernel/kernel.h"

namespace kh::kernel {

struct CommitBuildRequest {
  std::filesystem::path worktree;  // a tree checked out at `commit` (the caller's own worktree)
  std::string commit;              // its full hash
  std::filesystem::path obj_dir;   // the persistent build folder; the caller serialises its use
  std::vector<std::filesystem::path> extra_fragments;  // --config FRAGMENT...
  std::string description;         // for people: "git <tree> <hash>"
  bool progress = false;           // the build's progress line on a terminal
  int jobs = 0;                    // make -j; 0: default_build_jobs()
};

struct CommitBuild {
  KernelBuild build;
  bool cached = false;     // a cache entry existed: nothing was built
  int compiled_files = 0;  // files kbuild compiled ("CC"/"AS" lines): the size of the rebuild
  double seconds = 0;      // wall time of the build (0 for a cache hit)
};

// The cache key of the commit's kernel: "git-commit:<hash>", every fragment, the compiler, the
// arch. Reads the fragments but not the tree. ErrorKind::Config for a bad fragment.
Result<std::string> commit_cache_key(const CommitBuildRequest& request);

// The ready cache entry of the commit's kernel, without building or reading the tree; nullopt
// when there is none. Errors as commit_cache_key.
Result<std::optional<KernelBuild>> find_commit_kernel(const CommitBuildRequest& request);

// The commit's kernel: a cache hit, else configured (only when the build folder is not
// configured with the same fragments yet), built incrementally in request.obj_dir from the tree
// checked out in request.worktree, verified like every build (kernel_builder.h) and published.
// Errors: ErrorKind::Config for a tree or fragment kharness cannot build, Build for a failing
// step (the log is kept as the key's .failed.log, named in the details), Interrupted on Ctrl-C
// (the build folder stays usable: kbuild redoes what it had not finished).
Result<CommitBuild> provide_commit_kernel(const CommitBuildRequest& request);

}  // namespace kh::kernel
