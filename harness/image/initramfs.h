// The guest image: a busybox initramfs that boots, runs one static guest program with its
// arguments, reports on the serial console and powers off.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace kh::image {

// Serial-console markers printed by the guest's init, each on a line of its own (the VM runner
// and the trace engine wait for them).
inline constexpr std::string_view kReadyMarker = "KH-READY";  // init mounted proc/sys/dev
inline constexpr std::string_view kWaitMarker = "KH-WAIT";  // kh.wait=1: kh-spawn waits for go on ttyS1
inline constexpr std::string_view kGuestStartMarker =
    "KH-START";                                             // "KH-START <program>" just before the guest runs
inline constexpr std::string_view kExitMarker = "KH-EXIT";  // "KH-EXIT <status>" after it ends
// "KH-INIT-FAILED <what>": the init could not set the system up; it powers off without a guest.
inline constexpr std::string_view kInitFailedMarker = "KH-INIT-FAILED";
// What guest programs print: "KH-RESULT name=value" lines, and "KH-FAIL ..." when a step fails.
inline constexpr std::string_view kResultPrefix = "KH-RESULT";
inline constexpr std::string_view kFailPrefix = "KH-FAIL";

// Where the guest program sits in the image (its task name is its file name).
inline constexpr std::string_view kGuestDirInImage = "/guest";

// The personality(2) bit that marks the guest's tasks (harness/engine/breakpoint_plan.cpp):
// WHOLE_SECONDS, which Linux keeps across fork and execve and which has no effect. The init starts
// the guest through kSpawnHelperInImage, which sets it; nothing else in the guest has it.
inline constexpr unsigned kGuestPersonalityFlag = 0x2000000;
inline constexpr std::string_view kSpawnHelperInImage = "/bin/kh-spawn";
// Bounds of what a scenario may add to the image.
inline constexpr std::uintmax_t kMaxGuestFileSize = 64ull << 20;

// A file of the host copied into the image, or (src empty) an empty directory.
struct ImageFile {
  std::filesystem::path src;
  std::string dest;  // an absolute path of the image
};

struct InitramfsSpec {
  std::string guest;              // its file name in /guest: a program in guest_dir, or `guest_path`
  std::filesystem::path guest_path;  // the program to pack; empty: guest_dir / guest
  std::string command;            // non-empty: the guest is `sh -c command`, no program is packed
  std::vector<std::string> args;  // its arguments
  std::vector<ImageFile> files;   // more files and directories the guest needs
  std::filesystem::path output;   // the .cpio.gz to write (atomically: temp + rename)
  std::filesystem::path busybox = "/bin/busybox";
  std::filesystem::path guest_dir;  // empty: kh::guest_programs_dir()
  std::filesystem::path skeleton;   // empty: kh::data_dir()/initramfs/skeleton.txt
  std::filesystem::path spawn_helper;  // empty: spawn_helper_path()
};

// Checks a file the spec adds before anything is packed: `src` exists, is a regular file and has
// at most kMaxGuestFileSize bytes (a directory, src empty, always passes). ErrorKind::Config.
Result<void> check_image_file(const ImageFile& file);

// The built kh-spawn (guest-programs/kh_spawn.c): kh::guest_programs_dir()/helpers/kh-spawn.
std::filesystem::path spawn_helper_path();

// Builds the image: the skeleton, busybox and its applet links (as `busybox --list-full` lists
// them), kh-spawn, the guest program in /guest (none for a command), the spec's files and
// directories, and /etc/kharness/guest, which tells the init what to run.
// Reproducible: the same inputs give the same bytes (mtime 0, or $SOURCE_DATE_EPOCH).
// Fails with ErrorKind::Config for a bad or missing guest, a bad guest name, a busybox that is
// missing or not static, or a bad skeleton; ErrorKind::Process when busybox cannot list its
// applets; ErrorKind::Io when the output cannot be written.
Result<void> build_initramfs(const InitramfsSpec& spec);

// The guest programs available in `dir` (default kh::guest_programs_dir()): its ELF executables,
// sorted by name. Empty when the directory does not exist.
std::vector<std::string> list_guest_programs(const std::filesystem::path& dir = {});

// Succeeds for a usable guest program name: a plain file name of letters, digits and "._+-" (any
// length: the guest's tasks are told apart by kGuestPersonalityFlag, not by their name). Fails
// with ErrorKind::Config explaining the rule that is broken.
Result<void> check_guest_name(std::string_view guest);

// The shell fragment the init sources to run the guest: sets KH_GUEST and the positional
// parameters to the program's path in the image and its arguments, each quoted for /bin/sh.
std::string guest_run_script(std::string_view guest, const std::vector<std::string>& args);
// The same for a busybox command line: KH_GUEST=sh and `/bin/sh -c COMMAND`.
std::string guest_command_script(std::string_view command);

}  // namespace kh::image
