#include "mi/mi_frames.h"

#include <charconv>
#include <string_view>

namespace kh::mi {
namespace {

// A decimal int, all of `text`; nullopt otherwise (empty, sign, garbage, overflow).
std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// An optional decimal field into `out` (`field` is nullptr or the shared empty value when
// absent); false when present but not a number.
bool optional_int(const Value* field, std::optional<int>& out) {
  if (field == nullptr || field == &empty_value()) {
    return true;
  }
  out = parse_int(field->str());
  return out.has_value();
}

// The fields every frame tuple shares (not the level, which only stack lists have). `what` names
// the frame in errors.
Result<StackFrame> decode_frame(const Value& tuple, std::string_view what) {
  StackFrame frame;
  const Value* func = tuple.find("func");
  frame.func = func != nullptr ? func->str() : std::string("??");
  frame.addr = tuple.get("addr").str();
  frame.file = tuple.get("file").str();
  frame.fullname = tuple.get("fullname").str();
  if (!optional_int(tuple.find("line"), frame.line)) {
    return make_error(ErrorKind::Parse, "{} has a bad line '{}'", what, tuple.get("line").str());
  }
  if (const Value* args = tuple.find("args")) {
    frame.args = decode_frame_args(*args);
  }
  return frame;
}

// The Gdb error for an ^error answer to `command`.
Error gdb_error(const ResultRecord& answer, std::string_view command) {
  return make_error(ErrorKind::Gdb, "{} failed: {}", command, answer.error_message());
}

}  // namespace

Result<StopEvent> decode_stop_event(const AsyncRecord& record) {
  if (record.kind != AsyncKind::Exec || record.async_class != "stopped") {
    return make_error(ErrorKind::Parse, "not a *stopped record: '{}'", record.async_class);
  }
  StopEvent event;
  event.reason = record.get("reason").str();
  if (!optional_int(&record.get("bkptno"), event.breakpoint)) {
    return make_error(ErrorKind::Parse, "*stopped has a bad bkptno '{}'", record.get("bkptno").str());
  }
  if (!optional_int(&record.get("thread-id"), event.thread_id)) {
    return make_error(ErrorKind::Parse, "*stopped has a bad thread-id '{}'", record.get("thread-id").str());
  }
  const Value& frame = record.get("frame");
  if (frame.is_tuple()) {
    KH_ASSIGN_OR_RETURN(event.frame, decode_frame(frame, "the frame of *stopped"));
  }
  return event;
}

Result<std::vector<StackFrame>> decode_stack_frames(const ResultRecord& answer) {
  if (answer.result_class == ResultClass::Error) {
    return gdb_error(answer, "-stack-list-frames");
  }
  const Value& stack = answer.get("stack");
  if (!stack.is_list()) {
    return make_error(ErrorKind::Parse, "stack is not a list of frames");
  }
  std::vector<StackFrame> frames;
  frames.reserve(stack.size());
  for (std::size_t i = 0; i < stack.size(); ++i) {
    const Value& tuple = stack.at(i);
    if (!tuple.is_tuple()) {
      return make_error(ErrorKind::Parse, "stack element {} is not a frame tuple", i);
    }
    const std::optional<int> level = parse_int(tuple.get("level").str());
    if (!level) {
      return make_error(ErrorKind::Parse, "frame {} has a bad level '{}'", i, tuple.get("level").str());
    }
    KH_ASSIGN_OR_RETURN(StackFrame frame, decode_frame(tuple, fmt::format("frame {}", i)));
    frame.level = *level;
    frames.push_back(std::move(frame));
  }
  return frames;
}

Result<std::vector<FrameArguments>> decode_stack_arguments(const ResultRecord& answer) {
  if (answer.result_class == ResultClass::Error) {
    return gdb_error(answer, "-stack-list-arguments");
  }
  const Value& stack_args = answer.get("stack-args");
  if (!stack_args.is_list()) {
    return make_error(ErrorKind::Parse, "stack-args is not a list of frames");
  }
  std::vector<FrameArguments> arguments;
  arguments.reserve(stack_args.size());
  for (std::size_t i = 0; i < stack_args.size(); ++i) {
    const Value& entry = stack_args.at(i);
    if (!entry.is_tuple()) {
      return make_error(ErrorKind::Parse, "stack-args element {} is not a frame tuple", i);
    }
    const std::optional<int> level = parse_int(entry.get("level").str());
    if (!level) {
      return make_error(ErrorKind::Parse, "stack-args frame {} has a bad level '{}'", i,
                        entry.get("level").str());
    }
    arguments.push_back(FrameArguments{*level, decode_frame_args(entry.get("args"))});
  }
  return arguments;
}

std::vector<FrameArg> decode_frame_args(const Value& args) {
  std::vector<FrameArg> out;
  out.reserve(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    const Value& arg = args.at(i);
    if (arg.is_tuple()) {
      out.push_back(FrameArg{arg.get("name").str(), arg.get("value").str()});
    } else if (arg.is_string()) {
      out.push_back(FrameArg{arg.str(), {}});
    }
  }
  return out;
}

void attach_arguments(std::vector<StackFrame>& frames, const std::vector<FrameArguments>& arguments) {
  for (const FrameArguments& entry : arguments) {
    for (StackFrame& frame : frames) {
      if (frame.level == entry.level) {
        frame.args = entry.args;
        break;
      }
    }
  }
}

}  // namespace kh::mi
