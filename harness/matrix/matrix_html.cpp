#include "matrix/matrix_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <vector>

#include "engine/run_outcome.h"
#include "matrix/matrix_table.h"
#include "report/html_page.h"
#include "report/html_report.h"
#include "report/html_text.h"
#include "report/trace_diff.h"

namespace kh::matrix {
namespace {

using report::html_escape;
using trace::Verdict;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

// The worst verdict of the cells (a missing cell counts as INFRA), as matrix_exit_code ranks them.
Verdict worst_verdict(const MatrixResult& result) {
  Verdict worst = Verdict::Pass;
  auto rank = [](Verdict verdict) {
    // SKIPPED exits 0 like PASS, but a matrix of only skipped cells should say so.
    return engine::exit_code_for(verdict) * 2 + (verdict == Verdict::Skipped ? 0 : 1);
  };
  bool any = false;
  for (const CellResult& cell : result.cells) {
    if (!any || rank(cell.verdict) > rank(worst)) {
      worst = cell.verdict;
    }
    any = true;
  }
  if (!result.missing.empty() && rank(Verdict::Infra) > rank(worst)) {
    worst = Verdict::Infra;
  }
  return worst;
}

// The cells in the page's order (the table's: rows, then columns), then any the table has no
// place for; a cell's number is its place here.
std::vector<const CellResult*> page_order(const MatrixResult& result) {
  std::vector<const CellResult*> cells;
  for (const std::string& scenario : result.scenarios) {
    for (const ColumnResult& column : result.columns) {
      const CellResult* cell = find_cell(result, scenario, column);
      if (cell != nullptr && std::find(cells.begin(), cells.end(), cell) == cells.end()) {
        cells.push_back(cell);
      }
    }
  }
  for (const CellResult& cell : result.cells) {
    if (std::find(cells.begin(), cells.end(), &cell) == cells.end()) {
      cells.push_back(&cell);
    }
  }
  return cells;
}

std::string cell_anchor(std::size_t number) {
  return fmt::format("cell-{}", number);
}

std::string scenario_anchor(std::size_t number) {
  return fmt::format("changes-{}", number);
}

void append_header(std::string& out, const MatrixResult& result) {
  auto to = std::back_inserter(out);
  fmt::format_to(to, "<header class=\"head\">\n<h1>{} <span>kharness matrix</span></h1>\n",
                 report::verdict_badge_html(worst_verdict(result)));
  out += "<dl class=\"facts\">";
  auto fact = [&](std::string_view name, const std::string& value) {
    fmt::format_to(to, "<div><dt>{}</dt><dd>{}</dd></div>", name, html_escape(value));
  };
  fact("scenarios", std::to_string(result.scenarios.size()));
  fact("kernels", std::to_string(result.columns.size()));
  fact("cells", std::to_string(result.cells.size() + result.missing.size()));
  if (result.wall_seconds > 0) {
    fact("wall time", fmt::format("{:.1f} s", result.wall_seconds));
  }
  out += "</dl>\n";
  std::map<Verdict, std::size_t> by_verdict;
  for (const CellResult& cell : result.cells) {
    ++by_verdict[cell.verdict];
  }
  auto count = [&](Verdict verdict) { return by_verdict.count(verdict) ? by_verdict[verdict] : 0; };
  std::size_t broken =
      count(Verdict::Error) + count(Verdict::Infra) + count(Verdict::Timeout) + count(Verdict::Interrupted);
  fmt::format_to(to,
                 "<div class=\"totals\" data-cells=\"{}\" data-passed=\"{}\" data-failed=\"{}\" "
                 "data-errors=\"{}\" data-skipped=\"{}\" data-missing=\"{}\">",
                 result.cells.size() + result.missing.size(), count(Verdict::Pass), count(Verdict::Fail),
                 broken, count(Verdict::Skipped), result.missing.size());
  for (const auto& [verdict, number] : by_verdict) {
    std::string_view tone = verdict == Verdict::Pass      ? "passed"
                            : verdict == Verdict::Skipped ? "skipped"
                            : verdict == Verdict::Fail    ? "failed some"
                                                          : "errors";
    fmt::format_to(to, "<span class=\"chip {}\">{} {}</span>", tone, number, trace::to_string(verdict));
  }
  if (!result.missing.empty()) {
    fmt::format_to(to, "<span class=\"chip errors\">{} missing</span>", result.missing.size());
  }
  out +=
      "</div>\n<nav class=\"toc\"><a href=\"#matrix\">table</a><a href=\"#changes\">changes from one "
      "kernel to the next</a><a href=\"#cells\">cells</a></nav>\n</header>\n";
}

void append_table(std::string& out, const MatrixResult& result, const std::vector<const CellResult*>& order,
                  const std::map<std::string, std::size_t>& changes_of_scenario) {
  auto to = std::back_inserter(out);
  out +=
      "<section class=\"matrix\" id=\"matrix\">\n<h2>Matrix <span class=\"muted\">one row per scenario, one "
      "column per kernel; follow a cell to its run</span></h2>\n<table class=\"matrix\">\n<thead><tr><th>"
      "scenario</th>";
  for (const ColumnResult& column : result.columns) {
    std::string build = column.problem             ? std::string(trace::to_string(*column.problem))
                        : column.was_cached        ? std::string("cached")
                        : column.build_seconds > 0 ? fmt::format("built in {:.0f} s", column.build_seconds)
                                                   : std::string();
    fmt::format_to(to, "<th class=\"kernel\">{}<span class=\"muted\">{}</span>",
                   html_escape(column_title(column)), html_escape(column.column.label()));
    if (!build.empty()) {
      fmt::format_to(to, "<span class=\"muted build\">{}</span>", html_escape(build));
    }
    out += "</th>";
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const std::string& scenario : result.scenarios) {
    fmt::format_to(to, "<tr><th class=\"scenario\" scope=\"row\">{}", html_escape(scenario));
    if (auto changes = changes_of_scenario.find(scenario); changes != changes_of_scenario.end()) {
      fmt::format_to(to, "<span class=\"muted\"><a href=\"#{}\">changes</a></span>",
                     scenario_anchor(changes->second));
    }
    out += "</th>";
    for (const ColumnResult& column : result.columns) {
      const CellResult* cell = find_cell(result, scenario, column);
      if (cell == nullptr) {
        out += "<td class=\"cell none\">\u2014</td>";
        continue;
      }
      std::size_t number =
          static_cast<std::size_t>(std::find(order.begin(), order.end(), cell) - order.begin());
      fmt::format_to(to, "<td class=\"cell {}\" data-cell=\"{}\"><a href=\"#{}\" title=\"{}\">{}</a>",
                     lower(trace::to_string(cell->verdict)), html_escape(cell->cell), cell_anchor(number),
                     html_escape(cell->detail.empty() ? cell->cell : cell->cell + ": " + cell->detail),
                     html_escape(cell_text(*cell)));
      if (cell->wall_seconds > 0) {
        fmt::format_to(to, "<span class=\"muted\">{:.1f} s</span>", cell->wall_seconds);
      }
      out += "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
  for (const ColumnResult& column : result.columns) {
    if (column.problem) {
      fmt::format_to(to, "<p class=\"detail\"><strong>{}</strong> {}: {}</p>\n",
                     trace::to_string(*column.problem), html_escape(column.column.label()),
                     html_escape(column.reason));
    }
  }
  if (!result.missing.empty()) {
    out += "<p class=\"detail\"><strong>missing</strong> planned, no result: ";
    std::vector<std::string> names;
    for (const std::string& name : result.missing) {
      names.push_back("<code>" + html_escape(name) + "</code>");
    }
    out += fmt::format("{}</p>\n", fmt::join(names, ", "));
  }
  std::vector<std::string> golden = golden_lines(result);
  if (!golden.empty()) {
    out += "<h3>Goldens</h3>\n<pre class=\"console\">";
    for (const std::string& line : golden) {
      out += html_escape(line) + "\n";
    }
    out += "</pre>\n";
  }
  out += "</section>\n";
}

void append_changes(std::string& out, const MatrixResult& result, const std::vector<VersionStep>& steps,
                    const std::vector<const CellResult*>& order,
                    const std::map<std::string, std::size_t>& changes_of_scenario) {
  auto to = std::back_inserter(out);
  out +=
      "<section class=\"changes\" id=\"changes\">\n<h2>What changed from one kernel to the next "
      "<span class=\"muted\">per scenario, kernels in version order</span></h2>\n";
  out += report::trace_diff_legend();
  auto link_to = [&](const CellResult* cell) {
    std::size_t number =
        static_cast<std::size_t>(std::find(order.begin(), order.end(), cell) - order.begin());
    return fmt::format("<a href=\"#{}\">{}</a>", cell_anchor(number), html_escape(cell->release));
  };
  for (const std::string& scenario : result.scenarios) {
    auto found = changes_of_scenario.find(scenario);
    std::size_t number = found->second;
    fmt::format_to(to, "<section class=\"scenario-changes\" id=\"{}\" data-scenario=\"{}\">\n<h3>{}</h3>\n",
                   scenario_anchor(number), html_escape(scenario), html_escape(scenario));
    std::size_t k = 0;
    for (const VersionStep& step : steps) {
      if (step.scenario != scenario) {
        continue;
      }
      std::vector<std::string> changes = step_changes(step);
      fmt::format_to(to,
                     "<section class=\"version-step{}\" id=\"step-{}-{}\">\n<h4>{} \u2192 {} <span "
                     "class=\"muted\">{}</span></h4>\n",
                     changes.empty() ? "" : " differs", number, k, link_to(step.from), link_to(step.to),
                     changes.empty() ? std::string("the same trace")
                                     : plural(changes.size(), "breakpoint changed", "breakpoints changed"));
      if (!changes.empty()) {
        out += "<ul class=\"change-lines\">";
        for (const std::string& line : changes) {
          fmt::format_to(to, "<li>{}</li>", html_escape(line));
        }
        out += "</ul>\n";
        report::TraceDiffHtmlOptions options;
        options.id_prefix = fmt::format("step-{}-{}-", number, k);
        options.heading_level = 5;
        options.only_differing = true;
        out +=
            report::trace_diff_sections(step.diff, step.from->report->trace, step.to->report->trace, options);
      }
      out += "</section>\n";
      ++k;
    }
    if (k == 0) {
      out += "<p class=\"muted\">Fewer than two kernels gave this scenario hits: nothing to compare.</p>\n";
    }
    out += "</section>\n";
  }
  out += "</section>\n";
}

void append_cells(std::string& out, const std::vector<const CellResult*>& order) {
  auto to = std::back_inserter(out);
  out += "<section class=\"cells\" id=\"cells\">\n<h2>Cells</h2>\n";
  for (std::size_t n = 0; n < order.size(); ++n) {
    const CellResult& cell = *order[n];
    std::string anchor = cell_anchor(n);
    fmt::format_to(to,
                   "<section class=\"cell\" id=\"{}\" data-cell=\"{}\">\n<h2 class=\"cell-title\"><span>{} "
                   "<span class=\"muted\">{}</span></span><a href=\"#matrix\">back to the table</a></h2>\n",
                   anchor, html_escape(cell.cell), html_escape(cell.cell), html_escape(cell.column));
    if (!cell.dir.empty()) {
      fmt::format_to(to, "<p class=\"muted\">folder <code>{}</code></p>\n", html_escape(cell.dir.string()));
    }
    if (cell.report) {
      out += report::run_article_html(*cell.report, anchor + "-");
    } else {
      fmt::format_to(
          to,
          "<article class=\"run\" id=\"{}-run\">\n<header class=\"head\">\n<h1>{} <span>{}</span></h1>\n"
          "<p class=\"detail {}\"><strong>{}</strong> {}</p>\n</header>\n</article>\n",
          anchor, report::verdict_badge_html(cell.verdict), html_escape(cell.scenario),
          lower(trace::to_string(cell.verdict)), trace::to_string(cell.verdict),
          html_escape(cell.detail.empty() ? std::string("no run") : cell.detail));
    }
    out += "</section>\n";
  }
  if (order.empty()) {
    out += "<p class=\"muted\">No cells.</p>\n";
  }
  out += "</section>\n";
}

}  // namespace

std::string matrix_html(const MatrixResult& result) {
  std::vector<const CellResult*> order = page_order(result);
  std::vector<VersionStep> steps = version_steps(result);
  std::map<std::string, std::size_t> changes_of_scenario;
  for (const std::string& scenario : result.scenarios) {
    changes_of_scenario.emplace(scenario, changes_of_scenario.size());
  }
  std::string out = report::html_page_start(
      fmt::format("{} kharness matrix: {}, {}", trace::to_string(worst_verdict(result)),
                  plural(result.scenarios.size(), "scenario", "scenarios"),
                  plural(result.columns.size(), "kernel", "kernels")));
  append_header(out, result);
  append_table(out, result, order, changes_of_scenario);
  append_changes(out, result, steps, order, changes_of_scenario);
  append_cells(out, order);
  out += report::html_page_end();
  return out;
}

Status write_matrix_html(const MatrixResult& result, const std::filesystem::path& path) {
  return report::write_html_file(path, matrix_html(result));
}

}  // namespace kh::matrix
