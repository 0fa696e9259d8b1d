// What each guest program must report: shared by the host run and the VM run of the guests.
#pragma once

#include <filesystem>
#include <map>
#include <ostream>
#include <sstream>
#include <string>

#include "image/initramfs.h"

namespace kh::image::testing {

inline const std::filesystem::path kGuestDir = std::filesystem::path(KH_BINARY_DIR) / "guest-programs";

struct GuestCase {
  const char* program;
  // KH-RESULT lines that must appear with these values (others may appear too).
  std::map<std::string, std::string> results;
};

// gtest prints a parameter in test names: the program's name is enough.
inline void PrintTo(const GuestCase& guest_case, std::ostream* os) {
  *os << guest_case.program;
}

// What Linux documents, per program (the same tables the programs check themselves).
inline const GuestCase kGuestCases[] = {
    {"mnt_ns_clone",
     {{"clone", "ok"},
      {"child.pid", "1"},
      {"child.hostname", "container"},
      {"child.proc_self", "1"},
      {"child.sees_bind", "yes"},
      {"child.target_is_mount_point", "yes"},
      {"parent.sees_bind", "no"},
      {"parent.hostname_unchanged", "yes"}}},
    {"unshare_mnt",
     {{"child.unshare", "ok"},
      {"child.mnt_ns_changed", "yes"},
      {"child.mnt_fstype", "tmpfs"},
      {"parent.sees_tmpfs", "no"},
      {"parent.sees_marker", "no"},
      {"parent.child_mountinfo_has_tmpfs", "yes"}}},
    {"bind_mount",
     {{"new_ns.mnt_ns_differs", "yes"},
      {"new_ns.target", "a"},
      {"new_ns.mountinfo_root_is_source", "yes"},
      {"old_ns.target", ""},
      {"old_ns.mountinfo", "none"}}},
    {"propagation",
     {{"shared_shared.home_a_to_home", "yes"},
      {"shared_shared.home_to_home_a", "yes"},
      {"shared_shared.same_peer_group", "yes"},
      {"shared_private.home_a_to_home", "no"},
      {"shared_slave.home_a", "shared"},
      {"shared_slave.home", "master"},
      {"shared_slave.home_a_to_home", "yes"},
      {"shared_slave.home_to_home_a", "no"},
      {"slave_shared.home_a", "master"},
      {"slave_shared.home_a_to_home", "no"},
      {"slave_shared.home_to_home_a", "yes"},
      {"slave_slave.home_a", "private"},
      {"private_private.home_to_home_a", "no"},
      {"combinations", "9"}}},
    {"pivot_root",
     {{"pivot_root", "ok"},
      {"old_root", "rootfs"},
      {"root", ".oldrootfs,README"},
      {"old_root_detached", "yes"},
      {"visible_mounts", "1"}}},
    {"setns_mnt",
     {{"before.sees_mount", "no"},
      {"setns", "ok"},
      {"after.same_mnt_ns", "yes"},
      {"after.sees_mount", "yes"},
      {"after.fstype", "tmpfs"}}},
};

// The KH-RESULT lines of an output, as name -> value.
inline std::map<std::string, std::string> parse_results(const std::string& output) {
  std::map<std::string, std::string> results;
  std::istringstream lines(output);
  std::string line;
  const std::string prefix = std::string(kResultPrefix) + " ";
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') {  // the serial console ends lines with \r\n
      line.pop_back();
    }
    if (line.rfind(prefix, 0) != 0) {
      continue;
    }
    auto equals = line.find('=', prefix.size());
    if (equals != std::string::npos) {
      results[line.substr(prefix.size(), equals - prefix.size())] = line.substr(equals + 1);
    }
  }
  return results;
}

}  // namespace kh::image::testing
