// The HTML reports as text: escaping, the merged call tree, what each part of the run page and
// the diff page holds, and bad input (no hits, 10,000 hits, hostile strings). The pages in a
// real browser: html_browser_test.cpp.
#include "report/html_report.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/temp_dir.h"
#include "report/call_tree.h"
#include "report/html_text.h"
#include "report/mount_tree.h"
#include "report/sample_reports.h"
#include "report/terminal_report.h"
#include "report/trace_diff.h"
#include "trace/mount_table.h"

namespace kh::report {
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

// True when `text` is well-formed UTF-8 without C0 controls other than tab and newline.
bool clean_utf8(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (byte < 0x20 && byte != '\n' && byte != '\t')
        return false;
      ++i;
      continue;
    }
    std::size_t length = (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xe ? 3 : (byte >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size())
      return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80)
        return false;
    }
    i += length;
  }
  return true;
}

struct EscapeCase {
  std::string in;
  std::string out;
};

TEST(HtmlText, EscapesMarkupAndShowsBadBytes) {
  const std::vector<EscapeCase> cases = {
      {"plain /mount_dir_test", "plain /mount_dir_test"},
      {"<a href=\"x\">&amp;'", "&lt;a href=&quot;x&quot;&gt;&amp;amp;&#39;"},
      {"caf\xc3\xa9 \xe2\x86\x92", "caf\xc3\xa9 \xe2\x86\x92"},          // UTF-8 stays
      {"\xff\xfe", "\\xff\\xfe"},                                        // not UTF-8
      {"\xc3", "\\xc3"},                                                 // cut sequence
      {"\xc0\xaf", "\\xc0\\xaf"},                                        // overlong '/'
      {"\xed\xa0\x80", "\\xed\\xa0\\x80"},                               // surrogate
      {std::string("a\0b", 3), "a\\x00b"},                               // NUL
      {"\x01\x1b[0m\x7f", "\\x01\\x1b[0m\\x7f"},                         // controls
      {"\xc2\x85", "\\xc2\\x85"},                                        // C1 control
      {"\xef\xbf\xbe \xef\xb7\x90", "\\xef\\xbf\\xbe \\xef\\xb7\\x90"},  // non-characters
      {"tab\tnew\nline", "tab\tnew\nline"},
  };
  for (const EscapeCase& c : cases) {
    EXPECT_EQ(html_escape(c.in), c.out) << c.in;
  }
  EXPECT_EQ(html_id("bp-1_x"), "bp-1_x");
  EXPECT_EQ(html_id("a b.c"), "a.20b.2Ec");
  EXPECT_NE(html_id("a."), html_id("a.2E"));
}

TEST(CallTree, MergesChainsFromTheOutermostFrame) {
  trace::Trace trace = testing::trace_mount_trace_61();
  std::vector<const trace::Hit*> hits = trace::hits_of(trace, "mnt_set_mountpoint");
  ASSERT_EQ(hits.size(), 3U);
  CallTree tree = build_call_tree(hits);
  EXPECT_EQ(tree.hits, 3);
  // Both chains start at entry_SYSCALL_64 (clone and mount): one root, split below x64_sys_call.
  ASSERT_EQ(tree.roots.size(), 1U);
  const CallTreeNode& root = tree.nodes[tree.roots.front()];
  EXPECT_EQ(root.func, "entry_SYSCALL_64");
  EXPECT_EQ(root.hits, 3);
  EXPECT_TRUE(root.faded);
  EXPECT_EQ(root.locations, std::vector<std::string>{"arch/x86/entry/entry_64.S:120"});
  std::vector<std::size_t> ends = tree.ends();
  ASSERT_EQ(ends.size(), 2U);
  EXPECT_EQ(tree.nodes[ends[0]].func, "mnt_set_mountpoint");
  EXPECT_EQ(tree.nodes[ends[0]].ending_hits, (std::vector<int>{1, 2}));
  EXPECT_EQ(tree.nodes[ends[1]].ending_hits, std::vector<int>{4});
  EXPECT_FALSE(tree.nodes[ends[0]].faded);
  // Every node but the ends has children; counts add up along the tree.
  for (const CallTreeNode& node : tree.nodes) {
    int below = 0;
    for (std::size_t child : node.children)
      below += tree.nodes[child].hits;
    EXPECT_EQ(node.hits, below + static_cast<int>(node.ending_hits.size())) << node.func;
  }
}

