#include "vm/serial_log.h"

#include <algorithm>
#include <array>

namespace kh::vm {
namespace {

bool is_csi_final_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= 0x40 && byte <= 0x7e;
}

}  // namespace

void SerialLog::append(std::string_view bytes) {
  text_.append(bytes);
  for (;;) {
    std::size_t newline = text_.find('\n', line_start_);
    if (newline == std::string::npos) {
      return;
    }
    std::string line = clean_serial_line(std::string_view(text_).substr(line_start_, newline - line_start_));
    line_start_ = newline + 1;
    if (!panic_line_ && is_kernel_crash_line(line)) {
      panic_line_ = std::string(kernel_message_in(line));
    }
    lines_.push_back(std::move(line));
  }
}

std::string SerialLog::partial_line() const {
  return clean_serial_line(std::string_view(text_).substr(line_start_));
}

std::vector<std::string> SerialLog::tail(std::size_t count) const {
  std::vector<std::string> result;
  std::string partial = partial_line();
  const std::size_t from_partial = partial.empty() ? 0 : 1;
  const std::size_t from_lines = std::min(lines_.size(), count > from_partial ? count - from_partial : 0);
  result.reserve(from_lines + from_partial);
  result.insert(result.end(), lines_.end() - static_cast<std::ptrdiff_t>(from_lines), lines_.end());
  if (from_partial == 1 && count > 0) {
    result.push_back(std::move(partial));
  }
  return result;
}

std::optional<std::string> SerialLog::find_line(std::string_view needle, std::size_t from,
                                                bool include_partial) const {
  for (std::size_t i = from; i < lines_.size(); ++i) {
    if (lines_[i].find(needle) != std::string::npos) {
      return lines_[i];
    }
  }
  if (include_partial) {
    std::string partial = partial_line();
    if (!partial.empty() && partial.find(needle) != std::string::npos) {
      return partial;
    }
  }
  return std::nullopt;
}

std::string clean_serial_line(std::string_view raw) {
  constexpr char kEscape = '\x1b';
  std::string line;
  line.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == kEscape) {
      if (i + 1 < raw.size() && raw[i + 1] == '[') {
        // CSI: parameter and intermediate bytes up to a final byte in 0x40..0x7e.
        i += 2;
        while (i < raw.size() && !is_csi_final_byte(raw[i])) {
          ++i;
        }
      } else {
        ++i;  // a two-byte sequence such as ESC c (reset)
      }
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 && c != '\t') {
      continue;
    }
    if (byte == 0x7f) {
      continue;
    }
    line.push_back(c);
  }
  return line;
}

std::string_view kernel_message_in(std::string_view line) {
  constexpr std::string_view kPanic = "Kernel panic - not syncing";
  const std::size_t panic = line.find(kPanic);
  if (panic == std::string_view::npos || panic == 0) {
    return line;
  }
  // Keep the kernel's own "[    1.234567] " timestamp in front of the panic, drop what precedes it.
  std::string_view before = line.substr(0, panic);
  const std::size_t open = before.rfind('[');
  if (open != std::string_view::npos && before.ends_with("] ") &&
      before.substr(open + 1, before.size() - open - 3).find_first_not_of(" 0123456789.") ==
          std::string_view::npos) {
    return line.substr(open);
  }
  return line.substr(panic);
}

bool is_kernel_crash_line(std::string_view line) {
  // Specific enough to count anywhere: an early panic follows the firmware's "Booting from ROM.."
  // on the same line, since the firmware prints no newline before the kernel takes the console.
  if (line.find("Kernel panic - not syncing") != std::string_view::npos) {
    return true;
  }
  static constexpr std::array<std::string_view, 4> kMarkers = {
      "Oops: ", "BUG: ", "kernel BUG at ", "general protection fault",
  };
  // The kernel starts these lines itself, after an optional "[    1.234567] " timestamp; anywhere
  // else (a guest's "DEBUG: ...") they are not the kernel's.
  if (line.starts_with('[')) {
    const std::size_t close = line.find(']');
    if (close != std::string_view::npos) {
      line.remove_prefix(close + 1);
    }
  }
  const std::size_t text = line.find_first_not_of(' ');
  line.remove_prefix(text == std::string_view::npos ? line.size() : text);
  return std::any_of(kMarkers.begin(), kMarkers.end(),
                     [line](std::string_view marker) { return line.starts_with(marker); });
}

}  // namespace kh::vm
