// Golden traces: normalised, byte-identical for the same calls, and a change named in the diff.
#include "report/golden.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/file_io.h"
#include "common/temp_dir.h"
#include "matrix/matrix.h"
#include "report/sample_reports.h"

namespace kh::report {
namespace {

const KernelVersion k419 = *KernelVersion::parse("4.19.304");

TEST(Golden, TheSameCallsGiveByteIdenticalTextWhateverTheAddressesPidsAndTimes) {
  trace::Trace first = testing::trace_mount_trace_419();
  trace::Trace second = first;
  for (auto& hit : second.hits) {
    hit.task_pid += 7;
    hit.time_s += 1.5;
    for (auto& frame : hit.frames) {
      frame.addr = "0xffffffff81000000";
      frame.line += 3;
    }
    for (auto& capture : hit.captures) {
      // Another heap address of the same string.
      if (capture.value && capture.value->find("0xffff") != std::string::npos) {
        capture.value->replace(capture.value->find("0xffff"), 6, "0xfffe");
      }
    }
  }
  EXPECT_EQ(golden_text(first, k419), golden_text(second, k419));
}

TEST(Golden, OneHitPerLineInBreakpointOrderWithItsChain) {
  const std::string text = golden_text(testing::trace_mount_trace_419(), k419);
  EXPECT_NE(text.find("\"kernel\": \"4.19\""), std::string::npos) << text;
  EXPECT_NE(text.find("{\"name\": \"copy_mnt_ns\", \"hits\": 1, \"calls\": ["), std::string::npos) << text;
  EXPECT_NE(text.find("\n      {\"chain\":[\"copy_mnt_ns\",\"create_new_namespaces\""), std::string::npos) << text;
  EXPECT_EQ(text.find("0xffff"), std::string::npos) << text;
  auto parsed = parse_golden(text, "test");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->hits.size(), testing::trace_mount_trace_419().hits.size());
}

TEST(Golden, MatchMissingAndARenamedFrameNamedInTheDiff) {
  auto dir = TempDir::create("kh-golden-test-");
  ASSERT_TRUE(dir.ok());
  const auto file = golden_path(dir->path(), "trace-mount", k419);
  EXPECT_EQ(file.filename(), "trace-mount@4.19.json");
  const trace::Trace trace = testing::trace_mount_trace_419();

  auto missing = check_golden(trace, file);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, GoldenCheck::Status::Missing);

  ASSERT_TRUE(write_golden(trace, k419, file).ok());
  auto same = check_golden(trace, file);
  ASSERT_TRUE(same.ok()) << same.error().to_string();
  EXPECT_EQ(same->status, GoldenCheck::Status::Match);

  // An edited golden: one frame renamed.
  std::string text = *read_file(file);
  const std::size_t at = text.find("\"_do_fork\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 10, "\"kernel_clone\"");
  ASSERT_TRUE(write_file_atomically(file, text).ok());
  auto differs = check_golden(trace, file);
  ASSERT_TRUE(differs.ok());
  EXPECT_EQ(differs->status, GoldenCheck::Status::Differs);
  std::string diff;
  for (const auto& line : differs->diff) {
    diff += line + "\n";
  }
  EXPECT_NE(diff.find("kernel_clone"), std::string::npos) << diff;
  EXPECT_NE(diff.find("_do_fork"), std::string::npos) << diff;
}

TEST(Golden, ApplyingItFailsAPassingRunThatDiffers) {
  auto dir = TempDir::create("kh-golden-test-");
  ASSERT_TRUE(dir.ok());
  trace::RunReport report = testing::passing_report_419();
  const auto file = golden_path(dir->path(), report.scenario, k419);
  trace::Trace other = testing::trace_mount_trace_61();
  ASSERT_TRUE(write_golden(other, k419, file).ok());
  auto check = matrix::apply_golden(report, file, /*update=*/false);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->status, GoldenCheck::Status::Differs);
  EXPECT_EQ(report.verdict, trace::Verdict::Fail);
  EXPECT_EQ(report.detail, "trace differs from golden");
  ASSERT_FALSE(report.results.empty());
  EXPECT_EQ(report.results.back().kind, "golden");
  EXPECT_NE(report.results.back().actual.find("trace differs from golden"), std::string::npos);

  trace::RunReport updated = testing::passing_report_419();
  ASSERT_TRUE(matrix::apply_golden(updated, file, /*update=*/true).ok());
  trace::RunReport again = testing::passing_report_419();
  auto rechecked = matrix::apply_golden(again, file, /*update=*/false);
  ASSERT_TRUE(rechecked.ok());
  EXPECT_EQ(rechecked->status, GoldenCheck::Status::Match);
  EXPECT_EQ(again.verdict, trace::Verdict::Pass);
}

}  // namespace
}  // namespace kh::report
