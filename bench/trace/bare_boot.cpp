#include "bare_boot.h"

#include <fmt/format.h>

#include <string>
#include <utility>

#include "common/deadline.h"
#include "image/initramfs.h"

namespace kh::bench {

Result<double> time_bare_boot(vm::VmSpec spec, std::chrono::milliseconds timeout) {
  spec.gdbstub = false;
  spec.start_stopped = false;
  const auto started = Clock::now();
  KH_ASSIGN_OR_RETURN(vm::QemuVm vm, vm::QemuVm::start(spec));
  KH_ASSIGN_OR_RETURN(int status, vm.wait_for_exit(Deadline::in(timeout)));
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  vm.consume_events();
  // A boot that panicked or lost its guest is fast but measures nothing.
  if (vm.serial_text().find(image::kExitMarker) == std::string::npos) {
    Error error = make_error(ErrorKind::Process, "bare boot: qemu exited with status {} before the guest's {}",
                             status, image::kExitMarker);
    error.details = vm.serial_tail(15);
    return error;
  }
  return seconds;
}

}  // namespace kh::bench
