// Small file helpers shared by the kernel tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace kh::kernel::testing {

// Writes `text` to `path`, creating the parent folders.
inline void write_file(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The smallest folder that passes check_kernel_tree(): a top Makefile with a version, Kconfig,
// merge_config.sh and arch/x86.
inline void make_fake_kernel_tree(const std::filesystem::path& dir, std::string_view version = "4.19.304") {
  std::string v(version);
  std::size_t first = v.find('.');
  std::size_t second = v.find('.', first + 1);
  write_file(dir / "Makefile",
             "# SPDX-License-Identifier: GPL-2.0\nVERSION = " + v.substr(0, first) +
                 "\nPATCHLEVEL = " + v.substr(first + 1, second - first - 1) +
                 "\nSUBLEVEL = " + (second == std::string::npos ? "0" : v.substr(second + 1)) +
                 "\nEXTRAVERSION =\nNAME = Fake\n");
  write_file(dir / "Kconfig", "mainmenu \"Fake\"\nconfig FAKE_OPTION\n\tbool \"fake\"\n");
  write_file(dir / "scripts" / "kconfig" / "merge_config.sh", "#!/bin/sh\n");
  write_file(dir / "arch" / "x86" / "Makefile", "# fake\n");
}

// Counts the entries of a folder whose name starts with `prefix`.
inline int count_entries(const std::filesystem::path& dir, std::string_view prefix = "") {
  int count = 0;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
    if (item.path().filename().string().starts_with(prefix)) {
      ++count;
    }
  }
  return count;
}

}  // namespace kh::kernel::testing
