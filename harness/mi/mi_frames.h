// Typed views of the records a tracer reads at a stop: the `*stopped` event, the frames of
// `-stack-list-frames` and the arguments of `-stack-list-arguments`, as plain structs of strings
// and numbers (what gdb printed, nothing interpreted beyond numbers).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "mi/mi_record.h"

namespace kh::mi {

// One argument of a frame as gdb printed it: {name="flags",value="131584"}; `value` is empty when
// gdb gave none (--no-values, or --simple-values for an aggregate, which gives its type only).
struct FrameArg {
  std::string name;
  std::string value;

  friend bool operator==(const FrameArg&, const FrameArg&) = default;
};

// One frame, from -stack-list-frames (`frame={level,addr,func,file,fullname,line,arch}`) or the
// `frame={addr,func,args,file,fullname,line,arch}` of a *stopped record (level 0 there).
struct StackFrame {
  int level = 0;
  std::string addr;            // "0xffffffff810a27e6"
  std::string func;            // "??" when gdb does not know the function
  std::string file;            // empty without debug info for the address
  std::string fullname;        // the absolute path gdb resolved `file` to, or empty
  std::optional<int> line;     // absent without debug info
  std::vector<FrameArg> args;  // a *stopped frame's arguments; empty unless given or attached

  friend bool operator==(const StackFrame&, const StackFrame&) = default;
};

// A `*stopped` record: why the target stopped and where.
struct StopEvent {
  std::string reason;               // "breakpoint-hit", "end-stepping-range", ...; empty when gdb
                                    // gave none (the stop after -target-select)
  std::optional<int> breakpoint;    // bkptno, for breakpoint-hit
  std::optional<int> thread_id;     // thread-id
  std::optional<StackFrame> frame;  // absent when the stop has no frame (the program exited)

  friend bool operator==(const StopEvent&, const StopEvent&) = default;
};

// The arguments of one frame of `-stack-list-arguments`: `frame={level="1",args=[...]}`.
struct FrameArguments {
  int level = 0;
  std::vector<FrameArg> args;

  friend bool operator==(const FrameArguments&, const FrameArguments&) = default;
};

// Decodes a `*stopped` record. Fails with ErrorKind::Parse when `record` is not an exec-async
// `stopped` record, or bkptno, thread-id or the frame's line is present but not a decimal number.
Result<StopEvent> decode_stop_event(const AsyncRecord& record);

// The frames of a `-stack-list-frames` answer (`^done,stack=[frame={...},...]`), innermost first,
// every frame gdb listed (inlined frames and the trailing `??` ones included). Fails with
// ErrorKind::Gdb (gdb's message) for an ^error answer, Parse when `stack` is not a list of frame
// tuples or a level or line is not a decimal number.
Result<std::vector<StackFrame>> decode_stack_frames(const ResultRecord& answer);

// The arguments of a `-stack-list-arguments` answer (`^done,stack-args=[frame={level,args},...]`),
// in gdb's order. Fails with ErrorKind::Gdb for an ^error answer, Parse when `stack-args` is not a
// list of tuples or a level is not a decimal number.
Result<std::vector<FrameArguments>> decode_stack_arguments(const ResultRecord& answer);

// The arguments of an `args` list: tuples {name,value} (a tuple without value gives ""), or the
// bare names of `args=[name="a",name="b"]`, as --no-values gives. Other elements are skipped.
// Cannot fail.
std::vector<FrameArg> decode_frame_args(const Value& args);

// Gives each frame the arguments listed for its level; arguments of a level without a frame are
// ignored, frames without listed arguments keep theirs. Cannot fail.
void attach_arguments(std::vector<StackFrame>& frames, const std::vector<FrameArguments>& arguments);

}  // namespace kh::mi
