// Which kernel a request means: the explicit choice (tree, tarball, kernel.org version, Debian
// package), or the "prefer X.Y" policy of `make trace-mount` (a cached X.Y build, else X.Y from
// kernel.org, else Debian's default package with a notice saying how to pick X.Y).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/kernel_version.h"
#include "common/result.h"
#include "kernel/kernel.h"

namespace kh::kernel {

// A kernel request as the CLI gathered it: the explicit options and an optional preferred series.
struct KernelChoice {
  KernelRequest request;
  std::string prefer_series;  // "4.19": used only when `request` names no kernel
};

// The newest release of a kernel series that will not change any more (an end-of-life long-term
// line), for downloads by series; empty for a series kharness knows no final release of.
std::string final_release_of(const KernelVersion& series);

// True when the request names a kernel (tree, tarball, version or package) itself.
bool names_a_kernel(const KernelRequest& request);

// Provides the kernel the choice means (see the file comment). `notice` receives the one-line
// explanation when the preferred series could not be had and the default is used instead.
// Fails like provide_kernel(), and with ErrorKind::Config for a malformed prefer_series.
Result<KernelBuild> choose_kernel(const KernelChoice& choice,
                                  const std::function<void(std::string_view)>& notice);

}  // namespace kh::kernel
