// The CPU accelerator qemu runs the guest with, and the probe that decides whether KVM really
// works on this host: /dev/kvm existing proves nothing (on some hosts guests hang under KVM, or
// qemu aborts on an MSR with -cpu host), so only a probe VM that boots to its end counts.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace kh::vm {

enum class Accel { Auto, Kvm, Tcg };

// "auto" | "kvm" | "tcg"; ErrorKind::Config for anything else.
Result<Accel> parse_accel(std::string_view text);
// "auto" | "kvm" | "tcg".
std::string_view to_string(Accel accel);

// Where the probe looks; the defaults are the real host, tests point them at files they own.
struct AccelProbeSettings {
  std::filesystem::path kvm_device = "/dev/kvm";
  std::filesystem::path boot_id_file = "/proc/sys/kernel/random/boot_id";
  std::filesystem::path cache_file;  // empty: kh::cache_dir() / "accel-probe.json"
  std::filesystem::path qemu = "qemu-system-x86_64";
  // A working KVM boots a kernel to its root-mount panic in well under a second.
  std::chrono::milliseconds probe_timeout{3000};
};

// What the KVM probe found; `detail` says why in one line, for error messages.
struct KvmProbe {
  bool works = false;
  std::string detail;
};

// Boots `probe_kernel` under KVM without an initrd and waits up to settings.probe_timeout for its
// "Kernel panic - not syncing" line (no root fs: the end of a healthy boot); qemu is killed after.
// A broken KVM is a result (works = false), not an error; errors are bad input (ErrorKind::Config:
// no such kernel) and ErrorKind::Interrupted.
Result<KvmProbe> probe_kvm(const std::filesystem::path& probe_kernel, const AccelProbeSettings& settings);

// Resolves Auto to Kvm or Tcg: Tcg without probing when /dev/kvm is missing or not accessible;
// otherwise the probe's verdict, cached per host boot (boot_id) in the cache file. Tcg stays Tcg
// without probing. Kvm requested but not working: ErrorKind::Config with the probe's detail.
Result<Accel> resolve_accel(Accel requested, const std::filesystem::path& probe_kernel,
                            const AccelProbeSettings& settings);
// The same with the real host's settings.
Result<Accel> resolve_accel(Accel requested, const std::filesystem::path& probe_kernel);

}  // namespace kh::vm
