// kh::ElfFile: the same answers from a file read by offset and from bytes, and a clean "no" for
// what is not a whole 64-bit ELF file.
#include "common/elf_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "common/file_io.h"
#include "common/temp_dir.h"

namespace kh {
namespace {

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::ranges::find(names, name) != names.end();
}

// The bytes of a 32-bit x86 executable's header, padded past the size of a 64-bit header.
std::string elf32_header() {
  Elf32_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS32;
  header.e_type = ET_EXEC;
  header.e_machine = EM_386;
  std::string bytes(sizeof(Elf64_Ehdr) + 16, '\0');
  std::memcpy(bytes.data(), &header, sizeof header);
  return bytes;
}

TEST(ElfFile, ReadsTheSectionNamesOfAFileByOffset) {
  // This test binary is an ELF file with a symbol table and code.
  auto file = ElfFile::open("/proc/self/exe");
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  ASSERT_TRUE(file->has_magic());
  auto header = file->header();
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->e_ident[EI_CLASS], ELFCLASS64);
  auto names = file->section_names(*header);
  ASSERT_TRUE(names.ok()) << names.error().to_string();
  EXPECT_TRUE(contains(*names, ".text"));
  EXPECT_TRUE(contains(*names, ".symtab"));
  EXPECT_FALSE(contains(*names, ".kharness_no_such_section"));
}

TEST(ElfFile, BytesAndFileGiveTheSameAnswers) {
  auto bytes = read_file("/proc/self/exe");
  ASSERT_TRUE(bytes.ok());
  const ElfFile in_memory = ElfFile::from_bytes("self", *bytes);
  auto on_disk = ElfFile::open("/proc/self/exe");
  ASSERT_TRUE(on_disk.ok());
  auto header = in_memory.header();
  auto header_on_disk = on_disk->header();
  ASSERT_TRUE(header.has_value() && header_on_disk.has_value());
  EXPECT_EQ(std::memcmp(&*header, &*header_on_disk, sizeof *header), 0);
  EXPECT_EQ(*in_memory.section_names(*header), *on_disk->section_names(*header));
  for (std::uint16_t i = 0; i < header->e_phnum; ++i) {
    auto from_bytes = in_memory.program_header(*header, i);
    auto from_file = on_disk->program_header(*header, i);
    ASSERT_TRUE(from_bytes && from_file) << i;
    EXPECT_EQ(std::memcmp(&*from_bytes, &*from_file, sizeof *from_bytes), 0) << i;
    if (from_bytes->p_type == PT_INTERP) {
      EXPECT_EQ(in_memory.string_at(from_bytes->p_offset, 256), on_disk->string_at(from_file->p_offset, 256));
      EXPECT_NE(in_memory.string_at(from_bytes->p_offset, 256)->find("ld-linux"), std::string::npos);
    }
  }
  Elf64_Ehdr past_the_end = *header;
  past_the_end.e_phoff = bytes->size() - sizeof(Elf64_Phdr) / 2;
  EXPECT_FALSE(in_memory.program_header(past_the_end, 0).has_value());
  EXPECT_FALSE(on_disk->program_header(past_the_end, 0).has_value());
  EXPECT_FALSE(in_memory.string_at(bytes->size(), 16).has_value());
  EXPECT_FALSE(on_disk->string_at(bytes->size(), 16).has_value());
}

TEST(ElfFile, WhatIsNotElfHasNoMagic) {
  for (std::string_view text : {"",
                                "\x7f"
                                "EL",
                                "#!/bin/sh\necho not an ELF file\n"}) {
    const ElfFile file = ElfFile::from_bytes("text", text);
    EXPECT_FALSE(file.has_magic()) << text;
    EXPECT_FALSE(has_elf_magic(text)) << text;
  }
  EXPECT_TRUE(
      has_elf_magic("\x7f"
                    "ELF"));
}

TEST(ElfFile, ATruncatedHeaderIsNoHeader) {
  auto bytes = read_file("/proc/self/exe");
  ASSERT_TRUE(bytes.ok());
  const std::string head = bytes->substr(0, sizeof(Elf64_Ehdr) - 1);
  const ElfFile file = ElfFile::from_bytes("head", head);
  EXPECT_TRUE(file.has_magic());
  EXPECT_FALSE(file.header().has_value());

  auto dir = TempDir::create();
  ASSERT_TRUE(dir.ok());
  const auto path = dir->path() / "head";
  std::ofstream(path, std::ios::binary) << head;
  auto on_disk = ElfFile::open(path);
  ASSERT_TRUE(on_disk.ok());
  EXPECT_TRUE(on_disk->has_magic());
  EXPECT_FALSE(on_disk->header().has_value());
}

TEST(ElfFile, TruncatedSectionHeadersAreAParseError) {
  auto bytes = read_file("/proc/self/exe");
  ASSERT_TRUE(bytes.ok());
  auto header = ElfFile::from_bytes("self", *bytes).header();
  ASSERT_TRUE(header.has_value());
  const std::string cut = bytes->substr(0, header->e_shoff + 10);
  auto names = ElfFile::from_bytes("cut", cut).section_names(*header);
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.error().kind, ErrorKind::Parse);
  EXPECT_EQ(names.error().message, "cut: truncated section headers");
}

TEST(ElfFile, A32BitFileShowsItsClassAndMachine) {
  const std::string bytes = elf32_header();
  const ElfFile file = ElfFile::from_bytes("elf32", bytes);
  ASSERT_TRUE(file.has_magic());
  auto header = file.header();
  ASSERT_TRUE(header.has_value());
  // e_ident, e_type and e_machine sit at the same offsets in both classes.
  EXPECT_EQ(header->e_ident[EI_CLASS], ELFCLASS32);
  EXPECT_EQ(header->e_machine, EM_386);
  // Its section header size (at another offset) does not pass for a 64-bit one.
  header->e_shnum = 3;
  header->e_shentsize = sizeof(Elf32_Shdr);
  auto names = file.section_names(*header);
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(names.error().kind, ErrorKind::Parse);
}

TEST(ElfFile, AMissingFileIsAnIoError) {
  auto file = ElfFile::open("/nonexistent/kharness/vmlinux");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().kind, ErrorKind::Io);
  EXPECT_EQ(file.error().message.rfind("cannot read /nonexistent/kharness/vmlinux: ", 0), 0u);
}

TEST(ElfFile, AHugeSectionNameTableIsAParseErrorNotAnAllocation) {
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_shoff = sizeof(Elf64_Ehdr);
  header.e_shentsize = sizeof(Elf64_Shdr);
  header.e_shnum = 1;
  header.e_shstrndx = 0;
  Elf64_Shdr names{};
  names.sh_size = std::uint64_t{1} << 40;
  names.sh_offset = sizeof(Elf64_Ehdr);
  std::string bytes(sizeof header + sizeof names, '\0');
  std::memcpy(bytes.data(), &header, sizeof header);
  std::memcpy(bytes.data() + sizeof header, &names, sizeof names);
  const ElfFile file = ElfFile::from_bytes("corrupt", bytes);
  auto parsed = file.header();
  ASSERT_TRUE(parsed.has_value());
  auto result = file.section_names(*parsed);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::Parse);
  EXPECT_NE(result.error().message.find("corrupt: a section name table of 1099511627776 bytes"),
            std::string::npos)
      << result.error().message;
}

}  // namespace
}  // namespace kh
