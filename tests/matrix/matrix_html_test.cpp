// The matrix page as text: the table with a link per cell, one section per cell holding its run
// (the run page's parts), the changes from one kernel to the next (the diff page's trees), cells
// that never ran, a missing cell, hostile strings; every link resolves to an id of the page and
// nothing is loaded from anywhere. The page in a browser and html5lib: matrix_browser_test.cpp.
#include "matrix/matrix_html.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include <fmt/format.h>

#include "common/file_io.h"
#include "common/temp_dir.h"
#include "matrix/matrix_table.h"
#include "matrix/sample_matrix.h"
#include "report/html_text.h"

namespace kh::matrix {
namespace {

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size()))
    ++count;
  return count;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> attribute_values(const std::string& html, const std::string& attribute) {
  std::vector<std::string> values;
  std::regex re("\\s" + attribute + "=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator(); ++it) {
    values.push_back((*it)[1].str());
  }
  return values;
}

// Every href of the page is "#id" for an id the page has, and no id is given twice.
void expect_links_resolve(const std::string& html) {
  std::map<std::string, int> ids;
  for (const std::string& id : attribute_values(html, "id")) {
    ++ids[id];
  }
  for (const auto& [id, times] : ids) {
    EXPECT_EQ(times, 1) << "id given " << times << " times: " << id;
  }
  std::vector<std::string> links = attribute_values(html, "href");
  EXPECT_FALSE(links.empty());
  for (const std::string& link : links) {
    ASSERT_TRUE(link.starts_with("#")) << "a link out of the page: " << link;
    EXPECT_EQ(ids.count(link.substr(1)), 1U) << "link to no id: " << link;
  }
}

// Nothing the page loads: no script, style sheet link, image, font or url().
void expect_nothing_loaded(const std::string& html) {
  EXPECT_TRUE(attribute_values(html, "src").empty());
  EXPECT_TRUE(attribute_values(html, "srcset").empty());
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "<link"));
  EXPECT_FALSE(contains(html, "url("));
  EXPECT_FALSE(contains(html, "@import"));
  for (const std::string& link : attribute_values(html, "href")) {
    EXPECT_FALSE(link.starts_with("http:") || link.starts_with("https:")) << link;
  }
}

