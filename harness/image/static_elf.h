// Checks that a program can run in the guest, where there is no dynamic loader and no libc.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.h"

namespace kh::image {

// Succeeds when `bytes` (the contents of `path`) are an x86-64 ELF executable without a program
// interpreter (statically linked; static-pie is fine). Fails with ErrorKind::Config saying what
// is wrong: not ELF, truncated, another machine, or dynamically linked (naming the interpreter).
Result<void> check_static_x86_64_elf(const std::filesystem::path& path, std::string_view bytes);

}  // namespace kh::image
