#include "kernel/kernel_cache.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "common/file_io.h"
#include "common/sha256.h"
#include "common/unique_fd.h"

namespace kh::kernel {
namespace {

constexpr const char* kMetaFile = "meta.json";
constexpr const char* kFingerprints = "fingerprints";
// How much of each end of a file its fingerprint reads.
constexpr std::uint64_t kFingerprintSpan = std::uint64_t{1} << 20;
// The x86 boot protocol (Documentation/x86/boot.rst): offsets in a bzImage's setup header.
constexpr off_t kSetupSectsOffset = 0x1f1;
constexpr off_t kSysSizeOffset = 0x1f4;
constexpr off_t kHeaderMagicOffset = 0x202;
constexpr std::string_view kHeaderMagic = "HdrS";

void add_framed(std::string& text, std::string_view label, std::string_view value) {
  text += fmt::format("{}:{}:", label, value.size());
  text += value;
  text += '\n';
}

std::optional<nlohmann::json> read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  // A truncated or foreign file is "not ready", never an error.
  nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return std::nullopt;
  }
  return json;
}

std::string string_field(const nlohmann::json& json, const char* name) {
  auto it = json.find(name);
  return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Error io_error(std::string_view what, const std::filesystem::path& path) {
  return make_error(ErrorKind::Io, "cannot {} {}: {}", what, path.string(), std::strerror(errno));
}

// An open file and its size, for the checks below.
struct OpenFile {
  UniqueFd fd;
  std::uint64_t size = 0;

  bool read_at(void* buffer, std::size_t length, std::uint64_t offset) const {
    return offset + length <= size &&
           ::pread(fd.get(), buffer, length, static_cast<off_t>(offset)) == static_cast<ssize_t>(length);
  }
};

Result<OpenFile> open_file(const std::filesystem::path& path) {
  OpenFile file;
  file.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!file.fd.valid() || ::fstat(file.fd.get(), &st) != 0) {
    return io_error("read", path);
  }
  file.size = static_cast<std::uint64_t>(st.st_size);
  return file;
}

nlohmann::json fingerprint_json(const FileFingerprint& fingerprint) {
  return {{"size", fingerprint.size}, {"sha256", fingerprint.sha256}};
}

Result<nlohmann::json> fingerprints_of(const KernelBuild& build) {
  KH_ASSIGN_OR_RETURN(FileFingerprint vmlinux, fingerprint_file(build.vmlinux));
  KH_ASSIGN_OR_RETURN(FileFingerprint bzimage, fingerprint_file(build.bzimage));
  return nlohmann::json{{"vmlinux", fingerprint_json(vmlinux)}, {"bzimage", fingerprint_json(bzimage)}};
}

// Compares one file with its recorded fingerprint.
Status check_fingerprint(const std::filesystem::path& file, const nlohmann::json& recorded) {
  const std::string name = file.filename().string();
  if (!recorded.is_object() || !recorded.contains("size") || !recorded["size"].is_number_unsigned() ||
      !recorded.contains("sha256") || !recorded["sha256"].is_string()) {
    return make_error(ErrorKind::Io, "the fingerprint of {} in meta.json is malformed", name);
  }
  auto actual = fingerprint_file(file);
  if (!actual) {
    return std::move(actual).error();
  }
  const auto size = recorded["size"].get<std::uint64_t>();
  if (actual->size != size) {
    return make_error(ErrorKind::Io, "{} is {} bytes, {} when it was built", name, actual->size, size);
  }
  if (actual->sha256 != recorded["sha256"].get<std::string>()) {
    return make_error(ErrorKind::Io, "{} has other contents than when it was built (same size)", name);
  }
  return {};
}

}  // namespace

Result<FileFingerprint> fingerprint_file(const std::filesystem::path& file) {
  KH_ASSIGN_OR_RETURN(OpenFile open, open_file(file));
  Sha256 sha;
  std::string buffer;
  auto add = [&](std::uint64_t offset, std::uint64_t length) {
    buffer.resize(static_cast<std::size_t>(length));
    if (!open.read_at(buffer.data(), buffer.size(), offset)) {
      return false;
    }
    sha.update(buffer);
    return true;
  };
  const std::uint64_t span = std::min(open.size, kFingerprintSpan);
  if (!add(0, span) || !add(open.size - span, span)) {
    return io_error("read", file);
  }
  sha.update(std::to_string(open.size));
  return FileFingerprint{open.size, sha.hex_digest()};
}

