// How captured values read in reports: the C string a char pointer shows rather than gdb's
// `(const unsigned char *) 0xffff88807c55f6f8 "mount_dir_test"`, and the part of a value that
// means the same on two kernels, for `kharness diff`.
#pragma once

#include <string>
#include <string_view>

#include "trace/gdb_value.h"
#include "trace/trace_model.h"

namespace kh::report {

// `"text"` with C escapes for quotes, backslashes and non-printable bytes, and `...` after the
// closing quote when gdb truncated the string.
std::string quoted_c_string(const trace::GdbString& string);

// A gdb value for people: the quoted C string when the value holds one, else gdb's text as is.
std::string display_value(std::string_view gdb_value);

// A capture for people: display_value of its value, or `<error: gdb's message>` when gdb could
// not evaluate it.
std::string display_capture(const trace::CapturedValue& capture);

// What of a capture must match for two runs to agree: for a <capture-mounts> mount list the
// mounts without their ids, the namespace's address or the kernel's peer-group numbers
// (`<mounts: / rootfs, /proc proc, /mount_dir_test[/myproc] rootfs shared:1>`); the C string;
// the symbol of a pointer to one (`<init_user_ns>`); for a bare address only whether it is NULL,
// because heap addresses differ from boot to boot; `<error>` for any gdb error; else gdb's text.
std::string comparable_capture(const trace::CapturedValue& capture);

}  // namespace kh::report
