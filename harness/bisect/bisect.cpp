#include "bisect/bisect.h"

#include <fmt/format.h>

#include <map>
#include <system_error>

#include "common/file_lock.h"
#include "common/paths.h"
#include "common/sha256.h"
#include "engine/trace_engine.h"
#include "kernel/commit_build.h"
#include "kernel/kernel_source.h"
#include "report/golden.h"
#include "trace/scenario.h"

namespace kh::bisect {
namespace {

using kernel::CommitInfo;

std::string short_hash(const std::string& hash) {
  return hash.substr(0, 12);
}

std::string commit_line(const CommitInfo& commit) {
  return fmt::format("{} {} ({})", short_hash(commit.hash), commit.subject, commit.author_date);
}

// Everything a bisection checks before it builds anything.
struct Checked {
  kernel::GitTree tree;
  std::string good, bad;
  std::vector<std::string> commits;  // good..bad, oldest first, bad last
  trace::Scenario scenario;
};

Result<KernelVersion> version_at(const kernel::GitTree& tree, const std::string& rev, std::string_view end) {
  auto makefile = tree.file_at(rev, "Makefile");
  if (!makefile.ok()) {
    return make_error(ErrorKind::Config, "the {} revision {} has no top-level Makefile: not a kernel tree",
                      end, short_hash(rev));
  }
  auto version = kernel::parse_makefile_version(*makefile);
  if (!version.ok()) {
    return make_error(ErrorKind::Config, "the {} revision {} is not a kernel tree: {}", end, short_hash(rev),
                      version.error().message);
  }
  return version;
}

Result<Checked> check_input(const BisectOptions& options) {
  KH_ASSIGN_OR_RETURN(trace::Scenario scenario, trace::load_scenario_file(options.scenario));
  KH_ASSIGN_OR_RETURN(kernel::GitTree tree, kernel::GitTree::open(options.tree));
  KH_ASSIGN_OR_RETURN(std::string good, tree.resolve(options.good));
  KH_ASSIGN_OR_RETURN(std::string bad, tree.resolve(options.bad));
  if (good == bad) {
    return make_error(ErrorKind::Config, "--good and --bad are the same commit {}", short_hash(good));
  }
  KH_ASSIGN_OR_RETURN(bool ancestor, tree.is_ancestor(good, bad));
  if (!ancestor) {
    return make_error(ErrorKind::Config, "--good {} is not an ancestor of --bad {}", options.good,
                      options.bad);
  }
  for (const auto& [rev, end] : {std::pair{good, "good"}, std::pair{bad, "bad"}}) {
    KH_ASSIGN_OR_RETURN(KernelVersion version, version_at(tree, rev, end));
    if (scenario.kernels && !scenario.kernels->contains(version)) {
      return make_error(ErrorKind::Config,
                        "scenario {} applies to kernels {}, but the {} revision {} is linux {}",
                        scenario.name, scenario.kernels->text(), end, short_hash(rev), version.to_string());
    }
  }
  if (!options.golden.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.golden, ec)) {
      return make_error(ErrorKind::Config, "golden {} does not exist", options.golden.string());
    }
    auto golden = report::read_golden(options.golden);
    if (!golden.ok()) {
      return make_error(ErrorKind::Config, "{}", golden.error().message);
    }
  }
  // A bad --config fragment is bad input too, found now rather than at the first build.
  kernel::CommitBuildRequest probe;
  probe.commit = bad;
  probe.extra_fragments = options.extra_fragments;
  KH_TRY(kernel::commit_cache_key(probe));
  KH_ASSIGN_OR_RETURN(std::vector<std::string> commits, tree.ancestry_path(good, bad));
  if (commits.empty() || commits.back() != bad) {
    return make_error(ErrorKind::Config, "git lists no commits from {} to {}", options.good, options.bad);
  }
  return Checked{std::move(tree), std::move(good), std::move(bad), std::move(commits), std::move(scenario)};
}

// The steps' machinery: one commit built, run and judged at a time.
class Stepper {
 public:
  Stepper(const BisectOptions& options, const kernel::GitTree& tree, kernel::PrivateWorktree worktree,
          std::filesystem::path obj_dir)
      : options_(options), tree_(tree), worktree_(std::move(worktree)), obj_dir_(std::move(obj_dir)) {}