TEST(CallTree, SvgHasABoxPerNodeAndACountPerEdge) {
  trace::Trace trace = testing::trace_mount_trace_61();
  CallTree tree = build_call_tree(trace::hits_of(trace, "mnt_set_mountpoint"));
  CallTreeSvgOptions options;
  options.title = "t";
  options.breakpoint = "mnt_set_mountpoint";
  options.end_link = [](std::size_t, std::size_t end) { return "#end-" + std::to_string(end); };
  std::string svg = call_tree_svg(tree, options);
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"call-tree\""));
  EXPECT_EQ(count_of(svg, "<g class=\"node"), tree.nodes.size());
  EXPECT_EQ(count_of(svg, "<g class=\"edge"), tree.nodes.size() - tree.roots.size());
  EXPECT_TRUE(contains(svg, "\u00d72</text>"));
  EXPECT_TRUE(contains(svg, "<a href=\"#end-0\">"));
  EXPECT_TRUE(contains(svg, "<a href=\"#end-1\">"));
  EXPECT_TRUE(contains(svg, "<title>copy_tree\nfs/namespace.c:1940\n2 hits</title>"));
  EXPECT_TRUE(contains(svg, "class=\"node faded\" data-func=\"do_syscall_64\""));
}

TEST(HtmlReport, RunPageHoldsHeaderTreesHitsAndVerdicts) {
  trace::RunReport report = testing::failing_report_419();
  std::string html = run_report_html({report});
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
  EXPECT_TRUE(contains(html, "<title>FAIL trace-mount on 4.19.304</title>"));
  EXPECT_TRUE(contains(html, "prefers-color-scheme: dark"));
  EXPECT_TRUE(contains(html, "@media print"));
  EXPECT_FALSE(contains(html, "<script"));
  // Header: kernel, accelerator, phases, guest, totals.
  EXPECT_TRUE(contains(html, "<dt>kernel</dt><dd>4.19.304</dd>"));
  EXPECT_TRUE(contains(html, "<dt>accelerator</dt><dd>tcg</dd>"));
  EXPECT_TRUE(contains(html, "<li>boot 1.18 s</li>"));
  EXPECT_TRUE(contains(html, "<dt>guest exit status</dt><dd>0</dd>"));
  EXPECT_TRUE(contains(html, "<div><dt>bind</dt><dd>ok</dd></div>"));
  EXPECT_TRUE(contains(html, "data-passed=\"5\" data-failed=\"1\" data-errors=\"0\" data-skipped=\"0\""));
  // One tree per breakpoint with hits, chain ends linked to their rows.
  EXPECT_EQ(count_of(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"call-tree\""), 3U);
  EXPECT_TRUE(contains(html, "<a href=\"#hits-0-0\">"));
  EXPECT_TRUE(contains(html, "<tbody class=\"path\" id=\"hits-0-0\">"));
  EXPECT_TRUE(contains(html, "<tr id=\"hit-0\">"));
  // The two identical copy_tree hits are one row.
  EXPECT_TRUE(
      contains(html, "<tr id=\"hit-1\"><td class=\"hit-ids\">#1\u2013#2 <span class=\"muted\">(2)</span>"));
  // Captures by their names, the expression on hover.
  EXPECT_TRUE(contains(
      html,
      "<dt "
      "title=\"dest_mp-&gt;m_dentry-&gt;d_name.name\">dest</dt><dd><code>&quot;mount_dir_test&quot;</code>"));
  // Verdicts: FAIL with expected against actual and the closest hit, scenario line.
  EXPECT_EQ(count_of(html, "<tr class=\"pass\">"), 5U);
  EXPECT_EQ(count_of(html, "<tr class=\"fail\">"), 1U);
  EXPECT_TRUE(contains(
      html, "<span>expected</span><code>copy_process &lt;- kernel_clone &lt;- __do_sys_clone</code>"));
  EXPECT_TRUE(contains(html, "<span>closest</span><span><a href=\"#hit-0\">hit #0</a></span>"));
  EXPECT_TRUE(contains(html, "<td class=\"where\">scenarios/trace_mount.xml:19</td>"));
}

