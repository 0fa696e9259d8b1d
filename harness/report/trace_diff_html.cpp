// The HTML page of `kharness diff --html` (declared in trace_diff.h).
#include <algorithm>
#include <iterator>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "report/call_tree.h"
#include "report/html_page.h"
#include "report/html_text.h"
#include "report/trace_diff.h"

namespace kh::report {
namespace {

using Kind = FrameChange::Kind;

// Per Hit::index of one side, the marking of each of its frames (innermost first).
using SideMarks = std::map<int, std::vector<FrameMarking>>;

// What each frame of each hit of one breakpoint became on the other side.
void collect_marks(const BreakpointDiff& breakpoint, const TraceDiff& diff, SideMarks& a, SideMarks& b) {
  for (const HitDiff& hit : breakpoint.hits) {
    std::vector<FrameMarking> side_a;
    std::vector<FrameMarking> side_b;
    for (const FrameChange& change : hit.chain) {
      switch (change.kind) {
        case Kind::Same:
          side_a.push_back({FrameMark::Same, {}});
          side_b.push_back({FrameMark::Same, {}});
          break;
        case Kind::Removed:
          side_a.push_back({FrameMark::Removed, "not in " + diff.label_b});
          break;
        case Kind::Added:
          side_b.push_back({FrameMark::Added, "not in " + diff.label_a});
          break;
        case Kind::Renamed: {
          std::string note = fmt::format("{}=>{}", change.before, change.after);
          side_a.push_back({FrameMark::Renamed, note});
          side_b.push_back({FrameMark::Renamed, note});
          break;
        }
      }
    }
    if (hit.index_a)
      a[*hit.index_a] = std::move(side_a);
    if (hit.index_b)
      b[*hit.index_b] = std::move(side_b);
  }
}

FrameMarker marker_for(const SideMarks& marks) {
  return [&marks](const trace::Hit& hit, std::size_t level) {
    auto it = marks.find(hit.index);
    if (it == marks.end() || level >= it->second.size())
      return FrameMarking{};
    return it->second[level];
  };
}

std::string line_class(const std::string& line) {
  for (std::string_view word : {"renamed", "removed", "added", "value"}) {
    if (std::string_view(line).starts_with(word))
      return std::string(word);
  }
  return "chain";
}

std::string plural(int count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

void append_side(std::string& out, const trace::Trace& trace, const std::string& breakpoint,
                 const std::string& label, const SideMarks& marks, std::string_view side, int heading) {
  auto to = std::back_inserter(out);
  std::vector<const trace::Hit*> hits = trace::hits_of(trace, breakpoint);
  fmt::format_to(
      to,
      "<div class=\"side side-{}\"><h{} class=\"side-head\">{} = {} <span class=\"muted\">{}</span>"
      "</h{}>\n",
      side, heading, side, html_escape(label), plural(static_cast<int>(hits.size()), "hit", "hits"), heading);
  CallTree tree = build_call_tree(hits, marker_for(marks));
  if (tree.nodes.empty()) {
    out += "<p class=\"muted\">no counted hits</p></div>\n";
    return;
  }
  CallTreeSvgOptions options;
  options.title = fmt::format("call tree of {} in {}", breakpoint, label);
  options.breakpoint = breakpoint;
  out += "<div class=\"figure\">\n" + call_tree_svg(tree, options) + "</div></div>\n";
}

// The change lines of the differing hits, identical ones once: "hits #1 vs #1, #2 vs #2".
void append_change_lines(std::string& out, const BreakpointDiff& breakpoint, const TraceDiff& diff) {
  struct Group {
    std::vector<std::string> lines;
    std::vector<std::string> labels;
    int side = 0;
  };
  std::vector<Group> groups;
  for (const HitDiff& hit : breakpoint.hits) {
    if (!hit.differs())
      continue;
    int side = hit.paired() ? 0 : (hit.index_a ? 1 : 2);
    std::vector<std::string> lines = hit_change_lines(hit);
    auto group = std::find_if(groups.begin(), groups.end(),
                              [&](const Group& g) { return g.side == side && g.lines == lines; });
    if (group == groups.end()) {
      groups.push_back(Group{std::move(lines), {}, side});
      group = std::prev(groups.end());
    }
    group->labels.push_back(hit.paired() ? fmt::format("#{} vs #{}", *hit.index_a, *hit.index_b)
                                         : fmt::format("#{}", hit.index_a ? *hit.index_a : *hit.index_b));
  }
  if (groups.empty())
    return;
  auto to = std::back_inserter(out);
  out += "<div class=\"hit-changes\">\n";
  for (const Group& group : groups) {
    std::string where =
        group.side == 0 ? "" : fmt::format(" only in {}", group.side == 1 ? diff.label_a : diff.label_b);
    fmt::format_to(to, "<p>hit{} {}{}:</p>\n<ul class=\"change-lines\">", group.labels.size() > 1 ? "s" : "",
                   html_escape(fmt::format("{}", fmt::join(group.labels, ", "))), html_escape(where));
    for (const std::string& line : group.lines) {
      fmt::format_to(to, "<li class=\"{}\">{}</li>", line_class(line), html_escape(line));
    }
    out += "</ul>\n";
  }
  out += "</div>\n";
}

}  // namespace

std::string trace_diff_legend() {
  return "<p class=\"legend\">Frames against the other side, as <code>kharness diff</code> names them:"
         "<span class=\"key renamed\"></span>renamed (A=&gt;B)<span class=\"key removed\"></span>removed "
         "(only in A)<span class=\"key added\"></span>added (only in B)<span class=\"key "
         "faded\"></span>syscall "
         "entry frames</p>\n";
}

std::string trace_diff_sections(const TraceDiff& diff, const trace::Trace& a, const trace::Trace& b,
                                const TraceDiffHtmlOptions& options) {
  std::string out;
  auto to = std::back_inserter(out);
  int heading = std::clamp(options.heading_level, 2, 5);
  std::size_t left_out = 0;
  for (std::size_t k = 0; k < diff.breakpoints.size(); ++k) {
    const BreakpointDiff& breakpoint = diff.breakpoints[k];
    if (options.only_differing && !breakpoint.differs()) {
      ++left_out;
      continue;
    }
    std::string summary = !breakpoint.differs()
                              ? fmt::format("same ({})", plural(breakpoint.hits_a, "hit", "hits"))
                          : breakpoint.hits_a == breakpoint.hits_b
                              ? fmt::format("{} in both, different", plural(breakpoint.hits_a, "hit", "hits"))
                              : fmt::format("hits {} \u2192 {}", breakpoint.hits_a, breakpoint.hits_b);
    fmt::format_to(to,
                   "<section class=\"breakpoint{}\" id=\"{}bp-{}\" data-breakpoint=\"{}\">\n<h{}>{} <span "
                   "class=\"muted\">{}</span></h{}>\n<div class=\"sides\">\n",
                   breakpoint.differs() ? " differs" : "", options.id_prefix, k,
                   html_escape(breakpoint.breakpoint), heading, html_escape(breakpoint.breakpoint), summary,
                   heading);
    SideMarks marks_a;
    SideMarks marks_b;
    collect_marks(breakpoint, diff, marks_a, marks_b);
    append_side(out, a, breakpoint.breakpoint, diff.label_a, marks_a, "A", heading + 1);
    append_side(out, b, breakpoint.breakpoint, diff.label_b, marks_b, "B", heading + 1);
    out += "</div>\n";
    append_change_lines(out, breakpoint, diff);
    out += "</section>\n";
  }
  if (left_out > 0) {
    fmt::format_to(to, "<p class=\"muted same-breakpoints\">{} the same in both.</p>\n",
                   left_out == 1 ? std::string("One more breakpoint is")
                                 : fmt::format("{} more breakpoints are", left_out));
  }
  return out;
}

std::string trace_diff_html(const TraceDiff& diff, const trace::Trace& a, const trace::Trace& b) {
  bool same = diff.equivalent();
  std::string out = html_page_start(
      fmt::format("{}: {} vs {}", same ? "equivalent" : "different", diff.label_a, diff.label_b));
  auto to = std::back_inserter(out);
  int differing = static_cast<int>(std::count_if(diff.breakpoints.begin(), diff.breakpoints.end(),
                                                 [](const BreakpointDiff& bp) { return bp.differs(); }));
  fmt::format_to(to,
                 "<header class=\"head\">\n<h1><span class=\"badge {}\">{}</span> <span>{}</span></h1>\n"
                 "<dl class=\"facts\"><div><dt>A</dt><dd>{}</dd></div><div><dt>B</dt><dd>{}</dd></div>"
                 "<div><dt>breakpoints</dt><dd>{} of {} differ</dd></div></dl>\n",
                 same ? "pass" : "fail", same ? "EQUIVALENT" : "DIFFERENT",
                 html_escape(diff.scenario_a.empty() ? "(unnamed scenario)" : diff.scenario_a),
                 html_escape(diff.label_a), html_escape(diff.label_b), differing, diff.breakpoints.size());
  if (diff.scenario_a != diff.scenario_b) {
    fmt::format_to(to, "<p class=\"detail skipped\">A is scenario '{}', B is scenario '{}'</p>\n",
                   html_escape(diff.scenario_a), html_escape(diff.scenario_b));
  }
  out += trace_diff_legend();
  out += "<nav class=\"toc\">";
  for (std::size_t k = 0; k < diff.breakpoints.size(); ++k) {
    fmt::format_to(to, "<a href=\"#bp-{}\">{}{}</a>", k, html_escape(diff.breakpoints[k].breakpoint),
                   diff.breakpoints[k].differs() ? " *" : "");
  }
  out += "</nav>\n</header>\n";
  if (diff.breakpoints.empty())
    out += "<p class=\"muted\">Neither trace has a hit.</p>\n";
  out += trace_diff_sections(diff, a, b, TraceDiffHtmlOptions{});
  out += html_page_end();
  return out;
}

Status write_trace_diff_html(const TraceDiff& diff, const trace::Trace& a, const trace::Trace& b,
                             const std::filesystem::path& path) {
  return write_html_file(path, trace_diff_html(diff, a, b));
}

}  // namespace kh::report
