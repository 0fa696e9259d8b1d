// What a trace run saw and what it concluded: the trace engine fills a Trace, the expectation
// matcher turns it into ExpectationResults, the JSON report and `kharness diff` serialise both.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace kh::trace {

// One argument of a stack frame as gdb printed it ("flags" = "131584", "dev_name" =
// "0xffff888003a4c000 \"/myproc\"", "flags@entry" = ...).
struct FrameArg {
  std::string name;
  std::string value;

  friend bool operator==(const FrameArg&, const FrameArg&) = default;
};

// One frame of a backtrace, innermost first (level 0 is where the breakpoint hit). Inlined frames
// are frames of their own, at the same address as their caller.
struct Frame {
  int level = 0;
  std::string func;  // "??" when gdb does not know
  std::string file;
  int line = 0;
  std::string addr;
  std::vector<FrameArg> args;  // empty unless the engine asked gdb for them

  friend bool operator==(const Frame&, const Frame&) = default;
};

// A capture expression evaluated at a hit: `value` as gdb printed it, or nullopt and the gdb error.
struct CapturedValue {
  std::string name;  // the capture's `as` name
  std::string expr;
  std::optional<std::string> value;
  std::string error;

  friend bool operator==(const CapturedValue&, const CapturedValue&) = default;
};

// One counted hit of a breakpoint (after the engine's scope filter).
struct Hit {
  std::string breakpoint;  // the scenario's breakpoint name
  int index = 0;           // 0-based position of this hit in Trace::hits
  std::vector<Frame> frames;
  std::vector<CapturedValue> captures;
  std::string task_comm;
  int task_pid = -1;
  double time_s = 0;  // seconds since the guest started

  friend bool operator==(const Hit&, const Hit&) = default;
};

// Everything one run of one scenario on one kernel saw, in hit order.
struct Trace {
  std::string scenario;
  std::string kernel_release;
  std::vector<Hit> hits;

  friend bool operator==(const Trace&, const Trace&) = default;
};

// The outcome of one expectation (and, aggregated, of a run). Pass and Fail come from the matcher;
// Timeout, Infra and Error from the engine when a run could not produce a full trace; Interrupted
// when Ctrl-C or SIGTERM ended it; Skipped when the scenario does not apply to the kernel.
enum class Verdict { Pass, Fail, Timeout, Infra, Error, Skipped, Interrupted };

// "PASS", "FAIL", "TIMEOUT", "INFRA", "ERROR", "SKIPPED", "INTERRUPTED".
std::string_view to_string(Verdict verdict);
// The inverse of to_string (case-insensitive); ErrorKind::Parse for any other text.
Result<Verdict> parse_verdict(std::string_view text);

// The verdict of one expectation with the evidence a reader needs to see why.
struct ExpectationResult {
  std::string breakpoint;   // the breakpoint name, empty for scenario-wide results
  std::string kind;         // "backtrace", "backtrace-without", "value", "hit", "hits", "scenario"
  std::string description;  // one line: what was expected, in words
  Verdict verdict = Verdict::Fail;
  std::string expected;
  std::string actual;              // what the closest hit showed (the satisfying one on PASS)
  std::optional<int> hit_index;    // that hit's Hit::index
  std::string location;            // "file:line" of the expectation in the scenario

  friend bool operator==(const ExpectationResult&, const ExpectationResult&) = default;
};

// The hits of one breakpoint, in trace order.
std::vector<const Hit*> hits_of(const Trace& trace, std::string_view breakpoint);
// The value captured as `name` at `hit`, or nullptr when the hit has no such capture.
const CapturedValue* find_capture(const Hit& hit, std::string_view name);
// "a <- b <- c": the frame function names, innermost first.
std::string format_chain(const std::vector<Frame>& frames);
// The worst verdict of a list (Skipped < Pass < Fail < Timeout < Infra < Error < Interrupted);
// Pass if empty.
Verdict overall_verdict(const std::vector<ExpectationResult>& results);

// nlohmann-json conversions (found by ADL). from_json throws nlohmann::json::exception on a wrong
// type; absent fields take their defaults so that older reports still load.
void to_json(nlohmann::json& json, const FrameArg& arg);
void from_json(const nlohmann::json& json, FrameArg& arg);
void to_json(nlohmann::json& json, const Frame& frame);
void from_json(const nlohmann::json& json, Frame& frame);
void to_json(nlohmann::json& json, const CapturedValue& value);
void from_json(const nlohmann::json& json, CapturedValue& value);
void to_json(nlohmann::json& json, const Hit& hit);
void from_json(const nlohmann::json& json, Hit& hit);
void to_json(nlohmann::json& json, const Trace& trace);
void from_json(const nlohmann::json& json, Trace& trace);
void to_json(nlohmann::json& json, Verdict verdict);
void from_json(const nlohmann::json& json, Verdict& verdict);
void to_json(nlohmann::json& json, const ExpectationResult& result);
void from_json(const nlohmann::json& json, ExpectationResult& result);

// Parses a Trace from JSON text without throwing: ErrorKind::Parse with nlohmann's message.
Result<Trace> parse_trace_json(std::string_view text);

}  // namespace kh::trace
