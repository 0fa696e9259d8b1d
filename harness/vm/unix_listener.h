// Whether a unix socket has a listener, found in /proc/net/unix without connecting to it: a
// connection to qemu's gdbstub would count as a debugger attaching and pause the VM.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.h"

namespace kh::vm {

// True when `table` (the text of /proc/net/unix) lists a listening socket bound to `socket_path`.
bool unix_table_has_listener(std::string_view table, std::string_view socket_path);

// Reads /proc/net/unix: true when something listens on `socket_path`; ErrorKind::Io when the table
// cannot be read.
Result<bool> is_unix_socket_listening(const std::filesystem::path& socket_path);

}  // namespace kh::vm
