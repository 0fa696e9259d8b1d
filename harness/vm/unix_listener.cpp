#include "vm/unix_listener.h"

#include <string>

#include "common/file_io.h"

namespace kh::vm {
namespace {

// __SO_ACCEPTCON in the Flags column: the socket called listen().
constexpr unsigned long kAcceptConnections = 0x10000;
// Num, RefCount, Protocol, Flags, Type, St, Inode, then the path (which may hold spaces).
constexpr int kFieldsBeforePath = 7;
constexpr int kFlagsField = 3;

// Splits off the next whitespace-separated field of `rest`.
std::string_view next_field(std::string_view& rest) {
  std::size_t begin = rest.find_first_not_of(' ');
  if (begin == std::string_view::npos) {
    rest = {};
    return {};
  }
  std::size_t end = rest.find(' ', begin);
  std::string_view field = rest.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  return field;
}

bool line_is_listener_on(std::string_view line, std::string_view socket_path) {
  std::string_view rest = line;
  unsigned long flags = 0;
  for (int i = 0; i < kFieldsBeforePath; ++i) {
    std::string_view field = next_field(rest);
    if (field.empty()) {
      return false;
    }
    if (i == kFlagsField) {
      flags = std::strtoul(std::string(field).c_str(), nullptr, 16);
    }
  }
  std::size_t path_begin = rest.find_first_not_of(' ');
  if (path_begin == std::string_view::npos) {
    return false;
  }
  return rest.substr(path_begin) == socket_path && (flags & kAcceptConnections) != 0;
}

}  // namespace

bool unix_table_has_listener(std::string_view table, std::string_view socket_path) {
  while (!table.empty()) {
    std::size_t newline = table.find('\n');
    std::string_view line = table.substr(0, newline);
    table = newline == std::string_view::npos ? std::string_view{} : table.substr(newline + 1);
    if (line_is_listener_on(line, socket_path)) {
      return true;
    }
  }
  return false;
}

Result<bool> is_unix_socket_listening(const std::filesystem::path& socket_path) {
  KH_ASSIGN_OR_RETURN(std::string table, read_file("/proc/net/unix"));
  return unix_table_has_listener(table, socket_path.string());
}

}  // namespace kh::vm
