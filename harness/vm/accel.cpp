#include "vm/accel.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "common/file_io.h"
#include "common/paths.h"
#include "vm/qemu_vm.h"

namespace kh::vm {
namespace {

// The line a kernel prints when it boots to the end without a root file system.
constexpr std::string_view kProbeMarker = "Kernel panic - not syncing";
// A tinyconfig kernel needs far less; the probe is about the CPU, not about memory.
constexpr int kProbeMemoryMb = 128;

// Why `device` cannot be used for KVM, or nullopt when it can be opened read-write.
std::optional<std::string> kvm_device_problem(const std::filesystem::path& device) {
  std::error_code ec;
  if (!std::filesystem::exists(device, ec)) {
    return fmt::format("{} does not exist", device.string());
  }
  if (::access(device.c_str(), R_OK | W_OK) != 0) {
    return fmt::format("{} is not accessible: {}", device.string(), std::strerror(errno));
  }
  return std::nullopt;
}

// The host's boot id, which changes on every reboot: the probe result is valid for one boot.
std::optional<std::string> read_boot_id(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string id;
  if (!std::getline(in, id)) {
    return std::nullopt;
  }
  while (!id.empty() && (id.back() == ' ' || id.back() == '\r')) {
    id.pop_back();
  }
  if (id.empty()) {
    return std::nullopt;
  }
  return id;
}

// The cached probe for `boot_id`; nullopt when missing, unreadable, malformed or from another boot.
std::optional<KvmProbe> read_cached_probe(const std::filesystem::path& file, const std::string& boot_id) {
  auto text = read_file(file);
  if (!text) {
    return std::nullopt;
  }
  const nlohmann::json cache = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!cache.is_object()) {
    return std::nullopt;
  }
  const auto id = cache.find("boot_id");
  const auto works = cache.find("kvm_works");
  const auto detail = cache.find("detail");
  if (id == cache.end() || !id->is_string() || works == cache.end() || !works->is_boolean() ||
      detail == cache.end() || !detail->is_string()) {
    return std::nullopt;
  }
  if (id->get<std::string>() != boot_id) {
    return std::nullopt;
  }
  return KvmProbe{works->get<bool>(), detail->get<std::string>()};
}

// Best effort: a cache that cannot be written only costs a probe next time.
void write_cached_probe(const std::filesystem::path& file, const std::string& boot_id, const KvmProbe& probe) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  const nlohmann::json cache = {{"boot_id", boot_id}, {"kvm_works", probe.works}, {"detail", probe.detail}};
  // Written aside and renamed: parallel runs never read half a file.
  const std::filesystem::path staging = file.string() + fmt::format(".{}.tmp", ::getpid());
  {
    std::ofstream out(staging, std::ios::trunc);
    out << cache.dump(2) << '\n';
    if (!out) {
      std::filesystem::remove(staging, ec);
      return;
    }
  }
  std::filesystem::rename(staging, file, ec);
  if (ec) {
    std::filesystem::remove(staging, ec);
  }
}

// The last line that says something (escape-only lines clean to ""), or `fallback`.
std::string last_line_or(const std::vector<std::string>& lines, std::string_view fallback) {
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!it->empty()) {
      return *it;
    }
  }
  return std::string(fallback);
}

bool is_probe_verdict(ErrorKind kind) {
  // These say something about qemu under KVM; the others are about the input or the user.
  return kind == ErrorKind::Process || kind == ErrorKind::Timeout || kind == ErrorKind::Eof;
}

}  // namespace

Result<Accel> parse_accel(std::string_view text) {
  if (text == "auto") {
    return Accel::Auto;
  }
  if (text == "kvm") {
    return Accel::Kvm;
  }
  if (text == "tcg") {
    return Accel::Tcg;
  }
  return make_error(ErrorKind::Config, "unknown accelerator \"{}\": expected auto, kvm or tcg", text);
}

std::string_view to_string(Accel accel) {
  switch (accel) {
    case Accel::Auto: return "auto";
    case Accel::Kvm: return "kvm";
    case Accel::Tcg: return "tcg";
  }
  return "unknown";
}

