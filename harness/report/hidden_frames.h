// The frames every system call's backtrace ends in (entry_SYSCALL_64, do_syscall_64, __x64_sys_*,
// `??`): the terminal report leaves them out, the HTML report shows them faded.
#pragma once

#include <string_view>

namespace kh::report {

// True for a frame between a system call's implementation and the user-space return address
// (the same for every system call), and for a frame gdb could not name (`??`). Pure.
bool is_syscall_entry_frame(std::string_view func);

}  // namespace kh::report
