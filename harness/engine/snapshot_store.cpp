#include "engine/snapshot_store.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "common/child_process.h"
#include "common/file_io.h"
#include "common/file_lock.h"
#include "common/paths.h"
#include "common/sha256.h"
#include "image/initramfs.h"
#include "kernel/kernel_cache.h"
#include "vm/qmp_client.h"

namespace kh::engine {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kStateSuffix = ".state";
constexpr std::string_view kTempPrefix = ".tmp-";
// How often the migration's progress is asked for; a 256 MiB guest saves in a few hundred ms.
constexpr milliseconds kPollInterval{5};
constexpr milliseconds kQmpTimeout{10'000};

// What tells one qemu binary from another without running it: its resolved path, device, inode,
// size and modification time. Empty when the program cannot be found or read.
std::string program_identity(const std::filesystem::path& qemu) {
  const std::filesystem::path file = resolve_program(qemu.string());
  struct stat info {};
  if (file.empty() || ::stat(file.c_str(), &info) != 0) {
    return {};
  }
  return fmt::format("{}\n{}:{}\n{}\n{}.{:09}", file.string(), info.st_dev, info.st_ino, info.st_size,
                     info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
}

// qemu --version, asked once per process and remembered across runs (snapshots/qemu-versions/,
// keyed by the binary's identity): running it costs ~40 ms of every run's start.
Result<std::string> qemu_version(const std::filesystem::path& qemu) {
  static std::mutex mutex;
  static std::string cached_for;
  static std::string cached;
  std::lock_guard lock(mutex);
  if (!cached.empty() && cached_for == qemu.string()) {
    return cached;
  }
  const std::string identity = program_identity(qemu);
  const std::filesystem::path memo =
      identity.empty() ? std::filesystem::path()
                       : snapshot_dir() / "qemu-versions" / sha256_hex(identity).substr(0, 24);
  if (!memo.empty()) {
    if (auto remembered = read_file(memo); remembered.ok() && remembered->starts_with(identity + "\n")) {
      cached_for = qemu.string();
      cached = remembered->substr(identity.size() + 1);
      return cached;
    }
  }
  ChildSpec spec;
  spec.argv = {qemu.string(), "--version"};
  KH_ASSIGN_OR_RETURN(CommandOutput output, run_command(spec, Deadline::in(milliseconds(10'000))));
  if (output.exit_code != 0) {
    return make_error(ErrorKind::Process, "{} --version failed: {}", qemu.string(), output.output);
  }
  cached_for = qemu.string();
  cached = output.output;
  if (!memo.empty()) {
    // Only a saving: a cache that cannot be written costs the next run the 40 ms again.
    std::error_code ec;
    std::filesystem::create_directories(memo.parent_path(), ec);
    (void)write_file_atomically(memo, identity + "\n" + cached);
  }
  return cached;
}

// Removes a file on every path out of a scope unless released.
class FileGuard {
 public:
  explicit FileGuard(std::filesystem::path file) : file_(std::move(file)) {}
  FileGuard(const FileGuard&) = delete;
  FileGuard& operator=(const FileGuard&) = delete;
  ~FileGuard() {
    if (!file_.empty()) {
      std::error_code ec;
      std::filesystem::remove(file_, ec);
    }
  }
  void release() { file_.clear(); }

 private:
  std::filesystem::path file_;
};

void sleep_poll() {
  std::this_thread::sleep_for(kPollInterval);
}

Status create_snapshot(const vm::VmSpec& spec, const std::filesystem::path& file, Deadline deadline) {
  vm::VmSpec saving = snapshot_vm_spec(spec);
  // Runs at once, with no debugger; the gdbstub stays, unattached, because its listening socket
  // is how QemuVm::start knows the machine is set up (the first serial byte can take long).
  saving.start_stopped = false;
  const std::filesystem::path temp =
      file.parent_path() / fmt::format("{}{}-{}", kTempPrefix, file.filename().string(), ::getpid());
  FileGuard temp_guard(temp);
  KH_ASSIGN_OR_RETURN(vm::QemuVm vm, vm::QemuVm::start(saving));
  auto waited = vm.wait_for_serial(image::kWaitMarker, deadline);
  if (!waited.ok()) {
    return std::move(waited).error().wrap("booting the guest to its wait point");
  }
  const Deadline qmp_deadline = Deadline::in(kQmpTimeout).min(deadline);
  KH_ASSIGN_OR_RETURN(vm::QmpClient qmp, vm::QmpClient::connect(vm.qmp_socket(), qmp_deadline));
  KH_TRY(qmp.execute("stop", "", qmp_deadline));
  const std::string uri = "exec:cat > " + vm::shell_quote(temp.string());
  KH_TRY(qmp.migrate(uri, qmp_deadline));
  for (;;) {
    KH_ASSIGN_OR_RETURN(std::string status, qmp.migration_status(qmp_deadline));
    if (status == "completed") {
      break;
    }
    if (status == "failed" || status == "cancelled") {
      return make_error(ErrorKind::Process, "saving the guest failed: migration {}", status);
    }
    if (interrupted()) {
      return make_error(ErrorKind::Interrupted, "interrupted while saving the guest");
    }
    if (qmp_deadline.expired()) {
      return make_error(ErrorKind::Timeout, "saving the guest did not complete in time");
    }
    sleep_poll();
  }
  vm.terminate();
  std::error_code ec;
  std::filesystem::rename(temp, file, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot move the snapshot into {}: {}", file.string(), ec.message());
  }
  temp_guard.release();
  return {};
}

}  // namespace

std::filesystem::path snapshot_dir() {
  const char* dir = std::getenv("KHARNESS_SNAPSHOT_DIR");
  if (dir != nullptr && *dir != '\0') {
    return dir;
  }
  return cache_dir() / "snapshots";
}

vm::VmSpec snapshot_vm_spec(vm::VmSpec spec) {
  spec.qmp = true;
  spec.go_port = true;
  spec.extra_append =
      spec.extra_append.empty() ? std::string(kWaitFlag) : spec.extra_append + " " + std::string(kWaitFlag);
  return spec;
}

Result<std::string> snapshot_key(const vm::VmSpec& spec, std::string_view kernel_key) {
  KH_ASSIGN_OR_RETURN(std::string image_digest, sha256_file(spec.initrd));
  KH_ASSIGN_OR_RETURN(std::string version, qemu_version(spec.qemu));
  const vm::VmSpec saving = snapshot_vm_spec(spec);
  const std::string material = fmt::format(
      "kernel={}\nbzimage={}\ninitrd={}\ninitrd-sha256={}\nqemu={}\nmemory={}\ncpus={}\naccel={}\nappend={}"
      "\n",
      kernel_key, spec.kernel.string(), spec.initrd.string(), image_digest, version, spec.memory_mb,
      spec.cpus, vm::to_string(spec.accel), vm::kernel_command_line(saving));
  return fmt::format("{}-{}", kernel_key, sha256_hex(material).substr(0, 24));
}

std::filesystem::path snapshot_file(std::string_view key) {
  return snapshot_dir() / (std::string(key) + std::string(kStateSuffix));
}

Result<std::filesystem::path> ensure_snapshot(const vm::VmSpec& spec, std::string_view key,
                                              Deadline deadline) {
  const std::filesystem::path file = snapshot_file(key);
  std::error_code ec;
  if (std::filesystem::is_regular_file(file, ec)) {
    return file;
  }
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot create {}: {}", file.parent_path().string(), ec.message());
  }
  KH_ASSIGN_OR_RETURN(FileLock lock,
                      FileLock::acquire(file.parent_path() / fmt::format(".{}.lock", key), deadline));
  // Another run may have saved it while this one waited for the lock.
  if (std::filesystem::is_regular_file(file, ec)) {
    return file;
  }
  KH_TRY(create_snapshot(spec, file, deadline));
  return file;
}

void discard_snapshot(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::remove(file, ec);
}

Result<std::uintmax_t> remove_all_snapshots() {
  const std::filesystem::path dir = snapshot_dir();
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    return std::uintmax_t{0};
  }
  const std::uintmax_t size = kernel::directory_size(dir);
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    return make_error(ErrorKind::Io, "cannot remove {}: {}", dir.string(), ec.message());
  }
  return size;
}

std::uintmax_t remove_snapshots_of(std::string_view kernel_key) {
  const std::string prefix = std::string(kernel_key) + "-";
  const std::string temp_prefix = std::string(kTempPrefix) + prefix;
  std::uintmax_t freed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(snapshot_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) || name.starts_with(temp_prefix)) {
      std::error_code size_ec;
      const std::uintmax_t size = entry.file_size(size_ec);
      if (std::filesystem::remove(entry.path(), size_ec) && !size_ec) {
        freed += size;
      }
    }
  }
  return freed;
}

Status wait_for_restore(vm::QemuVm& vm, Deadline deadline) {
  const Deadline qmp_deadline = Deadline::in(kQmpTimeout).min(deadline);
  auto qmp = vm::QmpClient::connect(vm.qmp_socket(), qmp_deadline);
  if (!qmp.ok()) {
    return std::move(qmp).error().wrap("restoring the snapshot");
  }
  for (;;) {
    auto status = qmp->run_status(qmp_deadline);
    if (!status.ok()) {
      Error error = std::move(status).error();
      if (error.kind == ErrorKind::Eof) {
        (void)vm.wait_for_exit(Deadline::in(milliseconds(1000)));
        error = make_error(ErrorKind::Process, "qemu rejected the snapshot: {}", vm.describe_exit());
        for (const auto& line : vm.qemu_log_tail(3)) {
          error.details.push_back("qemu: " + line);
        }
      }
      return error;
    }
    if (*status == "paused" || *status == "prelaunch") {
      return {};
    }
    if (*status != "inmigrate") {
      return make_error(ErrorKind::Process, "after restoring the snapshot qemu is {}, not paused", *status);
    }
    if (interrupted()) {
      return make_error(ErrorKind::Interrupted, "interrupted while restoring the snapshot");
    }
    if (qmp_deadline.expired()) {
      return make_error(ErrorKind::Timeout, "restoring the snapshot did not complete in time");
    }
    sleep_poll();
  }
}

}  // namespace kh::engine
