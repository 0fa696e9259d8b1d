#include "report/trace_diff.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <string_view>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "report/terminal_report.h"
#include "report/value_text.h"
#include "trace/mount_table.h"

namespace kh::report {
namespace {

using trace::Hit;
using Kind = FrameChange::Kind;

// Above this many hit pairs in one breakpoint the alignment table would take too much memory;
// hits are then paired in order.
constexpr std::size_t kMaxAlignedPairs = 4'000'000;

std::vector<std::string> chain_of(const Hit& hit) {
  std::vector<std::string> functions;
  functions.reserve(hit.frames.size());
  for (const trace::Frame& frame : hit.frames) {
    functions.push_back(frame.func);
  }
  return functions;
}

// Length of the longest common subsequence of two chains.
int common_frames(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<int> previous(b.size() + 1, 0);
  std::vector<int> current(b.size() + 1, 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : std::max(previous[j], current[j - 1]);
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

// A changed value as the diff shows it: a mount list in its comparable form (one line, no
// addresses), any other value as the reports show it.
std::string shown_value(const trace::CapturedValue& capture) {
  return capture.value && trace::is_mount_table_value(*capture.value) ? comparable_capture(capture)
                                                                      : display_capture(capture);
}

// Captures of both hits, by name: A's order, then those only B has.
std::vector<ValueChange> compare_captures(const Hit& a, const Hit& b) {
  std::vector<ValueChange> changes;
  for (const trace::CapturedValue& before : a.captures) {
    const trace::CapturedValue* after = trace::find_capture(b, before.name);
    if (after == nullptr) {
      changes.push_back(ValueChange{before.name, shown_value(before), std::nullopt});
    } else if (comparable_capture(before) != comparable_capture(*after)) {
      changes.push_back(ValueChange{before.name, shown_value(before), shown_value(*after)});
    }
  }
  for (const trace::CapturedValue& after : b.captures) {
    if (trace::find_capture(a, after.name) == nullptr) {
      changes.push_back(ValueChange{after.name, std::nullopt, shown_value(after)});
    }
  }
  return changes;
}

HitDiff paired_hits(const Hit& a, const Hit& b) {
  return HitDiff{a.index, b.index, align_chains(chain_of(a), chain_of(b)), compare_captures(a, b)};
}

HitDiff only_in_a(const Hit& hit) {
  std::vector<FrameChange> chain;
  for (std::string& function : chain_of(hit)) {
    chain.push_back(FrameChange{Kind::Removed, std::move(function), {}});
  }
  return HitDiff{hit.index, std::nullopt, std::move(chain), {}};
}

HitDiff only_in_b(const Hit& hit) {
  std::vector<FrameChange> chain;
  for (std::string& function : chain_of(hit)) {
    chain.push_back(FrameChange{Kind::Added, {}, std::move(function)});
  }
  return HitDiff{std::nullopt, hit.index, std::move(chain), {}};
}

// Pairs the hits of one breakpoint: an order-keeping alignment (weighted LCS over hits) that
// maximises how alike paired chains are, ties broken by equal captures. Hits whose chains share
// no frame are never paired.
std::vector<HitDiff> pair_hits(const std::vector<const Hit*>& a, const std::vector<const Hit*>& b) {
  std::vector<HitDiff> hits;
  if (a.size() * b.size() > kMaxAlignedPairs) {
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      if (i < a.size() && i < b.size()) {
        hits.push_back(paired_hits(*a[i], *b[i]));
      } else {
        hits.push_back(i < a.size() ? only_in_a(*a[i]) : only_in_b(*b[i]));
      }
    }
    return hits;
  }

  // Chains repeat (a loop in the guest hits the same path); score each distinct pair once.
  std::map<std::vector<std::string>, int> chain_ids;
  auto intern = [&chain_ids](const std::vector<const Hit*>& side) {
    std::vector<int> ids;
    ids.reserve(side.size());
    for (const Hit* hit : side) {
      ids.push_back(chain_ids.emplace(chain_of(*hit), static_cast<int>(chain_ids.size())).first->second);
    }
    return ids;
  };
  std::vector<int> ids_a = intern(a);
  std::vector<int> ids_b = intern(b);
  std::vector<const std::vector<std::string>*> chain_by_id(chain_ids.size());
  for (const auto& [chain, id] : chain_ids) {
    chain_by_id[static_cast<std::size_t>(id)] = &chain;
  }
  std::map<std::pair<int, int>, int> shared;
  auto score = [&](std::size_t i, std::size_t j) {
    auto key = std::make_pair(ids_a[i], ids_b[j]);
    auto it = shared.find(key);
    if (it == shared.end()) {
      it = shared
               .emplace(key, common_frames(*chain_by_id[static_cast<std::size_t>(key.first)],
                                           *chain_by_id[static_cast<std::size_t>(key.second)]))
               .first;
    }
    int common = it->second;
    if (common == 0) {
      return 0;
    }
    int equal_values = 0;
    for (const trace::CapturedValue& value : a[i]->captures) {
      const trace::CapturedValue* other = trace::find_capture(*b[j], value.name);
      equal_values += other != nullptr && comparable_capture(value) == comparable_capture(*other) ? 1 : 0;
    }
    // Shared frames count for, frames only one chain has against: of two candidates sharing as
    // many frames, the one with the fewer changes wins. Equal values break the remaining ties.
    int changed = static_cast<int>(a[i]->frames.size() + b[j]->frames.size()) - 2 * common;
    return std::max(4 * common - changed, 1) * 64 + std::min(equal_values, 63);
  };

  std::size_t n = a.size();
  std::size_t m = b.size();
  std::vector<int> best((n + 1) * (m + 1), 0);
  auto at = [m](std::size_t i, std::size_t j) { return i * (m + 1) + j; };
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      int s = score(i - 1, j - 1);
      int pair = s > 0 ? best[at(i - 1, j - 1)] + s : 0;
      best[at(i, j)] = std::max({best[at(i - 1, j)], best[at(i, j - 1)], pair});
    }
  }
  std::size_t i = n;
  std::size_t j = m;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0) {
      int s = score(i - 1, j - 1);
      if (s > 0 && best[at(i, j)] == best[at(i - 1, j - 1)] + s) {
        hits.push_back(paired_hits(*a[i - 1], *b[j - 1]));
        --i, --j;
        continue;
      }
    }
    if (i > 0 && (j == 0 || best[at(i, j)] == best[at(i - 1, j)])) {
      hits.push_back(only_in_a(*a[--i]));
    } else {
      hits.push_back(only_in_b(*b[--j]));
    }
  }
  std::reverse(hits.begin(), hits.end());
  return hits;
}