Result<KvmProbe> probe_kvm(const std::filesystem::path& probe_kernel, const AccelProbeSettings& settings) {
  if (probe_kernel.empty()) {
    return make_error(ErrorKind::Config, "the KVM probe needs a kernel to boot");
  }
  VmSpec spec;
  spec.kernel = probe_kernel;
  spec.accel = Accel::Kvm;
  spec.gdbstub = false;
  spec.start_stopped = false;
  spec.memory_mb = kProbeMemoryMb;
  spec.qemu = settings.qemu;
  spec.startup_timeout = settings.probe_timeout;
  const auto started_at = Clock::now();
  const Deadline deadline = Deadline::in(settings.probe_timeout);
  const double timeout_s = static_cast<double>(settings.probe_timeout.count()) / 1000.0;

  auto vm = QemuVm::start(spec);
  if (!vm) {
    Error error = std::move(vm).error();
    if (!is_probe_verdict(error.kind)) {
      return error.wrap("KVM probe");
    }
    return KvmProbe{false, fmt::format("under KVM, {}", error.message)};
  }
  auto marker = vm->wait_for_serial(kProbeMarker, deadline);
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - started_at).count();
  if (!marker) {
    const Error& error = marker.error();
    if (!is_probe_verdict(error.kind)) {
      return Error(error).wrap("KVM probe");
    }
    const std::string last_serial = last_line_or(vm->serial_tail(5), "nothing on the serial console");
    if (error.kind == ErrorKind::Timeout) {
      return KvmProbe{false, fmt::format("the probe kernel did not finish booting under KVM within {:.1f} s "
                                         "(last serial line: {})",
                                         timeout_s, last_serial)};
    }
    return KvmProbe{false, fmt::format("{} under KVM before the probe kernel finished booting ({})",
                                       vm->describe_exit(), last_line_or(vm->qemu_log_tail(5), last_serial))};
  }
  // The first crash line must be the deliberate end of boot, not an Oops that led to it.
  if (vm->panic_line() && vm->panic_line()->find(kProbeMarker) == std::string::npos) {
    return KvmProbe{false, fmt::format("the probe kernel crashed under KVM: {}", *vm->panic_line())};
  }
  return KvmProbe{true, fmt::format("the probe kernel booted under KVM in {:.1f} s", elapsed_s)};
}

Result<Accel> resolve_accel(Accel requested, const std::filesystem::path& probe_kernel,
                            const AccelProbeSettings& settings) {
  if (requested == Accel::Tcg) {
    return Accel::Tcg;
  }
  if (auto problem = kvm_device_problem(settings.kvm_device)) {
    if (requested == Accel::Auto) {
      return Accel::Tcg;
    }
    return make_error(ErrorKind::Config, "KVM was requested but {}: use --accel tcg or auto", *problem);
  }
  const std::filesystem::path cache_file =
      settings.cache_file.empty() ? cache_dir() / "accel-probe.json" : settings.cache_file;
  const std::optional<std::string> boot_id = read_boot_id(settings.boot_id_file);
  std::optional<KvmProbe> probe;
  if (boot_id) {
    probe = read_cached_probe(cache_file, *boot_id);
  }
  if (!probe) {
    KH_ASSIGN_OR_RETURN(probe, probe_kvm(probe_kernel, settings));
    if (boot_id) {
      write_cached_probe(cache_file, *boot_id, *probe);
    }
  }
  if (probe->works) {
    return Accel::Kvm;
  }
  if (requested == Accel::Auto) {
    return Accel::Tcg;
  }
  return make_error(ErrorKind::Config, "KVM was requested but does not work on this host: {}; use --accel tcg or auto",
                    probe->detail);
}

Result<Accel> resolve_accel(Accel requested, const std::filesystem::path& probe_kernel) {
  return resolve_accel(requested, probe_kernel, AccelProbeSettings{});
}

}  // namespace kh::vm
