#include "matrix/matrix_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "report/trace_diff.h"

namespace kh::matrix {
namespace {

using trace::Verdict;

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) {
    text.append(width - text.size(), ' ');
  }
  return text;
}

// The changes of one breakpoint's chains, each once: "a -> b", "+ c", "- d", and its hit count.
std::string breakpoint_changes(const report::BreakpointDiff& diff) {
  std::vector<std::string> changes;
  auto add = [&changes](std::string change) {
    if (std::find(changes.begin(), changes.end(), change) == changes.end()) {
      changes.push_back(std::move(change));
    }
  };
  if (diff.hits_a != diff.hits_b) {
    add(fmt::format("hits {} -> {}", diff.hits_a, diff.hits_b));
  }
  for (const auto& hit : diff.hits) {
    if (!hit.paired()) {
      continue;
    }
    for (const auto& step : hit.chain) {
      switch (step.kind) {
        case report::FrameChange::Kind::Same: break;
        case report::FrameChange::Kind::Renamed: add(fmt::format("{} -> {}", step.before, step.after)); break;
        case report::FrameChange::Kind::Added: add("+ " + step.after); break;
        case report::FrameChange::Kind::Removed: add("- " + step.before); break;
      }
    }
    for (const auto& value : hit.values) {
      add(fmt::format("{} {} -> {}", value.name, value.before.value_or("(none)"), value.after.value_or("(none)")));
    }
  }
  return changes.empty() ? std::string() : fmt::format("{}: {}", diff.breakpoint, fmt::join(changes, ", "));
}

}  // namespace

std::string column_title(const ColumnResult& column) {
  return column.release.empty() ? column.column.value : column.release;
}

const CellResult* find_cell(const MatrixResult& result, const std::string& scenario, const ColumnResult& column) {
  for (const auto& cell : result.cells) {
    const bool same_column = column.release.empty()
                                 ? cell.column == column.column.label()
                                 : cell.release == column.release && cell.column == column.column.label();
    if (cell.scenario == scenario && same_column) {
      return &cell;
    }
  }
  // Merged results may name their column by release only.
  for (const auto& cell : result.cells) {
    if (cell.scenario == scenario && !column.release.empty() && cell.release == column.release) {
      return &cell;
    }
  }
  return nullptr;
}

std::string cell_text(const CellResult& cell) {
  switch (cell.verdict) {
    case Verdict::Pass:
    case Verdict::Fail:
      return fmt::format("{} {}/{}", trace::to_string(cell.verdict), cell.passed, cell.total);
    case Verdict::Skipped:
      return "SKIP";
    case Verdict::Timeout:
      return cell.phase.empty() ? "TIMEOUT" : fmt::format("TIMEOUT {}", cell.phase);
    case Verdict::Infra:
    case Verdict::Error:
    case Verdict::Interrupted:
      return std::string(trace::to_string(cell.verdict));
  }
  return "ERROR";
}

