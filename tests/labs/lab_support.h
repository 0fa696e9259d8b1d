// What the labs tests share: running the kharness binary, writing scenario folders, and checking
// that no process outlives a run.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/child_process.h"

namespace kh::labs_test {

inline const std::string kKharness = KH_BINARY_DIR "/kharness";

// Runs `kharness ARGS...` with NO_COLOR and `env` on top, to completion.
CommandOutput kharness(std::vector<std::string> args,
                       std::vector<std::pair<std::string, std::string>> env = {},
                       std::chrono::seconds limit = std::chrono::seconds(300));

// Writes `text` to `path`, making its folder.
void write_text(const std::filesystem::path& path, const std::string& text);

// A scenario with this <guest> element (verbatim) and breakpoints on `functions`.
std::string scenario_text(const std::string& guest, const std::vector<std::string>& functions,
                          const std::string& breakpoint_body = "");

}  // namespace kh::labs_test
