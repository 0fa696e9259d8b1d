// The matrix page in a real browser: headless Chromium renders it to a picture that is not blank,
// and the DOM it builds has the table, one section per cell with its call trees, and the
// changes between kernels; html5lib's strict parser accepts it and nothing comes from the network.
// Needs chromium and python3-html5lib (`make deps`); without them the tests fail and say so.
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>

#include "common/file_io.h"
#include "common/temp_dir.h"
#include "matrix/matrix_html.h"
#include "matrix/sample_matrix.h"
#include "report/browser.h"

namespace kh::matrix {
namespace {

std::size_t count_matches(const std::string& text, const std::string& pattern) {
  std::regex re(pattern);
  return static_cast<std::size_t>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

class MatrixInBrowser : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = TempDir::create("kh-matrix-browser-");
    ASSERT_TRUE(dir.ok()) << dir.error().to_string();
    dir_.emplace(std::move(dir).value());
    ASSERT_TRUE(write_file_atomically(page(), matrix_html(testing::sample_matrix())).ok());
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::filesystem::path page() { return dir_->path() / "matrix.html"; }
  static inline std::optional<TempDir> dir_;
};

TEST_F(MatrixInBrowser, RendersToAPictureThatIsNotBlank) {
  std::filesystem::path png = dir_->path() / "matrix.png";
  Status shot = test::chromium_screenshot(page(), png);
  ASSERT_TRUE(shot.ok()) << shot.error().to_string();
  auto bytes = read_file(png);
  ASSERT_TRUE(bytes.ok());
  auto image = test::decode_png(*bytes);
  ASSERT_TRUE(image.ok()) << image.error().to_string();
  EXPECT_EQ(image->width, 1200);
  EXPECT_EQ(image->height, 1600);
  EXPECT_GT(test::distinct_colours(*image), 50U);
}

TEST_F(MatrixInBrowser, TheDomHasTheTableOneSectionPerCellAndTheChanges) {
  auto dom = test::chromium_dom(page());
  ASSERT_TRUE(dom.ok()) << dom.error().to_string();
  EXPECT_EQ(count_matches(*dom, "<table class=\"matrix\">"), 1U);
  EXPECT_EQ(count_matches(*dom, "<td class=\"cell [a-z]+\" data-cell=\"[^\"]+\"><a href=\"#cell-[0-9]+\""),
            8U);
  EXPECT_EQ(count_matches(*dom, "<section class=\"cell\" id=\"cell-[0-9]+\" data-cell="), 8U);
  EXPECT_EQ(count_matches(*dom, "<article class=\"run\" id=\"cell-[0-9]+-run\">"), 8U);
  // trace-mount 4.19: 3 breakpoints, on 6.1: 4, bind-mount: 3 and 1, the hostile scenario 1.
  EXPECT_EQ(count_matches(*dom, "<section class=\"breakpoint\" id=\"cell-[0-9]+-bp-[0-9]+\""), 12U);
  EXPECT_GE(count_matches(*dom, "<section class=\"version-step differs\" id=\"step-[0-9]+-[0-9]+\">"), 1U);
  EXPECT_GE(count_matches(*dom, "<g class=\"node renamed\" data-func=\"kernel_clone\""), 1U);
  EXPECT_EQ(count_matches(*dom, "<g class=\"mount added\" data-mount-point=\"/mount_dir_test\""), 1U);
  EXPECT_EQ(count_matches(*dom, "<script"), 0U);
}

TEST_F(MatrixInBrowser, Html5libParsesItStrictlyAndNothingComesFromTheNetwork) {
  auto verdict = test::html5lib_check(page());
  ASSERT_TRUE(verdict.ok()) << verdict.error().to_string();
  EXPECT_EQ(*verdict, "ok");
}

}  // namespace
}  // namespace kh::matrix
