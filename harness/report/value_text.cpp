#include "report/value_text.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "trace/mount_table.h"

namespace kh::report {
namespace {

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A pointer as gdb prints it: an optional `(type *) ` prefix, `0x...`, an optional ` <symbol>`.
struct PointerText {
  bool null = false;
  std::string_view symbol;  // with its angle brackets, empty when there is none
};

std::optional<PointerText> parse_pointer(std::string_view value) {
  if (!value.empty() && value.front() == '(') {
    std::size_t close = value.find(") ");
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    value.remove_prefix(close + 2);
  }
  if (value.size() < 3 || value[0] != '0' || (value[1] != 'x' && value[1] != 'X')) {
    return std::nullopt;
  }
  std::size_t end = 2;
  bool all_zero = true;
  while (end < value.size() && is_hex_digit(value[end])) {
    all_zero = all_zero && value[end] == '0';
    ++end;
  }
  if (end == 2) {
    return std::nullopt;
  }
  PointerText pointer{all_zero, {}};
  std::string_view rest = value.substr(end);
  if (rest.empty()) {
    return pointer;
  }
  if (rest.size() > 3 && rest.substr(0, 2) == " <" && rest.back() == '>') {
    pointer.symbol = rest.substr(1);
    return pointer;
  }
  return std::nullopt;
}

// A path of a mount list as is, or as a quoted C string when it holds spaces, quotes or bytes
// that are not printable ASCII.
std::string mount_path_text(const std::string& path) {
  bool plain = std::all_of(path.begin(), path.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f && c != '"' && c != '\\' && c != ',' && c != '>';
  });
  return plain ? path : quoted_c_string(trace::GdbString{path, false});
}

// What of a mount list survives a reboot and a kernel change: per mount, in the kernel's order,
// its mount point, the mounted directory when not "/", its type, its device when not named
// after the type, and its propagation, with peer groups numbered in order of appearance (the
// kernel's own numbers and mount ids depend on what else mounted since boot).
// "<mounts: / rootfs, /proc proc shared:1, /mount_dir_test[/myproc] rootfs master:1>".
std::string comparable_mount_table(const trace::MountTable& table) {
  std::map<int, int> groups;
  auto group = [&groups](int kernel_group) {
    return groups.try_emplace(kernel_group, static_cast<int>(groups.size()) + 1).first->second;
  };
  std::vector<std::string> mounts;
  for (const trace::MountEntry& mount : table.mounts) {
    std::string text = mount_path_text(mount.mount_point);
    if (mount.root != "/") {
      text += "[" + mount_path_text(mount.root) + "]";
    }
    text += " " + mount_path_text(mount.fs_type);
    if (mount.device != mount.fs_type) {
      text += " " + mount_path_text(mount.device);
    }
    if (mount.shared_group) {
      text += fmt::format(" shared:{}", group(*mount.shared_group));
    }
    if (mount.master_group) {
      text += fmt::format(" master:{}", group(*mount.master_group));
    }
    if (mount.unbindable) {
      text += " unbindable";
    }
    mounts.push_back(std::move(text));
  }
  return fmt::format("<mounts: {}>", fmt::join(mounts, ", "));
}

}  // namespace

std::string quoted_c_string(const trace::GdbString& string) {
  std::string out = "\"";
  for (char c : string.text) {
    auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += fmt::format("\\{:03o}", byte);
        } else {
          out += c;  // bytes >= 0x80 pass: they are UTF-8 file names more often than not
        }
    }
  }
  out += '"';
  if (string.truncated) {
    out += "...";
  }
  return out;
}

std::string display_value(std::string_view gdb_value) {
  if (auto string = trace::c_string(gdb_value)) {
    return quoted_c_string(*string);
  }
  return std::string(gdb_value);
}

std::string display_capture(const trace::CapturedValue& capture) {
  if (capture.value) {
    return display_value(*capture.value);
  }
  return fmt::format("<error: {}>", capture.error.empty() ? "no value" : capture.error);
}

std::string comparable_capture(const trace::CapturedValue& capture) {
  if (!capture.value) {
    return "<error>";
  }
  if (trace::is_mount_table_value(*capture.value)) {
    if (auto table = trace::mount_table_from_value(*capture.value); table.ok()) {
      return comparable_mount_table(*table);
    }
  }
  if (auto string = trace::c_string(*capture.value)) {
    return quoted_c_string(*string);
  }
  if (auto pointer = parse_pointer(*capture.value)) {
    if (!pointer->symbol.empty()) {
      return std::string(pointer->symbol);
    }
    return pointer->null ? "NULL" : "<address>";
  }
  return *capture.value;
}

}  // namespace kh::report
