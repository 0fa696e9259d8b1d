// The name the kernel gives a task (its comm): what a scenario's guest is known by in the trace.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kh {

// The kernel keeps TASK_COMM_LEN - 1 characters of a program's file name as its task name.
inline constexpr std::size_t kTaskCommLength = 15;

// The comm of a task that exec'd `program` (a path or a file name): its file name, cut to
// kTaskCommLength characters.
inline std::string task_comm(std::string_view program) {
  const std::size_t slash = program.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? program : program.substr(slash + 1);
  return std::string(name.substr(0, kTaskCommLength));
}

}  // namespace kh
