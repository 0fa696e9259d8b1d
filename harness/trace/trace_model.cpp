#include "trace/trace_model.h"

#include <algorithm>
#include <array>
#include <utility>

namespace kh::trace {
namespace {

constexpr std::array<std::pair<Verdict, std::string_view>, 7> kVerdictNames = {{
    {Verdict::Pass, "PASS"},
    {Verdict::Fail, "FAIL"},
    {Verdict::Timeout, "TIMEOUT"},
    {Verdict::Infra, "INFRA"},
    {Verdict::Error, "ERROR"},
    {Verdict::Skipped, "SKIPPED"},
    {Verdict::Interrupted, "INTERRUPTED"},
}};

// Higher is worse; used to aggregate verdicts.
int severity(Verdict verdict) {
  switch (verdict) {
    case Verdict::Skipped: return 0;
    case Verdict::Pass: return 1;
    case Verdict::Fail: return 2;
    case Verdict::Timeout: return 3;
    case Verdict::Infra: return 4;
    case Verdict::Error: return 5;
    case Verdict::Interrupted: return 6;
  }
  return 6;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto upper = [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; };
    return upper(x) == upper(y);
  });
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  for (const auto& [value, name] : kVerdictNames) {
    if (value == verdict) {
      return name;
    }
  }
  return "ERROR";
}

Result<Verdict> parse_verdict(std::string_view text) {
  for (const auto& [value, name] : kVerdictNames) {
    if (equals_ignoring_case(text, name)) {
      return value;
    }
  }
  return make_error(ErrorKind::Parse, "'{}' is not a verdict (PASS, FAIL, TIMEOUT, INFRA, ERROR, SKIPPED, INTERRUPTED)",
                    text);
}

std::vector<const Hit*> hits_of(const Trace& trace, std::string_view breakpoint) {
  std::vector<const Hit*> hits;
  for (const Hit& hit : trace.hits) {
    if (hit.breakpoint == breakpoint) {
      hits.push_back(&hit);
    }
  }
  return hits;
}

const CapturedValue* find_capture(const Hit& hit, std::string_view name) {
  for (const CapturedValue& capture : hit.captures) {
    if (capture.name == name) {
      return &capture;
    }
  }
  return nullptr;
}

std::string format_chain(const std::vector<Frame>& frames) {
  std::string chain;
  for (const Frame& frame : frames) {
    if (!chain.empty()) {
      chain += " <- ";
    }
    chain += frame.func;
  }
  return chain;
}

Verdict overall_verdict(const std::vector<ExpectationResult>& results) {
  Verdict worst = Verdict::Pass;
  bool all_skipped = !results.empty();
  for (const ExpectationResult& result : results) {
    all_skipped = all_skipped && result.verdict == Verdict::Skipped;
    if (severity(result.verdict) > severity(worst)) {
      worst = result.verdict;
    }
  }
  return all_skipped ? Verdict::Skipped : worst;
}

void to_json(nlohmann::json& json, const FrameArg& arg) {
  json = nlohmann::json{{"name", arg.name}, {"value", arg.value}};
}

void from_json(const nlohmann::json& json, FrameArg& arg) {
  arg.name = json.value("name", std::string());
  arg.value = json.value("value", std::string());
}

void to_json(nlohmann::json& json, const Frame& frame) {
  json = nlohmann::json{{"level", frame.level}, {"func", frame.func}, {"file", frame.file},
                        {"line", frame.line},   {"addr", frame.addr}, {"args", frame.args}};
}

void from_json(const nlohmann::json& json, Frame& frame) {
  frame.level = json.value("level", 0);
  frame.func = json.value("func", std::string());
  frame.file = json.value("file", std::string());
  frame.line = json.value("line", 0);
  frame.addr = json.value("addr", std::string());
  frame.args = json.value("args", std::vector<FrameArg>());
}

void to_json(nlohmann::json& json, const CapturedValue& value) {
  json = nlohmann::json{{"name", value.name}, {"expr", value.expr}};
  json["value"] = value.value ? nlohmann::json(*value.value) : nlohmann::json(nullptr);
  json["error"] = value.error;
}

void from_json(const nlohmann::json& json, CapturedValue& value) {
  value.name = json.value("name", std::string());
  value.expr = json.value("expr", std::string());
  value.value.reset();
  if (auto it = json.find("value"); it != json.end() && !it->is_null()) {
    value.value = it->get<std::string>();
  }
  value.error = json.value("error", std::string());
}

void to_json(nlohmann::json& json, const Hit& hit) {
  json = nlohmann::json{{"breakpoint", hit.breakpoint}, {"index", hit.index},       {"frames", hit.frames},
                        {"captures", hit.captures},     {"task_comm", hit.task_comm}, {"task_pid", hit.task_pid},
                        {"time_s", hit.time_s}};
}

void from_json(const nlohmann::json& json, Hit& hit) {
  hit.breakpoint = json.value("breakpoint", std::string());
  hit.index = json.value("index", 0);
  hit.frames = json.value("frames", std::vector<Frame>());
  hit.captures = json.value("captures", std::vector<CapturedValue>());
  hit.task_comm = json.value("task_comm", std::string());
  hit.task_pid = json.value("task_pid", -1);
  hit.time_s = json.value("time_s", 0.0);
}

void to_json(nlohmann::json& json, const Trace& trace) {
  json = nlohmann::json{{"scenario", trace.scenario}, {"kernel_release", trace.kernel_release}, {"hits", trace.hits}};
}

void from_json(const nlohmann::json& json, Trace& trace) {
  trace.scenario = json.value("scenario", std::string());
  trace.kernel_release = json.value("kernel_release", std::string());
  trace.hits = json.value("hits", std::vector<Hit>());
}

void to_json(nlohmann::json& json, Verdict verdict) { json = std::string(to_string(verdict)); }

void from_json(const nlohmann::json& json, Verdict& verdict) {
  auto parsed = parse_verdict(json.get<std::string>());
  if (!parsed) {
    throw nlohmann::json::other_error::create(501, parsed.error().message, &json);
  }
  verdict = *parsed;
}

void to_json(nlohmann::json& json, const ExpectationResult& result) {
  json = nlohmann::json{{"breakpoint", result.breakpoint}, {"kind", result.kind},
                        {"description", result.description}, {"verdict", result.verdict},
                        {"expected", result.expected},     {"actual", result.actual},
                        {"location", result.location}};
  json["hit_index"] = result.hit_index ? nlohmann::json(*result.hit_index) : nlohmann::json(nullptr);
}

void from_json(const nlohmann::json& json, ExpectationResult& result) {
  result.breakpoint = json.value("breakpoint", std::string());
  result.kind = json.value("kind", std::string());
  result.description = json.value("description", std::string());
  result.verdict = json.value("verdict", Verdict::Fail);
  result.expected = json.value("expected", std::string());
  result.actual = json.value("actual", std::string());
  result.location = json.value("location", std::string());
  result.hit_index.reset();
  if (auto it = json.find("hit_index"); it != json.end() && !it->is_null()) {
    result.hit_index = it->get<int>();
  }
}

Result<Trace> parse_trace_json(std::string_view text) {
  try {
    return nlohmann::json::parse(text).get<Trace>();
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::Parse, "bad trace JSON: {}", e.what());
  }
}

}  // namespace kh::trace
