// The guest image: a busybox initramfs that boots, runs one static guest program with its
// arguments, reports on the serial console and powers off.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kh::image {

// Serial-console markers printed by the guest's init, each on a line of its own (the VM runner
// and the trace engine wait for them).
inline constexpr std::string_view kReadyMarker = "KH-READY";  // init mounted proc/sys/dev
inline constexpr std::string_view kWaitMarker = "KH-WAIT";  // kh.wait=1: init waits for go on ttyS1
inline constexpr std::string_view kGuestStartMarker =
    "KH-START";                                             // "KH-START <program>" just before the guest runs
inline constexpr std::string_view kExitMarker = "KH-EXIT";  // "KH-EXIT <status>" after it ends
// "KH-INIT-FAILED <what>": the init could not set the system up; it powers off without a guest.
inline constexpr std::string_view kInitFailedMarker = "KH-INIT-FAILED";
// What guest programs print: "KH-RESULT name=value" lines, and "KH-FAIL ..." when a step fails.
inline constexpr std::string_view kResultPrefix = "KH-RESULT";
inline constexpr std::string_view kFailPrefix = "KH-FAIL";

// The kernel keeps TASK_COMM_LEN-1 characters of a program's file name as its task name.
inline constexpr std::size_t kMaxCommLength = 15;
// Where the guest program sits in the image (its task name is its file name).
inline constexpr std::string_view kGuestDirInImage = "/guest";

struct InitramfsSpec {
  std::string guest;              // a program in kh::guest_programs_dir()
  std::vector<std::string> args;  // its arguments
  std::filesystem::path output;   // the .cpio.gz to write (atomically: temp + rename)
  std::filesystem::path busybox = "/bin/busybox";
  std::filesystem::path guest_dir;  // empty: kh::guest_programs_dir()
  std::filesystem::path skeleton;   // empty: kh::data_dir()/initramfs/skeleton.txt
};

// Builds the image: the skeleton, busybox and its applet links (as `busybox --list-full` lists
// them), the guest program in /guest, and /etc/kharness/guest, which tells the init what to run.
// Reproducible: the same inputs give the same bytes (mtime 0, or $SOURCE_DATE_EPOCH).
// Fails with ErrorKind::Config for a bad or missing guest, a bad guest name, a busybox that is
// missing or not static, or a bad skeleton; ErrorKind::Process when busybox cannot list its
// applets; ErrorKind::Io when the output cannot be written.
Result<void> build_initramfs(const InitramfsSpec& spec);

// The guest programs available in `dir` (default kh::guest_programs_dir()): its ELF executables,
// sorted by name. Empty when the directory does not exist.
std::vector<std::string> list_guest_programs(const std::filesystem::path& dir = {});

// The name the kernel gives the guest's task (task_struct.comm: the file name, at most 15
// characters); the trace engine filters breakpoints on it.
std::string guest_comm(std::string_view guest);

// Succeeds for a usable guest program name: a plain file name of letters, digits and "._+-", at
// most kMaxCommLength characters, so that its task name is the whole name. Fails with
// ErrorKind::Config explaining the rule that is broken.
Result<void> check_guest_name(std::string_view guest);

// The shell fragment the init sources to run the guest: sets KH_GUEST and the positional
// parameters to the program's path in the image and its arguments, each quoted for /bin/sh.
std::string guest_run_script(std::string_view guest, const std::vector<std::string>& args);

}  // namespace kh::image