  // Builds, runs and judges `hash`. Only Interrupted (and a broken worktree) is an error.
  Result<BisectStep> judge(const std::string& hash, std::string role) {
    BisectStep step;
    step.role = std::move(role);
    KH_ASSIGN_OR_RETURN(step.commit, tree_.commit_info(hash));
    say(fmt::format("{}: {}", step.role, commit_line(step.commit)));

    kernel::CommitBuildRequest request;
    request.worktree = worktree_.path();
    request.commit = hash;
    request.obj_dir = obj_dir_;
    request.extra_fragments = options_.extra_fragments;
    request.description = fmt::format("git {} {}", tree_.path().string(), short_hash(hash));
    request.progress = options_.progress;
    request.jobs = options_.jobs;
    KH_ASSIGN_OR_RETURN(std::optional<kernel::KernelBuild> cached, kernel::find_commit_kernel(request));
    Result<kernel::CommitBuild> built = kernel::CommitBuild{};
    if (cached) {
      built = kernel::CommitBuild{std::move(*cached), true, 0, 0};
    } else {
      say("  checking out and building");
      KH_TRY(worktree_.checkout(hash));
      const auto build_started = Clock::now();
      built = kernel::provide_commit_kernel(request);
      step.build_seconds = std::chrono::duration<double>(Clock::now() - build_started).count();
    }
    if (!built.ok()) {
      Error error = std::move(built).error();
      if (error.kind == ErrorKind::Interrupted) {
        return error;
      }
      step.judgement = Judgement::Skip;
      step.reason =
          error.message.starts_with("build failed") ? error.message : "build failed: " + error.message;
      for (const auto& detail : error.details) {
        if (!detail.empty()) {
          step.reason += " (" + detail.substr(0, detail.find('\n')) + ")";
          break;
        }
      }
      say(fmt::format("  {} -> skip", step.reason));
      return step;
    }
    step.kernel_cached = built->cached;
    step.compiled_files = built->compiled_files;
    step.build_seconds = built->seconds;
    step.kernel_key = built->build.key;
    say(built->cached
            ? fmt::format("  kernel {} is in the cache", built->build.key)
            : fmt::format("  built in {:.1f} s ({} files compiled)", built->seconds, built->compiled_files));

    engine::RunOptions run;
    run.scenario = options_.scenario;
    run.kernel_build = built->build;
    run.accel = options_.accel;
    run.timeout = options_.timeout;
    trace::RunReport report = engine::run_scenario(run);
    step.run_seconds = report.wall_seconds;
    step.verdict = std::string(trace::to_string(report.verdict));
    if (report.verdict == trace::Verdict::Interrupted) {
      return make_error(ErrorKind::Interrupted, "interrupted");
    }
    std::optional<report::GoldenCheck> golden;
    if (!options_.golden.empty() &&
        (report.verdict == trace::Verdict::Pass || report.verdict == trace::Verdict::Fail)) {
      auto checked = report::check_golden(report.trace, options_.golden);
      if (checked.ok()) {
        golden = std::move(*checked);
      }
    }
    Verdict verdict =
        judge_run(report, options_.golden.empty() ? Criterion::ExpectPass : Criterion::Golden, golden);
    step.judgement = verdict.judgement;
    step.reason = verdict.reason;
    traces_[hash] = std::move(report.trace);
    say(fmt::format("  ran in {:.1f} s: {} -> {}", step.run_seconds, step.reason, to_string(step.judgement)));
    return step;
  }

  const trace::Trace* trace_of(const std::string& hash) const {
    auto found = traces_.find(hash);
    return found == traces_.end() ? nullptr : &found->second;
  }

 private:
  void say(const std::string& line) const {
    if (options_.on_line) {
      options_.on_line(line);
    }
  }

  const BisectOptions& options_;
  const kernel::GitTree& tree_;
  kernel::PrivateWorktree worktree_;
  std::filesystem::path obj_dir_;
  std::map<std::string, trace::Trace> traces_;
};

void add_step(BisectResult& result, BisectStep step) {
  result.build_seconds += step.build_seconds;
  result.run_seconds += step.run_seconds;
  if (step.judgement == Judgement::Skip) {
    result.skipped.push_back(step.commit);
  }
  result.steps.push_back(std::move(step));
}

}  // namespace

std::filesystem::path bisect_state_dir(const std::filesystem::path& tree) {
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(tree, ec);
  if (ec) {
    canonical = std::filesystem::absolute(tree, ec);
  }
  return kh::cache_dir() / "bisect" / sha256_hex(canonical.string()).substr(0, 16);
}