Status check_vmlinux_file(const std::filesystem::path& vmlinux) {
  KH_ASSIGN_OR_RETURN(OpenFile file, open_file(vmlinux));
  Elf64_Ehdr header{};
  if (!file.read_at(&header, sizeof header, 0) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_shentsize != sizeof(Elf64_Shdr)) {
    return make_error(ErrorKind::Io, "{} is not a 64-bit ELF file ({} bytes)", vmlinux.filename().string(),
                      file.size);
  }
  const std::uint64_t program_end =
      header.e_phoff + static_cast<std::uint64_t>(header.e_phnum) * header.e_phentsize;
  const std::uint64_t sections_end =
      header.e_shoff + static_cast<std::uint64_t>(header.e_shnum) * sizeof(Elf64_Shdr);
  if (program_end > file.size || sections_end > file.size) {
    return make_error(ErrorKind::Io, "{} is truncated: {} bytes, its headers need {}",
                      vmlinux.filename().string(), file.size, std::max(program_end, sections_end));
  }
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (!sections.empty() &&
      !file.read_at(sections.data(), sections.size() * sizeof(Elf64_Shdr), header.e_shoff)) {
    return io_error("read", vmlinux);
  }
  for (const auto& section : sections) {
    if (section.sh_type != SHT_NOBITS && section.sh_offset + section.sh_size > file.size) {
      return make_error(ErrorKind::Io, "{} is truncated: {} bytes, its sections need {}",
                        vmlinux.filename().string(), file.size, section.sh_offset + section.sh_size);
    }
  }
  return {};
}

Status check_bzimage_file(const std::filesystem::path& bzimage) {
  KH_ASSIGN_OR_RETURN(OpenFile file, open_file(bzimage));
  char magic[4] = {};
  if (!file.read_at(magic, sizeof magic, kHeaderMagicOffset) ||
      std::string_view(magic, sizeof magic) != kHeaderMagic) {
    return make_error(ErrorKind::Io, "{} has no boot protocol header (no \"HdrS\" at 0x202; {} bytes)",
                      bzimage.filename().string(), file.size);
  }
  std::uint8_t setup_sects = 0;
  std::uint32_t sys_size = 0;  // in 16-byte paragraphs, little endian like the machine
  if (!file.read_at(&setup_sects, 1, kSetupSectsOffset) || !file.read_at(&sys_size, 4, kSysSizeOffset)) {
    return io_error("read", bzimage);
  }
  // A zero setup_sects means 4; the boot sector comes first.
  const std::uint64_t needed = (static_cast<std::uint64_t>(setup_sects == 0 ? 4 : setup_sects) + 1) * 512 +
                               std::uint64_t{sys_size} * 16;
  if (file.size < needed) {
    return make_error(ErrorKind::Io, "{} is truncated: {} bytes, its header declares {}",
                      bzimage.filename().string(), file.size, needed);
  }
  return {};
}

std::string compute_cache_key(const CacheKeyInputs& inputs) {
  std::string text;
  add_framed(text, "format", std::to_string(kCacheFormat));
  add_framed(text, "arch", inputs.arch);
  add_framed(text, "source", inputs.source_identity);
  add_framed(text, "compiler", inputs.compiler);
  for (const auto& fragment : inputs.fragment_texts) {
    add_framed(text, "fragment", fragment);
  }
  return sha256_hex(text).substr(0, kKeyLength);
}

Status KernelCache::create_dirs() const {
  for (const auto& dir : {kernels_dir(), sources_dir(), downloads_dir()}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return make_error(ErrorKind::Io, "cannot create the cache folder {}: {}", dir.string(), ec.message());
    }
  }
  return {};
}

std::optional<KernelBuild> KernelCache::load_entry(const std::filesystem::path& dir) const {
  auto meta = read_json(dir / kMetaFile);
  if (!meta) {
    return std::nullopt;
  }
  auto format = meta->find("format");
  if (format == meta->end() || !format->is_number_integer() || format->get<int>() != kCacheFormat) {
    return std::nullopt;
  }
  KernelBuild build;
  build.key = string_field(*meta, "key");
  if (build.key != dir.filename().string()) {
    return std::nullopt;
  }
  build.dir = dir;
  build.vmlinux = dir / string_field(*meta, "vmlinux");
  build.bzimage = dir / string_field(*meta, "bzimage");
  build.config = dir / string_field(*meta, "config");
  std::string scripts = string_field(*meta, "gdb_scripts");
  build.gdb_scripts = scripts.empty() ? std::filesystem::path() : dir / scripts;
  build.build_log = dir / string_field(*meta, "build_log");
  build.release = string_field(*meta, "release");
  build.source = string_field(*meta, "source");
  build.built_at = string_field(*meta, "built_at");
  auto version = KernelVersion::parse(string_field(*meta, "version"));
  if (!version) {
    return std::nullopt;
  }
  build.version = *version;
  std::error_code ec;
  for (const auto& file : {build.vmlinux, build.bzimage, build.config}) {
    if (!std::filesystem::is_regular_file(file, ec)) {
      return std::nullopt;
    }
  }
  if (!build.gdb_scripts.empty() && !std::filesystem::is_regular_file(build.gdb_scripts, ec)) {
    return std::nullopt;
  }
  return build;
}

