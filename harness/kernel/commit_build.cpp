#include "kernel/commit_build.h"

#include <fmt/format.h>

#include <system_error>

#include "common/file_lock.h"
#include "common/paths.h"
#include "common/temp_dir.h"
#include "kernel/build_log.h"
#include "kernel/kernel_builder.h"
#include "kernel/kernel_cache.h"
#include "kernel/kernel_source.h"
#include "kernel/request_inputs.h"

namespace kh::kernel {
namespace {

struct KeyedCommit {
  RequestFragments fragments;
  std::string compiler;
  std::string identity;
  std::string key;
};

Result<KeyedCommit> key_commit(const CommitBuildRequest& request) {
  KeyedCommit keyed;
  KernelRequest fragments_request;
  fragments_request.extra_fragments = request.extra_fragments;
  KH_ASSIGN_OR_RETURN(keyed.fragments, read_request_fragments(fragments_request));
  KH_ASSIGN_OR_RETURN(keyed.compiler, compiler_identity());
  // The commit alone names the sources: the same commit in another clone is the same kernel.
  keyed.identity = "git-commit:" + request.commit;
  CacheKeyInputs inputs{keyed.identity, {keyed.fragments.base.text}, keyed.compiler, kKernelArch};
  for (const auto& fragment : keyed.fragments.per_version) {
    inputs.fragment_texts.push_back(fragment.path.filename().string() + "\n" + fragment.text);
  }
  for (const auto& fragment : keyed.fragments.extra) {
    inputs.fragment_texts.push_back(fragment.text);
  }
  keyed.key = compute_cache_key(inputs);
  return keyed;
}

Result<CommitBuild> build_and_publish(const KernelCache& cache, const CommitBuildRequest& request,
                                      const KeyedCommit& keyed, BuildProgress& progress) {
  cache.remove_stale_temps(keyed.key);
  KH_ASSIGN_OR_RETURN(TempDir work,
                      TempDir::create(KernelCache::temp_prefix(keyed.key), cache.kernels_dir()));
  KH_ASSIGN_OR_RETURN(BuildLog log, BuildLog::create(work.path() / "build.log", progress));
  log.note(fmt::format("building kernel {} from {} in {}", keyed.key, request.description,
                       request.obj_dir.string()));
  KH_ASSIGN_OR_RETURN(KernelVersion version, check_kernel_tree(request.worktree));
  progress.set_title(
      fmt::format("linux {}{} {}", version.to_string(), version.suffix, request.commit.substr(0, 12)));

  BuildInputs inputs;
  inputs.key = keyed.key;
  inputs.source = SourceTree{request.worktree, version};
  inputs.work_dir = work.path();
  inputs.persistent_obj = request.obj_dir;
  inputs.jobs = request.jobs > 0 ? request.jobs : default_build_jobs();
  inputs.fragments.push_back(keyed.fragments.base);
  for (const auto& fragment : keyed.fragments.per_version) {
    if (applies_to(fragment, version)) {
      inputs.fragments.push_back(fragment);
    }
  }
  inputs.fragments.insert(inputs.fragments.end(), keyed.fragments.extra.begin(), keyed.fragments.extra.end());

  const auto started = Clock::now();
  auto built = build_kernel(inputs, log, progress);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (!built) {
    Error error = std::move(built).error();
    if (error.kind != ErrorKind::Interrupted) {
      std::error_code ec;
      std::filesystem::copy_file(log.path(), cache.failed_log_path(keyed.key),
                                 std::filesystem::copy_options::overwrite_existing, ec);
      if (!ec) {
        error.details.push_back("full log: " + cache.failed_log_path(keyed.key).string());
      }
    }
    return error;
  }
  KernelBuild build = std::move(*built);
  build.source = request.description;
  build.built_at = utc_now();
  build.build_log = build.dir / "build.log";
  std::error_code ec;
  std::filesystem::rename(log.path(), build.build_log, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot move the build log: {}", ec.message());
  }
  nlohmann::json provenance = {
      {"source_identity", keyed.identity},
      {"source_tree", request.worktree.string()},
      {"build_dir", request.obj_dir.string()},
      {"incremental", true},
      {"compiler", keyed.compiler},
      {"arch", kKernelArch},
      {"jobs", inputs.jobs},
      {"compiled_files", progress.compiled_files()},
      {"build_seconds", static_cast<long long>(seconds)},
  };
  nlohmann::json fragment_paths = nlohmann::json::array();
  for (const auto& fragment : inputs.fragments) {
    fragment_paths.push_back(std::filesystem::absolute(fragment.path).string());
  }
  provenance["fragments"] = fragment_paths;
  KH_ASSIGN_OR_RETURN(KernelBuild published, cache.publish(build.dir, build, provenance));
  return CommitBuild{std::move(published), false, progress.compiled_files(), seconds};
}

}  // namespace

Result<std::string> commit_cache_key(const CommitBuildRequest& request) {
  KH_ASSIGN_OR_RETURN(KeyedCommit keyed, key_commit(request));
  return keyed.key;
}

Result<std::optional<KernelBuild>> find_commit_kernel(const CommitBuildRequest& request) {
  const KernelCache cache(kh::cache_dir());
  KH_ASSIGN_OR_RETURN(KeyedCommit keyed, key_commit(request));
  return cache.load_entry(cache.entry_dir(keyed.key));
}

Result<CommitBuild> provide_commit_kernel(const CommitBuildRequest& request) {
  const KernelCache cache(kh::cache_dir());
  KH_TRY(cache.create_dirs());
  KH_ASSIGN_OR_RETURN(KeyedCommit keyed, key_commit(request));
  if (auto hit = cache.load_entry(cache.entry_dir(keyed.key))) {
    return CommitBuild{std::move(*hit), true, 0, 0};
  }
  BuildProgress progress(request.progress, "kernel " + keyed.key);
  KH_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(cache.lock_path(keyed.key), Deadline::never(), [&] {
                        progress.set_phase("waiting for another kharness process building it");
                      }));
  if (auto hit = cache.load_entry(cache.entry_dir(keyed.key))) {
    return CommitBuild{std::move(*hit), true, 0, 0};
  }
  std::error_code ec;
  std::filesystem::create_directories(request.obj_dir, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", request.obj_dir.string(), ec.message());
  }
  return build_and_publish(cache, request, keyed, progress);
}

}  // namespace kh::kernel
