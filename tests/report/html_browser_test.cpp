// The HTML reports in a real browser: headless Chromium renders the run page (trace-mount with its
// mount lists, a FAIL run, hostile strings, 10,000 hits, no hits) and the diff page (4.19 against
// 6.1) to pictures that are not blank, and the DOM it builds holds one call tree per breakpoint,
// the verdict counts and the bind mount marked as added. html5lib's strict parser accepts every
// page, and none loads anything from the network. Needs chromium and python3-html5lib (`make
// deps`); without them the tests fail and say so.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "common/file_io.h"
#include "common/temp_dir.h"
#include "report/browser.h"
#include "report/html_report.h"
#include "report/sample_reports.h"
#include "report/trace_diff.h"

namespace kh::report {
namespace {

std::size_t count_matches(const std::string& text, const std::string& pattern) {
  std::regex re(pattern);
  return static_cast<std::size_t>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

class HtmlInBrowser : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = TempDir::create("kh-html-browser-");
    ASSERT_TRUE(dir.ok()) << dir.error().to_string();
    dir_.emplace(std::move(dir).value());
    pages_ = {
        {"mounts", run_report_html({testing::mount_report_61()})},
        {"failing", run_report_html({testing::failing_report_419(), testing::timeout_report_61()})},
        {"hostile", run_report_html({testing::hostile_report()})},
        {"many", run_report_html({testing::many_hits_report(10000, true)})},
        {"empty", run_report_html({testing::no_hits_report()})},
    };
    trace::Trace a = testing::trace_mount_trace_419();
    trace::Trace b = testing::trace_mount_trace_61();
    pages_["diff"] = trace_diff_html(diff_traces(a, b), a, b);
    for (const auto& [name, html] : pages_) {
      ASSERT_TRUE(write_file_atomically(page(name), html).ok());
    }
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static std::filesystem::path page(const std::string& name) { return dir_->path() / (name + ".html"); }

  static std::string dom_of(const std::string& name) {
    auto dom = test::chromium_dom(page(name));
    EXPECT_TRUE(dom.ok()) << (dom.ok() ? "" : dom.error().to_string());
    return dom.ok() ? *dom : std::string();
  }

  static inline std::optional<TempDir> dir_;
  static inline std::map<std::string, std::string> pages_;
};

TEST_F(HtmlInBrowser, RunAndDiffPagesRenderToPictures) {
  for (const std::string name : {"mounts", "diff", "hostile"}) {
    SCOPED_TRACE(name);
    std::filesystem::path png = dir_->path() / (name + ".png");
    Status shot = test::chromium_screenshot(page(name), png);
    ASSERT_TRUE(shot.ok()) << shot.error().to_string();
    auto bytes = read_file(png);
    ASSERT_TRUE(bytes.ok());
    auto image = test::decode_png(*bytes);
    ASSERT_TRUE(image.ok()) << image.error().to_string();
    EXPECT_EQ(image->width, 1200);
    EXPECT_EQ(image->height, 1600);
    // Text, boxes, edges, colours: a blank page would have one colour.
    EXPECT_GT(test::distinct_colours(*image), 50U);
  }
}

// The page's colours follow the browser's: the corner of the page is light in the light scheme,
// dark in the dark one.
TEST_F(HtmlInBrowser, LightAndDarkColourSchemes) {
  auto corner_brightness = [](test::ColourScheme scheme) -> int {
    std::filesystem::path png =
        dir_->path() / (scheme == test::ColourScheme::Dark ? "dark.png" : "light.png");
    Status shot = test::chromium_screenshot(page("mounts"), png, scheme);
    EXPECT_TRUE(shot.ok()) << shot.error().to_string();
    auto bytes = read_file(png);
    auto image = bytes.ok() ? test::decode_png(*bytes) : Result<test::PngImage>(bytes.error());
    EXPECT_TRUE(image.ok());
    if (!image.ok())
      return -1;
    return (image->pixels[0] + image->pixels[1] + image->pixels[2]) / 3;
  };
  EXPECT_GT(corner_brightness(test::ColourScheme::Light), 200);
  int dark = corner_brightness(test::ColourScheme::Dark);
  EXPECT_GE(dark, 0);
  EXPECT_LT(dark, 60);
}

// Printing gives a document of several pages (the print style sheet lets figures scale).
TEST_F(HtmlInBrowser, PagesPrint) {
  std::filesystem::path pdf = dir_->path() / "mounts.pdf";
  Status printed = test::chromium_print(page("mounts"), pdf);
  ASSERT_TRUE(printed.ok()) << printed.error().to_string();
  auto bytes = read_file(pdf);
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(bytes->starts_with("%PDF-"));
  std::size_t pages = count_matches(*bytes, "/Type /Page") - count_matches(*bytes, "/Type /Pages");
  EXPECT_GE(pages, 2U);
}

TEST_F(HtmlInBrowser, TheDomHasATreePerBreakpointTheTotalsAndTheAddedBind) {
  std::string dom = dom_of("mounts");
  ASSERT_FALSE(dom.empty());
  // copy_mnt_ns, attach_recursive_mnt, mnt_set_mountpoint, exit_task_namespaces.
  EXPECT_EQ(count_matches(dom, "<section class=\"breakpoint\""), 4U);
  EXPECT_EQ(count_matches(dom, "<svg[^>]* class=\"call-tree\""), 4U);
  EXPECT_EQ(count_matches(dom, "data-passed=\"5\" data-failed=\"0\""), 1U);
  EXPECT_EQ(count_matches(dom, "<g class=\"mount added\" data-mount-point=\"/mount_dir_test\""), 1U) << dom;
  EXPECT_EQ(count_matches(dom, "<script"), 0U);

  std::string failing = dom_of("failing");
  EXPECT_EQ(count_matches(failing, "data-passed=\"5\" data-failed=\"1\""), 1U);
  EXPECT_EQ(count_matches(failing, "<tr class=\"fail\">"), 1U);
  EXPECT_EQ(count_matches(failing, "<span class=\"badge timeout\">TIMEOUT</span>"),
            2U);  // run list and header

  std::string diff = dom_of("diff");
  EXPECT_EQ(count_matches(diff, "<svg[^>]* class=\"call-tree\""), 6U);  // three breakpoints, two sides
  EXPECT_EQ(count_matches(diff, "<g class=\"node renamed\" data-func=\"kernel_clone\""), 2U);  // two chains
  EXPECT_GE(count_matches(diff, "<g class=\"node added\" data-func=\"path_mount\""), 1U);

  // The hostile page's texts stay text: the browser built no element from them.
  std::string hostile = dom_of("hostile");
  EXPECT_EQ(count_matches(hostile, "<script"), 0U);
  EXPECT_EQ(count_matches(hostile, "<odd"), 0U);
  EXPECT_EQ(count_matches(hostile, "<comm"), 0U);
  EXPECT_EQ(count_matches(hostile, "<title>"), count_matches(pages_["hostile"], "<title>"));
  EXPECT_EQ(count_matches(hostile, "<svg[^>]* class=\"call-tree\""), 1U);
}

TEST_F(HtmlInBrowser, Html5libParsesEveryPageStrictlyAndNothingComesFromTheNetwork) {
  for (const auto& [name, html] : pages_) {
    SCOPED_TRACE(name);
    auto verdict = test::html5lib_check(page(name));
    ASSERT_TRUE(verdict.ok()) << verdict.error().to_string();
    EXPECT_EQ(*verdict, "ok");
  }
  // The checker does catch what it looks for.
  std::filesystem::path bad = dir_->path() / "remote.html";
  ASSERT_TRUE(
      write_file_atomically(bad,
                            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>x</title>"
                            "</head><body><img alt=\"\" src=\"https://example.org/x.png\"></body></html>")
          .ok());
  auto remote = test::html5lib_check(bad);
  ASSERT_TRUE(remote.ok()) << remote.error().to_string();
  EXPECT_TRUE(remote->starts_with("remote resource: <img src=")) << *remote;
  ASSERT_TRUE(write_file_atomically(bad, "<!DOCTYPE html><p>a</div>").ok());
  auto broken = test::html5lib_check(bad);
  ASSERT_TRUE(broken.ok());
  EXPECT_TRUE(broken->starts_with("parse error")) << *broken;
}

TEST_F(HtmlInBrowser, TenThousandHitsStayUnderAFewMegabytes) {
  EXPECT_LT(std::filesystem::file_size(page("many")), 2'000'000U);
  EXPECT_LT(std::filesystem::file_size(page("mounts")), 200'000U);
}

}  // namespace
}  // namespace kh::report
