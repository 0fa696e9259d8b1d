// Scenarios recorded from runs (`kharness record`): a scenario that expects what the runs saw.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/kernel_version.h"
#include "common/result.h"
#include "trace/scenario.h"
#include "trace/trace_model.h"

namespace kh::trace {

// One run of the scenario being recorded: the kernel it ran on and what it saw.
struct RecordedRun {
  KernelVersion version;
  std::string release;  // "6.1.158", for the comment
  Trace trace;
};

// The call chain a recorded scenario expects of a hit: the frames' functions from frame 0 up to
// the syscall's entry (the first __do_sys_/__se_sys_/__x64_sys_ frame, included; do_syscall_64
// and the entry code are left out), "??" frames skipped; at most 12 functions when no syscall
// frame is found (kernel threads).
std::vector<std::string> recorded_chain(const std::vector<Frame>& frames);

// What a recorded scenario expects of a captured value, as an `equals` operand: the C string it
// shows (not when gdb cut it short), or a small integer (|n| < 65536, not written as 0x...);
// empty for anything else (pointers, structs, errors).
std::string recorded_value(const CapturedValue& value);

// The scenario text that expects what `runs` saw of `scenario`'s breakpoints: per breakpoint the
// exact hit count and one <expect-hit> per distinct call chain and captured values; facts that
// differ between the runs' kernels go in <when kernel="..."> ranges that name the versions seen.
// The guest's paths are written relative to `output`'s folder; `how` goes in the leading comment.
// The text is parsed back (parse_scenario) before it is returned: ErrorKind::Config when it does
// not load (e.g. a <file> that is outside the output's folder), ErrorKind::Config when `runs` is
// empty.
Result<std::string> write_recorded_scenario(const Scenario& scenario, const std::vector<RecordedRun>& runs,
                                            const std::filesystem::path& output, std::string_view how);

// Escapes text for an XML attribute or element (& < > " ').
std::string xml_escape(std::string_view text);

}  // namespace kh::trace
