#include "engine/mi_to_trace.h"

namespace kh::engine {

std::vector<trace::FrameArg> to_trace_args(const std::vector<mi::FrameArg>& args) {
  std::vector<trace::FrameArg> out;
  out.reserve(args.size());
  for (const mi::FrameArg& arg : args) {
    out.push_back(trace::FrameArg{arg.name, arg.value});
  }
  return out;
}

trace::Frame to_trace_frame(const mi::StackFrame& frame) {
  trace::Frame out;
  out.level = frame.level;
  out.func = frame.func;
  out.file = frame.file;
  out.line = frame.line.value_or(0);
  out.addr = frame.addr;
  out.args = to_trace_args(frame.args);
  return out;
}

std::vector<trace::Frame> to_trace_frames(const std::vector<mi::StackFrame>& frames) {
  // Past entry_SYSCALL_64 the unwinder reads user-space garbage; those frames say nothing.
  std::size_t kept = frames.size();
  while (kept > 0 && frames[kept - 1].func == "??") {
    --kept;
  }
  std::vector<trace::Frame> out;
  out.reserve(kept);
  for (std::size_t i = 0; i < kept; ++i) {
    out.push_back(to_trace_frame(frames[i]));
  }
  return out;
}

}  // namespace kh::engine
