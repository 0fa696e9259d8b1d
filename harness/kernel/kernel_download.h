// Kernel tarballs from kernel.org (or a mirror: KHARNESS_KERNEL_MIRROR), checked against the
// sha256sums.asc list published next to them.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/kernel_version.h"
#include "common/result.h"

namespace kh::kernel {

// A kernel.org release as --kernel-version names it: "X.Y" (a .0 release) or "X.Y.Z".
struct KernelOrgRelease {
  int major = 0;
  int minor = 0;
  int patch = 0;  // 0 for an X.Y release; kernel.org names it linux-X.Y

  // "4.19.304", or "6.1" for a .0 release.
  std::string name() const;
  // "linux-4.19.304.tar.xz".
  std::string tarball_name() const;
  // The mirror folder: "v4.x".
  std::string folder() const;
};

// Parses --kernel-version. Only released versions exist as tarballs with checksums: "X.Y" or
// "X.Y.Z" with X >= 3. Anything else ("latest", "6.1-rc3", "v6.1") is an ErrorKind::Config error.
Result<KernelOrgRelease> parse_kernel_org_version(std::string_view text);

// The checksum of `filename` in the text of a sha256sums.asc ("<64 hex>  <name>" lines inside
// a PGP-signed message). ErrorKind::Parse when the file is not listed.
Result<std::string> find_sha256(std::string_view sums, std::string_view filename);

// $KHARNESS_KERNEL_MIRROR, else https://cdn.kernel.org/pub/linux/kernel (no trailing slash).
std::string kernel_mirror();

// The verified tarball of `release` in `downloads_dir`: reused without any network access when
// an earlier download is there, else fetched from `mirror` with its checksum list. The tarball
// is written to a temporary file and renamed into place only once its sha256 matches, so nothing
// half-written or unverified is ever left. Errors: ErrorKind::Network (offline, HTTP error; the
// message names the three offline ways; also a checksum mismatch: the download is broken, not
// the request), ErrorKind::Config (the mirror lists no such release), ErrorKind::Interrupted on
// Ctrl-C.
// The PGP signature of the list is not checked: the list comes over HTTPS from the same host.
Result<std::filesystem::path> download_kernel_tarball(const KernelOrgRelease& release,
                                                      const std::filesystem::path& downloads_dir,
                                                      const std::string& mirror, bool progress);

}  // namespace kh::kernel
