// Turning gdb/MI stack records into the trace model's frames.
#pragma once

#include <vector>

#include "common/result.h"
#include "mi/mi_record.h"
#include "trace/trace_model.h"

namespace kh::trace {

// The frames of `-stack-list-frames` (`stack` is the list of `^done,stack=[frame={...},...]`),
// innermost first. Inlined frames stay frames of their own; the trailing `??` frames gdb reports
// past the syscall entry are dropped. Fails with ErrorKind::Parse when `stack` is not a list of
// frame tuples or a level or line is not a number.
Result<std::vector<Frame>> frames_from_mi(const mi::Value& stack);

// The arguments of a frame: the `args` list of a *stopped record's frame, or of one frame of
// `-stack-list-arguments` (tuples {name,value}; a bare name, as --no-values gives, has an empty
// value). Anything else in the list is skipped.
std::vector<FrameArg> frame_args_from_mi(const mi::Value& args);

// Puts the arguments of `-stack-list-arguments` (`stack_args` is the list of
// `^done,stack-args=[frame={level="0",args=[...]},...]`) into the frames of the same level.
// Levels without a frame are ignored.
void attach_frame_args(std::vector<Frame>& frames, const mi::Value& stack_args);

}  // namespace kh::trace
