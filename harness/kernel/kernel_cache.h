// The on-disk kernel cache: its layout, cache keys, and the entries' meta.json.
//
//   <root>/kernels/<key>/             a ready entry: vmlinux, bzImage, config, System.map,
//                                     vmlinux-gdb.py + scripts/gdb/, build.log, meta.json
//   <root>/kernels/.tmp-<key>-XXXXXX  a build in progress (or killed): never listed
//   <root>/kernels/.<key>.lock        flock held while <key> is being built
//   <root>/kernels/<key>.failed.log   the log of the last failed build of <key>
//   <root>/kernel-sources/<sha16>/    an extracted tarball, shared by every build of it
//   <root>/kernel-downloads/          verified kernel.org tarballs
//
// An entry becomes visible by one rename(2) of a complete directory whose meta.json was written
// last, so an entry either is ready or does not exist.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "kernel/kernel.h"

namespace kh::kernel {

// Bumped whenever the recipe or the layout of an entry changes: old entries then miss.
inline constexpr int kCacheFormat = 1;
// Hex digits of the sha256 kept in a key.
inline constexpr std::size_t kKeyLength = 16;

// Everything a build depends on, as text.
struct CacheKeyInputs {
  std::string source_identity;              // "tarball:<sha256>", "tree:<path>:git:<head>:<diff hash>", ...
  std::vector<std::string> fragment_texts;  // in merge order, every candidate fragment
  std::string compiler;                     // `gcc --version`, first line
  std::string arch;                         // "x86_64"
};

// The key of a build: a shortened sha256 over the inputs and kCacheFormat. Each input is framed
// with its length, so no two different input lists give the same hashed text.
std::string compute_cache_key(const CacheKeyInputs& inputs);

class KernelCache {
 public:
  // A cache under `root` (kh::cache_dir() for the user's).
  explicit KernelCache(std::filesystem::path root) : root_(std::move(root)) {}

  // The folders and files of the layout above; none of these touch the disk.
  std::filesystem::path kernels_dir() const { return root_ / "kernels"; }
  std::filesystem::path sources_dir() const { return root_ / "kernel-sources"; }
  std::filesystem::path downloads_dir() const { return root_ / "kernel-downloads"; }
  std::filesystem::path entry_dir(const std::string& key) const { return kernels_dir() / key; }
  std::filesystem::path lock_path(const std::string& key) const {
    return kernels_dir() / ("." + key + ".lock");
  }
  std::filesystem::path failed_log_path(const std::string& key) const {
    return kernels_dir() / (key + ".failed.log");
  }
  // The prefix of the temporary directories builds of `key` run in.
  static std::string temp_prefix(const std::string& key) { return ".tmp-" + key + "-"; }

  // Creates the cache folders; ErrorKind::Io when it cannot.
  Status create_dirs() const;
  // The entry in `dir` if it is ready (complete meta.json of this format, files present).
  std::optional<KernelBuild> load_entry(const std::filesystem::path& dir) const;
  // Every ready entry, newest build first.
  std::vector<KernelBuild> list() const;
  // Writes meta.json into the staged entry `staged` (last file of an entry) and renames the
  // directory to entry_dir(build.key), replacing a non-ready leftover. The caller holds the key's
  // lock. Returns the published entry; ErrorKind::Io on failure.
  Result<KernelBuild> publish(const std::filesystem::path& staged, const KernelBuild& build,
                              const nlohmann::json& provenance) const;
  // Removes the leftovers of killed builds of `key`; the caller holds the key's lock.
  void remove_stale_temps(const std::string& key) const;

 private:
  std::filesystem::path root_;
};

// The size of a directory tree in bytes (regular files, symlinks not followed).
std::uintmax_t directory_size(const std::filesystem::path& dir);

}  // namespace kh::kernel
