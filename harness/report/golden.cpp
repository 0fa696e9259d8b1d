#include "report/golden.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/file_io.h"
#include "report/terminal_style.h"
#include "report/trace_diff.h"
#include "report/value_text.h"

namespace kh::report {
namespace {

using nlohmann::ordered_json;

// The trace as goldens see it: frames by function name only, captures normalised.
trace::Trace normalised(const trace::Trace& trace) {
  trace::Trace out;
  out.scenario = trace.scenario;
  out.kernel_release = trace.kernel_release;
  for (const trace::Hit& hit : trace.hits) {
    trace::Hit copy;
    copy.breakpoint = hit.breakpoint;
    copy.index = static_cast<int>(out.hits.size());
    for (const trace::Frame& frame : hit.frames) {
      trace::Frame name_only;
      name_only.level = static_cast<int>(copy.frames.size());
      name_only.func = frame.func;
      copy.frames.push_back(std::move(name_only));
    }
    for (const trace::CapturedValue& capture : hit.captures) {
      trace::CapturedValue value;
      value.name = capture.name;
      value.value = comparable_capture(capture);
      copy.captures.push_back(std::move(value));
    }
    out.hits.push_back(std::move(copy));
  }
  return out;
}

// Breakpoint names in the order of their first hit.
std::vector<std::string> breakpoint_order(const trace::Trace& trace) {
  std::vector<std::string> names;
  for (const trace::Hit& hit : trace.hits) {
    if (std::find(names.begin(), names.end(), hit.breakpoint) == names.end()) {
      names.push_back(hit.breakpoint);
    }
  }
  return names;
}

ordered_json hit_json(const trace::Hit& hit) {
  ordered_json chain = ordered_json::array();
  for (const trace::Frame& frame : hit.frames) {
    chain.push_back(frame.func);
  }
  ordered_json captures = ordered_json::object();
  for (const trace::CapturedValue& capture : hit.captures) {
    captures[capture.name] = capture.value.value_or("");
  }
  ordered_json json;
  json["chain"] = std::move(chain);
  json["captures"] = std::move(captures);
  return json;
}

// Dumps JSON as UTF-8 text, replacing invalid bytes rather than throwing.
std::string dump(const ordered_json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::filesystem::path golden_path(const std::filesystem::path& dir, std::string_view scenario,
                                  const KernelVersion& kernel) {
  return dir / fmt::format("{}@{}.{}.json", scenario, kernel.major, kernel.minor);
}

std::string golden_text(const trace::Trace& trace, const KernelVersion& kernel) {
  const trace::Trace golden = normalised(trace);
  std::string text = "{\n";
  text += fmt::format("  \"scenario\": {},\n", dump(ordered_json(golden.scenario)));
  text += fmt::format("  \"kernel\": \"{}.{}\",\n", kernel.major, kernel.minor);
  text += "  \"breakpoints\": [";
  const std::vector<std::string> names = breakpoint_order(golden);
  for (std::size_t b = 0; b < names.size(); ++b) {
    const std::vector<const trace::Hit*> hits = trace::hits_of(golden, names[b]);
    text += fmt::format("{}\n    {{\"name\": {}, \"hits\": {}, \"calls\": [", b == 0 ? "" : ",",
                        dump(ordered_json(names[b])), hits.size());
    for (std::size_t h = 0; h < hits.size(); ++h) {
      text += fmt::format("{}\n      {}", h == 0 ? "" : ",", dump(hit_json(*hits[h])));
    }
    text += "\n    ]}";
  }
  text += names.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return text;
}

Result<trace::Trace> parse_golden(std::string_view text, std::string_view origin) {
  trace::Trace trace;
  try {
    const nlohmann::json json = nlohmann::json::parse(text);
    trace.scenario = json.at("scenario").get<std::string>();
    for (const auto& breakpoint : json.at("breakpoints")) {
      const std::string name = breakpoint.at("name").get<std::string>();
      for (const auto& call : breakpoint.at("calls")) {
        trace::Hit hit;
        hit.breakpoint = name;
        hit.index = static_cast<int>(trace.hits.size());
        for (const auto& func : call.at("chain")) {
          trace::Frame frame;
          frame.level = static_cast<int>(hit.frames.size());
          frame.func = func.get<std::string>();
          hit.frames.push_back(std::move(frame));
        }
        for (const auto& [capture, value] : call.at("captures").items()) {
          hit.captures.push_back(trace::CapturedValue{capture, "", value.get<std::string>(), ""});
        }
        trace.hits.push_back(std::move(hit));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::Parse, "{}: not a golden trace: {}", origin, e.what());
  }
  return trace;
}

Result<trace::Trace> read_golden(const std::filesystem::path& path) {
  KH_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_golden(text, path.string());
}

Result<GoldenCheck> check_golden(const trace::Trace& trace, const std::filesystem::path& path) {
  GoldenCheck check;
  check.file = path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    check.status = GoldenCheck::Status::Missing;
    return check;
  }
  KH_ASSIGN_OR_RETURN(trace::Trace golden, read_golden(path));
  // The golden file holds the hits grouped by breakpoint; the run is compared in the same form.
  KH_ASSIGN_OR_RETURN(trace::Trace run, parse_golden(golden_text(trace, KernelVersion{}), "the run"));
  TraceDiff diff = diff_traces(golden, run);
  diff.label_a = "golden";
  diff.label_b = "run";
  if (diff.equivalent()) {
    check.status = GoldenCheck::Status::Match;
    return check;
  }
  check.status = GoldenCheck::Status::Differs;
  const std::string text = format_trace_diff(diff, TerminalStyle{});
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (!line.empty()) {
      check.diff.push_back(line);
    }
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return check;
}

Status write_golden(const trace::Trace& trace, const KernelVersion& kernel, const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return make_error(ErrorKind::Io, "cannot create {}: {}", path.parent_path().string(), ec.message());
    }
  }
  return write_file_atomically(path, golden_text(trace, kernel));
}

}  // namespace kh::report
