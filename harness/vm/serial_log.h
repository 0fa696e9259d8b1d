// The guest's serial console as text and lines: pure bookkeeping, no I/O (QemuVm feeds it).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kh::vm {

// Accumulates raw serial bytes, splits them into lines cleaned of '\r' and terminal escape
// sequences (SeaBIOS clears the screen), and remembers the first kernel panic, Oops or BUG line.
class SerialLog {
 public:
  // Adds bytes as they arrived; a line is complete once its '\n' arrived.
  void append(std::string_view bytes);

  // Everything received so far, raw.
  const std::string& text() const { return text_; }
  // The complete lines so far, cleaned.
  const std::vector<std::string>& lines() const { return lines_; }
  // The unfinished last line, cleaned ("" when the text ends with '\n').
  std::string partial_line() const;
  // The last `count` lines, the unfinished one included, cleaned.
  std::vector<std::string> tail(std::size_t count) const;
  // The first complete line that says the kernel panicked, oopsed or hit a BUG, from the kernel's
  // own message on (kernel_message_in).
  const std::optional<std::string>& panic_line() const { return panic_line_; }

  // The first line at index >= `from` containing `needle`; with `include_partial`, the unfinished
  // last line is searched too (used once qemu has exited and no '\n' will come).
  std::optional<std::string> find_line(std::string_view needle, std::size_t from = 0,
                                       bool include_partial = false) const;

 private:
  std::string text_;
  std::size_t line_start_ = 0;  // offset in text_ where the unfinished line begins
  std::vector<std::string> lines_;
  std::optional<std::string> panic_line_;
};

// A raw serial line without '\r', escape sequences (ESC [ ... final byte, ESC x) or other
// control characters except tabs.
std::string clean_serial_line(std::string_view raw);

// The kernel's message in a serial line: a panic from its "Kernel panic" (or its printk timestamp)
// on, without the firmware's text before it ("Booting from ROM.." has no newline); other lines
// unchanged.
std::string_view kernel_message_in(std::string_view line);

// True for the lines the kernel prints when it dies: "Kernel panic - not syncing: ..." anywhere in
// the line; "Oops: ...", "BUG: ...", "kernel BUG at ...", "general protection fault..." at its
// start, after an optional printk timestamp.
bool is_kernel_crash_line(std::string_view line);

}  // namespace kh::vm
