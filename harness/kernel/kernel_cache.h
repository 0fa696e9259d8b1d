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
// last, so an entry either is ready or does not exist. meta.json also records a fingerprint of
// vmlinux and bzImage (FileFingerprint), checked at every use: a disk or a hand that later
// truncates or overwrites them makes the entry broken, never silently used.
#pragma once

#include <cstdint>
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

// A file's fingerprint, cheap enough to take at every use of an entry: its size and the sha256 of
// its first MiB, its last MiB and its size in decimal (a few milliseconds for a 100 MiB vmlinux).
struct FileFingerprint {
  std::uint64_t size = 0;
  std::string sha256;
  bool operator==(const FileFingerprint&) const = default;
};
// ErrorKind::Io when the file cannot be read.
Result<FileFingerprint> fingerprint_file(const std::filesystem::path& file);

// The structural checks for files without a fingerprint: a 64-bit ELF whose program and section
// headers, and every section's contents, lie inside the file. ErrorKind::Io naming what is wrong.
Status check_vmlinux_file(const std::filesystem::path& vmlinux);
// A bzImage with the boot protocol's "HdrS" at 0x202 and at least the setup sectors and the
// protected-mode kernel its header declares. ErrorKind::Io naming what is wrong.
Status check_bzimage_file(const std::filesystem::path& bzimage);

// How verify_entry() found an entry sound.
enum class EntryCheck {
  Fingerprints,  // vmlinux and bzImage match the fingerprints recorded at build time
  HeadersOnly,   // the entry has no fingerprints yet (built before they were kept): headers checked
};

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

  // Checks a ready entry's vmlinux and bzImage against the fingerprints in its meta.json, or,
  // without fingerprints, their headers. ErrorKind::Io saying what is wrong when the entry is broken
  // ("bzImage is 1048576 bytes, 5242880 when it was built").
  static Result<EntryCheck> verify_entry(const KernelBuild& build);
  // Adds the fingerprints of the entry's vmlinux and bzImage as they are now to its meta.json
  // (rewritten atomically). For entries found sound by their headers, once their vmlinux has its
  // final form (indexed). ErrorKind::Io on failure.
  static Status record_fingerprints(const KernelBuild& build);

 private:
  std::filesystem::path root_;
};

// The size of a directory tree in bytes (regular files, symlinks not followed).
std::uintmax_t directory_size(const std::filesystem::path& dir);

}  // namespace kh::kernel
