#include "kernel/kernel.h"

#include <algorithm>
#include <ctime>
#include <system_error>

#include "common/child_process.h"
#include "common/file_lock.h"
#include "common/paths.h"
#include "common/temp_dir.h"
#include "kernel/build_log.h"
#include "kernel/config_fragment.h"
#include "kernel/gdb_scripts_fixup.h"
#include "kernel/kernel_builder.h"
#include "kernel/kernel_cache.h"
#include "kernel/kernel_source.h"
#include "kernel/request_inputs.h"

namespace kh::kernel {

Result<std::string> compiler_identity() {
  ChildSpec spec;
  spec.argv = {"gcc", "--version"};
  spec.env = {{"LC_ALL", "C"}};
  auto output = run_command(spec, Deadline::in(std::chrono::seconds(30)));
  if (!output && output.error().kind == ErrorKind::Interrupted) {
    return std::move(output).error();
  }
  if (!output || output->exit_code != 0) {
    return make_error(ErrorKind::Build,
                      "gcc does not run (`gcc --version` failed): install it with `make deps`");
  }
  return output->output.substr(0, output->output.find('\n'));
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

Result<RequestFragments> read_request_fragments(const KernelRequest& request) {
  const std::filesystem::path dir = kh::data_dir() / "kernel-configs";
  RequestFragments fragments;
  auto base = read_fragment(dir / "base.config");
  if (!base) {
    return make_error(ErrorKind::Config,
                      "kharness's base config fragment is missing ({}): set KHARNESS_DATA_DIR "
                      "to the kharness source tree",
                      (dir / "base.config").string());
  }
  fragments.base = std::move(*base);
  KH_ASSIGN_OR_RETURN(fragments.per_version, read_version_fragments(dir));
  for (const auto& path : request.extra_fragments) {
    KH_ASSIGN_OR_RETURN(ConfigFragment fragment, read_fragment(path));
    fragments.extra.push_back(std::move(fragment));
  }
  return fragments;
}

namespace {

void keep_failed_log(const KernelCache& cache, const std::string& key, const BuildLog& log, Error& error) {
  std::error_code ec;
  std::filesystem::copy_file(log.path(), cache.failed_log_path(key),
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (!ec) {
    error.details.push_back("full log: " + cache.failed_log_path(key).string());
  }
}

Result<KernelBuild> build_and_store(const KernelCache& cache, const std::string& key,
                                    const SourceIdentity& source, const RequestFragments& fragments,
                                    const std::string& compiler, BuildProgress& progress) {
  cache.remove_stale_temps(key);
  KH_ASSIGN_OR_RETURN(TempDir work, TempDir::create(KernelCache::temp_prefix(key), cache.kernels_dir()));
  KH_ASSIGN_OR_RETURN(BuildLog log, BuildLog::create(work.path() / "build.log", progress));
  const std::string description = describe_source(source);
  log.note(fmt::format("building kernel {} from {}", key, description));
  auto prepared = prepare_source_tree(source, cache, log, progress);
  if (!prepared) {
    Error error = std::move(prepared).error();
    // A bad tarball is said in one line; a failing disk or tool gets its log kept as evidence.
    if (error.kind != ErrorKind::Interrupted && error.kind != ErrorKind::Config) {
      keep_failed_log(cache, key, log, error);
    }
    return error;
  }
  SourceTree tree = std::move(*prepared);
  progress.set_title(fmt::format("linux {}{}", tree.version.to_string(), tree.version.suffix));

  BuildInputs inputs;
  inputs.key = key;
  inputs.source = tree;
  inputs.work_dir = work.path();
  inputs.jobs = default_build_jobs();
  inputs.fragments.push_back(fragments.base);
  for (const auto& fragment : fragments.per_version) {
    if (applies_to(fragment, tree.version)) {
      inputs.fragments.push_back(fragment);
    }
  }
  inputs.fragments.insert(inputs.fragments.end(), fragments.extra.begin(), fragments.extra.end());

  const auto started = Clock::now();
  auto built = build_kernel(inputs, log, progress);
  if (!built) {
    Error error = std::move(built).error();
    if (error.kind != ErrorKind::Interrupted) {
      keep_failed_log(cache, key, log, error);
    }
    return error;
  }
  KernelBuild build = std::move(*built);
  build.source = description;
  build.built_at = utc_now();
  build.build_log = build.dir / "build.log";
  std::error_code ec;
  std::filesystem::rename(log.path(), build.build_log, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot move the build log: {}", ec.message());
  }
  nlohmann::json provenance = {
      {"source_identity", source.identity},
      {"source_tree", tree.path.string()},
      {"compiler", compiler},
      {"arch", kKernelArch},
      {"jobs", inputs.jobs},
      {"compiled_files", progress.compiled_files()},
      {"build_seconds", std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count()},
  };
  nlohmann::json fragment_paths = nlohmann::json::array();
  for (const auto& fragment : inputs.fragments) {
    fragment_paths.push_back(std::filesystem::absolute(fragment.path).string());
  }
  provenance["fragments"] = fragment_paths;
  return cache.publish(build.dir, build, provenance);
}

// What the cache key of a request is made of, and the key.
struct KeyedRequest {
  RequestFragments fragments;
  SourceIdentity source;
  std::string compiler;
  std::string key;
};

Result<KeyedRequest> key_request(const KernelRequest& request, const KernelCache& cache) {
  KeyedRequest keyed;
  // Fragments first: a typo in one must not cost a download or the hashing of a tarball.
  KH_ASSIGN_OR_RETURN(keyed.fragments, read_request_fragments(request));
  KH_ASSIGN_OR_RETURN(keyed.source, identify_source(request, cache));
  KH_ASSIGN_OR_RETURN(keyed.compiler, compiler_identity());
  CacheKeyInputs key_inputs{keyed.source.identity, {keyed.fragments.base.text}, keyed.compiler, kKernelArch};
  for (const auto& fragment : keyed.fragments.per_version) {
    key_inputs.fragment_texts.push_back(fragment.path.filename().string() + "\n" + fragment.text);
  }
  for (const auto& fragment : keyed.fragments.extra) {
    key_inputs.fragment_texts.push_back(fragment.text);
  }
  keyed.key = compute_cache_key(key_inputs);
  return keyed;
}

// "cached kernel 0123abcd (linux 6.1.192, debian linux-source-6.1 6.1.192-2)".
std::string describe_entry(const KernelBuild& build) {
  return fmt::format("cached kernel {} (linux {}, {})", build.key, build.release, build.source);
}

// A sound entry made ready for use: one without fingerprints (built before kharness kept them)
// gets its vmlinux indexed once, its final form, and only then fingerprinted, so that no later
// check mistakes the index for damage. Fails like ensure_gdb_index.
Status prepare_for_use(const KernelBuild& build, EntryCheck check) {
  if (check == EntryCheck::HeadersOnly) {
    KH_TRY(ensure_gdb_index(build.vmlinux));
    // Best effort (a read-only cache still works): without the record the headers are checked
    // again next time.
    [[maybe_unused]] Status recorded = KernelCache::record_fingerprints(build);
  }
  return {};
}

// The ready entry in `dir` if it is sound, made ready for use; a broken one is said on stderr with
// `then` (what happens instead) and gives nullopt.
Result<std::optional<KernelBuild>> sound_entry(const KernelCache& cache, const std::filesystem::path& dir,
                                               std::string_view then) {
  auto entry = cache.load_entry(dir);
  if (!entry) {
    return std::optional<KernelBuild>();
  }
  auto check = KernelCache::verify_entry(*entry);
  if (!check) {
    fmt::print(stderr, "kharness: {} is broken: {}; {}\n", describe_entry(*entry), check.error().message,
               then);
    return std::optional<KernelBuild>();
  }
  KH_TRY(prepare_for_use(*entry, *check));
  return entry;
}

}  // namespace

Result<std::string> kernel_cache_key(const KernelRequest& request) {
  const KernelCache cache(kh::cache_dir());
  KH_TRY(cache.create_dirs());
  KH_ASSIGN_OR_RETURN(KeyedRequest keyed, key_request(request, cache));
  return keyed.key;
}

Result<KernelBuild> provide_kernel(const KernelRequest& request) {
  const KernelCache cache(kh::cache_dir());
  KH_TRY(cache.create_dirs());
  KH_ASSIGN_OR_RETURN(KeyedRequest keyed, key_request(request, cache));
  const std::string& key = keyed.key;
  const RequestFragments& fragments = keyed.fragments;
  const SourceIdentity& source = keyed.source;
  const std::string& compiler = keyed.compiler;
  KH_ASSIGN_OR_RETURN(std::optional<KernelBuild> hit,
                      sound_entry(cache, cache.entry_dir(key), "rebuilding it"));
  if (hit) {
    // Entries made before kharness fixed up their gdb scripts get it once, here.
    if (!hit->gdb_scripts.empty() && !gdb_scripts_fixed_up(hit->dir)) {
      // Under the key's lock: two runs fixing one entry at once would each record half of it.
      KH_ASSIGN_OR_RETURN(FileLock lock,
                          FileLock::acquire(cache.lock_path(key), Deadline::in(std::chrono::minutes(1))));
      KH_TRY(fix_up_gdb_scripts(hit->dir));
    }
    return *hit;
  }

  BuildProgress progress(request.progress, "kernel " + key);
  KH_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(cache.lock_path(key), Deadline::never(), [&] {
                        progress.set_phase("waiting for another kharness process building it");
                      }));
  // The process we waited for may have built it. A broken entry is rebuilt, and then replaced.
  if (auto built = cache.load_entry(cache.entry_dir(key))) {
    if (auto check = KernelCache::verify_entry(*built)) {
      KH_TRY(prepare_for_use(*built, *check));
      return *built;
    }
  }
  return build_and_store(cache, key, source, fragments, compiler, progress);
}

std::vector<KernelBuild> list_kernels() {
  return KernelCache(kh::cache_dir()).list();
}

Status check_kernel(const KernelBuild& build) {
  KH_ASSIGN_OR_RETURN(EntryCheck check, KernelCache::verify_entry(build));
  if (check == EntryCheck::HeadersOnly) {
    // Only an indexed vmlinux has its final form; indexing (seconds) is left to the next use.
    auto indexed = elf_has_section(build.vmlinux, ".gdb_index");
    if (indexed.ok() && *indexed) {
      [[maybe_unused]] Status recorded = KernelCache::record_fingerprints(build);
    }
  }
  return {};
}

std::string clean_command(const KernelBuild& build) {
  return "kharness kernel clean " + build.key;
}

Result<std::optional<KernelBuild>> find_cached_kernel(const KernelVersionRange& range) {
  const KernelCache cache(kh::cache_dir());
  std::vector<KernelBuild> candidates;
  for (auto& build : cache.list()) {
    if (range.contains(build.version)) {
      candidates.push_back(std::move(build));
    }
  }
  // list() is newest first: among equal versions the newest build stays first.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const KernelBuild& a, const KernelBuild& b) { return b.version < a.version; });
  for (const auto& candidate : candidates) {
    KH_ASSIGN_OR_RETURN(std::optional<KernelBuild> sound,
                        sound_entry(cache, candidate.dir,
                                    fmt::format("not using it (remove it: `{}`)", clean_command(candidate))));
    if (sound) {
      return sound;
    }
  }
  return std::optional<KernelBuild>();
}

Result<KernelBuild> remove_kernel(const std::string& key) {
  const KernelCache cache(kh::cache_dir());
  std::vector<std::filesystem::path> matches;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(cache.kernels_dir(), ec)) {
    std::string name = item.path().filename().string();
    if (!key.empty() && !name.starts_with(".") && item.is_directory(ec) && name.starts_with(key)) {
      matches.push_back(item.path());
    }
  }
  if (matches.empty()) {
    return make_error(ErrorKind::Config,
                      "no kernel in the cache has the key '{}' (see `kharness kernel list`)", key);
  }
  if (matches.size() > 1) {
    return make_error(ErrorKind::Config, "'{}' is the start of {} keys: give more of it", key,
                      matches.size());
  }
  const std::filesystem::path dir = matches.front();
  const std::string full_key = dir.filename().string();
  KernelBuild removed;
  if (auto entry = cache.load_entry(dir)) {
    removed = std::move(*entry);
  } else {
    removed.key = full_key;
    removed.dir = dir;
  }
  KH_ASSIGN_OR_RETURN(auto lock, FileLock::try_acquire(cache.lock_path(full_key)));
  if (!lock) {
    return make_error(ErrorKind::Io, "kernel {} is being built right now: try again when that build ends",
                      full_key);
  }
  // Renamed first, so that a half-removed entry is never seen under its key.
  std::filesystem::path doomed = cache.kernels_dir() / (KernelCache::temp_prefix(full_key) + "removing");
  std::filesystem::remove_all(doomed, ec);
  std::filesystem::rename(dir, doomed, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot remove {}: {}", dir.string(), ec.message());
  }
  std::filesystem::remove_all(doomed, ec);
  std::filesystem::remove(cache.failed_log_path(full_key), ec);
  return removed;
}

Result<std::uintmax_t> remove_all_kernels() {
  const KernelCache cache(kh::cache_dir());
  std::error_code ec;
  std::vector<std::filesystem::path> items;
  std::vector<FileLock> locks;
  for (const auto& dir : {cache.kernels_dir(), cache.sources_dir(), cache.downloads_dir()}) {
    for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
      const std::string name = item.path().filename().string();
      if (!name.ends_with(".lock")) {
        items.push_back(item.path());
        continue;
      }
      // Every build, extraction and download holds one of these locks while it runs.
      KH_ASSIGN_OR_RETURN(auto lock, FileLock::try_acquire(item.path()));
      if (!lock) {
        return make_error(ErrorKind::Io,
                          "a kernel build or download is running ({} is locked): try again when it ends",
                          item.path().string());
      }
      locks.push_back(std::move(*lock));
    }
  }
  std::uintmax_t freed = 0;
  for (const auto& path : items) {
    std::uintmax_t size =
        std::filesystem::is_directory(path, ec) ? directory_size(path) : std::filesystem::file_size(path, ec);
    freed += ec ? 0 : size;
    std::filesystem::remove_all(path, ec);
    if (ec) {
      return make_error(ErrorKind::Io, "cannot remove {}: {}", path.string(), ec.message());
    }
  }
  return freed;
}

std::uintmax_t entry_size(const KernelBuild& build) {
  return directory_size(build.dir);
}

}  // namespace kh::kernel
