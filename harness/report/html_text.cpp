#include "report/html_text.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include <fmt/format.h>

namespace kh::report {
namespace {

// The length of the UTF-8 sequence at `text[i]` and its code point, or 0 when the bytes there are
// no valid (shortest-form, non-surrogate) UTF-8.
std::size_t utf8_sequence(std::string_view text, std::size_t i, std::uint32_t& code_point) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  unsigned char first = byte(0);
  std::size_t length = first < 0x80           ? 1
                       : (first >> 5) == 0x6  ? 2
                       : (first >> 4) == 0xe  ? 3
                       : (first >> 3) == 0x1e ? 4
                                              : 0;
  if (length == 0 || i + length > text.size()) {
    return 0;
  }
  static constexpr unsigned char kLeadMask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
  code_point = first & kLeadMask[length];
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(k) & 0xc0) != 0x80) {
      return 0;
    }
    code_point = (code_point << 6) | (byte(k) & 0x3f);
  }
  static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kSmallest[length] || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff)) {
    return 0;
  }
  return length;
}

// Code points that the HTML parser reports as errors in the input stream.
bool forbidden_in_html(std::uint32_t c) {
  if (c < 0x20) {
    return c != '\t' && c != '\n';
  }
  if (c >= 0x7f && c <= 0x9f) {
    return true;
  }
  return (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint32_t code_point = 0;
    std::size_t length = utf8_sequence(text, i, code_point);
    if (length == 0 || forbidden_in_html(code_point)) {
      std::size_t bytes = length == 0 ? 1 : length;
      for (std::size_t k = 0; k < bytes; ++k) {
        fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<unsigned char>(text[i + k]));
      }
      i += bytes;
      continue;
    }
    switch (text[i]) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

std::string html_id(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (plain) {
      out += c;
    } else {
      fmt::format_to(std::back_inserter(out), ".{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::size_t display_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

}  // namespace kh::report