std::string format_matrix_table(const MatrixResult& result, const report::TerminalStyle& style) {
  std::size_t first_width = std::string_view("scenario").size();
  for (const auto& scenario : result.scenarios) {
    first_width = std::max(first_width, scenario.size());
  }
  std::vector<std::size_t> widths;
  for (const auto& column : result.columns) {
    std::size_t width = column_title(column).size();
    for (const auto& scenario : result.scenarios) {
      if (const CellResult* cell = find_cell(result, scenario, column)) {
        width = std::max(width, cell_text(*cell).size());
      }
    }
    widths.push_back(width);
  }
  std::string out = pad("scenario", first_width);
  for (std::size_t c = 0; c < result.columns.size(); ++c) {
    out += "  " + pad(column_title(result.columns[c]), widths[c]);
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  out += "\n";
  std::map<Verdict, int> by_verdict;
  for (const auto& scenario : result.scenarios) {
    std::string line = pad(scenario, first_width);
    for (std::size_t c = 0; c < result.columns.size(); ++c) {
      const CellResult* cell = find_cell(result, scenario, result.columns[c]);
      const std::string text = cell ? cell_text(*cell) : "-";
      line += "  " + (cell ? paint(style, report::tone_of(cell->verdict), text) : text);
      if (c + 1 < result.columns.size()) {
        line.append(widths[c] - text.size(), ' ');
      }
    }
    out += line + "\n";
  }
  for (const auto& cell : result.cells) {
    ++by_verdict[cell.verdict];
  }
  std::vector<std::string> counts;
  counts.reserve(by_verdict.size());
  for (const auto& [verdict, count] : by_verdict) {
    counts.push_back(fmt::format("{} {}", count, trace::to_string(verdict)));
  }
  if (!result.missing.empty()) {
    counts.push_back(fmt::format("{} missing", result.missing.size()));
  }
  out += fmt::format("\n{} cells: {}", result.cells.size() + result.missing.size(), fmt::join(counts, ", "));
  if (result.wall_seconds > 0) {
    out += fmt::format("; wall {:.1f} s", result.wall_seconds);
  }
  std::vector<std::string> builds;
  for (const auto& column : result.columns) {
    if (!column.release.empty() && (column.build_seconds > 0 || column.was_cached)) {
      builds.push_back(column.was_cached ? fmt::format("{} cached", column.release)
                                         : fmt::format("{} {:.0f} s", column.release, column.build_seconds));
    }
  }
  if (!builds.empty()) {
    out += fmt::format("; kernel builds: {}", fmt::join(builds, ", "));
  }
  out += "\n";
  for (const auto& column : result.columns) {
    if (column.problem) {
      out += fmt::format("{} {}: {}\n", paint(style, report::Tone::Bad, trace::to_string(*column.problem)),
                         column.column.label(), column.reason);
    }
  }
  for (const auto& name : result.missing) {
    out += fmt::format("missing: {} (planned, no result)\n", name);
  }
  return out;
}

std::vector<VersionStep> version_steps(const MatrixResult& result) {
  std::vector<VersionStep> steps;
  for (const auto& scenario : result.scenarios) {
    const CellResult* previous = nullptr;
    for (const auto& column : result.columns) {
      const CellResult* cell = find_cell(result, scenario, column);
      if (cell == nullptr || !cell->report || cell->report->trace.hits.empty()) {
        continue;
      }
      if (previous != nullptr) {
        steps.push_back(VersionStep{scenario, previous, cell,
                                    report::diff_traces(previous->report->trace, cell->report->trace)});
      }
      previous = cell;
    }
  }
  return steps;
}

std::vector<std::string> step_changes(const VersionStep& step) {
  std::vector<std::string> changes;
  for (const auto& breakpoint : step.diff.breakpoints) {
    if (std::string text = breakpoint_changes(breakpoint); !text.empty()) {
      changes.push_back(std::move(text));
    }
  }
  return changes;
}

std::vector<std::string> version_changes(const MatrixResult& result) {
  std::vector<std::string> lines;
  for (const VersionStep& step : version_steps(result)) {
    if (std::vector<std::string> changes = step_changes(step); !changes.empty()) {
      lines.push_back(fmt::format("{}  {} -> {}  {}", step.scenario, step.from->release, step.to->release,
                                  fmt::join(changes, "; ")));
    }
  }
  return lines;
}

std::vector<std::string> golden_lines(const MatrixResult& result) {
  std::vector<std::string> lines;
  for (const auto& cell : result.cells) {
    if (!cell.golden) {
      continue;
    }
    if (cell.golden->status == report::GoldenCheck::Status::Missing) {
      lines.push_back(fmt::format("{}: no golden {} (write it with --update)", cell.cell, cell.golden->file.string()));
    } else if (cell.golden->status == report::GoldenCheck::Status::Differs) {
      lines.push_back(fmt::format("{}: trace differs from golden {}", cell.cell, cell.golden->file.string()));
      for (const auto& line : cell.golden->diff) {
        lines.push_back("  " + line);
      }
    }
  }
  return lines;
}

}  // namespace kh::matrix
