// Test data shared by the task reader's tests and the collected hits': 6.1's task_struct layout
// and the bytes one read of it gives.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/task_reader.h"

namespace kh::engine::test_data {

// 6.1's layout: pid at 696 (4 bytes), comm at 1040 (16 bytes).
inline constexpr TaskLayout kLayout61{696, 4, 1040, 16};

// The hex of a read of kLayout61's span: pid (little-endian hex), zeros, then comm padded with NULs.
inline std::string task_bytes(std::string_view pid_hex, std::string_view comm) {
  std::string hex(pid_hex);
  hex += std::string(std::size_t{2} * (1040 - 700), '0');
  for (char c : comm) {
    hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
  }
  hex += std::string(2 * (16 - comm.size()), '0');
  return hex;
}

}  // namespace kh::engine::test_data
