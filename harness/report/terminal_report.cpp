#include "report/terminal_report.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "report/hidden_frames.h"
#include "report/value_text.h"
#include "trace/mount_table.h"

namespace kh::report {
namespace {

using trace::ExpectationResult;
using trace::Hit;
using trace::Verdict;

// How many serial lines a report shows when the engine kept none (reports read back from JSON
// written before serial_tail existed, or runs that never reached the VM).
constexpr std::size_t kSerialTailLines = 15;

// A serial or evidence line made safe for a terminal: the console output holds escape sequences
// (SeaBIOS sends ESC c, which would reset the user's terminal); control bytes become ^X.
std::string printable_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
    line.remove_suffix(1);
  }
  std::string out;
  out.reserve(line.size());
  for (char c : line) {
    auto byte = static_cast<unsigned char>(c);
    if (byte == 0x7f) {
      out += "^?";
    } else if (byte < 0x20 && c != '\t') {
      out += '^';
      out += static_cast<char>(byte + 0x40);
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  return lines;
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

// The breakpoints in the order of the scenario file (the run's list, else the order of their
// results), then those that only have hits, in hit order. The run's list is what names a
// breakpoint that has neither hits nor expectations.
std::vector<std::string> breakpoint_order(const trace::RunReport& report) {
  std::vector<std::string> names;
  auto add = [&names](const std::string& name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  };
  for (const std::string& name : report.breakpoints) {
    add(name);
  }
  for (const ExpectationResult& result : report.results) {
    add(result.breakpoint);
  }
  for (const Hit& hit : report.trace.hits) {
    add(hit.breakpoint);
  }
  return names;
}

// A path of a mount list as is, or as a quoted C string when it holds spaces or control bytes.
std::string path_text(const std::string& path) {
  bool plain = std::all_of(path.begin(), path.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte != 0x7f && c != '"' && c != '\\';
  });
  return plain ? path : quoted_c_string(trace::GdbString{path, false});
}

// A <capture-mounts> value in one line: "<6 mounts, mnt_ns 0xffff888003a4c000>"; nullopt for
// any other capture.
std::optional<std::string> mount_list_summary(const trace::CapturedValue& capture) {
  if (!capture.value || !trace::is_mount_table_value(*capture.value)) {
    return std::nullopt;
  }
  auto table = trace::mount_table_from_value(*capture.value);
  if (!table.ok()) {
    return fmt::format("<mount list: {}>", table.error().message);
  }
  return fmt::format("<{}, mnt_ns {}>", plural(table->mounts.size(), "mount", "mounts"), table->namespace_id);
}

// The captured values of one hit as one line ("name = value   name = value": the scenario's `as`
// names), or in verbose mode one line per capture with its expression, and gdb's own text under
// it when that differs (a mount list: one line per mount).
std::string capture_text(const Hit& hit, Verbosity verbosity) {
  std::string text;
  for (const trace::CapturedValue& capture : hit.captures) {
    std::optional<std::string> mounts = mount_list_summary(capture);
    std::string shown = mounts ? *mounts : display_capture(capture);
    if (verbosity == Verbosity::Normal) {
      fmt::format_to(std::back_inserter(text), "{}{} = {}", text.empty() ? "" : "   ", capture.name, shown);
      continue;
    }
    if (!text.empty()) {
      text += '\n';
    }
    if (capture.name != capture.expr) {
      fmt::format_to(std::back_inserter(text), "{}: ", capture.name);
    }
    fmt::format_to(std::back_inserter(text), "{} = {}", capture.expr, shown);
    if (mounts) {
      auto table = trace::mount_table_from_value(*capture.value);
      for (const trace::MountEntry& mount : table.ok() ? table->mounts : std::vector<trace::MountEntry>()) {
        fmt::format_to(std::back_inserter(text), "\n  {} {} {} {} {} {} {}", mount.id, mount.parent_id,
                       path_text(mount.mount_point), path_text(mount.root), path_text(mount.device),
                       path_text(mount.fs_type), mount.propagation());
      }
    } else if (capture.value && *capture.value != shown) {
      fmt::format_to(std::back_inserter(text), "\n  gdb: {}", *capture.value);
    }
  }
  return text;
}

// Hits of one breakpoint with the same displayed chain, and their distinct capture lines.
struct ChainGroup {
  std::string chain;
  std::vector<const Hit*> hits;
  std::vector<std::pair<std::string, int>> captures;  // text, how many hits showed it
};

std::vector<ChainGroup> group_by_chain(const std::vector<const Hit*>& hits, Verbosity verbosity) {
  std::vector<ChainGroup> groups;
  for (const Hit* hit : hits) {
    std::string chain = displayed_chain(hit->frames, verbosity);
    auto group =
        std::find_if(groups.begin(), groups.end(), [&](const ChainGroup& g) { return g.chain == chain; });
    if (group == groups.end()) {
      groups.push_back(ChainGroup{std::move(chain), {}, {}});
      group = std::prev(groups.end());
    }
    group->hits.push_back(hit);
    std::string captures = capture_text(*hit, verbosity);
    if (captures.empty()) {
      continue;
    }
    auto seen = std::find_if(group->captures.begin(), group->captures.end(),
                             [&](const auto& entry) { return entry.first == captures; });
    if (seen == group->captures.end()) {
      group->captures.emplace_back(std::move(captures), 1);
    } else {
      ++seen->second;
    }
  }
  return groups;
}

void append_indented(std::string& out, std::string_view indent, std::string_view text) {
  for (std::string_view line : split_lines(text)) {
    fmt::format_to(std::back_inserter(out), "{}{}\n", indent, line);
  }
}

void append_header(std::string& out, const trace::RunReport& report, const TerminalStyle& style) {
  std::string title =
      paint(style, Tone::Strong, report.scenario.empty() ? "(unnamed scenario)" : report.scenario);
  if (!report.scenario_file.empty()) {
    fmt::format_to(std::back_inserter(out), "{}  {}\n", title,
                   paint(style, Tone::Faint, report.scenario_file));
  } else {
    fmt::format_to(std::back_inserter(out), "{}\n", title);
  }
  if (style.verbosity == Verbosity::Verbose) {
    // Scenario files indent their <description>; show its words, not the file's layout.
    for (std::string_view line : split_lines(report.description)) {
      std::size_t first = line.find_first_not_of(" \t\r");
      if (first != std::string_view::npos) {
        std::size_t last = line.find_last_not_of(" \t\r");
        fmt::format_to(std::back_inserter(out), "  {}\n", line.substr(first, last - first + 1));
      }
    }
  }

  std::vector<std::string> facts;
  if (!report.kernel_release.empty()) {
    facts.push_back("kernel " + report.kernel_release);
  }
  if (!report.accel.empty()) {
    facts.push_back("accel " + report.accel);
  }
  if (!report.phases.empty()) {
    std::string timings;
    double total = 0;
    for (const trace::PhaseTime& phase : report.phases) {
      fmt::format_to(std::back_inserter(timings), "{}{} {:.2f}s", timings.empty() ? "" : " ", phase.phase,
                     phase.seconds);
      total += phase.seconds;
    }
    fmt::format_to(std::back_inserter(timings), " = {:.2f}s", total);
    facts.push_back(std::move(timings));
  }
  if (!facts.empty()) {
    fmt::format_to(std::back_inserter(out), "{}\n", fmt::join(facts, " | "));
  }

  std::vector<std::string> guest;
  if (report.guest_exit_status) {
    guest.push_back(fmt::format("guest exit status {}", *report.guest_exit_status));
  }
  if (!report.guest_results.empty()) {
    guest.push_back(fmt::format("guest results: {}", fmt::join(report.guest_results, ", ")));
  }
  if (!guest.empty()) {
    fmt::format_to(std::back_inserter(out), "{}\n", fmt::join(guest, " | "));
  }
}

void append_hits(std::string& out, const trace::RunReport& report, const TerminalStyle& style) {
  std::vector<std::string> breakpoints = breakpoint_order(report);
  if (breakpoints.empty()) {
    return;
  }
  out += '\n';
  for (const std::string& breakpoint : breakpoints) {
    std::vector<const Hit*> hits = trace::hits_of(report.trace, breakpoint);
    if (hits.empty()) {
      fmt::format_to(std::back_inserter(out), "{}: no counted hits\n",
                     paint(style, Tone::Strong, breakpoint));
      continue;
    }
    fmt::format_to(std::back_inserter(out), "{}: {}\n", paint(style, Tone::Strong, breakpoint),
                   plural(hits.size(), "hit", "hits"));
    for (const ChainGroup& group : group_by_chain(hits, style.verbosity)) {
      std::string count = group.hits.size() > 1 ? fmt::format(" x{}", group.hits.size()) : std::string();
      fmt::format_to(std::back_inserter(out), "  {}{}\n",
                     group.chain.empty() ? "(no backtrace)" : group.chain, paint(style, Tone::Strong, count));
      if (style.verbosity == Verbosity::Verbose) {
        std::vector<std::string> seen;
        for (const Hit* hit : group.hits) {
          seen.push_back(fmt::format("#{} {}[{}] {:.2f}s", hit->index,
                                     hit->task_comm.empty() ? "?" : hit->task_comm, hit->task_pid,
                                     hit->time_s));
        }
        fmt::format_to(std::back_inserter(out), "    {}\n",
                       paint(style, Tone::Faint, fmt::format("hits {}", fmt::join(seen, ", "))));
      }
      for (const auto& [captures, hit_count] : group.captures) {
        std::string text = captures;
        if (group.captures.size() > 1 && hit_count > 1) {
          text += paint(style, Tone::Strong, fmt::format(" x{}", hit_count));
        }
        append_indented(out, "    ", text);
      }
    }
  }
}

void append_results(std::string& out, const trace::RunReport& report, const TerminalStyle& style) {
  if (report.results.empty()) {
    return;
  }
  out += '\n';
  for (const ExpectationResult& result : report.results) {
    std::string_view name = trace::to_string(result.verdict);
    std::string padding(name.size() < 5 ? 5 - name.size() : 0, ' ');
    std::string subject = result.breakpoint.empty()
                              ? result.description
                              : fmt::format("{}: {}", result.breakpoint, result.description);
    bool passed = result.verdict == Verdict::Pass || result.verdict == Verdict::Skipped;
    bool show_location = !result.location.empty() && (!passed || style.verbosity == Verbosity::Verbose);
    fmt::format_to(std::back_inserter(out), "  {}{} {}{}\n", paint(style, tone_of(result.verdict), name),
                   padding, subject,
                   show_location ? paint(style, Tone::Faint, fmt::format("  ({})", result.location)) : "");
    if (passed && style.verbosity == Verbosity::Normal) {
      continue;
    }
    std::string hit = result.hit_index ? fmt::format("  (hit #{})", *result.hit_index) : std::string();
    if (!passed) {
      fmt::format_to(std::back_inserter(out), "            expected: {}\n", result.expected);
    }
    fmt::format_to(std::back_inserter(out), "            actual:   {}{}\n",
                   result.actual.empty() ? "-" : result.actual, paint(style, Tone::Faint, hit));
  }
}

std::vector<std::string> serial_tail_of(const trace::RunReport& report) {
  if (!report.serial_tail.empty()) {
    return report.serial_tail;
  }
  std::vector<std::string_view> lines = split_lines(report.serial_log);
  std::size_t first = lines.size() > kSerialTailLines ? lines.size() - kSerialTailLines : 0;
  return std::vector<std::string>(lines.begin() + static_cast<std::ptrdiff_t>(first), lines.end());
}

void append_verdict(std::string& out, const trace::RunReport& report, const TerminalStyle& style) {
  Verdict verdict = report.verdict;
  bool broken = verdict == Verdict::Timeout || verdict == Verdict::Infra || verdict == Verdict::Error ||
                verdict == Verdict::Interrupted;
  // A guest that failed said why on the console (a missing applet, a failed step): show it.
  const bool guest_failed = report.guest_exit_status && *report.guest_exit_status != 0;
  bool show_serial = broken || guest_failed || (verdict == Verdict::Fail && style.verbosity == Verbosity::Verbose);
  if (broken && !report.evidence.empty()) {
    out += "\nevidence:\n";
    for (const std::string& line : report.evidence) {
      for (std::string_view part : split_lines(line)) {
        fmt::format_to(std::back_inserter(out), "  {}\n", printable_line(part));
      }
    }
  }
  if (show_serial) {
    std::vector<std::string> tail = serial_tail_of(report);
    if (!tail.empty()) {
      fmt::format_to(std::back_inserter(out), "\nserial console, last {}:\n",
                     plural(tail.size(), "line", "lines"));
      for (const std::string& line : tail) {
        fmt::format_to(std::back_inserter(out), "  {}\n", printable_line(line));
      }
    }
  }

  std::string line = paint(style, tone_of(verdict), trace::to_string(verdict));
  std::string in_phase = fmt::format("in phase {}", report.phase);
  if (broken && !report.phase.empty() && report.detail.find(in_phase) == std::string::npos) {
    line += " " + in_phase;
  }
  std::vector<std::string> parts;
  bool skipped_with_reason = verdict == Verdict::Skipped && !report.detail.empty();
  if ((!report.results.empty() && !skipped_with_reason) || verdict == Verdict::Pass ||
      verdict == Verdict::Fail) {
    parts.push_back(format_totals(report.results));
  }
  if (!report.detail.empty()) {
    parts.push_back(printable_line(report.detail));
  }
  if (!parts.empty()) {
    line += ": " + fmt::format("{}", fmt::join(parts, "; "));
  }
  fmt::format_to(std::back_inserter(out), "\n{}\n", line);
}

}  // namespace

std::string displayed_chain(const std::vector<std::string>& functions, Verbosity verbosity) {
  std::size_t shown = functions.size();
  if (verbosity == Verbosity::Normal) {
    while (shown > 1 && is_syscall_entry_frame(functions[shown - 1])) {
      --shown;
    }
  }
  std::string chain;
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) {
      chain += " <- ";
    }
    chain += functions[i];
  }
  return chain;
}

