// The gdb/MI fixture transcripts (tests/fixtures/gdb-mi/*.mi) as trace-model hits, so that a
// product scenario can be checked against what real 4.19 and 6.1 kernels showed.
#pragma once

#include <cstddef>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "trace/scenario.h"
#include "trace/trace_model.h"

namespace kh::test {

// One breakpoint stop of a transcript: the function gdb stopped in and the backtrace that followed,
// frame 0 carrying the arguments of the *stopped record (the transcripts list no others).
struct FixtureStop {
  std::string function;
  std::vector<trace::Frame> frames;
};

// What a transcript shows: the functions its breakpoints were set on, and every stop in order.
struct FixtureTranscript {
  std::set<std::string> breakpoint_functions;
  std::vector<FixtureStop> stops;
};

// Reads a transcript. Fails with ErrorKind::Io when it cannot be read, Parse when a line is not
// gdb/MI or a breakpoint stop has no backtrace after it.
Result<FixtureTranscript> read_fixture_transcript(const std::filesystem::path& path);

// The index of the first stop in the guest program: the fixture's guest is the first task to
// enter clone(), and the stops before it are boot-time mounts (kdevtmpfs, init's `mount -t proc`).
// stops.size() when no stop comes from clone().
std::size_t first_guest_stop(const FixtureTranscript& transcript);

// The hits a run of `scenario` would have counted: the stops in each breakpoint's function, only the
// guest's ones for scope="guest". Hits are tagged with the scenario's guest comm. Cannot fail.
trace::Trace trace_for(const trace::ResolvedScenario& scenario, const FixtureTranscript& transcript);

// `scenario` cut down to what a transcript can answer: the breakpoints it set, and among their
// expectations those made only of backtrace checks and checks of frame 0's arguments. Captures,
// arguments of callers and hit counts (the fixture's guest made no proc mount) are left out.
trace::ResolvedScenario covered_by_fixture(const trace::ResolvedScenario& scenario,
                                           const FixtureTranscript& transcript);

}  // namespace kh::test
