#include "report/json_report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "report/sample_reports.h"

namespace kh::report {
namespace {

using nlohmann::json;

struct NamedReport {
  std::string name;
  trace::RunReport report;
};

std::vector<NamedReport> reports() {
  return {{"pass", testing::passing_report_419()},
          {"fail", testing::failing_report_419()},
          {"timeout", testing::timeout_report_61()},
          {"infra", testing::infra_report()},
          {"skipped", testing::skipped_report_419()}};
}

// Every field of a RunReport, compared one by one (RunReport has no operator==).
void expect_same_report(const trace::RunReport& a, const trace::RunReport& b) {
  EXPECT_EQ(a.scenario, b.scenario);
  EXPECT_EQ(a.scenario_file, b.scenario_file);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(a.detail, b.detail);
  EXPECT_EQ(a.phase, b.phase);
  EXPECT_EQ(a.kernel_release, b.kernel_release);
  EXPECT_EQ(a.kernel_version, b.kernel_version);
  EXPECT_EQ(a.accel, b.accel);
  EXPECT_EQ(a.wall_seconds, b.wall_seconds);
  EXPECT_EQ(a.kernel_key, b.kernel_key);
  EXPECT_EQ(a.kernel_source, b.kernel_source);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(a.results, b.results);
  ASSERT_EQ(a.phases.size(), b.phases.size());
  for (std::size_t i = 0; i < a.phases.size(); ++i) {
    EXPECT_EQ(a.phases[i].phase, b.phases[i].phase);
    EXPECT_EQ(a.phases[i].seconds, b.phases[i].seconds);
  }
  EXPECT_EQ(a.guest_results, b.guest_results);
  EXPECT_EQ(a.guest_exit_status, b.guest_exit_status);
  EXPECT_EQ(a.serial_log, b.serial_log);
  EXPECT_EQ(a.serial_tail, b.serial_tail);
  EXPECT_EQ(a.evidence, b.evidence);
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TEST(JsonReport, RoundTripsEveryVerdict) {
  auto dir = TempDir::create("kh-report-test-");
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  for (const NamedReport& named : reports()) {
    SCOPED_TRACE(named.name);
    std::filesystem::path path = dir->path() / (named.name + ".json");
    Status written = write_json_report(named.report, path);
    ASSERT_TRUE(written.ok()) << written.error().to_string();
    auto read = read_json_report(path);
    ASSERT_TRUE(read.ok()) << read.error().to_string();
    expect_same_report(*read, named.report);
    EXPECT_EQ(run_report_json(*read), run_report_json(named.report));
  }
}

// The scenario's breakpoint names go through the file; a report written before they were kept
// reads back with none.
TEST(JsonReport, KeepsTheScenariosBreakpointNames) {
  trace::RunReport report = testing::passing_report_419();
  report.breakpoints = {"copy_mnt_ns", "never hit"};
  json written = run_report_json(report);
  EXPECT_EQ(written["breakpoints"], json::array({"copy_mnt_ns", "never hit"}));
  auto read = run_report_from_json(written);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(read->breakpoints, report.breakpoints);
  written.erase("breakpoints");
  auto older = run_report_from_json(written);
  ASSERT_TRUE(older.ok()) << older.error().to_string();
  EXPECT_TRUE(older->breakpoints.empty());
}

TEST(JsonReport, HoldsTheFullTraceAndTheFacts) {
  json report = run_report_json(testing::passing_report_419());
  EXPECT_EQ(report["format"], kJsonReportFormat);
  EXPECT_EQ(report["verdict"], "PASS");
  EXPECT_EQ(report["kernel_release"], "4.19.304");
  EXPECT_EQ(report["accel"], "tcg");
  EXPECT_EQ(report["guest"]["exit_status"], 0);
  EXPECT_EQ(report["phases"][4]["phase"], "boot");
  EXPECT_EQ(report["trace"]["hits"].size(), 5U);
  const json& bind = report["trace"]["hits"][3];
  EXPECT_EQ(bind["frames"][4]["func"], "ksys_mount");
  EXPECT_EQ(bind["frames"][0]["args"][3]["name"], "parent_path");
  EXPECT_EQ(bind["captures"][0]["value"], "(const unsigned char *) 0xffff88800031a118 \"mount_dir_test\"");
  EXPECT_EQ(report["results"].size(), 6U);
  EXPECT_NE(report["serial_log"].get<std::string>().find("KH: exit=0"), std::string::npos);
}

TEST(JsonReport, GarbledSerialBytesDoNotStopTheWrite) {
  auto dir = TempDir::create("kh-report-test-");
  ASSERT_TRUE(dir.ok());
  trace::RunReport report = testing::timeout_report_61();
  report.serial_log =
      "\x1b"
      "cSeaBIOS\xff\xfe ok\n";
  std::filesystem::path path = dir->path() / "garbled.json";
  ASSERT_TRUE(write_json_report(report, path).ok());
  auto read = read_json_report(path);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(read->serial_log,
            "\x1b"
            "cSeaBIOS\xEF\xBF\xBD\xEF\xBF\xBD ok\n");
}

TEST(JsonReport, WriteFailsCleanlyInAMissingDirectory) {
  auto dir = TempDir::create("kh-report-test-");
  ASSERT_TRUE(dir.ok());
  Status written = write_json_report(testing::passing_report_419(), dir->path() / "no" / "such" / "r.json");
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().kind, ErrorKind::Io);
  EXPECT_NE(written.error().message.find("r.json"), std::string::npos) << written.error().message;
}

TEST(JsonReport, ReplacesAnOldReportWhole) {
  auto dir = TempDir::create("kh-report-test-");
  ASSERT_TRUE(dir.ok());
  std::filesystem::path path = dir->path() / "r.json";
  write_text(path, std::string(100000, 'x'));
  ASSERT_TRUE(write_json_report(testing::infra_report(), path).ok());
  auto read = read_json_report(path);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(read->verdict, trace::Verdict::Infra);
  // Only the report is left: no temporary file next to it.
  EXPECT_EQ(
      std::distance(std::filesystem::directory_iterator(dir->path()), std::filesystem::directory_iterator()),
      1);
}

struct BadFile {
  std::string name;
  std::optional<std::string> content;  // nullopt: the file does not exist
  ErrorKind kind;
  std::string message_part;
};

TEST(JsonReport, BadFilesGiveAOneLineErrorNamingTheFile) {
  const std::vector<BadFile> cases = {
      {"missing.json", std::nullopt, ErrorKind::Io, "cannot open"},
      {"garbage.json", "this is not JSON", ErrorKind::Parse, "bad JSON"},
      {"truncated.json", "{\"format\": 1, \"trace\": {\"hits\": [", ErrorKind::Parse, "bad JSON"},
      {"array.json", "[1, 2]", ErrorKind::Parse, "not a kharness run report"},
      {"no-format.json", "{\"verdict\": \"PASS\"}", ErrorKind::Parse, "no \"format\" field"},
      {"future.json", "{\"format\": 99}", ErrorKind::Parse, "format 99 is not supported"},
      {"wrong-type.json", "{\"format\": 1, \"trace\": {\"hits\": 5}}", ErrorKind::Parse, "bad run report"},
      {"bad-verdict.json", "{\"format\": 1, \"verdict\": \"GREAT\"}", ErrorKind::Parse,
       "'GREAT' is not a verdict"},
  };
  auto dir = TempDir::create("kh-report-test-");
  ASSERT_TRUE(dir.ok());
  for (const BadFile& c : cases) {
    SCOPED_TRACE(c.name);
    std::filesystem::path path = dir->path() / c.name;
    if (c.content) {
      write_text(path, *c.content);
    }
    auto read = read_json_report(path);
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.error().kind, c.kind);
    const std::string& message = read.error().message;
    EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0U) << message;
    EXPECT_NE(message.find(c.message_part), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(ReadTraceFile, TakesARunReportOrABareTrace) {
  auto dir = TempDir::create("kh-report-test-");
  ASSERT_TRUE(dir.ok());
  trace::Trace expected = testing::trace_mount_trace_61();
  trace::RunReport report = testing::timeout_report_61();
  report.trace = expected;
  ASSERT_TRUE(write_json_report(report, dir->path() / "report.json").ok());
  write_text(dir->path() / "trace.json", json(expected).dump());

  for (const char* name : {"report.json", "trace.json"}) {
    SCOPED_TRACE(name);
    auto read = read_trace_file(dir->path() / name);
    ASSERT_TRUE(read.ok()) << read.error().to_string();
    EXPECT_EQ(*read, expected);
  }
  write_text(dir->path() / "other.json", "{\"name\": \"not a trace\"}");
  auto other = read_trace_file(dir->path() / "other.json");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, ErrorKind::Parse);
}

}  // namespace
}  // namespace kh::report
