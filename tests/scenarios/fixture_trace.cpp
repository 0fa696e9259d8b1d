#include "scenarios/fixture_trace.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <variant>

#include "engine/mi_to_trace.h"
#include "mi/mi_frames.h"
#include "mi/mi_parser.h"

namespace kh::test {
namespace {

bool is_breakpoint_stop(const mi::AsyncRecord& record) {
  return record.kind == mi::AsyncKind::Exec && record.async_class == "stopped" &&
         record.get("reason").str() == "breakpoint-hit";
}

bool has_function(const std::vector<trace::Frame>& frames, std::string_view name) {
  return std::any_of(frames.begin(), frames.end(), [&](const trace::Frame& frame) { return frame.func == name; });
}

// True when the check needs something a transcript does not record.
bool needs_more_than_transcript(const trace::Check& check) {
  const auto* value = std::get_if<trace::ValueCheck>(&check.body);
  if (value == nullptr) {
    return false;
  }
  if (value->source == trace::ValueCheck::Source::Capture) {
    return true;
  }
  return !value->frame.level || *value->frame.level != 0;
}

}  // namespace

Result<FixtureTranscript> read_fixture_transcript(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return make_error(ErrorKind::Io, "cannot read {}", path.string());
  }
  FixtureTranscript transcript;
  // A stop waits here for the -stack-list-frames answer that follows it.
  std::optional<FixtureStop> pending;
  std::vector<trace::FrameArg> pending_args;
  std::size_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    Result<mi::Record> record = mi::parse_line(line);
    if (!record.ok()) {
      Error error = record.error();
      error.location = fmt::format("{}:{}", path.filename().string(), line_number);
      return error;
    }
    if (const auto* async = std::get_if<mi::AsyncRecord>(&*record)) {
      if (is_breakpoint_stop(*async)) {
        if (pending) {
          return make_error(ErrorKind::Parse, "{}:{}: a stop before the backtrace of the previous one",
                            path.filename().string(), line_number);
        }
        Result<mi::StopEvent> stop = mi::decode_stop_event(*async);
        if (!stop.ok() || !stop->frame) {
          Error error = stop.ok() ? make_error(ErrorKind::Parse, "a breakpoint stop without a frame") : stop.error();
          error.location = fmt::format("{}:{}", path.filename().string(), line_number);
          return error;
        }
        pending = FixtureStop{stop->frame->func, {}};
        pending_args = engine::to_trace_args(stop->frame->args);
      }
      continue;
    }
    const auto* result = std::get_if<mi::ResultRecord>(&*record);
    if (result == nullptr || result->result_class != mi::ResultClass::Done) {
      continue;
    }
    if (const mi::Value& bkpt = result->get("bkpt"); bkpt.is_tuple()) {
      transcript.breakpoint_functions.insert(bkpt.get("original-location").str());
    }
    if (pending && result->get("stack").is_list()) {
      Result<std::vector<mi::StackFrame>> frames = mi::decode_stack_frames(*result);
      if (!frames.ok()) {
        Error error = frames.error();
        error.location = fmt::format("{}:{}", path.filename().string(), line_number);
        return error;
      }
      pending->frames = engine::to_trace_frames(*frames);
      if (!pending->frames.empty()) {
        pending->frames.front().args = std::move(pending_args);
      }
      transcript.stops.push_back(std::move(*pending));
      pending.reset();
      pending_args.clear();
    }
  }
  if (pending) {
    return make_error(ErrorKind::Parse, "{}: the last stop ({}) has no backtrace", path.filename().string(),
                      pending->function);
  }
  return transcript;
}

std::size_t first_guest_stop(const FixtureTranscript& transcript) {
  auto it = std::find_if(transcript.stops.begin(), transcript.stops.end(),
                         [](const FixtureStop& stop) { return has_function(stop.frames, "__do_sys_clone"); });
  return static_cast<std::size_t>(it - transcript.stops.begin());
}

trace::Trace trace_for(const trace::ResolvedScenario& scenario, const FixtureTranscript& transcript) {
  trace::Trace trace;
  trace.scenario = scenario.name;
  trace.kernel_release = scenario.kernel.to_string();
  std::size_t guest_from = first_guest_stop(transcript);
  for (std::size_t i = 0; i < transcript.stops.size(); ++i) {
    const FixtureStop& stop = transcript.stops[i];
    bool in_guest = i >= guest_from;
    for (const trace::BreakpointSpec& breakpoint : scenario.breakpoints) {
      if (breakpoint.function != stop.function || (breakpoint.scope == trace::Scope::Guest && !in_guest)) {
        continue;
      }
      trace::Hit hit;
      hit.breakpoint = breakpoint.name;
      hit.index = static_cast<int>(trace.hits.size());
      hit.frames = stop.frames;
      hit.task_comm = in_guest ? scenario.guest.comm : std::string("?");
      trace.hits.push_back(std::move(hit));
    }
  }
  return trace;
}

trace::ResolvedScenario covered_by_fixture(const trace::ResolvedScenario& scenario,
                                           const FixtureTranscript& transcript) {
  trace::ResolvedScenario covered = scenario;
  covered.breakpoints.clear();
  for (const trace::BreakpointSpec& breakpoint : scenario.breakpoints) {
    if (transcript.breakpoint_functions.count(breakpoint.function) == 0) {
      continue;
    }
    trace::BreakpointSpec kept = breakpoint;
    kept.captures.clear();
    kept.hit_counts.clear();
    kept.expectations.clear();
    for (const trace::HitExpectation& expectation : breakpoint.expectations) {
      if (std::none_of(expectation.checks.begin(), expectation.checks.end(), needs_more_than_transcript)) {
        kept.expectations.push_back(expectation);
      }
    }
    covered.breakpoints.push_back(std::move(kept));
  }
  return covered;
}

}  // namespace kh::test