std::vector<KernelBuild> KernelCache::list() const {
  std::vector<KernelBuild> builds;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(kernels_dir(), ec)) {
    std::string name = item.path().filename().string();
    if (name.starts_with(".") || !item.is_directory(ec)) {
      continue;
    }
    if (auto build = load_entry(item.path())) {
      builds.push_back(std::move(*build));
    }
  }
  std::sort(builds.begin(), builds.end(), [](const KernelBuild& a, const KernelBuild& b) {
    return a.built_at != b.built_at ? a.built_at > b.built_at : a.key < b.key;
  });
  return builds;
}

Result<KernelBuild> KernelCache::publish(const std::filesystem::path& staged, const KernelBuild& build,
                                         const nlohmann::json& provenance) const {
  auto relative = [&](const std::filesystem::path& path) {
    return path.empty() ? std::string() : path.lexically_relative(staged).string();
  };
  nlohmann::json meta = {
      {"format", kCacheFormat},
      {"key", build.key},
      {"release", build.release},
      {"version", build.version.to_string() + build.version.suffix},
      {"source", build.source},
      {"built_at", build.built_at},
      {"vmlinux", relative(build.vmlinux)},
      {"bzimage", relative(build.bzimage)},
      {"config", relative(build.config)},
      {"gdb_scripts", relative(build.gdb_scripts)},
      {"build_log", relative(build.build_log)},
      {"provenance", provenance},
  };
  KH_ASSIGN_OR_RETURN(meta[kFingerprints], fingerprints_of(build));
  {
    std::ofstream out(staged / kMetaFile);
    out << meta.dump(2) << '\n';
    out.close();
    if (!out) {
      return make_error(ErrorKind::Io, "cannot write {}", (staged / kMetaFile).string());
    }
  }
  const std::filesystem::path target = entry_dir(build.key);
  std::error_code ec;
  if (std::filesystem::exists(target, ec)) {
    // Not ready (the caller checked under the lock): a leftover of another format or a partial clean.
    std::filesystem::path aside = kernels_dir() / (temp_prefix(build.key) + "replaced");
    std::filesystem::remove_all(aside, ec);
    std::filesystem::rename(target, aside, ec);
    std::filesystem::remove_all(aside, ec);
  }
  std::filesystem::rename(staged, target, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot move the build into the cache at {}: {}", target.string(),
                      ec.message());
  }
  auto published = load_entry(target);
  if (!published) {
    return make_error(ErrorKind::Internal, "the cache entry {} is not readable right after it was written",
                      target.string());
  }
  return *published;
}

void KernelCache::remove_stale_temps(const std::string& key) const {
  std::error_code ec;
  const std::string prefix = temp_prefix(key);
  std::vector<std::filesystem::path> stale;
  for (const auto& item : std::filesystem::directory_iterator(kernels_dir(), ec)) {
    if (item.path().filename().string().starts_with(prefix)) {
      stale.push_back(item.path());
    }
  }
  for (const auto& path : stale) {
    std::filesystem::remove_all(path, ec);
  }
}

Result<EntryCheck> KernelCache::verify_entry(const KernelBuild& build) {
  auto meta = read_json(build.dir / kMetaFile);
  if (!meta) {
    return make_error(ErrorKind::Io, "its meta.json is unreadable");
  }
  auto recorded = meta->find(kFingerprints);
  if (recorded == meta->end()) {
    KH_TRY(check_vmlinux_file(build.vmlinux));
    KH_TRY(check_bzimage_file(build.bzimage));
    return EntryCheck::HeadersOnly;
  }
  if (!recorded->is_object()) {
    return make_error(ErrorKind::Io, "the fingerprints in its meta.json are malformed");
  }
  KH_TRY(check_fingerprint(build.vmlinux, recorded->value("vmlinux", nlohmann::json())));
  KH_TRY(check_fingerprint(build.bzimage, recorded->value("bzimage", nlohmann::json())));
  return EntryCheck::Fingerprints;
}

Status KernelCache::record_fingerprints(const KernelBuild& build) {
  const std::filesystem::path path = build.dir / kMetaFile;
  auto meta = read_json(path);
  if (!meta) {
    return make_error(ErrorKind::Io, "cannot read {}", path.string());
  }
  KH_ASSIGN_OR_RETURN((*meta)[kFingerprints], fingerprints_of(build));
  // Concurrent writers write the same text; the rename keeps every reader's view whole.
  return write_file_atomically(path, meta->dump(2) + "\n");
}

std::uintmax_t directory_size(const std::filesystem::path& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(
      dir, std::filesystem::directory_options::skip_permission_denied, ec);
  for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
      total += it->file_size(ec);
    }
  }
  return total;
}

}  // namespace kh::kernel
