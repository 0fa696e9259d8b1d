#include "cli/kernel_options.h"

#include <unistd.h>

namespace kh::cli {

void add_kernel_options(CLI::App& sub, kernel::KernelRequest& request) {
  request.progress = ::isatty(STDERR_FILENO) == 1;
  auto* source = sub.add_option("--kernel-source", request.source_tree,
                                "Build this kernel tree (out of tree: the tree is never modified)")
                     ->option_text("DIR");
  auto* tarball =
      sub.add_option("--kernel-tarball", request.tarball, "Build from this linux-X.Y.Z.tar.{xz,gz}")
          ->option_text("FILE");
  auto* version = sub.add_option("--kernel-version", request.version,
                                 "Download linux X.Y.Z from kernel.org (checksum verified; mirror: "
                                 "$KHARNESS_KERNEL_MIRROR)")
                      ->option_text("X.Y.Z");
  auto* package = sub.add_option("--kernel-package", request.debian_package,
                                 "Build Debian's kernel source package from /usr/src (default: " +
                                     std::string(kernel::kDefaultDebianPackage) + ")")
                      ->option_text("NAME");
  std::vector<CLI::Option*> sources = {source, tarball, version, package};
  for (auto* option : sources) {
    for (auto* other : sources) {
      if (option != other) {
        option->excludes(other);
      }
    }
  }
  sub.add_option("--config", request.extra_fragments,
                 "An extra Kconfig fragment merged after kharness's own (repeatable)")
      ->option_text("FRAGMENT")
      ->allow_extra_args(false);
}

}  // namespace kh::cli
