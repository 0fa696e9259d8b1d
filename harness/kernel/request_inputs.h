// What every build of a request is made from besides its sources: the config fragments and the
// compiler. Shared by provide_kernel and the builds of single commits (commit_build.h).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "kernel/config_fragment.h"
#include "kernel/kernel.h"

namespace kh::kernel {

// The fragments of a request: base.config, every per-version fragment (the key covers them
// all, so that no version has to be known before a cache hit), and the request's own.
struct RequestFragments {
  ConfigFragment base;
  std::vector<ConfigFragment> per_version;
  std::vector<ConfigFragment> extra;
};

// Reads kernel-configs/base.config, the per-version fragments and the request's --config files.
// ErrorKind::Config naming the missing or malformed file.
Result<RequestFragments> read_request_fragments(const KernelRequest& request);

// The compiler kbuild will use (CC=gcc, CROSS_COMPILE empty), `gcc --version`'s first line: part
// of the cache key. ErrorKind::Build when gcc does not run.
Result<std::string> compiler_identity();

// The current time, UTC, ISO 8601 ("2026-01-01T12:00:00Z").
std::string utc_now();

}  // namespace kh::kernel
