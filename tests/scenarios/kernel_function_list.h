// tests/scenarios/kernel_functions.txt: the kernel functions the product scenarios may break on,
// per kernel version.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/kernel_version.h"
#include "common/result.h"

namespace kh::test {

// One line of the list: a function, and the kernels that have it (nullopt: every kernel).
struct KernelFunction {
  std::string name;
  std::optional<KernelVersionRange> versions;
  std::string location;  // "kernel_functions.txt:12"
};

// Parses the list's text; `file_name` is used in messages only. Comments (#) and blank lines are
// skipped. Fails with ErrorKind::Parse at "file:line" for a bad range or extra words.
Result<std::vector<KernelFunction>> parse_kernel_function_list(std::string_view text, std::string_view file_name);

// Reads and parses the list: ErrorKind::Io when the file cannot be read, else as the parser.
Result<std::vector<KernelFunction>> read_kernel_function_list(const std::filesystem::path& path);

// The names listed for `version`, in file order. Cannot fail.
std::vector<std::string> functions_for(const std::vector<KernelFunction>& list, const KernelVersion& version);

// True when `function` is listed for `version`.
bool lists(const std::vector<KernelFunction>& list, std::string_view function, const KernelVersion& version);

}  // namespace kh::test
