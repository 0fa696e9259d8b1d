// Where a kernel's sources come from: a tree, a tarball, Debian's source package or kernel.org.
// Identifying a source is cheap (a cache hit needs nothing more); preparing its tree may extract
// a tarball, once per tarball, into the cache.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/kernel_version.h"
#include "common/result.h"
#include "kernel/build_log.h"
#include "kernel/kernel.h"
#include "kernel/kernel_cache.h"

namespace kh::kernel {

// A request's source, identified but not necessarily extracted.
struct SourceIdentity {
  enum class Kind { Tree, Tarball };
  Kind kind = Kind::Tree;
  std::filesystem::path path;  // the tree, or the tarball
  std::string sha256;          // of the tarball
  std::string identity;        // part of the cache key: changes whenever the sources change
  std::string description;     // for people: "debian linux-source-6.1" (see describe_source)
  std::string debian_package;  // "linux-source-6.1" for --kernel-package, else empty
};

// The source for people, as a build records it: the description, with the Debian package's
// version ("debian linux-source-6.1 6.1.192-2") asked of dpkg-query here, so that a run whose
// kernel is cached does not pay for it (~6 ms).
std::string describe_source(const SourceIdentity& source);

// A kernel tree that can be built out of tree.
struct SourceTree {
  std::filesystem::path path;
  KernelVersion version;  // from the top Makefile
};

// Identifies the request's source: validates a tree and hashes its state (git HEAD + a hash of
// the local changes, or of every file's name, size and mtime outside git), hashes a tarball
// (memoized by path, size and mtime), downloads a kernel.org release. Errors: ErrorKind::Config
// for bad input (two sources at once, not a kernel tree, missing tarball or package, malformed
// version), plus those of download_kernel_tarball.
Result<SourceIdentity> identify_source(const KernelRequest& request, const KernelCache& cache);

// The tree to build: the identified tree itself, or the tarball extracted into the cache (once
// per tarball; a temporary folder renamed into place, under a lock). ErrorKind::Config when the
// tarball is corrupt or holds no kernel tree, ErrorKind::Io when the disk fails the extraction
// (see extraction_error), ErrorKind::Interrupted on Ctrl-C.
Result<SourceTree> prepare_source_tree(const SourceIdentity& source, const KernelCache& cache, BuildLog& log,
                                       BuildProgress& progress);

// The error for a tar that failed to extract `tarball` into the folder `destination`, from tar's
// last output lines and a write probe of the destination made right after (probe_writable).
// ErrorKind::Io when the disk is at fault: the probe failed, or tar names ENOSPC, EDQUOT, EROFS,
// EIO, EACCES or EPERM, or wrote a file short (how tar reports a full disk); the message names the
// system's reason and the details hold tar's last lines. ErrorKind::Config otherwise (a corrupt
// or foreign archive): one line ending with tar's last lines.
Error extraction_error(const std::filesystem::path& tarball, const std::filesystem::path& destination,
                       const std::vector<std::string>& tar_lines, const Status& destination_probe);

// The version in a top-level kernel Makefile's text (VERSION, PATCHLEVEL, SUBLEVEL,
// EXTRAVERSION). ErrorKind::Config when VERSION or PATCHLEVEL is missing.
Result<KernelVersion> parse_makefile_version(std::string_view makefile);

// Checks that `dir` is a kernel tree kharness can build out of tree without touching it: a top
// Makefile with a version, Kconfig, merge_config.sh, arch/x86, and no in-tree configuration.
// Returns its version; ErrorKind::Config with a one-line reason otherwise.
Result<KernelVersion> check_kernel_tree(const std::filesystem::path& dir);

}  // namespace kh::kernel
