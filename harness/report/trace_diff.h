// `kharness diff`: how two traces of one scenario differ (4.19 against 6.1, yesterday against
// today), breakpoint by breakpoint: hit counts, call chains (frames added, removed, renamed) and
// captured values. The basis of regression runs across kernel versions.
#pragma once

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "report/terminal_style.h"
#include "trace/trace_model.h"

namespace kh::report {

// One step of the alignment of two call chains, innermost frame first.
struct FrameChange {
  enum class Kind {
    Same,     // the same function in both
    Removed,  // only in A
    Added,    // only in B
    Renamed,  // another function at the same place (`_do_fork` -> `kernel_clone`)
  };
  Kind kind = Kind::Same;
  std::string before;  // A's function, empty when Added
  std::string after;   // B's function, empty when Removed

  friend bool operator==(const FrameChange&, const FrameChange&) = default;
};

// A capture whose value differs between two paired hits (display text, see value_text.h).
struct ValueChange {
  std::string name;
  std::optional<std::string> before;  // nullopt: A's hit has no such capture
  std::optional<std::string> after;   // nullopt: B's hit has no such capture

  friend bool operator==(const ValueChange&, const ValueChange&) = default;
};

// A hit of A and the hit of B it corresponds to, or a hit that only one trace has.
struct HitDiff {
  std::optional<int> index_a;  // Hit::index in A, nullopt when only B has the hit
  std::optional<int> index_b;
  std::vector<FrameChange> chain;   // the whole aligned chain, Same steps included
  std::vector<ValueChange> values;  // only the captures that differ

  // True when both traces have this hit.
  bool paired() const { return index_a.has_value() && index_b.has_value(); }
  // True when some step of `chain` is not Same.
  bool chain_differs() const;
  // True when the hit is unpaired, or its chain or a value differs.
  bool differs() const;
};

// One breakpoint in both traces.
struct BreakpointDiff {
  std::string breakpoint;
  int hits_a = 0;
  int hits_b = 0;
  std::vector<HitDiff> hits;  // every hit of both traces, paired where they correspond

  // True when the hit counts differ or some hit differs.
  bool differs() const;
};

struct TraceDiff {
  std::string label_a;  // what the printer calls each side: the kernel release, else "A"/"B"
  std::string label_b;
  std::string scenario_a;
  std::string scenario_b;
  std::vector<BreakpointDiff> breakpoints;  // A's breakpoints in hit order, then B's others

  // True when every breakpoint has the same hits with the same chains and values.
  bool equivalent() const;
};

// Aligns two chains of function names (innermost first) on their longest common subsequence.
// Between two aligned frames, the frames only A has and those only B has are paired in order as
// renames; the rest are removed or added. Pure.
std::vector<FrameChange> align_chains(const std::vector<std::string>& a, const std::vector<std::string>& b);

// Compares two traces. Per breakpoint the hits of A and B are paired by an alignment that keeps
// their order and maximises how alike their chains are; each pair's chains are aligned with
// align_chains and its captures compared with comparable_capture. Pure; cannot fail.
TraceDiff diff_traces(const trace::Trace& a, const trace::Trace& b);

// The diff for people: per breakpoint, hit counts and the changes of each differing pair of hits
// (identical changes of several pairs shown once), then a one-line summary.
std::string format_trace_diff(const TraceDiff& diff, const TerminalStyle& style);

// Writes format_trace_diff to `out`. Cannot fail (a failed write to a terminal is ignored).
void print_trace_diff(const TraceDiff& diff, std::FILE* out, const TerminalStyle& style);

// The lines format_trace_diff shows under one differing hit (its chain when only one trace has it,
// else the renamed / removed / added frames and the changed values), without colour.
std::vector<std::string> hit_change_lines(const HitDiff& hit);

// The diff as a self-contained HTML page (html_page.h): per breakpoint the call trees of A and B
// side by side (build_call_tree), frames renamed, removed (A) and added (B) coloured as the text
// diff names them, and the change lines of each differing hit. `a` and `b` are the traces
// `diff` was made from. Cannot fail.
std::string trace_diff_html(const TraceDiff& diff, const trace::Trace& a, const trace::Trace& b);

// How trace_diff_sections fits into a page.
struct TraceDiffHtmlOptions {
  std::string id_prefix;        // starts every anchor: PREFIXbp-0, PREFIXbp-1, ...
  int heading_level = 2;        // each breakpoint's heading (2-5); the two sides' one level below
  bool only_differing = false;  // leave out the breakpoints that are the same (one line counts them)
};

// The body of trace_diff_html: per breakpoint a <section class="breakpoint"> with the call trees
// of A and B side by side and the change lines, for trace_diff_html and the matrix page's
// version-to-version changes. `a` and `b` are the traces `diff` was made from. Cannot fail.
std::string trace_diff_sections(const TraceDiff& diff, const trace::Trace& a, const trace::Trace& b,
                                const TraceDiffHtmlOptions& options);

// The key to the colours of trace_diff_sections (renamed, removed, added, syscall entry).
std::string trace_diff_legend();

// Writes trace_diff_html atomically. ErrorKind::Io on failure.
Status write_trace_diff_html(const TraceDiff& diff, const trace::Trace& a, const trace::Trace& b,
                             const std::filesystem::path& path);

}  // namespace kh::report
