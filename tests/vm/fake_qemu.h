// A stand-in for qemu-system-x86_64 in unit tests: a shell script that understands the -serial
// file:PATH and -gdb unix:PATH,... options QemuVm passes, then does what the test says.
#pragma once

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "common/unique_fd.h"
#include "vm/qemu_vm.h"

namespace kh::vm::testing {

// A test's private directory holding the fake qemu, an empty "kernel" file and whatever the
// script records (its argv, pids).
class FakeQemu {
 public:
  // Writes a script whose body runs with $serial and $sock set from qemu's options and with
  // $record naming a file for the script to write notes into. Every run appends its argv to the
  // file invocations().
  explicit FakeQemu(std::string_view body) : dir_(TempDir::create("kh-fake-").value()) {
    kernel_ = dir_.path() / "bzImage";
    std::ofstream(kernel_) << "";
    script_ = dir_.path() / "fake-qemu";
    std::ofstream script(script_);
    script << "#!/bin/sh\n"
           << "record='" << record().string() << "'\n"
           << "echo \"$@\" >> '" << invocations().string() << "'\n"
           << "serial=; sock=\n"
           << "while [ $# -gt 0 ]; do\n"
           << "  case \"$1\" in\n"
           << "    -serial) serial=\"${2#file:}\"; shift ;;\n"
           << "    -gdb) sock=\"${2#unix:}\"; sock=\"${sock%%,*}\"; shift ;;\n"
           << "  esac\n"
           << "  shift\n"
           << "done\n"
           << body << "\n";
    script.close();
    std::filesystem::permissions(script_, std::filesystem::perms::owner_all);
  }

  const std::filesystem::path& dir() const { return dir_.path(); }
  const std::filesystem::path& qemu() const { return script_; }
  const std::filesystem::path& kernel() const { return kernel_; }
  std::filesystem::path record() const { return dir_.path() / "record"; }
  std::filesystem::path invocations() const { return dir_.path() / "invocations"; }

  // A spec that boots the fake without a gdbstub (ready at its first serial byte).
  VmSpec spec_without_gdb() const {
    VmSpec spec;
    spec.kernel = kernel_;
    spec.qemu = script_;
    spec.gdbstub = false;
    spec.start_stopped = false;
    return spec;
  }

  // The lines of a file the script wrote ("" lines skipped).
  static std::vector<std::string> lines_of(const std::filesystem::path& file) {
    std::vector<std::string> lines;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) {
        lines.push_back(line);
      }
    }
    return lines;
  }

 private:
  TempDir dir_;
  std::filesystem::path kernel_;
  std::filesystem::path script_;
};

// Waits until `pid` has ended (a zombie counts: it runs nothing), at most `timeout`; true when it
// did. A pidfd makes this an event wait, also for processes that are not our children.
inline bool process_ends_within(pid_t pid, std::chrono::milliseconds timeout) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    return errno == ESRCH;
  }
  UniqueFd pidfd(fd);
  pollfd pfd{fd, POLLIN, 0};
  return ::poll(&pfd, 1, static_cast<int>(timeout.count())) == 1;
}

// The path of python3, needed by fakes that must create a listening unix socket, or "".
inline std::string python3() {
  for (const char* candidate : {"/usr/bin/python3", "/usr/local/bin/python3"}) {
    if (::access(candidate, X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

}  // namespace kh::vm::testing
