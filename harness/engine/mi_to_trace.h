// The MI layer's stack frames as the trace model's: the one place that knows both, so that the
// trace layer stays free of gdb/MI.
#pragma once

#include <vector>

#include "mi/mi_frames.h"
#include "trace/trace_model.h"

namespace kh::engine {

// The arguments as the trace model keeps them (name and gdb's printed value). Cannot fail.
std::vector<trace::FrameArg> to_trace_args(const std::vector<mi::FrameArg>& args);

// One frame of the trace model: level, func, file, addr, args, and the line (0 when gdb gave
// none). Cannot fail.
trace::Frame to_trace_frame(const mi::StackFrame& frame);

// A backtrace of the trace model, innermost first, inlined frames kept, without the trailing `??`
// frames gdb reports past the syscall entry (the unwinder reading user-space garbage). Cannot fail.
std::vector<trace::Frame> to_trace_frames(const std::vector<mi::StackFrame>& frames);

}  // namespace kh::engine