Result<BisectResult> run_bisect(const BisectOptions& options) {
  const auto started = Clock::now();
  KH_ASSIGN_OR_RETURN(Checked checked, check_input(options));
  BisectResult result;
  result.criterion = options.golden.empty() ? "expect-pass" : "golden " + options.golden.string();
  result.range_commits = static_cast<int>(checked.commits.size());
  KH_ASSIGN_OR_RETURN(result.good, checked.tree.commit_info(checked.good));
  KH_ASSIGN_OR_RETURN(result.bad, checked.tree.commit_info(checked.bad));

  const std::filesystem::path state = bisect_state_dir(checked.tree.path());
  std::error_code ec;
  std::filesystem::create_directories(state, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", state.string(), ec.message());
  }
  KH_ASSIGN_OR_RETURN(std::optional<FileLock> lock, FileLock::try_acquire(state / ".lock"));
  if (!lock) {
    return make_error(ErrorKind::Io, "another kharness bisect of {} is running ({} is locked)",
                      checked.tree.path().string(), (state / ".lock").string());
  }
  KH_ASSIGN_OR_RETURN(kernel::PrivateWorktree worktree,
                      kernel::PrivateWorktree::ensure(checked.tree, state / "worktree", checked.good));
  Stepper stepper(options, checked.tree, std::move(worktree), state / "build");

  auto say = [&](const std::string& line) {
    if (options.on_line) {
      options.on_line(line);
    }
  };
  say(fmt::format("bisecting {} commits from {} to {}: about {} steps after the two ends",
                  result.range_commits, short_hash(checked.good), short_hash(checked.bad),
                  Bisection(result.range_commits).steps_left()));

  // The ends first: a range whose ends judge alike shows no change, and an end that cannot be
  // judged leaves nothing to compare with.
  KH_ASSIGN_OR_RETURN(BisectStep good_end, stepper.judge(checked.good, "good end"));
  const Judgement good_judgement = good_end.judgement;
  add_step(result, std::move(good_end));
  KH_ASSIGN_OR_RETURN(BisectStep bad_end, stepper.judge(checked.bad, "bad end"));
  const Judgement bad_judgement = bad_end.judgement;
  add_step(result, std::move(bad_end));
  auto finish = [&](BisectResult::Outcome outcome, std::string message) {
    result.outcome = outcome;
    result.message = std::move(message);
    result.wall_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return result;
  };
  if (good_judgement == Judgement::Skip || bad_judgement == Judgement::Skip) {
    result.candidates = {result.good, result.bad};
    return finish(BisectResult::Outcome::Hidden,
                  fmt::format("the {} end cannot be judged: nothing to bisect against",
                              good_judgement == Judgement::Skip ? "good" : "bad"));
  }
  if (good_judgement != Judgement::Good || bad_judgement != Judgement::Bad) {
    return finish(
        BisectResult::Outcome::NoChange,
        good_judgement == bad_judgement
            ? fmt::format("the range does not show the change: both ends are {}", to_string(good_judgement))
            : std::string(
                  "the range shows the opposite change: the good end judges bad and the bad end good"));
  }

  Bisection bisection(result.range_commits);
  int step_number = 0;
  while (auto index = bisection.next()) {
    ++step_number;
    const int total = step_number + bisection.steps_left() - 1;
    KH_ASSIGN_OR_RETURN(BisectStep step, stepper.judge(checked.commits[static_cast<std::size_t>(*index)],
                                                       fmt::format("step {} of about {}", step_number,
                                                                   std::max(total, step_number))));
    bisection.mark(*index, step.judgement);
    add_step(result, std::move(step));
  }

  auto info_of = [&](int index) -> Result<CommitInfo> {
    if (index < 0) {
      return result.good;
    }
    return checked.tree.commit_info(checked.commits[static_cast<std::size_t>(index)]);
  };
  if (auto first_bad = bisection.first_bad()) {
    KH_ASSIGN_OR_RETURN(CommitInfo bad_commit, info_of(*first_bad));
    KH_ASSIGN_OR_RETURN(CommitInfo good_commit, info_of(bisection.last_good()));
    result.first_bad = bad_commit;
    result.last_good = good_commit;
    const trace::Trace* before = stepper.trace_of(good_commit.hash);
    const trace::Trace* after = stepper.trace_of(bad_commit.hash);
    if (before && after) {
      report::TraceDiff diff = report::diff_traces(*before, *after);
      diff.label_a = short_hash(good_commit.hash);
      diff.label_b = short_hash(bad_commit.hash);
      result.diff = std::move(diff);
    }
    return finish(BisectResult::Outcome::Found,
                  fmt::format("the first bad commit is {}", commit_line(bad_commit)));
  }
  for (int index : bisection.hidden_candidates()) {
    KH_ASSIGN_OR_RETURN(CommitInfo commit, info_of(index));
    result.candidates.push_back(std::move(commit));
  }
  if (bisection.last_good() >= 0) {
    KH_ASSIGN_OR_RETURN(CommitInfo good_commit, info_of(bisection.last_good()));
    result.last_good = good_commit;
  } else {
    result.last_good = result.good;
  }
  return finish(BisectResult::Outcome::Hidden,
                fmt::format("skipped commits hide the answer: the first bad commit is one of {}",
                            result.candidates.size()));
}

