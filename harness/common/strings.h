// Small string helpers shared by every layer: trimming, and the line of a "file:line" location.
#pragma once

#include <string_view>

namespace kh {

// Space, tab, carriage return or line feed: the white space of scenario files, gdb values,
// configs and command output.
constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// `text` without leading and trailing white space (is_space).
constexpr std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// `text` without trailing white space (a command's final newline).
constexpr std::string_view trim_end(std::string_view text) {
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// The line of a "file:line" location ("scenarios/x.xml:12" -> 12), 0 when it has none.
int line_of_location(std::string_view location);

}  // namespace kh