std::string displayed_chain(const std::vector<trace::Frame>& frames, Verbosity verbosity) {
  std::vector<std::string> functions;
  functions.reserve(frames.size());
  for (const trace::Frame& frame : frames) {
    functions.push_back(frame.func);
  }
  return displayed_chain(functions, verbosity);
}

std::string format_totals(const std::vector<ExpectationResult>& results) {
  std::size_t passed = 0;
  std::size_t failed = 0;
  std::size_t errors = 0;
  std::size_t skipped = 0;
  for (const ExpectationResult& result : results) {
    switch (result.verdict) {
      case Verdict::Pass:
        ++passed;
        break;
      case Verdict::Fail:
        ++failed;
        break;
      case Verdict::Skipped:
        ++skipped;
        break;
      case Verdict::Timeout:
      case Verdict::Infra:
      case Verdict::Error:
      case Verdict::Interrupted:
        ++errors;
        break;
    }
  }
  std::string totals = fmt::format("{} passed, {} failed", passed, failed);
  if (errors > 0) {
    totals += ", " + plural(errors, "error", "errors");
  }
  if (skipped > 0) {
    totals += fmt::format(", {} skipped", skipped);
  }
  return totals;
}

std::string format_run_report(const trace::RunReport& report, const TerminalStyle& style) {
  std::string out;
  append_header(out, report, style);
  append_hits(out, report, style);
  append_results(out, report, style);
  append_verdict(out, report, style);
  return out;
}

void print_run_report(const trace::RunReport& report, std::FILE* out, const TerminalStyle& style) {
  std::string text = format_run_report(report, style);
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

}  // namespace kh::report