int bisect_exit_code(const BisectResult& result) {
  switch (result.outcome) {
    case BisectResult::Outcome::Found:
      return 0;
    case BisectResult::Outcome::NoChange:
      return 1;
    case BisectResult::Outcome::Hidden:
      return 3;
  }
  return 3;
}

namespace {

std::string step_times(const BisectStep& step) {
  std::string build = step.kernel_cached
                          ? std::string("kernel cached")
                          : fmt::format("build {:.1f} s, {} files", step.build_seconds, step.compiled_files);
  if (step.verdict.empty()) {
    return build;
  }
  return fmt::format("{}, run {:.1f} s", build, step.run_seconds);
}

nlohmann::json commit_json(const CommitInfo& commit) {
  return {{"hash", commit.hash}, {"subject", commit.subject}, {"author_date", commit.author_date}};
}

}  // namespace

std::string format_bisect_result(const BisectResult& result, const report::TerminalStyle& style) {
  std::string out = fmt::format("\n{}\n", result.message);
  if (result.first_bad) {
    out += fmt::format("  commit  {}\n  subject {}\n  date    {}\n", result.first_bad->hash,
                       result.first_bad->subject, result.first_bad->author_date);
  }
  if (!result.candidates.empty()) {
    out += "the first bad commit is one of:\n";
    for (const auto& commit : result.candidates) {
      out += "  " + commit_line(commit) + "\n";
    }
  }
  if (result.diff) {
    out += fmt::format("\nhow the trace changed from {} (last good) to {} (first bad):\n",
                       result.diff->label_a, result.diff->label_b);
    out += report::format_trace_diff(*result.diff, style);
    if (!out.ends_with('\n')) {
      out += '\n';
    }
  }
  out += "\nsteps:\n";
  for (const auto& step : result.steps) {
    out += fmt::format("  {:<20} {}  {:<4}  {}  ({})\n", step.role, short_hash(step.commit.hash),
                       to_string(step.judgement), step.reason, step_times(step));
  }
  if (!result.skipped.empty()) {
    out += "skipped:\n";
    for (const auto& commit : result.skipped) {
      out += "  " + commit_line(commit) + "\n";
    }
  }
  out += fmt::format("{} commits in the range, {} judged; builds {:.1f} s, runs {:.1f} s, total {:.1f} s\n",
                     result.range_commits, result.steps.size(), result.build_seconds, result.run_seconds,
                     result.wall_seconds);
  return out;
}

nlohmann::json bisect_json(const BisectResult& result) {
  static constexpr const char* kOutcomes[] = {"found", "no-change", "hidden"};
  nlohmann::json json = {
      {"outcome", kOutcomes[static_cast<int>(result.outcome)]},
      {"exit_code", bisect_exit_code(result)},
      {"message", result.message},
      {"criterion", result.criterion},
      {"good", commit_json(result.good)},
      {"bad", commit_json(result.bad)},
      {"range_commits", result.range_commits},
      {"wall_seconds", result.wall_seconds},
      {"build_seconds", result.build_seconds},
      {"run_seconds", result.run_seconds},
  };
  json["first_bad"] = result.first_bad ? commit_json(*result.first_bad) : nlohmann::json(nullptr);
  json["last_good"] = result.last_good ? commit_json(*result.last_good) : nlohmann::json(nullptr);
  json["skipped"] = nlohmann::json::array();
  for (const auto& commit : result.skipped) {
    json["skipped"].push_back(commit_json(commit));
  }
  json["candidates"] = nlohmann::json::array();
  for (const auto& commit : result.candidates) {
    json["candidates"].push_back(commit_json(commit));
  }
  json["steps"] = nlohmann::json::array();
  for (const auto& step : result.steps) {
    json["steps"].push_back({{"role", step.role},
                             {"commit", commit_json(step.commit)},
                             {"judgement", to_string(step.judgement)},
                             {"reason", step.reason},
                             {"verdict", step.verdict},
                             {"kernel_key", step.kernel_key},
                             {"kernel_cached", step.kernel_cached},
                             {"compiled_files", step.compiled_files},
                             {"build_seconds", step.build_seconds},
                             {"run_seconds", step.run_seconds}});
  }
  if (result.diff) {
    nlohmann::json lines = nlohmann::json::array();
    const std::string text = report::format_trace_diff(*result.diff, report::TerminalStyle{});
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) {
        break;
      }
      start = end + 1;
    }
    json["trace_diff"] = {{"from", result.diff->label_a},
                          {"to", result.diff->label_b},
                          {"equivalent", result.diff->equivalent()},
                          {"lines", lines}};
  } else {
    json["trace_diff"] = nullptr;
  }
  return json;
}

}  // namespace kh::bisect
