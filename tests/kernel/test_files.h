// Small file helpers shared by the kernel tests.
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

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

// A small 64-bit ELF file shaped like vmlinux: `payload` bytes of .text, a .gdb_index section when
// `indexed`, section names, and the section headers at the end, where the linker puts them.
inline std::string fake_vmlinux(std::size_t payload, bool indexed = true) {
  const std::string names = std::string("\0.text\0.shstrtab\0", 17) + (indexed ? ".gdb_index" : "") + '\0';
  const std::string index(indexed ? 24 : 0, 'i');
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = ET_EXEC;
  header.e_machine = EM_X86_64;
  header.e_version = EV_CURRENT;
  header.e_ehsize = sizeof(Elf64_Ehdr);
  header.e_shentsize = sizeof(Elf64_Shdr);
  std::vector<Elf64_Shdr> sections(indexed ? 4 : 3);
  std::uint64_t offset = sizeof(Elf64_Ehdr);
  auto place = [&](Elf64_Shdr& section, std::uint32_t name, std::uint32_t type, std::uint64_t size) {
    section.sh_name = name;
    section.sh_type = type;
    section.sh_offset = offset;
    section.sh_size = size;
    offset += size;
  };
  place(sections[1], 1, SHT_PROGBITS, payload);
  place(sections[2], 7, SHT_STRTAB, names.size());
  if (indexed) {
    place(sections[3], 17, SHT_PROGBITS, index.size());
  }
  header.e_shoff = offset;
  header.e_shnum = static_cast<std::uint16_t>(sections.size());
  header.e_shstrndx = 2;
  std::string file(reinterpret_cast<const char*>(&header), sizeof header);
  for (std::size_t i = 0; i < payload; ++i) {
    file.push_back(static_cast<char>(i * 131 % 251));
  }
  file += names;
  file += index;
  file.append(reinterpret_cast<const char*>(sections.data()), sections.size() * sizeof(Elf64_Shdr));
  return file;
}

// A file shaped like a bzImage: the boot sector and one setup sector, the x86 boot protocol's
// setup_sects, syssize and "HdrS" magic, then `paragraphs` 16-byte units of kernel.
inline std::string fake_bzimage(std::uint32_t paragraphs) {
  std::string file(2 * 512 + std::size_t{paragraphs} * 16, '\x90');
  file[0x1f1] = 1;
  std::memcpy(file.data() + 0x1f4, &paragraphs, sizeof paragraphs);
  std::memcpy(file.data() + 0x202, "HdrS", 4);
  return file;
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