// ---- printing ----

std::string names_of(const std::vector<const FrameChange*>& changes, Kind kind) {
  std::string text;
  for (const FrameChange* change : changes) {
    if (change->kind != kind) {
      continue;
    }
    if (!text.empty()) {
      text += ", ";
    }
    text += kind == Kind::Renamed ? fmt::format("{} -> {}", change->before, change->after)
                                  : (kind == Kind::Removed ? change->before : change->after);
  }
  return text;
}

// "between do_mount and __do_sys_mount": where a run of changes sits in the printed chain.
std::string place_of(const std::vector<FrameChange>& chain, std::size_t first, std::size_t end) {
  const std::string* inner = first > 0 ? &chain[first - 1].before : nullptr;
  const std::string* outer = end < chain.size() ? &chain[end].before : nullptr;
  if (inner != nullptr && outer != nullptr) {
    return fmt::format("between {} and {}", *inner, *outer);
  }
  if (inner != nullptr) {
    return fmt::format("after {}", *inner);
  }
  if (outer != nullptr) {
    return fmt::format("before {}", *outer);
  }
  return "whole chain";
}

// The chain with the changes marked: -removed +added old=>new.
std::string merged_chain(const std::vector<FrameChange>& chain, const TerminalStyle& style) {
  std::vector<std::string> steps;
  for (const FrameChange& change : chain) {
    switch (change.kind) {
      case Kind::Same:
        steps.push_back(change.before);
        break;
      case Kind::Removed:
        steps.push_back(paint(style, Tone::Bad, "-" + change.before));
        break;
      case Kind::Added:
        steps.push_back(paint(style, Tone::Good, "+" + change.after));
        break;
      case Kind::Renamed:
        steps.push_back(paint(style, Tone::Warn, fmt::format("{}=>{}", change.before, change.after)));
        break;
    }
  }
  return fmt::format("{}", fmt::join(steps, " <- "));
}

std::vector<std::string> functions_of(const std::vector<FrameChange>& chain, bool before) {
  std::vector<std::string> functions;
  functions.reserve(chain.size());
  for (const FrameChange& change : chain) {
    functions.push_back(before ? change.before : change.after);
  }
  return functions;
}

