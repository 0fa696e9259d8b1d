#include "trace/mi_frames.h"

#include <charconv>
#include <optional>

namespace kh::trace {
namespace {

std::optional<int> parse_int(const std::string& text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

Result<std::vector<Frame>> frames_from_mi(const mi::Value& stack) {
  if (!stack.is_list()) {
    return make_error(ErrorKind::Parse, "stack is not a list of frames");
  }
  std::vector<Frame> frames;
  for (std::size_t i = 0; i < stack.size(); ++i) {
    const mi::Value& tuple = stack.at(i);
    if (!tuple.is_tuple()) {
      return make_error(ErrorKind::Parse, "stack element {} is not a frame tuple", i);
    }
    Frame frame;
    auto level = parse_int(tuple.get("level").str());
    if (!level) {
      return make_error(ErrorKind::Parse, "frame {} has a bad level '{}'", i, tuple.get("level").str());
    }
    frame.level = *level;
    frame.func = tuple.find("func") != nullptr ? tuple.get("func").str() : std::string("??");
    frame.file = tuple.get("file").str();
    frame.addr = tuple.get("addr").str();
    if (const mi::Value* line = tuple.find("line")) {
      auto number = parse_int(line->str());
      if (!number) {
        return make_error(ErrorKind::Parse, "frame {} has a bad line '{}'", i, line->str());
      }
      frame.line = *number;
    }
    if (const mi::Value* args = tuple.find("args")) {
      frame.args = frame_args_from_mi(*args);
    }
    frames.push_back(std::move(frame));
  }
  // Past entry_SYSCALL_64 the unwinder reads user-space garbage; those frames say nothing.
  while (!frames.empty() && frames.back().func == "??") {
    frames.pop_back();
  }
  return frames;
}

std::vector<FrameArg> frame_args_from_mi(const mi::Value& args) {
  std::vector<FrameArg> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const mi::Value& arg = args.at(i);
    if (arg.is_tuple()) {
      out.push_back(FrameArg{arg.get("name").str(), arg.get("value").str()});
    } else if (arg.is_string()) {
      out.push_back(FrameArg{arg.str(), {}});
    }
  }
  return out;
}

void attach_frame_args(std::vector<Frame>& frames, const mi::Value& stack_args) {
  for (std::size_t i = 0; i < stack_args.size(); ++i) {
    const mi::Value& entry = stack_args.at(i);
    auto level = parse_int(entry.get("level").str());
    if (!level) {
      continue;
    }
    for (Frame& frame : frames) {
      if (frame.level == *level) {
        frame.args = frame_args_from_mi(entry.get("args"));
        break;
      }
    }
  }
}

}  // namespace kh::trace