TEST(MatrixHtml, TheTableLinksEachCellToItsSection) {
  MatrixResult result = testing::sample_matrix();
  std::string html = matrix_html(result);
  ASSERT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_TRUE(contains(html, "<title>TIMEOUT kharness matrix: 3 scenarios, 3 kernels</title>"));
  EXPECT_TRUE(contains(html, "<span class=\"badge timeout\">TIMEOUT</span> <span>kharness matrix</span>"));
  EXPECT_TRUE(contains(html,
                       "data-cells=\"9\" data-passed=\"2\" data-failed=\"2\" data-errors=\"4\" "
                       "data-skipped=\"0\" data-missing=\"1\""));
  // Columns in version order with their builds; the broken one by its option.
  EXPECT_TRUE(contains(html,
                       "<th class=\"kernel\">4.19.304<span class=\"muted\">--kernel-source "
                       "/src/linux-4.19.y</span><span class=\"muted build\">built in 412 s</span></th>"));
  EXPECT_TRUE(contains(html,
                       "<th class=\"kernel\">6.1.0<span class=\"muted\">--kernel-package linux-source-6.1"
                       "</span><span class=\"muted build\">cached</span></th>"));
  EXPECT_TRUE(contains(html, "<span class=\"muted build\">ERROR</span>"));
  // Eight cells (the hostile scenario has none on 4.19), each a link to its section, in table order.
  EXPECT_EQ(count_of(html, "<td class=\"cell "), 9U);
  EXPECT_EQ(count_of(html, "<td class=\"cell none\">"), 1U);
  EXPECT_EQ(count_of(html, "<section class=\"cell\" id=\"cell-"), 8U);
  EXPECT_TRUE(contains(html,
                       "<td class=\"cell pass\" data-cell=\"trace-mount@4.19.304\"><a href=\"#cell-0\" "
                       "title=\"trace-mount@4.19.304\">PASS 6/6</a><span class=\"muted\">11.5 s</span></td>"))
      << html.substr(html.find("<table class=\"matrix\">"), 3000);
  EXPECT_TRUE(
      contains(html, "<td class=\"cell timeout\" data-cell=\"bind-mount@6.1.0\"><a href=\"#cell-4\""));
  EXPECT_TRUE(contains(html, ">TIMEOUT guest</a>"));
  EXPECT_TRUE(
      contains(html, "<td class=\"cell error\" data-cell=\"trace-mount@not-a-kernel\"><a href=\"#cell-2\""));
  for (int n = 0; n < 8; ++n) {
    EXPECT_TRUE(contains(html, fmt::format("<a href=\"#cell-{}\"", n))) << n;
    EXPECT_TRUE(contains(html, fmt::format("<section class=\"cell\" id=\"cell-{}\"", n))) << n;
  }
  // The cell's section holds its run: the run page's header, call trees and verdicts.
  std::size_t first = html.find("<section class=\"cell\" id=\"cell-0\" data-cell=\"trace-mount@4.19.304\">");
  ASSERT_NE(first, std::string::npos);
  std::string section = html.substr(first, html.find("<section class=\"cell\" id=\"cell-1\"") - first);
  EXPECT_TRUE(contains(section, "<article class=\"run\" id=\"cell-0-run\">"));
  EXPECT_TRUE(contains(section, "<dt>kernel</dt><dd>4.19.304</dd>"));
  EXPECT_EQ(count_of(section, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"call-tree\""), 3U);
  EXPECT_TRUE(contains(section, "<section class=\"verdicts\" id=\"cell-0-verdicts\">"));
  EXPECT_TRUE(contains(section, "<tr id=\"cell-0-hit-0\">"));
  EXPECT_TRUE(contains(section, "<a href=\"#matrix\">back to the table</a>"));
  // trace-mount on 6.1 with its mount lists: the bind marked as added.
  EXPECT_EQ(count_of(html, "<g class=\"mount added\" data-mount-point=\"/mount_dir_test\""), 1U);
  // A cell that never ran says why.
  EXPECT_TRUE(contains(html, "<article class=\"run\" id=\"cell-2-run\">"));
  EXPECT_TRUE(contains(html,
                       "<strong>ERROR</strong> /src/not-a-kernel: not a kernel tree (no Makefile "
                       "&lt;&amp;&gt;)</p>"));
  EXPECT_TRUE(contains(html, "<strong>missing</strong> planned, no result: <code>propagation@6.1.0</code>"));
  expect_links_resolve(html);
  expect_nothing_loaded(html);
}

