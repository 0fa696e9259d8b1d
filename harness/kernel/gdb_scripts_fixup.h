// Fix-ups of the kernel's generated gdb helper scripts in a cache entry.
//
// The kernel generates scripts/gdb/linux/constants.py by running the C preprocessor over
// constants.py.in. Where a constant is copied as C text (LX_VALUE) and its macro expands to a C
// literal with a suffix, the file is not Python: 5.15.114-5.15.160 and 6.1.31-6.1.93 (SB_RDONLY
// became BIT(0), i.e. `((((1UL))) << (0))`, before scripts/gdb learned to let gdb parse it), and
// 5.4/5.10 point releases with the same BIT() backport. Python stops at `import linux.constants`
// and none of the kernel's helpers ($lx_current(), $container_of(), lx-mounts, ...) exist.
// kharness rewrites such literals in the cache entry's copy (never in the user's tree) and records
// what it changed in <entry>/gdb-scripts.fixup.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kh::kernel {

// The record of the fix-ups, in the cache entry.
inline constexpr const char* kGdbScriptsFixupFile = "gdb-scripts.fixup";
// Bumped when the fix-ups change, so that entries fixed by an older kharness are looked at again.
inline constexpr int kGdbScriptsFixupFormat = 1;

// One rewritten line.
struct LiteralFix {
  std::size_t line = 0;  // 1-based
  std::string before;
  std::string after;
};

struct LiteralFixResult {
  std::string text;
  std::vector<LiteralFix> fixes;  // one per changed line, in order
};

// Rewrites the C integer literals of Python source text into Python ones: integer suffixes
// (1UL -> 1, 0x10ULL -> 0x10, 5U -> 5, 7L -> 7) and C octal (0755 -> 0o755). String literals,
// comments and names (LX_SB_RDONLY, x1UL) are left alone; text that is already Python comes back
// unchanged. Pure; cannot fail.
LiteralFixResult fix_c_integer_literals(std::string_view python_text);

// True when entry_dir/gdb-scripts.fixup records the fix-ups of this format (cheap: one small read).
bool gdb_scripts_fixed_up(const std::filesystem::path& entry_dir);

// Applies the fix-ups to the gdb scripts of the cache entry `entry_dir` (its
// scripts/gdb/linux/constants.py) and writes entry_dir/gdb-scripts.fixup, saying what changed or
// that nothing had to. Runs once per entry: a record of this format already there means done.
// An entry without constants.py gets a record and no other change. Files are replaced by rename,
// so a gdb reading the entry at the same time sees the old or the new file. Fails with
// ErrorKind::Io when a file cannot be read or written.
Status fix_up_gdb_scripts(const std::filesystem::path& entry_dir);

}  // namespace kh::kernel
