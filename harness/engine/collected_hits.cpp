#include "engine/collected_hits.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>

#include "engine/mi_to_trace.h"
#include "image/initramfs.h"
#include "mi/mi_frames.h"

namespace kh::engine {

std::string collecting_plan(const PlannedBreakpoint& planned, std::size_t index, const TaskReader& task,
                            int max_steps) {
  nlohmann::json plan = {
      {"index", index},
      {"function", planned.spec->function},
      {"condition", planned.condition},
      {"user_condition", planned.spec->condition},
      {"caller_args", planned.collect.arguments != std::string::npos},
      {"max_steps", max_steps},
  };
  nlohmann::json captures = nlohmann::json::array();
  for (const auto& capture : planned.spec->captures) {
    captures.push_back(capture.expr);
  }
  plan["captures"] = std::move(captures);
  plan["guest"] = nullptr;
  if (planned.spec->scope == trace::Scope::Guest && !task.task_expression().empty()) {
    plan["guest"] = {{"task", task.task_expression()}, {"flag", image::kGuestPersonalityFlag}};
  }
  if (!planned.collect.task || task.commands().empty()) {
    plan["task"] = nullptr;
  } else if (task.layout()) {
    plan["task"] = {{"expression", task.task_expression()},
                    {"begin", task.layout()->begin()},
                    {"length", task.layout()->end() - task.layout()->begin()}};
  } else {
    plan["task"] = {{"expressions", task.expressions()}};
  }
  return plan.dump();
}

namespace {

// frames: [[level, addr, func, file, line, [[name, value], ...]], ...], as -stack-list-frames
// and the arguments *stopped / -stack-list-arguments would give.
std::vector<trace::Frame> frames_of(const nlohmann::json& entries) {
  std::vector<mi::StackFrame> stack;
  stack.reserve(entries.size());
  for (const nlohmann::json& entry : entries) {
    mi::StackFrame frame;
    frame.level = entry.at(0).get<int>();
    frame.addr = entry.at(1).get<std::string>();
    frame.func = entry.at(2).get<std::string>();
    frame.file = entry.at(3).get<std::string>();
    if (const int line = entry.at(4).get<int>(); line > 0) {
      frame.line = line;
    }
    for (const nlohmann::json& arg : entry.at(5)) {
      frame.args.push_back(mi::FrameArg{arg.at(0).get<std::string>(), arg.at(1).get<std::string>()});
    }
    stack.push_back(std::move(frame));
  }
  return to_trace_frames(stack);
}

}  // namespace

Result<CollectedHit> parse_collected_hit(std::string_view line, const std::vector<PlannedBreakpoint>& plan,
                                         const TaskReader& task) {
  if (!line.starts_with(kCollectedHitPrefix)) {
    return make_error(ErrorKind::Parse, "gdb's collected hits: a line that is not a hit: '{}'", line);
  }
  try {
    const nlohmann::json record = nlohmann::json::parse(line.substr(kCollectedHitPrefix.size()));
    CollectedHit collected;
    collected.breakpoint = record.at("bp").get<std::size_t>();
    if (collected.breakpoint >= plan.size()) {
      return make_error(ErrorKind::Parse, "gdb collected a hit of breakpoint {}, which the plan does not have",
                        collected.breakpoint);
    }
    const PlannedBreakpoint& planned = plan[collected.breakpoint];
    if (record.contains("error")) {
      return make_error(ErrorKind::Gdb, "gdb could not collect a hit of '{}': {}", planned.spec->name,
                        record.at("error").get<std::string>());
    }
    collected.at = Clock::time_point(
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(record.at("t").get<double>())));
    if (record.contains("step_error")) {
      collected.step_error = record.at("step_error").get<std::string>();
      return collected;
    }
    trace::Hit& hit = collected.hit;
    hit.breakpoint = planned.spec->name;
    hit.frames = frames_of(record.at("frames"));
    const nlohmann::json& values = record.at("captures");
    if (values.size() != planned.spec->captures.size()) {
      return make_error(ErrorKind::Parse, "gdb collected {} captures of '{}', which has {}", values.size(),
                        planned.spec->name, planned.spec->captures.size());
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      trace::CapturedValue value;
      value.name = planned.spec->captures[i].name;
      value.expr = planned.spec->captures[i].expr;
      if (values[i].at(0).get<bool>()) {
        value.value = values[i].at(1).get<std::string>();
      } else {
        value.error = values[i].at(1).get<std::string>();
      }
      hit.captures.push_back(std::move(value));
    }
    if (const nlohmann::json& texts = record.at("task"); texts.is_array()) {
      std::vector<std::optional<std::string>> read;
      read.reserve(texts.size());
      for (const nlohmann::json& text : texts) {
        read.push_back(text.is_string() ? std::optional<std::string>(text.get<std::string>()) : std::nullopt);
      }
      task.decode_texts(read, hit);
    }
    return collected;
  } catch (const nlohmann::json::exception& error) {
    return make_error(ErrorKind::Parse, "gdb's collected hit cannot be read ({}): '{}'", error.what(), line);
  }
}

}  // namespace kh::engine
