#include "kernel/kernel_choice.h"

#include "kernel/kernel_builder.h"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace kh::kernel {
namespace {

struct FinalRelease {
  int major;
  int minor;
  std::string_view release;
};

// Long-term lines that reached their end of life, with their last release.
constexpr std::array<FinalRelease, 1> kFinalReleases = {{
    {4, 19, "4.19.325"},
}};

}  // namespace

std::string final_release_of(const KernelVersion& series) {
  for (const auto& line : kFinalReleases) {
    if (line.major == series.major && line.minor == series.minor) {
      return std::string(line.release);
    }
  }
  return {};
}

bool names_a_kernel(const KernelRequest& request) {
  return !request.source_tree.empty() || !request.tarball.empty() || !request.version.empty() ||
         !request.debian_package.empty();
}

Result<KernelBuild> choose_kernel(const KernelChoice& choice,
                                  const std::function<void(std::string_view)>& notice) {
  if (choice.prefer_series.empty() || names_a_kernel(choice.request)) {
    return provide_kernel(choice.request);
  }
  KH_ASSIGN_OR_RETURN(KernelVersion series, KernelVersion::parse(choice.prefer_series));
  KH_ASSIGN_OR_RETURN(KernelVersionRange range, KernelVersionRange::parse(choice.prefer_series));
  KH_ASSIGN_OR_RETURN(std::optional<KernelBuild> cached, find_cached_kernel(range));
  if (cached) {
    KH_TRY(ensure_gdb_index(cached->vmlinux));
    return std::move(*cached);
  }
  std::string why = fmt::format("no cached {} build", choice.prefer_series);
  if (const std::string release = final_release_of(series); !release.empty()) {
    KernelRequest download = choice.request;
    download.version = release;
    auto built = provide_kernel(download);
    if (built.ok() || built.error().kind != ErrorKind::Network) {
      return built;
    }
    why += " and kernel.org is out of reach";
  }
  if (notice) {
    notice(fmt::format("{}; using Debian's {}. For {}: KERNEL_SOURCE=DIR, KERNEL_TARBALL=FILE or "
                       "KERNEL_VERSION=X.Y.Z",
                       why, kDefaultDebianPackage, choice.prefer_series));
  }
  return provide_kernel(choice.request);
}

}  // namespace kh::kernel
