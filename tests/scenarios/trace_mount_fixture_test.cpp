// scenarios/trace-mount.xml against the real transcripts of tests/fixtures/gdb-mi/: every
// expectation a transcript can answer passes on its own kernel, and the other kernel's variants fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "common/kernel_version.h"
#include "scenarios/fixture_trace.h"
#include "trace/expectation.h"
#include "trace/scenario.h"
#include "trace/scenario_resolve.h"

namespace kh::test {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  const char* transcript;
  const char* kernel;
};

void PrintTo(const Fixture& fixture, std::ostream* out) { *out << fixture.transcript; }

const Fixture kLinux419 = {"trace-mount-linux-4.19.304.mi", "4.19.304"};
const Fixture kLinux61 = {"trace-mount-linux-source-6.1.mi", "6.1.192"};

FixtureTranscript load_transcript(const Fixture& fixture) {
  Result<FixtureTranscript> transcript = read_fixture_transcript(fs::path(KH_FIXTURES_DIR) / fixture.transcript);
  EXPECT_TRUE(transcript.ok()) << transcript.error().to_string();
  return transcript.ok() ? std::move(transcript).value() : FixtureTranscript{};
}

trace::ResolvedScenario trace_mount_for(const char* kernel) {
  Result<trace::Scenario> scenario = trace::load_scenario_file(fs::path(KH_SOURCE_DIR) / "scenarios" / "trace-mount.xml");
  EXPECT_TRUE(scenario.ok()) << scenario.error().to_string();
  Result<KernelVersion> version = KernelVersion::parse(kernel);
  EXPECT_TRUE(version.ok());
  return scenario.ok() && version.ok() ? trace::resolve(*scenario, *version) : trace::ResolvedScenario{};
}

std::string describe_results(const std::vector<trace::ExpectationResult>& results) {
  std::string text;
  for (const trace::ExpectationResult& result : results) {
    text += fmt::format("{} {} [{}] {}: expected {} / actual {}\n", trace::to_string(result.verdict), result.location,
                        result.breakpoint, result.description, result.expected, result.actual);
  }
  return text;
}

class TraceMountFixtureTest : public testing::TestWithParam<Fixture> {};

TEST_P(TraceMountFixtureTest, TranscriptShowsBootNoiseThenTheGuest) {
  FixtureTranscript transcript = load_transcript(GetParam());
  EXPECT_EQ(transcript.breakpoint_functions,
            (std::set<std::string>{"copy_mnt_ns", "attach_recursive_mnt", "mnt_set_mountpoint"}));
  std::size_t guest = first_guest_stop(transcript);
  ASSERT_LT(guest, transcript.stops.size());
  EXPECT_EQ(transcript.stops[guest].function, "copy_mnt_ns");
  // kdevtmpfs unshares its namespace before anything else runs.
  ASSERT_GT(guest, 0U);
  const std::vector<trace::Frame>& first = transcript.stops[0].frames;
  EXPECT_TRUE(std::any_of(first.begin(), first.end(), [](const trace::Frame& f) { return f.func == "devtmpfsd"; }));
}

TEST_P(TraceMountFixtureTest, CoveredExpectationsPassOnTheirKernel) {
  FixtureTranscript transcript = load_transcript(GetParam());
  trace::ResolvedScenario covered = covered_by_fixture(trace_mount_for(GetParam().kernel), transcript);
  std::vector<trace::ExpectationResult> results = trace::evaluate(covered, trace_for(covered, transcript));

  std::map<std::string, int> per_breakpoint;
  for (const trace::ExpectationResult& result : results) {
    EXPECT_EQ(result.verdict, trace::Verdict::Pass) << describe_results({result});
    ++per_breakpoint[result.breakpoint];
  }
  // The clone path, CLONE_NEWNS and the initial user namespace at copy_mnt_ns; the bind path at
  // attach_recursive_mnt; copy_tree under copy_mnt_ns and the bind at mnt_set_mountpoint.
  EXPECT_GE(per_breakpoint["copy_mnt_ns"], 6) << describe_results(results);
  EXPECT_GE(per_breakpoint["attach_recursive_mnt"], 1) << describe_results(results);
  EXPECT_GE(per_breakpoint["mnt_set_mountpoint"], 2) << describe_results(results);
  EXPECT_EQ(per_breakpoint.count("do_mount"), 0U) << "the transcripts set no breakpoint on do_mount";
}

std::string fixture_name(const testing::TestParamInfo<Fixture>& info) {
  std::string name = info.param.kernel;
  std::replace(name.begin(), name.end(), '.', '_');
  return "linux_" + name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TraceMountFixtureTest, testing::Values(kLinux419, kLinux61), fixture_name);

// The version variants are not decoration: each kernel's expectations fail on the other's trace,
// on the functions that were renamed or added.
TEST(TraceMountFixtureCrossVersion, OtherKernelsExpectationsFail) {
  struct Case {
    Fixture transcript;
    const char* kernel;
    std::vector<std::string> missing;  // functions a failing expectation must name
  };
  const Case cases[] = {
      {kLinux61, "4.19.304", {"_do_fork", "ksys_mount"}},
      {kLinux419, "6.1.192", {"kernel_clone", "path_mount"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string("expectations of ") + c.kernel + " on " + c.transcript.transcript);
    FixtureTranscript transcript = load_transcript(c.transcript);
    trace::ResolvedScenario covered = covered_by_fixture(trace_mount_for(c.kernel), transcript);
    std::vector<trace::ExpectationResult> results = trace::evaluate(covered, trace_for(covered, transcript));
    for (const std::string& function : c.missing) {
      EXPECT_TRUE(std::any_of(results.begin(), results.end(),
                              [&](const trace::ExpectationResult& result) {
                                return result.verdict == trace::Verdict::Fail &&
                                       result.expected.find(function) != std::string::npos;
                              }))
          << "no failure expecting " << function << "\n"
          << describe_results(results);
    }
  }
}

// Without the guest filter the boot-time hits would be counted: kdevtmpfs's unshare is not a clone.
TEST(TraceMountFixtureGuestFilter, BootTimeHitsAreNotTheGuests) {
  FixtureTranscript transcript = load_transcript(kLinux419);
  trace::ResolvedScenario covered = covered_by_fixture(trace_mount_for(kLinux419.kernel), transcript);
  trace::Trace trace = trace_for(covered, transcript);
  std::vector<const trace::Hit*> copies = trace::hits_of(trace, "copy_mnt_ns");
  ASSERT_EQ(copies.size(), 1U);
  EXPECT_TRUE(std::none_of(copies[0]->frames.begin(), copies[0]->frames.end(),
                           [](const trace::Frame& f) { return f.func == "ksys_unshare"; }));
}

}  // namespace
}  // namespace kh::test
