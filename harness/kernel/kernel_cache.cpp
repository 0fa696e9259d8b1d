#include "kernel/kernel_cache.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

#include "kernel/sha256.h"

namespace kh::kernel {
namespace {

constexpr const char* kMetaFile = "meta.json";

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

}  // namespace

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
