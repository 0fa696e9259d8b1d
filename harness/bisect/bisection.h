// The pure part of `kharness bisect`: which commit to try next, how a run judges a commit, when
// the answer is found and when skipped commits hide it. No git, no builds: a list of commits.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "report/golden.h"
#include "trace/run_report.h"

namespace kh::bisect {

// What a step says about its commit.
enum class Judgement {
  Good,  // behaves like the good end
  Bad,   // behaves like the bad end
  Skip,  // cannot be judged (build error, INFRA, TIMEOUT, ERROR): never counted as bad
};

// "good", "bad", "skip".
std::string_view to_string(Judgement judgement);

// A judgement and why, in a few words ("PASS", "FAIL: 2 of 9 expectations failed", "build
// failed: fs/namespace.c:42: error: ...").
struct Verdict {
  Judgement judgement = Judgement::Skip;
  std::string reason;
};

// How a run is judged: the scenario's own verdict (PASS good, FAIL bad), or its trace against a
// golden (equal good, different bad).
enum class Criterion { ExpectPass, Golden };

// Judges one run. ExpectPass: PASS good, FAIL bad, anything else skip. Golden: a run that
// produced a trace (PASS or FAIL) is good when `golden` says Match and bad when it says Differs;
// anything else, or no golden check, is skip. Pure.
Verdict judge_run(const trace::RunReport& report, Criterion criterion,
                  const std::optional<report::GoldenCheck>& golden);

// A bisection over commits c[0] .. c[n-1] (oldest first, each a descendant of the one before in
// the order they are tried), with the good end before c[0] and c[n-1] the bad end, which is
// known bad. The first bad commit is the one after the last good; skipped commits are left out of
// the choice, and when only skipped ones remain between the last good and the first bad the
// answer is hidden.
class Bisection {
 public:
  // `count` commits in the range, the last being the bad end (count >= 1).
  explicit Bisection(int count);

  // The index to try next: the untried, unskipped commit nearest the middle of the remaining
  // range (the older one of two equally near), or nullopt when nothing is left to try.
  std::optional<int> next() const;
  // Records a step's judgement of commit `index` (0 <= index < count). Good moves the good
  // bound up to it, Bad moves the bad bound down to it, Skip marks it untriable.
  void mark(int index, Judgement judgement);

  // The index of the first bad commit: set once nothing is left to try and no skipped commit
  // lies between the last good and the first bad commit.
  std::optional<int> first_bad() const;
  // When the answer is hidden: the commits that may be the first bad one (the skipped ones
  // between the bounds, then the first bad bound), oldest first. Empty otherwise.
  std::vector<int> hidden_candidates() const;
  // True when nothing is left to try.
  bool done() const { return !next().has_value(); }

  int last_good() const { return good_; }  // -1: the good end itself
  int bad() const { return bad_; }
  const std::set<int>& skipped() const { return skipped_; }
  // About how many steps remain: log2 of the commits still to decide, rounded up.
  int steps_left() const;

 private:
  int count_;
  int good_ = -1;  // the newest known good index (-1: the good end)
  int bad_;        // the oldest known bad index
  std::set<int> skipped_;
};

}  // namespace kh::bisect
