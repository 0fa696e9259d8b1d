#include "common/elf_file.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kh {

bool has_elf_magic(std::string_view bytes) {
  return bytes.size() >= SELFMAG && std::memcmp(bytes.data(), ELFMAG, SELFMAG) == 0;
}

Result<ElfFile> ElfFile::open(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return make_error(ErrorKind::Io, "cannot read {}: {}", path.string(), std::strerror(errno));
  }
  return ElfFile(path.string(), std::move(fd), {});
}

ElfFile ElfFile::from_bytes(std::string name, std::string_view bytes) {
  return ElfFile(std::move(name), UniqueFd(), bytes);
}

bool ElfFile::read_at(void* buffer, std::size_t size, std::uint64_t offset) const {
  if (fd_.valid()) {
    std::size_t done = 0;
    while (done < size) {
      const ssize_t got = ::pread(fd_.get(), static_cast<char*>(buffer) + done, size - done,
                                  static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got <= 0) {
        return false;
      }
      done += static_cast<std::size_t>(got);
    }
    return true;
  }
  // Copied out, not cast in place: the bytes need not be aligned for the struct.
  if (offset > bytes_.size() || bytes_.size() - offset < size) {
    return false;
  }
  std::memcpy(buffer, bytes_.data() + offset, size);
  return true;
}

bool ElfFile::has_magic() const {
  char magic[SELFMAG];
  return read_at(magic, sizeof magic, 0) && has_elf_magic(std::string_view(magic, sizeof magic));
}

std::optional<Elf64_Ehdr> ElfFile::header() const {
  Elf64_Ehdr header{};
  if (!read_at(&header, sizeof header, 0)) {
    return std::nullopt;
  }
  return header;
}

std::optional<Elf64_Phdr> ElfFile::program_header(const Elf64_Ehdr& header, std::uint16_t index) const {
  Elf64_Phdr program_header{};
  if (!read_at(&program_header, sizeof program_header,
               header.e_phoff + std::uint64_t{index} * header.e_phentsize)) {
    return std::nullopt;
  }
  return program_header;
}

std::optional<std::string> ElfFile::string_at(std::uint64_t offset, std::size_t max_size) const {
  std::string text;
  if (fd_.valid()) {
    text.resize(max_size);
    const ssize_t got = ::pread(fd_.get(), text.data(), max_size, static_cast<off_t>(offset));
    if (got <= 0) {
      return std::nullopt;
    }
    text.resize(static_cast<std::size_t>(got));
  } else {
    if (offset >= bytes_.size()) {
      return std::nullopt;
    }
    text = std::string(bytes_.substr(offset, max_size));
  }
  text.resize(std::min(text.find('\0'), text.size()));
  return text;
}

// vmlinux's table is a few KiB; a corrupt header must not make us allocate gigabytes.
constexpr std::uint64_t kMaxSectionNamesBytes = 16u << 20;

Result<std::vector<std::string>> ElfFile::section_names(const Elf64_Ehdr& header) const {
  if (header.e_shnum != 0 && header.e_shentsize != sizeof(Elf64_Shdr)) {
    return make_error(ErrorKind::Parse, "{}: section headers of {} bytes, not {}", name_, header.e_shentsize,
                      sizeof(Elf64_Shdr));
  }
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (!sections.empty() && !read_at(sections.data(), sections.size() * sizeof(Elf64_Shdr), header.e_shoff)) {
    return make_error(ErrorKind::Parse, "{}: truncated section headers", name_);
  }
  if (header.e_shstrndx >= sections.size()) {
    return std::vector<std::string>{};
  }
  const Elf64_Shdr& table = sections[header.e_shstrndx];
  if (table.sh_size > kMaxSectionNamesBytes) {
    return make_error(ErrorKind::Parse, "{}: a section name table of {} bytes (at most {} read)", name_,
                      table.sh_size, kMaxSectionNamesBytes);
  }
  // One read of the whole table: a name lookup costs three reads however many sections there are.
  std::string names(table.sh_size, '\0');
  if (!names.empty() && !read_at(names.data(), names.size(), table.sh_offset)) {
    return make_error(ErrorKind::Parse, "{}: truncated section names", name_);
  }
  std::vector<std::string> result;
  result.reserve(sections.size());
  for (const Elf64_Shdr& section : sections) {
    result.emplace_back(section.sh_name < names.size() ? names.c_str() + section.sh_name : "");
  }
  return result;
}

}  // namespace kh