TEST(HtmlReport, MountTreesMarkWhatChangedInTheSameNamespace) {
  std::string html = run_report_html({testing::mount_report_61()});
  EXPECT_EQ(count_of(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"mount-tree\""), 5U);
  EXPECT_EQ(count_of(html, "first look at this namespace"), 2U);
  // The child's second look has the stacked proc, its look at exit the bind; the parent's
  // namespace did not change.
  EXPECT_EQ(count_of(html, "<g class=\"mount added\""), 2U);
  EXPECT_TRUE(
      contains(html, "<g class=\"mount added\" data-mount-point=\"/mount_dir_test\" data-id=\"10\">"));
  EXPECT_TRUE(contains(html, "<g class=\"mount added\" data-mount-point=\"/proc\" data-id=\"9\">"));
  EXPECT_TRUE(contains(html, "since hit #6: <span class=\"added\">+ /mount_dir_test (rootfs)</span>"));
  EXPECT_TRUE(contains(html, "unchanged since hit #0"));
  EXPECT_TRUE(contains(html, ">rootfs[/myproc]</text>"));
  // The hits table links each mount list to its picture.
  EXPECT_TRUE(contains(html, "<a href=\"#mounts-8-mounts\">6 mounts in mnt_ns 0xffff888003bd2300</a>"));
  EXPECT_TRUE(contains(html, "<section class=\"snapshot\" id=\"mounts-8-mounts\" style=\"flex-basis:"));
}

TEST(MountTree, RowsShowTheirPathBelowTheParentAndRemovedMountsWhereTheyWere) {
  trace::MountTable before = *trace::parse_mount_table(
      "kh-mount-table mnt_ns=0x1\n1 1 / / rootfs rootfs private\n2 1 /data / tmpfs tmpfs shared:1\n"
      "3 2 /data/a/b / tmpfs tmpfs private\n4 1 /proc / proc proc private\n5 3 /data/a/b/c / tmpfs tmpfs "
      "private\n");
  trace::MountTable after = *trace::parse_mount_table(
      "kh-mount-table mnt_ns=0x1\n1 1 / / rootfs rootfs private\n2 1 /data / tmpfs tmpfs private\n"
      "3 2 /data/a/b / tmpfs tmpfs private\n4 1 /proc / proc proc private\n6 4 /proc / proc proc private\n");
  MountTreePicture picture = mount_tree_svg(after, trace::diff_mount_tables(before, after), "t");
  const std::string& svg = picture.svg;
  EXPECT_TRUE(contains(svg, fmt::format(" width=\"{:.1f}\" ", picture.width)));
  EXPECT_TRUE(contains(svg, ">/data<tspan class=\"id\"> #2</tspan>"));
  EXPECT_TRUE(contains(svg, ">/a/b<tspan class=\"id\"> #3</tspan>"));   // below /data
  EXPECT_TRUE(contains(svg, ">/proc<tspan class=\"id\"> #6</tspan>"));  // stacked on /proc
  EXPECT_TRUE(contains(svg, "<g class=\"mount changed\" data-mount-point=\"/data\" data-id=\"2\">"));
  EXPECT_TRUE(contains(svg, ">~ was shared:1</text>"));
  EXPECT_TRUE(contains(svg, "<g class=\"mount added\" data-mount-point=\"/proc\" data-id=\"6\">"));
  // The removed mount is drawn under its parent, after the present mounts.
  std::size_t removed =
      svg.find("<g class=\"mount removed\" data-mount-point=\"/data/a/b/c\" data-id=\"5\">");
  ASSERT_NE(removed, std::string::npos);
  EXPECT_TRUE(contains(svg, ">/c<tspan class=\"id\"> #5</tspan>"));
  EXPECT_LT(svg.find("data-id=\"3\""), removed);
  EXPECT_LT(removed, svg.find("data-id=\"4\""));
  EXPECT_EQ(count_of(svg, "<g class=\"mount"), 6U);
}