// The lines under a differing hit: its chain when only one trace has it, else one line per kind
// of change in each run of changed frames, then the changed values.
std::vector<std::string> change_lines(const HitDiff& hit, const TerminalStyle& style) {
  std::vector<std::string> lines;
  if (!hit.paired()) {
    std::string chain = displayed_chain(functions_of(hit.chain, hit.index_a.has_value()), style.verbosity);
    lines.push_back(chain.empty() ? "(no backtrace)" : chain);
    return lines;
  }
  if (hit.chain_differs() && style.verbosity == Verbosity::Verbose) {
    lines.push_back(merged_chain(hit.chain, style));
  }
  std::size_t i = 0;
  while (i < hit.chain.size()) {
    if (hit.chain[i].kind == Kind::Same) {
      ++i;
      continue;
    }
    std::size_t end = i;
    std::vector<const FrameChange*> run;
    while (end < hit.chain.size() && hit.chain[end].kind != Kind::Same) {
      run.push_back(&hit.chain[end++]);
    }
    std::string place = paint(style, Tone::Faint, fmt::format("  ({})", place_of(hit.chain, i, end)));
    for (auto [kind, word, tone] :
         {std::tuple{Kind::Renamed, "renamed", Tone::Warn}, std::tuple{Kind::Removed, "removed", Tone::Bad},
          std::tuple{Kind::Added, "added  ", Tone::Good}}) {
      std::string names = names_of(run, kind);
      if (!names.empty()) {
        lines.push_back(fmt::format("{} {}{}", paint(style, tone, word), names, place));
      }
    }
    i = end;
  }
  for (const ValueChange& value : hit.values) {
    lines.push_back(fmt::format("value   {}: {} -> {}", value.name, value.before.value_or("(not captured)"),
                                value.after.value_or("(not captured)")));
  }
  return lines;
}

std::string pair_label(const HitDiff& hit) {
  if (hit.paired()) {
    return fmt::format("#{} vs #{}", *hit.index_a, *hit.index_b);
  }
  return fmt::format("#{}", hit.index_a ? *hit.index_a : *hit.index_b);
}

// Differing hits with the same lines, shown once: "hits #1 vs #1, #2 vs #2".
struct HitGroup {
  int side = 0;  // 0 paired, 1 only in A, 2 only in B
  std::vector<std::string> lines;
  std::vector<std::string> labels;
};

void append_breakpoint(std::string& out, const BreakpointDiff& breakpoint, const TraceDiff& diff,
                       const TerminalStyle& style) {
  std::string name = paint(style, Tone::Strong, breakpoint.breakpoint);
  if (!breakpoint.differs()) {
    fmt::format_to(
        std::back_inserter(out), "{}: {}\n", name,
        paint(style, Tone::Faint,
              fmt::format("same ({} hit{})", breakpoint.hits_a, breakpoint.hits_a == 1 ? "" : "s")));
    return;
  }
  if (breakpoint.hits_a == breakpoint.hits_b) {
    fmt::format_to(std::back_inserter(out), "{}: {} hit{} in both\n", name, breakpoint.hits_a,
                   breakpoint.hits_a == 1 ? "" : "s");
  } else {
    fmt::format_to(std::back_inserter(out), "{}: hits {} -> {}\n", name, breakpoint.hits_a,
                   paint(style, Tone::Warn, std::to_string(breakpoint.hits_b)));
  }
  std::vector<HitGroup> groups;
  for (const HitDiff& hit : breakpoint.hits) {
    if (!hit.differs()) {
      continue;
    }
    int side = hit.paired() ? 0 : (hit.index_a ? 1 : 2);
    std::vector<std::string> lines = change_lines(hit, style);
    auto group = std::find_if(groups.begin(), groups.end(),
                              [&](const HitGroup& g) { return g.side == side && g.lines == lines; });
    if (group == groups.end()) {
      groups.push_back(HitGroup{side, std::move(lines), {}});
      group = std::prev(groups.end());
    }
    group->labels.push_back(pair_label(hit));
  }
  for (const HitGroup& group : groups) {
    std::string where =
        group.side == 0 ? "" : fmt::format(" only in {}", group.side == 1 ? diff.label_a : diff.label_b);
    fmt::format_to(std::back_inserter(out), "  hit{} {}{}:\n", group.labels.size() > 1 ? "s" : "",
                   fmt::join(group.labels, ", "), where);
    for (const std::string& line : group.lines) {
      fmt::format_to(std::back_inserter(out), "    {}\n", line);
    }
  }
}

}  // namespace

bool HitDiff::chain_differs() const {
  return std::any_of(chain.begin(), chain.end(), [](const FrameChange& c) { return c.kind != Kind::Same; });
}

bool HitDiff::differs() const {
  return !paired() || chain_differs() || !values.empty();
}

bool BreakpointDiff::differs() const {
  return hits_a != hits_b ||
         std::any_of(hits.begin(), hits.end(), [](const HitDiff& h) { return h.differs(); });
}

bool TraceDiff::equivalent() const {
  return std::none_of(breakpoints.begin(), breakpoints.end(),
                      [](const BreakpointDiff& b) { return b.differs(); });
}

