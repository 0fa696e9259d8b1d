// Kernel provisioning: turns "which kernel" (a tree, a tarball, Debian's source package, a
// kernel.org version) into a cached, verified debug build: vmlinux with DWARF, bzImage, .config,
// and gdb's helper scripts. Builds are cached under kh::cache_dir()/kernels/<key>.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/kernel_version.h"
#include "common/result.h"

namespace kh::kernel {

// The Debian source package used when a request names no source.
inline constexpr const char* kDefaultDebianPackage = "linux-source-6.1";

// How the user asked for a kernel; exactly one source is used (default: Debian's linux-source-6.1).
struct KernelRequest {
  std::filesystem::path source_tree;  // --kernel-source DIR
  std::filesystem::path tarball;      // --kernel-tarball FILE
  std::string version;                // --kernel-version X.Y.Z (kernel.org)
  std::string debian_package;         // --kernel-package linux-source-6.1 (default when none given)
  std::vector<std::filesystem::path> extra_fragments;  // --config FRAGMENT...
  bool progress = false;                               // show progress on a terminal
};

// A finished, verified cache entry.
struct KernelBuild {
  std::string key;
  std::filesystem::path dir;  // the cache entry
  std::filesystem::path vmlinux, bzimage, config;
  std::filesystem::path gdb_scripts;  // the vmlinux-gdb.py to `source` in gdb (works from the cache entry
                                      // alone), empty if the kernel has none
  std::string release;                // `make kernelrelease`, e.g. "6.1.192"
  kh::KernelVersion version;
  std::string source;               // where it came from, for people: "debian linux-source-6.1 6.1.192-2"
  std::string built_at;             // UTC, ISO 8601
  std::filesystem::path build_log;  // the full log of the build
};

// Returns the cache entry for the request: a hit in well under a second (its files checked
// against their fingerprints, check_kernel), else extracts or downloads the source, configures
// (tinyconfig + kernel-configs/ fragments + the request's), verifies the .config, builds and
// stores it atomically. A broken hit is said on stderr (key and cause) and rebuilt. Errors:
// ErrorKind::Config for bad input (not a kernel tree, missing or corrupt tarball, malformed
// version or fragment, options the kernel dropped), Io when the disk fails (full, read-only),
// Network for a failed download, Build for a failed build (first error line and log tail in
// details), Interrupted on Ctrl-C. Nothing half-built or broken is ever reported ready.
Result<KernelBuild> provide_kernel(const KernelRequest& request);

// The cache key the request's build has (or will have), without building: the source's identity
// (a tarball is hashed), the fragments, the compiler. Fails like provide_kernel before its build.
Result<std::string> kernel_cache_key(const KernelRequest& request);

// The ready cache entries, newest build first, sound or broken (see check_kernel). Entries being
// built or left by a killed build are not listed.
std::vector<KernelBuild> list_kernels();

// Checks a ready entry's vmlinux and bzImage without changing them: against the fingerprints
// recorded when it was built, or, for an entry built before kharness kept them, their ELF and boot
// headers (the fingerprints are then recorded once its vmlinux is indexed). ErrorKind::Io saying
// what is wrong ("bzImage is 1048576 bytes, 5242880 when it was built").
Status check_kernel(const KernelBuild& build);

// The command that removes an entry: "kharness kernel clean <key>".
std::string clean_command(const KernelBuild& build);

// The sound ready entry with the highest version in `range` (the newest build among equal
// versions), or nullopt. A broken entry is said on stderr and skipped. An unreadable cache counts
// as empty.
Result<std::optional<KernelBuild>> find_cached_kernel(const KernelVersionRange& range);

// Removes the entry whose key is `key` or starts with it (unique prefix). ErrorKind::Config when
// no entry or several match, ErrorKind::Io when it is being built or cannot be removed.
Result<KernelBuild> remove_kernel(const std::string& key);
// Removes every entry, the leftovers of killed builds, extracted sources and downloads; entries
// being built right now are skipped. Returns the number of bytes freed.
Result<std::uintmax_t> remove_all_kernels();

// The disk space an entry takes, in bytes.
std::uintmax_t entry_size(const KernelBuild& build);

}  // namespace kh::kernel
