#include "report/hidden_frames.h"

#include <array>

namespace kh::report {

bool is_syscall_entry_frame(std::string_view func) {
  constexpr std::array<std::string_view, 6> kPrefixes = {"__se_sys_",         "__x64_sys_",
                                                         "__ia32_sys_",       "__se_compat_sys_",
                                                         "__x64_compat_sys_", "__ia32_compat_sys_"};
  constexpr std::array<std::string_view, 12> kNames = {
      "x64_sys_call",          "ia32_sys_call",       "do_syscall_x64",
      "do_syscall_64",         "do_int80_syscall_32", "do_fast_syscall_32",
      "do_syscall_32_irqs_on", "entry_SYSCALL_64",    "entry_SYSCALL_64_after_hwframe",
      "entry_SYSCALL_compat",  "entry_INT80_compat",  "??"};
  for (std::string_view prefix : kPrefixes) {
    if (func.substr(0, prefix.size()) == prefix) {
      return true;
    }
  }
  for (std::string_view name : kNames) {
    if (func == name) {
      return true;
    }
  }
  return false;
}

}  // namespace kh::report