std::vector<FrameChange> align_chains(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  // common[i][j]: the LCS length of a[i..] and b[j..], so the walk below can go innermost first.
  std::size_t n = a.size();
  std::size_t m = b.size();
  std::vector<int> common((n + 1) * (m + 1), 0);
  auto at = [m](std::size_t i, std::size_t j) { return i * (m + 1) + j; };
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      common[at(i, j)] =
          a[i] == b[j] ? common[at(i + 1, j + 1)] + 1 : std::max(common[at(i + 1, j)], common[at(i, j + 1)]);
    }
  }

  std::vector<FrameChange> changes;
  std::vector<std::string> only_a;
  std::vector<std::string> only_b;
  auto flush = [&]() {
    std::size_t renamed = std::min(only_a.size(), only_b.size());
    for (std::size_t k = 0; k < renamed; ++k) {
      changes.push_back(FrameChange{Kind::Renamed, only_a[k], only_b[k]});
    }
    for (std::size_t k = renamed; k < only_a.size(); ++k) {
      changes.push_back(FrameChange{Kind::Removed, only_a[k], {}});
    }
    for (std::size_t k = renamed; k < only_b.size(); ++k) {
      changes.push_back(FrameChange{Kind::Added, {}, only_b[k]});
    }
    only_a.clear();
    only_b.clear();
  };
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < n && j < m) {
    if (a[i] == b[j] && common[at(i, j)] == common[at(i + 1, j + 1)] + 1) {
      flush();
      changes.push_back(FrameChange{Kind::Same, a[i], b[j]});
      ++i, ++j;
    } else if (common[at(i + 1, j)] >= common[at(i, j + 1)]) {
      only_a.push_back(a[i++]);
    } else {
      only_b.push_back(b[j++]);
    }
  }
  only_a.insert(only_a.end(), a.begin() + static_cast<std::ptrdiff_t>(i), a.end());
  only_b.insert(only_b.end(), b.begin() + static_cast<std::ptrdiff_t>(j), b.end());
  flush();
  return changes;
}

TraceDiff diff_traces(const trace::Trace& a, const trace::Trace& b) {
  TraceDiff diff;
  diff.label_a = a.kernel_release.empty() ? "A" : a.kernel_release;
  diff.label_b = b.kernel_release.empty() ? "B" : b.kernel_release;
  if (diff.label_a == diff.label_b) {
    diff.label_a = "A";
    diff.label_b = "B";
  }
  diff.scenario_a = a.scenario;
  diff.scenario_b = b.scenario;

  std::vector<std::string> names;
  for (const trace::Trace* side : {&a, &b}) {
    for (const Hit& hit : side->hits) {
      if (std::find(names.begin(), names.end(), hit.breakpoint) == names.end()) {
        names.push_back(hit.breakpoint);
      }
    }
  }
  for (const std::string& name : names) {
    std::vector<const Hit*> hits_a = trace::hits_of(a, name);
    std::vector<const Hit*> hits_b = trace::hits_of(b, name);
    diff.breakpoints.push_back(BreakpointDiff{name, static_cast<int>(hits_a.size()),
                                              static_cast<int>(hits_b.size()), pair_hits(hits_a, hits_b)});
  }
  return diff;
}

std::string format_trace_diff(const TraceDiff& diff, const TerminalStyle& style) {
  std::string out;
  fmt::format_to(std::back_inserter(out), "A = {}   B = {}\n", paint(style, Tone::Strong, diff.label_a),
                 paint(style, Tone::Strong, diff.label_b));
  if (diff.scenario_a != diff.scenario_b) {
    fmt::format_to(std::back_inserter(out), "{}: A is scenario '{}', B is scenario '{}'\n",
                   paint(style, Tone::Warn, "note"), diff.scenario_a, diff.scenario_b);
  }
  std::vector<std::string> differing;
  for (const BreakpointDiff& breakpoint : diff.breakpoints) {
    append_breakpoint(out, breakpoint, diff, style);
    if (breakpoint.differs()) {
      differing.push_back(breakpoint.breakpoint);
    }
  }
  if (differing.empty()) {
    fmt::format_to(std::back_inserter(out), "{}: same hits, call chains and values at {} breakpoint{}\n",
                   paint(style, Tone::Good, "equivalent"), diff.breakpoints.size(),
                   diff.breakpoints.size() == 1 ? "" : "s");
  } else {
    fmt::format_to(std::back_inserter(out), "{}: {} of {} breakpoints ({})\n",
                   paint(style, Tone::Bad, "different"), differing.size(), diff.breakpoints.size(),
                   fmt::join(differing, ", "));
  }
  return out;
}

std::vector<std::string> hit_change_lines(const HitDiff& hit) {
  return change_lines(hit, TerminalStyle{});
}

void print_trace_diff(const TraceDiff& diff, std::FILE* out, const TerminalStyle& style) {
  std::string text = format_trace_diff(diff, style);
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

}  // namespace kh::report
