// `kharness bisect`: the kernel commit between a good and a bad revision of a git tree where a
// scenario's outcome (or its trace against a golden) changed. kharness bisects in a worktree of
// its own (cache_dir()/bisect/<tree hash>/worktree), builds every step out of tree into one build
// folder next to it (a step recompiles only what changed) and keeps each step's kernel as a cache
// entry of its commit, so that running the same bisection again builds nothing.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bisect/bisection.h"
#include "common/result.h"
#include "kernel/git_tree.h"
#include "report/trace_diff.h"
#include "trace/trace_model.h"
#include "vm/accel.h"

namespace kh::bisect {

struct BisectOptions {
  std::filesystem::path scenario;
  std::filesystem::path tree;  // the user's git tree: only read, never checked out
  std::string good, bad;       // revisions
  std::filesystem::path golden;  // empty: the scenario's PASS is good (--expect-pass)
  std::vector<std::filesystem::path> extra_fragments;
  int jobs = 0;  // make -j; 0: kernel::default_build_jobs()
  vm::Accel accel = vm::Accel::Auto;
  std::optional<std::chrono::milliseconds> timeout;  // per run, as `run --timeout`
  bool progress = false;                             // kernel builds' progress line on a terminal
  // One line per event for people (step started, built, ran); none when empty.
  std::function<void(std::string_view)> on_line;
};

// One judged commit.
struct BisectStep {
  std::string role;  // "good end", "bad end", "step 3"
  kernel::CommitInfo commit;
  Judgement judgement = Judgement::Skip;
  std::string reason;
  std::string verdict;      // the run's verdict, empty when no run happened
  bool kernel_cached = false;
  int compiled_files = 0;   // files the step's build compiled
  double build_seconds = 0;
  double run_seconds = 0;
  std::string kernel_key;
};

struct BisectResult {
  enum class Outcome {
    Found,      // the first bad commit is known
    NoChange,   // the good and the bad end judge the same (or the other way round)
    Hidden,     // skipped commits hide the answer (or an end could not be judged)
  };
  Outcome outcome = Outcome::NoChange;
  std::string message;  // one line for people: what was found
  std::string criterion;  // "expect-pass" or "golden <file>"
  kernel::CommitInfo good, bad;  // the ends
  std::optional<kernel::CommitInfo> first_bad;
  std::optional<kernel::CommitInfo> last_good;
  std::vector<kernel::CommitInfo> skipped;      // every commit skipped, in the order tried
  std::vector<kernel::CommitInfo> candidates;   // Hidden: the commits that may be the first bad
  int range_commits = 0;                        // commits in good..bad
  std::vector<BisectStep> steps;
  std::optional<report::TraceDiff> diff;  // Found: last good -> first bad
  double wall_seconds = 0;
  double build_seconds = 0;  // total of the steps
  double run_seconds = 0;
};

// Runs the bisection. Bad input fails with ErrorKind::Config before any build: not a git tree,
// an unknown revision, good not an ancestor of bad (or equal to it), a scenario that does not
// apply to the kernel versions at the ends, a golden that cannot be read, a bad fragment. Io when
// another bisection of the same tree is running, Interrupted on Ctrl-C (the worktree, the build
// folder and the cache stay consistent; no process is left). Anything a step runs into is that
// step's skip, not an error.
Result<BisectResult> run_bisect(const BisectOptions& options);

// The folder kharness keeps a tree's bisection state in: cache_dir()/bisect/<sha256 of the
// tree's canonical path, 16 digits>/ (worktree/, build/, .lock).
std::filesystem::path bisect_state_dir(const std::filesystem::path& tree);

// The exit status: 0 found, 1 no change, 3 hidden.
int bisect_exit_code(const BisectResult& result);

// The result for people: the first bad commit, the trace diff, the steps and their times.
std::string format_bisect_result(const BisectResult& result, const report::TerminalStyle& style);

// The result as JSON: outcome, ends, first bad and last good commits, skipped commits, steps with
// times, the trace diff as text lines.
nlohmann::json bisect_json(const BisectResult& result);

}  // namespace kh::bisect
