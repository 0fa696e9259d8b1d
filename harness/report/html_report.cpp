#include "report/html_report.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "report/call_tree.h"
#include "report/html_text.h"
#include "report/mount_tree.h"
#include "report/terminal_report.h"
#include "report/value_text.h"
#include "trace/mount_table.h"
#include "trace/scenario.h"

namespace kh::report {
namespace {

using trace::RunReport;
using trace::CapturedValue;
using trace::ExpectationResult;
using trace::Hit;
using trace::Verdict;

// Bounds that keep the page small however many hits a run has (the JSON report has them all):
// table rows per breakpoint (rows a verdict points at are always shown), mount-tree pictures.
constexpr std::size_t kMaxRowsPerBreakpoint = 300;
constexpr std::size_t kMaxSnapshots = 80;
constexpr std::size_t kSerialTailLines = 15;

std::string esc(std::string_view text) {
  return html_escape(text);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string badge(Verdict verdict) {
  return verdict_badge_html(verdict);
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

// The words of a scenario's <description>, without the file's indentation.
std::string collapse_spaces(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Anchors of one run's page part; runs after the first on a page get a prefix.
struct Ids {
  std::string prefix;
  std::string run() const { return prefix + "run"; }
  std::string breakpoint(std::size_t k) const { return fmt::format("{}bp-{}", prefix, k); }
  std::string path(std::size_t breakpoint, std::size_t end) const {
    return fmt::format("{}hits-{}-{}", prefix, breakpoint, end);
  }
  std::string hit(int index) const { return fmt::format("{}hit-{}", prefix, index); }
  std::string snapshot(int hit, const std::string& capture) const {
    return fmt::format("{}mounts-{}-{}", prefix, hit, html_id(capture));
  }
  std::string section(std::string_view name) const { return prefix + std::string(name); }
};

// The breakpoints in the order of the scenario file (the order of their results), then those
// that only have hits, as the terminal report lists them.
std::vector<std::string> breakpoint_order(const RunReport& report) {
  std::vector<std::string> names;
  auto add = [&names](const std::string& name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  };
  for (const ExpectationResult& result : report.results)
    add(result.breakpoint);
  for (const Hit& hit : report.trace.hits)
    add(hit.breakpoint);
  return names;
}

// "#3", "#0–#9999", "#1, #4, #7–#9": hit numbers with runs shortened, at most a few runs.
std::string hit_list(const std::vector<int>& indices) {
  std::vector<std::string> runs;
  std::size_t i = 0;
  while (i < indices.size() && runs.size() < 6) {
    std::size_t end = i;
    while (end + 1 < indices.size() && indices[end + 1] == indices[end] + 1)
      ++end;
    runs.push_back(end == i ? fmt::format("#{}", indices[i])
                            : fmt::format("#{}\u2013#{}", indices[i], indices[end]));
    i = end + 1;
  }
  std::string text = fmt::format("{}", fmt::join(runs, ", "));
  if (i < indices.size())
    text += ", \u2026";
  return text;
}

bool is_mount_capture(const CapturedValue& capture) {
  return capture.expr.starts_with("$kh_mount_table(") ||
         (capture.value && trace::is_mount_table_value(*capture.value));
}

// ---- mount snapshots ----

struct Snapshot {
  const Hit* hit = nullptr;
  const CapturedValue* capture = nullptr;
  std::optional<trace::MountTable> table;
  std::string problem;              // why there is no table
  std::optional<int> previous_hit;  // the last earlier look at the same namespace
  std::vector<trace::MountChange> changes;
  int namespace_number = 0;  // 1, 2, ... in order of first appearance
  std::string anchor;
};

std::vector<Snapshot> mount_snapshots(const RunReport& report, const Ids& ids) {
  std::vector<Snapshot> snapshots;
  std::map<std::string, std::pair<int, trace::MountTable>> last_of_namespace;
  std::map<std::string, int> numbers;
  for (const Hit& hit : report.trace.hits) {
    for (const CapturedValue& capture : hit.captures) {
      if (!is_mount_capture(capture) || snapshots.size() >= kMaxSnapshots)
        continue;
      Snapshot snapshot;
      snapshot.hit = &hit;
      snapshot.capture = &capture;
      snapshot.anchor = ids.snapshot(hit.index, capture.name);
      if (!capture.value) {
        snapshot.problem = capture.error.empty() ? "gdb gave no value" : capture.error;
      } else if (auto table = trace::mount_table_from_value(*capture.value); !table.ok()) {
        snapshot.problem = table.error().message;
      } else {
        const std::string& ns = table->namespace_id;
        snapshot.namespace_number =
            numbers.try_emplace(ns, static_cast<int>(numbers.size()) + 1).first->second;
        if (auto last = last_of_namespace.find(ns); last != last_of_namespace.end()) {
          snapshot.previous_hit = last->second.first;
          snapshot.changes = trace::diff_mount_tables(last->second.second, *table);
        }
        last_of_namespace.insert_or_assign(ns, std::make_pair(hit.index, *table));
        snapshot.table = std::move(*table);
      }
      snapshots.push_back(std::move(snapshot));
    }
  }
  return snapshots;
}

// The changes in words, the first few of them: "+ /mount_dir_test (rootfs), ~ /proc (propagation)".
std::string change_summary(const std::vector<trace::MountChange>& changes) {
  constexpr std::size_t kShown = 6;
  std::vector<std::string> parts;
  for (const trace::MountChange& change : changes) {
    if (parts.size() == kShown) {
      parts.push_back(fmt::format("and {} more", changes.size() - kShown));
      break;
    }
    switch (change.kind) {
      case trace::MountChange::Kind::Added:
        parts.push_back(fmt::format("<span class=\"added\">+ {} ({})</span>", esc(change.after.mount_point),
                                    esc(change.after.fs_type)));
        break;
      case trace::MountChange::Kind::Removed:
        parts.push_back(fmt::format("<span class=\"removed\">- {} ({})</span>",
                                    esc(change.before.mount_point), esc(change.before.fs_type)));
        break;
      case trace::MountChange::Kind::Changed:
        parts.push_back(fmt::format("<span class=\"changed\">~ {} ({})</span>", esc(change.after.mount_point),
                                    esc(fmt::format("{}", fmt::join(change.fields, ", ")))));
        break;
    }
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

void append_snapshots(std::string& out, const std::vector<Snapshot>& snapshots, const Ids& ids,
                      std::size_t total_captures) {
  if (snapshots.empty())
    return;
  auto to = std::back_inserter(out);
  fmt::format_to(to,
                 "<section class=\"mount-namespaces\" id=\"{}\">\n<h2>Mount namespaces <span class=\"muted\">"
                 "{}, in the order of the hits</span></h2>\n",
                 ids.section("mounts"), plural(total_captures, "look", "looks"));
  out +=
      "<p class=\"legend\">Each mount under the one it is mounted on; source is device[directory] "
      "for a bind mount. Since the previous look at the namespace:"
      "<span class=\"key added\"></span>added<span class=\"key changed\"></span>changed"
      "<span class=\"key removed\"></span>removed</p>\n<div class=\"snapshots\">\n";
  for (const Snapshot& snapshot : snapshots) {
    const Hit& hit = *snapshot.hit;
    std::optional<MountTreePicture> picture;
    if (snapshot.table) {
      picture = mount_tree_svg(*snapshot.table, snapshot.changes,
                               fmt::format("mounts of namespace {} at hit #{} ({})",
                                           snapshot.namespace_number, hit.index, hit.breakpoint));
    }
    // As wide as its picture (two narrow ones share a line), never narrower than its heading needs.
    double basis = std::max(picture ? picture->width + 16 : 0.0, 440.0);
    fmt::format_to(to,
                   "<section class=\"snapshot\" id=\"{}\" style=\"flex-basis:{:.0f}px\">\n<h3>hit <a "
                   "href=\"#{}\">#{}</a> "
                   "\u00b7 {} \u00b7 <code>{}</code>",
                   snapshot.anchor, basis, ids.hit(hit.index), hit.index, esc(hit.breakpoint),
                   esc(snapshot.capture->name));
    if (!snapshot.table) {
      fmt::format_to(to, "</h3>\n<p class=\"error-text\">no mount list: {}</p>\n</section>\n",
                     esc(snapshot.problem));
      continue;
    }
    const trace::MountTable& table = *snapshot.table;
    fmt::format_to(to,
                   " <span class=\"muted\">namespace {} \u00b7 {}</span></h3>\n<p class=\"changes\">"
                   "<code title=\"struct mnt_namespace *\">mnt_ns {}</code> \u00b7 task {}[{}] \u00b7 ",
                   snapshot.namespace_number, plural(table.mounts.size(), "mount", "mounts"),
                   esc(table.namespace_id), esc(hit.task_comm.empty() ? "?" : hit.task_comm), hit.task_pid);
    if (!snapshot.previous_hit) {
      out += "first look at this namespace";
    } else if (snapshot.changes.empty()) {
      fmt::format_to(to, "unchanged since hit #{}", *snapshot.previous_hit);
    } else {
      fmt::format_to(to, "since hit #{}: {}", *snapshot.previous_hit, change_summary(snapshot.changes));
    }
    out += "</p>\n<div class=\"figure\">\n" + picture->svg + "</div>\n</section>\n";
  }
  out += "</div>\n";
  if (snapshots.size() < total_captures) {
    fmt::format_to(
        to, "<p class=\"muted\">{} more mount lists left out; the JSON report (--json) has them.</p>\n",
        total_captures - snapshots.size());
  }
  out += "</section>\n";
}

// ---- breakpoints ----

// Hits of one chain end with the same captured values, shown as one row.
struct HitRow {
  std::vector<const Hit*> hits;
  std::string key;
};

std::string capture_text(const CapturedValue& capture) {
  if (is_mount_capture(capture) && capture.value) {
    auto table = trace::mount_table_from_value(*capture.value);
    if (table.ok()) {
      return fmt::format("{} in mnt_ns {}", plural(table->mounts.size(), "mount", "mounts"),
                         table->namespace_id);
    }
  }
  return display_capture(capture);
}

std::string row_key(const Hit& hit) {
  std::string key;
  for (const CapturedValue& capture : hit.captures) {
    key += capture.name;
    key += '\0';
    key += capture_text(capture);
    key += '\0';
  }
  return key;
}

void append_captures(std::string& out, const Hit& hit,
                     const std::map<std::pair<int, std::string>, std::string>& snapshot_anchor) {
  if (hit.captures.empty()) {
    out += "<span class=\"muted\">\u2014</span>";
    return;
  }
  auto to = std::back_inserter(out);
  out += "<dl class=\"captures\">";
  for (const CapturedValue& capture : hit.captures) {
    fmt::format_to(to, "<dt title=\"{}\">{}</dt><dd>", esc(capture.expr), esc(capture.name));
    std::string text = capture_text(capture);
    if (!capture.value) {
      fmt::format_to(to, "<span class=\"error-text\">{}</span>", esc(text));
    } else if (auto anchor = snapshot_anchor.find({hit.index, capture.name});
               anchor != snapshot_anchor.end()) {
      fmt::format_to(to, "<a href=\"#{}\">{}</a>", anchor->second, esc(text));
    } else {
      fmt::format_to(to, "<code>{}</code>", esc(text));
    }
    out += "</dd>";
  }
  out += "</dl>";
}

std::string tasks_of(const std::vector<const Hit*>& hits) {
  std::vector<std::string> tasks;
  for (const Hit* hit : hits) {
    std::string task = fmt::format("{}[{}]", hit->task_comm.empty() ? "?" : hit->task_comm, hit->task_pid);
    if (std::find(tasks.begin(), tasks.end(), task) == tasks.end()) {
      if (tasks.size() == 3) {
        tasks.emplace_back("\u2026");
        break;
      }
      tasks.push_back(std::move(task));
    }
  }
  return fmt::format("{}", fmt::join(tasks, ", "));
}

std::string times_of(const std::vector<const Hit*>& hits) {
  auto [low, high] = std::minmax_element(hits.begin(), hits.end(),
                                         [](const Hit* a, const Hit* b) { return a->time_s < b->time_s; });
  if ((*high)->time_s - (*low)->time_s < 0.005)
    return fmt::format("{:.2f} s", (*low)->time_s);
  return fmt::format("{:.2f}\u2013{:.2f} s", (*low)->time_s, (*high)->time_s);
}

struct BreakpointContext {
  const Ids& ids;
  const std::set<int>& cited_hits;  // hits a verdict points at
  const std::map<std::pair<int, std::string>, std::string>& snapshot_anchor;
  std::map<int, std::string>& row_of_hit;  // filled: the anchor of the row showing each hit
};

void append_hit_rows(std::string& out, const CallTree& tree, const std::vector<const Hit*>& hits,
                     std::size_t number, BreakpointContext& context) {
  auto to = std::back_inserter(out);
  std::map<int, const Hit*> by_index;
  for (const Hit* hit : hits)
    by_index.emplace(hit->index, hit);
  std::vector<std::size_t> ends = tree.ends();
  std::size_t rows_shown = 0;
  std::size_t hits_left_out = 0;
  std::size_t rows_left_out = 0;
  out +=
      "<table class=\"hits\">\n<thead><tr><th>hit</th><th>task</th><th>time</th><th>captured values</th></tr>"
      "</thead>\n";
  auto emit_group = [&](const std::string& id, const std::string& head,
                        const std::vector<const Hit*>& members) {
    std::vector<HitRow> rows;
    std::map<std::string, std::size_t> row_of_key;
    for (const Hit* hit : members) {
      std::string key = row_key(*hit);
      auto [it, fresh] = row_of_key.try_emplace(key, rows.size());
      if (fresh)
        rows.push_back(HitRow{{}, std::move(key)});
      rows[it->second].hits.push_back(hit);
    }
    fmt::format_to(
        to, "<tbody class=\"path\" id=\"{}\">\n<tr class=\"path-head\"><th colspan=\"4\">{}</th></tr>\n", id,
        head);
    for (const HitRow& row : rows) {
      bool cited = std::any_of(row.hits.begin(), row.hits.end(),
                               [&](const Hit* hit) { return context.cited_hits.count(hit->index) > 0; });
      if (rows_shown >= kMaxRowsPerBreakpoint && !cited) {
        hits_left_out += row.hits.size();
        ++rows_left_out;
        continue;
      }
      ++rows_shown;
      std::string anchor = context.ids.hit(row.hits.front()->index);
      for (const Hit* hit : row.hits)
        context.row_of_hit.emplace(hit->index, anchor);
      std::vector<int> indices;
      for (const Hit* hit : row.hits)
        indices.push_back(hit->index);
      std::string count =
          row.hits.size() > 1 ? fmt::format(" <span class=\"muted\">({})</span>", row.hits.size()) : "";
      fmt::format_to(to,
                     "<tr id=\"{}\"><td class=\"hit-ids\">{}{}</td><td class=\"task\">{}</td><td "
                     "class=\"time\">{}</td><td>",
                     anchor, hit_list(indices), count, esc(tasks_of(row.hits)), times_of(row.hits));
      append_captures(out, *row.hits.front(), context.snapshot_anchor);
      out += "</td></tr>\n";
    }
    out += "</tbody>\n";
  };
  for (std::size_t k = 0; k < ends.size(); ++k) {
    const CallTreeNode& end = tree.nodes[ends[k]];
    std::vector<const Hit*> members;
    for (int index : end.ending_hits)
      members.push_back(by_index.at(index));
    std::string chain = displayed_chain(members.front()->frames, Verbosity::Normal);
    std::string head = fmt::format("chain {} \u00b7 {} \u00b7 <code>{}</code>", k + 1,
                                   plural(members.size(), "hit", "hits"), esc(chain));
    emit_group(context.ids.path(number, k), head, members);
  }
  std::vector<const Hit*> bare;
  for (const Hit* hit : hits) {
    if (hit->frames.empty())
      bare.push_back(hit);
  }
  if (!bare.empty()) {
    emit_group(context.ids.path(number, ends.size()),
               fmt::format("no backtrace \u00b7 {}", plural(bare.size(), "hit", "hits")), bare);
  }
  if (rows_left_out > 0) {
    fmt::format_to(
        to,
        "<tbody><tr><td colspan=\"4\" class=\"muted\">{} in {} more rows left out; the JSON report "
        "(--json) has every hit.</td></tr></tbody>\n",
        plural(hits_left_out, "hit", "hits"), rows_left_out);
  }
  out += "</table>\n";
}

void append_breakpoints(std::string& out, const RunReport& report, BreakpointContext& context) {
  std::vector<std::string> breakpoints = breakpoint_order(report);
  if (breakpoints.empty())
    return;
  auto to = std::back_inserter(out);
  fmt::format_to(
      to,
      "<section class=\"breakpoints\" id=\"{}\">\n<h2>Call trees <span class=\"muted\">per breakpoint: "
      "the counted hits' call chains merged, from the system call's entry down to the breakpoint"
      "</span></h2>\n",
      context.ids.section("breakpoints"));
  out +=
      "<p class=\"legend\">Each arrow says how many hits made that call. Point at a frame for its file:line; "
      "follow a chain's last frame to its hits."
      "<span class=\"key end\"></span>breakpoint"
      "<span class=\"key faded\"></span>syscall entry and unknown frames (left out of the terminal "
      "report)</p>\n";
  for (std::size_t k = 0; k < breakpoints.size(); ++k) {
    const std::string& name = breakpoints[k];
    std::vector<const Hit*> hits = trace::hits_of(report.trace, name);
    fmt::format_to(to,
                   "<section class=\"breakpoint\" id=\"{}\" data-breakpoint=\"{}\">\n<h3>{} <span "
                   "class=\"muted\">{}</span></h3>\n",
                   context.ids.breakpoint(k), esc(name), esc(name),
                   hits.empty() ? std::string("no counted hits") : plural(hits.size(), "hit", "hits"));
    if (hits.empty()) {
      out += "</section>\n";
      continue;
    }
    CallTree tree = build_call_tree(hits);
    CallTreeSvgOptions options;
    options.title = fmt::format("call tree of {}: {}", name, plural(hits.size(), "hit", "hits"));
    options.breakpoint = name;
    const Ids& ids = context.ids;
    options.end_link = [&ids, k](std::size_t, std::size_t end) { return "#" + ids.path(k, end); };
    out += "<div class=\"breakpoint-body\">\n";
    if (!tree.nodes.empty()) {
      out += "<div class=\"figure\">\n" + call_tree_svg(tree, options) + "</div>\n";
    }
    append_hit_rows(out, tree, hits, k, context);
    out += "</div>\n</section>\n";
  }
  out += "</section>\n";
}

// ---- header, verdicts, console ----

struct Totals {
  std::size_t passed = 0, failed = 0, errors = 0, skipped = 0;
};

Totals totals_of(const std::vector<ExpectationResult>& results) {
  Totals totals;
  for (const ExpectationResult& result : results) {
    switch (result.verdict) {
      case Verdict::Pass:
        ++totals.passed;
        break;
      case Verdict::Fail:
        ++totals.failed;
        break;
      case Verdict::Skipped:
        ++totals.skipped;
        break;
      case Verdict::Timeout:
      case Verdict::Infra:
      case Verdict::Error:
      case Verdict::Interrupted:
        ++totals.errors;
        break;
    }
  }
  return totals;
}

bool broken(Verdict verdict) {
  return verdict == Verdict::Timeout || verdict == Verdict::Infra || verdict == Verdict::Error ||
         verdict == Verdict::Interrupted;
}

std::vector<std::string> serial_tail_of(const RunReport& report) {
  if (!report.serial_tail.empty())
    return report.serial_tail;
  std::vector<std::string> lines;
  std::string_view text = report.serial_log;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    lines.emplace_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  if (lines.size() > kSerialTailLines) {
    lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(kSerialTailLines));
  }
  return lines;
}

std::string strip_cr(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.remove_suffix(1);
  return std::string(line);
}

void append_header(std::string& out, const RunReport& report, const Ids& ids, bool has_mounts,
                   bool has_console) {
  auto to = std::back_inserter(out);
  fmt::format_to(to, "<header class=\"head\">\n<h1>{} <span>{}</span></h1>\n", badge(report.verdict),
                 esc(report.scenario.empty() ? "(unnamed scenario)" : report.scenario));
  if (!report.scenario_file.empty())
    fmt::format_to(to, "<p class=\"file\">{}</p>\n", esc(report.scenario_file));
  if (std::string description = collapse_spaces(report.description); !description.empty()) {
    fmt::format_to(to, "<p class=\"description\">{}</p>\n", esc(description));
  }
  double total = 0;
  for (const trace::PhaseTime& phase : report.phases)
    total += phase.seconds;
  out += "<dl class=\"facts\">";
  auto fact = [&](std::string_view name, const std::string& value) {
    if (!value.empty())
      fmt::format_to(to, "<div><dt>{}</dt><dd>{}</dd></div>", name, esc(value));
  };
  fact("kernel", report.kernel_release);
  fact("accelerator", report.accel);
  fact("guest exit status", report.guest_exit_status ? std::to_string(*report.guest_exit_status) : "");
  fact("hits",
       report.trace.hits.empty() && report.results.empty() ? "" : std::to_string(report.trace.hits.size()));
  fact("total time", report.phases.empty() ? "" : fmt::format("{:.2f} s", total));
  out += "</dl>\n";
  if (!report.phases.empty() && total > 0) {
    out += "<div class=\"phase-bar\" role=\"img\" aria-label=\"time per phase\">";
    for (const trace::PhaseTime& phase : report.phases) {
      double share = 100.0 * phase.seconds / total;
      fmt::format_to(to, "<span style=\"width:{:.2f}%\" title=\"{} {:.2f} s\"></span>", share,
                     esc(phase.phase), phase.seconds);
    }
    out += "</div>\n";
  }
  if (!report.phases.empty()) {
    out += "<ul class=\"phases\">";
    for (const trace::PhaseTime& phase : report.phases) {
      fmt::format_to(to, "<li>{} {:.2f} s</li>", esc(phase.phase), phase.seconds);
    }
    out += "</ul>\n";
  }
  if (!report.guest_results.empty()) {
    out +=
        "<div class=\"guest\"><h4>guest results <span class=\"muted\">(KH-RESULT lines)</span></h4>"
        "<dl class=\"guest-results\">";
    for (const std::string& line : report.guest_results) {
      std::size_t equals = line.find('=');
      std::string_view name = std::string_view(line).substr(0, equals);
      std::string_view value =
          equals == std::string::npos ? std::string_view() : std::string_view(line).substr(equals + 1);
      fmt::format_to(to, "<div><dt>{}</dt><dd>{}</dd></div>", esc(name), esc(value));
    }
    out += "</dl></div>\n";
  }
  Totals totals = totals_of(report.results);
  fmt::format_to(
      to,
      "<div class=\"totals\" data-passed=\"{}\" data-failed=\"{}\" data-errors=\"{}\" data-skipped=\"{}\">"
      "<span class=\"chip passed\">{} passed</span><span class=\"chip failed{}\">{} failed</span>",
      totals.passed, totals.failed, totals.errors, totals.skipped, totals.passed,
      totals.failed > 0 ? " some" : "", totals.failed);
  if (totals.errors > 0)
    fmt::format_to(to, "<span class=\"chip errors\">{}</span>", plural(totals.errors, "error", "errors"));
  if (totals.skipped > 0)
    fmt::format_to(to, "<span class=\"chip skipped\">{} skipped</span>", totals.skipped);
  out += "</div>\n";
  if (!report.detail.empty() || (broken(report.verdict) && !report.phase.empty())) {
    std::string detail = report.detail;
    std::string in_phase = "in phase " + report.phase;
    if (broken(report.verdict) && !report.phase.empty() && detail.find(in_phase) == std::string::npos) {
      detail = detail.empty() ? in_phase : in_phase + ": " + detail;
    }
    fmt::format_to(to, "<p class=\"detail {}\"><strong>{}</strong> {}</p>\n",
                   lower(trace::to_string(report.verdict)), trace::to_string(report.verdict), esc(detail));
  }
  out += "<nav class=\"toc\">";
  if (!report.trace.hits.empty() || !report.results.empty()) {
    fmt::format_to(to, "<a href=\"#{}\">call trees</a>", ids.section("breakpoints"));
  }
  if (has_mounts)
    fmt::format_to(to, "<a href=\"#{}\">mount namespaces</a>", ids.section("mounts"));
  if (!report.results.empty())
    fmt::format_to(to, "<a href=\"#{}\">verdicts</a>", ids.section("verdicts"));
  if (has_console)
    fmt::format_to(to, "<a href=\"#{}\">console</a>", ids.section("console"));
  out += "</nav>\n</header>\n";
}

void append_verdicts(std::string& out, const RunReport& report, const Ids& ids,
                     const std::map<int, std::string>& row_of_hit) {
  if (report.results.empty())
    return;
  auto to = std::back_inserter(out);
  fmt::format_to(
      to,
      "<section class=\"verdicts\" id=\"{}\">\n<h2>Verdicts <span class=\"muted\">{}</span></h2>\n"
      "<table class=\"verdicts\"><thead><tr><th>verdict</th><th>expectation</th><th>scenario line</th>"
      "</tr></thead>\n<tbody>\n",
      ids.section("verdicts"), esc(format_totals(report.results)));
  for (const ExpectationResult& result : report.results) {
    bool passed = result.verdict == Verdict::Pass || result.verdict == Verdict::Skipped;
    fmt::format_to(to, "<tr class=\"{}\"><td class=\"verdict\">{}</td><td>",
                   lower(trace::to_string(result.verdict)), badge(result.verdict));
    if (!result.breakpoint.empty())
      fmt::format_to(to, "<strong>{}</strong>: ", esc(result.breakpoint));
    out += esc(result.description);
    std::string hit_link;
    if (result.hit_index) {
      auto row = row_of_hit.find(*result.hit_index);
      hit_link = row == row_of_hit.end()
                     ? fmt::format("hit #{}", *result.hit_index)
                     : fmt::format("<a href=\"#{}\">hit #{}</a>", row->second, *result.hit_index);
    }
    if (!passed) {
      fmt::format_to(
          to, "<div class=\"versus\"><span>expected</span><code>{}</code><span>actual</span><code>{}</code>",
          esc(result.expected), esc(result.actual.empty() ? "-" : result.actual));
      if (!hit_link.empty())
        fmt::format_to(to, "<span>closest</span><span>{}</span>", hit_link);
      out += "</div>";
    } else if (!hit_link.empty()) {
      fmt::format_to(to, " <span class=\"muted\">({})</span>", hit_link);
    }
    fmt::format_to(to, "</td><td class=\"where\">{}</td></tr>\n", esc(result.location));
  }
  out += "</tbody></table>\n</section>\n";
}

void append_console(std::string& out, const RunReport& report, const Ids& ids) {
  auto to = std::back_inserter(out);
  fmt::format_to(to, "<section class=\"console\" id=\"{}\">\n", ids.section("console"));
  if (!report.evidence.empty()) {
    out += "<h2>Evidence</h2>\n<pre class=\"console\">";
    for (const std::string& line : report.evidence)
      out += esc(strip_cr(line)) + "\n";
    out += "</pre>\n";
  }
  std::vector<std::string> tail = serial_tail_of(report);
  if (!tail.empty()) {
    fmt::format_to(to,
                   "<h2>Serial console <span class=\"muted\">last {}</span></h2>\n<pre class=\"console\">",
                   plural(tail.size(), "line", "lines"));
    for (const std::string& line : tail)
      out += esc(strip_cr(line)) + "\n";
    out += "</pre>\n";
  }
  out += "</section>\n";
}

void append_run(std::string& out, const RunReport& report, const Ids& ids) {
  std::vector<Snapshot> snapshots = mount_snapshots(report, ids);
  std::size_t mount_captures = 0;
  for (const Hit& hit : report.trace.hits) {
    mount_captures +=
        static_cast<std::size_t>(std::count_if(hit.captures.begin(), hit.captures.end(), is_mount_capture));
  }
  std::map<std::pair<int, std::string>, std::string> snapshot_anchor;
  for (const Snapshot& snapshot : snapshots) {
    snapshot_anchor.emplace(std::make_pair(snapshot.hit->index, snapshot.capture->name), snapshot.anchor);
  }
  std::set<int> cited;
  for (const ExpectationResult& result : report.results) {
    if (result.hit_index)
      cited.insert(*result.hit_index);
  }
  bool passed = report.verdict == Verdict::Pass || report.verdict == Verdict::Skipped;
  bool console = !passed && (!report.evidence.empty() || !serial_tail_of(report).empty());

  fmt::format_to(std::back_inserter(out), "<article class=\"run\" id=\"{}\">\n", ids.run());
  append_header(out, report, ids, !snapshots.empty(), console);
  std::map<int, std::string> row_of_hit;
  BreakpointContext context{ids, cited, snapshot_anchor, row_of_hit};
  append_breakpoints(out, report, context);
  append_snapshots(out, snapshots, ids, mount_captures);
  append_verdicts(out, report, ids, row_of_hit);
  if (console)
    append_console(out, report, ids);
  out += "</article>\n";
}

}  // namespace

std::string verdict_badge_html(trace::Verdict verdict) {
  std::string_view name = trace::to_string(verdict);
  return fmt::format("<span class=\"badge {}\">{}</span>", lower(name), name);
}

std::string run_article_html(const trace::RunReport& report, std::string_view id_prefix) {
  std::string out;
  append_run(out, report, Ids{std::string(id_prefix)});
  return out;
}

std::string run_report_html(const std::vector<trace::RunReport>& reports) {
  std::string title;
  if (reports.size() == 1) {
    const RunReport& report = reports.front();
    title = fmt::format("{} {}{}", trace::to_string(report.verdict), report.scenario,
                        report.kernel_release.empty() ? "" : " on " + report.kernel_release);
  } else {
    title = fmt::format("kharness: {}", plural(reports.size(), "run", "runs"));
  }
  std::string out = html_page_start(title);
  if (reports.size() > 1) {
    out +=
        "<h1>kharness runs</h1>\n<table "
        "class=\"runs\"><thead><tr><th>verdict</th><th>scenario</th><th>kernel</th>"
        "<th>expectations</th></tr></thead><tbody>\n";
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const RunReport& report = reports[i];
      fmt::format_to(
          std::back_inserter(out),
          "<tr><td>{}</td><td><a href=\"#r{}-run\">{}</a></td><td><code>{}</code></td><td>{}</td></tr>\n",
          badge(report.verdict), i, esc(report.scenario), esc(report.kernel_release),
          esc(format_totals(report.results)));
    }
    out += "</tbody></table>\n";
  }
  for (std::size_t i = 0; i < reports.size(); ++i) {
    out += run_article_html(reports[i], reports.size() > 1 ? fmt::format("r{}-", i) : std::string());
  }
  if (reports.empty())
    out += "<p class=\"muted\">No runs.</p>\n";
  out += html_page_end();
  return out;
}

Status write_html_report(const std::vector<trace::RunReport>& reports, const std::filesystem::path& path) {
  return write_html_file(path, run_report_html(reports));
}

}  // namespace kh::report