TEST(HtmlReport, ATraceWithoutHitsStillShowsItsVerdicts) {
  std::string html = run_report_html({testing::no_hits_report()});
  EXPECT_EQ(count_of(html, "class=\"call-tree\""), 0U);
  EXPECT_EQ(count_of(html, "no counted hits"), 2U);
  EXPECT_EQ(count_of(html, "<tr class=\"fail\">"), 2U);
  EXPECT_TRUE(contains(html, "data-passed=\"0\" data-failed=\"2\""));
  EXPECT_TRUE(contains(html, "<span>actual</span><code>-</code>"));
}

TEST(HtmlReport, TenThousandHitsStayOneChainAndAFewRows) {
  for (bool distinct : {false, true}) {
    SCOPED_TRACE(distinct ? "distinct values" : "same values");
    std::string html = run_report_html({testing::many_hits_report(10000, distinct)});
    EXPECT_EQ(count_of(html, "<g class=\"node"), 12U);  // the bind chain of 6.1, once
    EXPECT_TRUE(contains(html, "\u00d710000</text>"));
    EXPECT_TRUE(contains(html, ">10000 hits</text>"));
    EXPECT_LT(html.size(), 400'000U);
    if (distinct) {
      // 300 rows, plus the row of the hit a verdict points at, and a note for the rest.
      EXPECT_EQ(count_of(html, "<tr id=\"hit-"), 301U);
      EXPECT_TRUE(contains(html, "<tr id=\"hit-9999\">"));
      EXPECT_TRUE(contains(html, "9699 hits in 9699 more rows left out"));
    } else {
      EXPECT_EQ(count_of(html, "<tr id=\"hit-"), 1U);
      EXPECT_TRUE(contains(html, "#0\u2013#9999 <span class=\"muted\">(10000)</span>"));
    }
    EXPECT_TRUE(contains(html, "<a href=\"#hit-9999\">hit #9999</a>") ||
                contains(html, "<a href=\"#hit-0\">hit #9999</a>"));
  }
}

TEST(HtmlReport, HostileStringsAreEscapedAndTheBytesStayUtf8) {
  std::string html = run_report_html({testing::hostile_report()});
  EXPECT_TRUE(clean_utf8(html));
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "</title><script"));
  EXPECT_FALSE(contains(html, "<odd>"));
  EXPECT_FALSE(contains(html, "<b>"));
  EXPECT_FALSE(contains(html, "<!-- not"));
  EXPECT_FALSE(contains(html, "<comm>"));
  EXPECT_TRUE(contains(html, "&lt;/title&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  EXPECT_TRUE(contains(html, "caf\xc3\xa9"));
  EXPECT_TRUE(contains(html, "\\xff\\xfe"));
  EXPECT_TRUE(contains(html, "func&lt;script&gt;"));
  EXPECT_TRUE(contains(html, "There is no member named &lt;x&gt; &amp; &quot;y&quot;."));
  EXPECT_TRUE(contains(html, "\\x1b[31mred"));
  // The mount list with odd names is drawn; the broken one says why.
  EXPECT_TRUE(contains(html, "data-mount-point=\"/a&lt;b&gt;&amp;&quot;c\\xff\""));
  EXPECT_TRUE(contains(html, "no mount list: mount table line 2: expected id"));
  EXPECT_TRUE(contains(html, "Kernel panic - not syncing: &lt;x&gt;"));
}

TEST(HtmlReport, SeveralRunsOnOnePageKeepTheirAnchorsApart) {
  std::string html = run_report_html({testing::passing_report_419(), testing::timeout_report_61()});
  EXPECT_TRUE(contains(html, "<title>kharness: 2 runs</title>"));
  EXPECT_TRUE(contains(html, "<a href=\"#r0-run\">trace-mount</a>"));
  EXPECT_TRUE(contains(html, "<article class=\"run\" id=\"r1-run\">"));
  EXPECT_TRUE(contains(html, "<tr id=\"r0-hit-0\">"));
  EXPECT_TRUE(contains(html, "<tr id=\"r1-hit-0\">"));
  EXPECT_EQ(count_of(html, " id=\"hit-"), 0U);
  // The broken run shows its evidence and serial tail.
  EXPECT_TRUE(contains(html, "<strong>TIMEOUT</strong> timeout in phase guest"));
  EXPECT_TRUE(contains(html, "<section class=\"console\" id=\"r1-console\">"));
  EXPECT_TRUE(contains(html, "last stop: breakpoint 1 (copy_mnt_ns)"));
}

TEST(HtmlDiff, TreesSideBySideWithTheChangesMarked) {
  trace::Trace a = testing::trace_mount_trace_419();
  trace::Trace b = testing::trace_mount_trace_61();
  TraceDiff diff = diff_traces(a, b);
  std::string html = trace_diff_html(diff, a, b);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_TRUE(contains(html, "<span class=\"badge fail\">DIFFERENT</span>"));
  // Two trees per breakpoint.
  EXPECT_EQ(count_of(html, "class=\"call-tree\""), 2 * diff.breakpoints.size());
  EXPECT_TRUE(contains(html, "class=\"node renamed\" data-func=\"_do_fork\""));
  EXPECT_TRUE(contains(html, "class=\"node renamed\" data-func=\"kernel_clone\""));
  EXPECT_TRUE(contains(html, ">_do_fork=&gt;kernel_clone</text>"));
  EXPECT_TRUE(contains(html, "class=\"node removed\" data-func=\"ksys_mount\""));
  EXPECT_TRUE(contains(html, ">-ksys_mount</text>"));
  EXPECT_TRUE(contains(html, "class=\"node added\" data-func=\"path_mount\""));
  EXPECT_TRUE(contains(html, ">+path_mount</text>"));
  // Frames both have stay unmarked.
  EXPECT_TRUE(contains(html, "class=\"node\" data-func=\"copy_process\""));
  EXPECT_FALSE(contains(html, "class=\"node removed\" data-func=\"copy_process\""));
  EXPECT_TRUE(contains(html,
                       "<li class=\"renamed\">renamed _do_fork -&gt; kernel_clone  (between copy_process and "
                       "__do_sys_clone)</li>"));

  TraceDiff same = diff_traces(a, a);
  std::string equivalent = trace_diff_html(same, a, a);
  EXPECT_TRUE(contains(equivalent, "<span class=\"badge pass\">EQUIVALENT</span>"));
  EXPECT_FALSE(contains(equivalent, "class=\"node renamed"));
  EXPECT_FALSE(contains(equivalent, "class=\"node added"));
}

TEST(HtmlOutput, TheFolderMustExist) {
  auto dir = TempDir::create("kh-html-output-");
  ASSERT_TRUE(dir.ok());
  EXPECT_TRUE(check_html_output(dir->path() / "report.html").ok());
  Status missing = check_html_output(dir->path() / "no-such-folder" / "report.html");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::Config);
  EXPECT_TRUE(contains(missing.error().message, "does not exist"));
  Status folder = check_html_output(dir->path());
  ASSERT_FALSE(folder.ok());
  EXPECT_TRUE(contains(folder.error().message, "is a folder"));
  ASSERT_TRUE(write_html_report({testing::passing_report_419()}, dir->path() / "report.html").ok());
  EXPECT_TRUE(std::filesystem::file_size(dir->path() / "report.html") > 1000);
}

TEST(TerminalReport, MountListsReadAsOneLineAndInFullWithVerbose) {
  trace::RunReport report = testing::mount_report_61();
  std::string normal = format_run_report(report, TerminalStyle{false, Verbosity::Normal});
  EXPECT_TRUE(
      contains(normal, "old_root_device = \"rootfs\"   mounts = <4 mounts, mnt_ns 0xffff888002b8c180>"))
      << normal;
  std::string verbose = format_run_report(report, TerminalStyle{false, Verbosity::Verbose});
  EXPECT_TRUE(contains(verbose,
                       "mounts: $kh_mount_table() = <6 mounts, mnt_ns 0xffff888003bd2300>\n"
                       "      5 5 / / rootfs rootfs private\n"))
      << verbose;
  EXPECT_TRUE(contains(verbose, "      10 5 /mount_dir_test /myproc rootfs rootfs private\n")) << verbose;
}

}  // namespace
}  // namespace kh::report
