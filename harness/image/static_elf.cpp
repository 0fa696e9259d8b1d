#include "image/static_elf.h"

#include <elf.h>

#include <cstring>

namespace kh::image {
namespace {

// Copies a struct out of the file's bytes (no alignment assumptions), if it is all there.
template <typename T>
bool read_struct(std::string_view bytes, std::uint64_t offset, T& out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) {
    return false;
  }
  std::memcpy(&out, bytes.data() + offset, sizeof(T));
  return true;
}

}  // namespace

bool is_elf(std::string_view bytes) {
  return bytes.size() >= SELFMAG && std::memcmp(bytes.data(), ELFMAG, SELFMAG) == 0;
}

Result<void> check_static_x86_64_elf(const std::filesystem::path& path, std::string_view bytes) {
  const std::string name = path.string();
  if (!is_elf(bytes)) {
    return make_error(ErrorKind::Config, "{} is not an ELF program", name);
  }
  Elf64_Ehdr header;
  if (!read_struct(bytes, 0, header)) {
    return make_error(ErrorKind::Config, "{} is a truncated ELF file", name);
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_machine != EM_X86_64) {
    return make_error(ErrorKind::Config, "{} is not an x86-64 program (ELF machine {}), the guest is x86-64",
                      name, header.e_machine);
  }
  if (header.e_type != ET_EXEC && header.e_type != ET_DYN) {
    return make_error(ErrorKind::Config, "{} is not an executable (ELF type {})", name, header.e_type);
  }
  for (std::uint16_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr program_header;
    if (!read_struct(bytes, header.e_phoff + std::uint64_t{i} * header.e_phentsize, program_header)) {
      return make_error(ErrorKind::Config, "{} is a truncated ELF file (program header {})", name, i);
    }
    if (program_header.p_type == PT_INTERP) {
      std::string interpreter = "?";
      if (program_header.p_offset < bytes.size()) {
        std::string_view rest = bytes.substr(program_header.p_offset);
        interpreter = std::string(rest.substr(0, std::min<std::size_t>(rest.find('\0'), 256)));
      }
      return make_error(ErrorKind::Config,
                        "{} is dynamically linked (interpreter {}); the guest has no shared libraries: "
                        "it needs a static program (Debian's busybox-static, gcc -static)",
                        name, interpreter);
    }
  }
  return {};
}

}  // namespace kh::image
