#include "mi/mi_commands.h"

namespace kh::mi {

std::string quote(std::string_view text) {
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        continue;
      case '\\':
        quoted += "\\\\";
        continue;
      case '\n':
        quoted += "\\n";
        continue;
      case '\t':
        quoted += "\\t";
        continue;
      case '\r':
        quoted += "\\r";
        continue;
      default:
        break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      // Always three digits, so that a digit after the escape is not read into it.
      const char octal[4] = {'\\', static_cast<char>('0' + (byte >> 6)),
                             static_cast<char>('0' + ((byte >> 3) & 7)), static_cast<char>('0' + (byte & 7))};
      quoted.append(octal, sizeof(octal));
    } else {
      quoted += c;
    }
  }
  quoted += '"';
  return quoted;
}

std::string break_insert(std::string_view location, std::string_view condition, bool hardware,
                         bool temporary) {
  std::string command = "-break-insert";
  if (temporary) {
    command += " -t";
  }
  if (hardware) {
    command += " -h";
  }
  if (!condition.empty()) {
    command += " -c ";
    command += quote(condition);
  }
  command += ' ';
  command += quote(location);
  return command;
}

std::string evaluate_expression(std::string_view expr) {
  return "-data-evaluate-expression " + quote(expr);
}

std::string target_select_remote(std::string_view path) {
  return "-target-select remote " + quote(path);
}

std::string stack_list_frames() {
  return "-stack-list-frames";
}

std::string stack_list_arguments(bool simple_values) {
  return simple_values ? "-stack-list-arguments --simple-values" : "-stack-list-arguments --no-values";
}

std::string exec_continue() {
  return "-exec-continue";
}

std::string exec_step_instruction() {
  return "-exec-step-instruction";
}

std::string interpreter_exec_console(std::string_view cli_command) {
  return "-interpreter-exec console " + quote(cli_command);
}

std::string symbol_info_functions(std::string_view regex) {
  return "-symbol-info-functions --name " + quote(regex);
}

}  // namespace kh::mi
