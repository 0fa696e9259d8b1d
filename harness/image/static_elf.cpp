#include "image/static_elf.h"

#include "common/elf_file.h"

namespace kh::image {

Result<void> check_static_x86_64_elf(const std::filesystem::path& path, std::string_view bytes) {
  const std::string name = path.string();
  const ElfFile file = ElfFile::from_bytes(name, bytes);
  if (!file.has_magic()) {
    return make_error(ErrorKind::Config, "{} is not an ELF program", name);
  }
  const std::optional<Elf64_Ehdr> found = file.header();
  if (!found) {
    return make_error(ErrorKind::Config, "{} is a truncated ELF file", name);
  }
  const Elf64_Ehdr& header = *found;
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_machine != EM_X86_64) {
    return make_error(ErrorKind::Config, "{} is not an x86-64 program (ELF machine {}), the guest is x86-64",
                      name, header.e_machine);
  }
  if (header.e_type != ET_EXEC && header.e_type != ET_DYN) {
    return make_error(ErrorKind::Config, "{} is not an executable (ELF type {})", name, header.e_type);
  }
  for (std::uint16_t i = 0; i < header.e_phnum; ++i) {
    const std::optional<Elf64_Phdr> program_header = file.program_header(header, i);
    if (!program_header) {
      return make_error(ErrorKind::Config, "{} is a truncated ELF file (program header {})", name, i);
    }
    if (program_header->p_type == PT_INTERP) {
      const std::string interpreter = file.string_at(program_header->p_offset, 256).value_or("?");
      return make_error(ErrorKind::Config,
                        "{} is dynamically linked (interpreter {}); the guest has no shared libraries: "
                        "it needs a static program (Debian's busybox-static, gcc -static)",
                        name, interpreter);
    }
  }
  return {};
}

}  // namespace kh::image
