// Reads the headers of a 64-bit ELF file: the file header, program headers and section names.
#pragma once

#include <elf.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace kh {

// True when the bytes start with the ELF magic.
bool has_elf_magic(std::string_view bytes);

// An ELF file read on demand, from a file by offset (pread: only the headers of a 500 MB vmlinux
// are read) or from bytes in memory. It only reads; what a defect means (a bad guest program, a
// broken cache entry) and how to word it is the caller's.
class ElfFile {
 public:
  // Opens `path` for reading. Fails with ErrorKind::Io: "cannot read PATH: reason".
  static Result<ElfFile> open(const std::filesystem::path& path);
  // Reads `bytes`, which must outlive the ElfFile; `name` stands for them in error messages.
  static ElfFile from_bytes(std::string name, std::string_view bytes);

  // True when the file starts with the ELF magic.
  bool has_magic() const;
  // The file header read as a 64-bit one, nullopt when the file is too short for it. Its class and
  // machine are not checked: callers say what they need.
  std::optional<Elf64_Ehdr> header() const;
  // Program header `index` of `header`, nullopt when it lies past the end of the file.
  std::optional<Elf64_Phdr> program_header(const Elf64_Ehdr& header, std::uint16_t index) const;
  // The NUL-terminated string at `offset`, at most `max_size` bytes of it (all of them when there
  // is no NUL), nullopt when `offset` is at or past the end of the file.
  std::optional<std::string> string_at(std::uint64_t offset, std::size_t max_size) const;
  // The names of the sections of `header`, in order; empty when it has no section name table.
  // Fails with ErrorKind::Parse: "NAME: truncated section headers" (or "section names"), section
  // headers of another size than Elf64_Shdr, or a name table over 16 MiB (a corrupt header).
  Result<std::vector<std::string>> section_names(const Elf64_Ehdr& header) const;

  // Copies `size` bytes at `offset` into `buffer`; false when the file has fewer there.
  bool read_at(void* buffer, std::size_t size, std::uint64_t offset) const;

 private:
  ElfFile(std::string name, UniqueFd fd, std::string_view bytes)
      : name_(std::move(name)), fd_(std::move(fd)), bytes_(bytes) {}

  std::string name_;
  UniqueFd fd_;             // the file, when reading one
  std::string_view bytes_;  // else the bytes
};

}  // namespace kh