TEST(MatrixHtml, EachScenarioShowsWhatChangedFromOneKernelToTheNext) {
  MatrixResult result = testing::sample_matrix();
  std::string html = matrix_html(result);
  std::vector<VersionStep> steps = version_steps(result);
  ASSERT_EQ(steps.size(), 2U);  // trace-mount and bind-mount, 4.19.304 -> 6.1.0
  EXPECT_TRUE(
      contains(html, "<section class=\"scenario-changes\" id=\"changes-0\" data-scenario=\"trace-mount\">"));
  EXPECT_TRUE(contains(html,
                       "<section class=\"version-step differs\" id=\"step-0-0\">\n<h4><a href=\"#cell-0\">"
                       "4.19.304</a> \u2192 <a href=\"#cell-1\">6.1.0</a>"));
  // The text of the terminal's version changes, line by line.
  for (const VersionStep& step : steps) {
    for (const std::string& line : step_changes(step)) {
      EXPECT_TRUE(contains(html, "<li>" + report::html_escape(line) + "</li>")) << line;
    }
  }
  EXPECT_TRUE(contains(html, "copy_mnt_ns: _do_fork -&gt; kernel_clone"));
  // The diff page's trees side by side, only for the breakpoints that changed, anchors prefixed.
  std::size_t at = html.find("id=\"step-0-0\"");
  std::string step = html.substr(at, html.find("id=\"changes-1\"") - at);
  EXPECT_TRUE(contains(
      step, "<section class=\"breakpoint differs\" id=\"step-0-0-bp-0\" data-breakpoint=\"copy_mnt_ns\">"));
  EXPECT_TRUE(contains(step, "class=\"node renamed\" data-func=\"kernel_clone\""));
  EXPECT_TRUE(contains(step, "class=\"node added\" data-func=\"path_mount\""));
  EXPECT_EQ(count_of(step, "<section class=\"breakpoint\" "), 0U);  // no unchanged breakpoint drawn
  // Two sides each: a tree, or (a breakpoint only 6.1 hit: exit_task_namespaces) no hits.
  EXPECT_EQ(count_of(step, "class=\"call-tree\"") + count_of(step, "<p class=\"muted\">no counted hits</p>"),
            2 * count_of(step, "<section class=\"breakpoint differs\""));
  EXPECT_TRUE(contains(step, "data-breakpoint=\"exit_task_namespaces\""));
  EXPECT_TRUE(contains(html, "<a href=\"#changes-0\">changes</a>"));
  // One kernel only: nothing to compare, and it says so.
  EXPECT_TRUE(contains(html, "id=\"changes-2\" data-scenario=\"&lt;/title&gt;&lt;script&gt;"));
  EXPECT_TRUE(contains(html, "Fewer than two kernels gave this scenario hits"));
}

TEST(MatrixHtml, TheSameTracesSayTheyAreTheSame) {
  MatrixResult result = testing::sample_matrix();
  // bind-mount on 6.1 with the very trace it had on 4.19.
  for (CellResult& cell : result.cells) {
    if (cell.cell == "bind-mount@6.1.0")
      cell.report->trace.hits = result.cells[2].report->trace.hits;
  }
  std::string html = matrix_html(result);
  EXPECT_TRUE(contains(html, "<section class=\"version-step\" id=\"step-1-0\">"));
  std::size_t at = html.find("id=\"step-1-0\"");
  EXPECT_TRUE(contains(html.substr(at, 400), "the same trace")) << html.substr(at, 400);
  expect_links_resolve(html);
}

TEST(MatrixHtml, HostileStringsStayText) {
  std::string html = matrix_html(testing::sample_matrix());
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "<odd>"));
  EXPECT_FALSE(contains(html, "<comm>"));
  EXPECT_FALSE(contains(html, "<b>"));
  EXPECT_TRUE(contains(
      html, "<th class=\"scenario\" scope=\"row\">&lt;/title&gt;&lt;script&gt;alert(&quot;x&quot;)"));
  EXPECT_TRUE(contains(html, "func&lt;script&gt;"));
  EXPECT_TRUE(contains(html, "\\xff\\xfe"));
}

TEST(MatrixHtml, AnEmptyMatrixIsAPageToo) {
  std::string html = matrix_html(MatrixResult{});
  EXPECT_TRUE(contains(html, "<p class=\"muted\">No cells.</p>"));
  EXPECT_TRUE(contains(html, "<span class=\"badge pass\">PASS</span>"));
  expect_links_resolve(html);
  expect_nothing_loaded(html);
}

TEST(MatrixHtml, WritesTheFileAndSaysWhyItCannot) {
  auto dir = TempDir::create("kh-matrix-html-");
  ASSERT_TRUE(dir.ok());
  std::filesystem::path page = dir->path() / "matrix.html";
  ASSERT_TRUE(write_matrix_html(testing::sample_matrix(), page).ok());
  auto text = read_file(page);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, matrix_html(testing::sample_matrix()));
  Status failed = write_matrix_html(MatrixResult{}, dir->path() / "no-such-folder" / "m.html");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::Io);
}

}  // namespace
}  // namespace kh::matrix
