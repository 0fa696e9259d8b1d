#include "trace/gdb_value.h"

#include <algorithm>
#include <charconv>

#include "common/strings.h"

namespace kh::trace {
namespace {

// gdb never prints more than `print elements` characters, but a hostile `<repeats N times>` could
// ask for gigabytes: stop expanding there and call the string truncated.
constexpr std::size_t kMaxStringBytes = 1 << 20;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

void skip_spaces(std::string_view& text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
}

bool consume(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) {
    return false;
  }
  text.remove_prefix(prefix.size());
  return true;
}

// Drops a leading "(type) " as gdb prints before pointers: "(const unsigned char *) 0x...",
// "(char (*)[16]) 0x...". Parentheses nest.
void skip_type_prefix(std::string_view& text) {
  if (text.empty() || text.front() != '(') {
    return;
  }
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') {
      ++depth;
    } else if (text[i] == ')' && --depth == 0) {
      text.remove_prefix(i + 1);
      skip_spaces(text);
      return;
    }
  }
}

// Reads an unsigned number (decimal or 0x hex) at the front of `text`, advancing it.
std::optional<std::uint64_t> take_magnitude(std::string_view& text) {
  int base = 10;
  std::string_view digits = text;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  }
  std::uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec != std::errc() || ptr == digits.data()) {
    return std::nullopt;
  }
  text = digits.substr(static_cast<std::size_t>(ptr - digits.data()));
  return magnitude;
}

std::optional<GdbNumber> take_number(std::string_view& text) {
  bool negative = consume(text, "-");
  auto magnitude = take_magnitude(text);
  if (!magnitude) {
    return std::nullopt;
  }
  return GdbNumber{negative && *magnitude != 0, *magnitude};
}

// Decodes one character or escape sequence of a gdb C string or char literal at the front of
// `text` (gdb prints \" \\ \n \t ... and octal \NNN; \xHH is accepted too).
std::optional<char> take_char(std::string_view& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  char c = text.front();
  text.remove_prefix(1);
  if (c != '\\') {
    return c;
  }
  if (text.empty()) {
    return std::nullopt;
  }
  char e = text.front();
  text.remove_prefix(1);
  switch (e) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'a': return '\a';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'v': return '\v';
    case 'e': return '\x1b';
    case 'x': {
      unsigned value = 0;
      int count = 0;
      while (count < 2 && !text.empty() && is_hex_digit(text.front())) {
        char h = text.front();
        value = value * 16 + static_cast<unsigned>(is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
        text.remove_prefix(1);
        ++count;
      }
      if (count == 0) {
        return std::nullopt;
      }
      return static_cast<char>(value);
    }
    default:
      break;
  }
  if (e >= '0' && e <= '7') {
    unsigned value = static_cast<unsigned>(e - '0');
    for (int count = 1; count < 3 && !text.empty() && text.front() >= '0' && text.front() <= '7'; ++count) {
      value = value * 8 + static_cast<unsigned>(text.front() - '0');
      text.remove_prefix(1);
    }
    return static_cast<char>(value & 0xff);
  }
  return e;  // \" \\ \' \? and anything gdb might add: the character itself
}

// Appends one `"..."` segment to `out`; false when the text is not a well-formed quoted string.
bool take_quoted(std::string_view& text, std::string& out, bool& overflow) {
  if (!consume(text, "\"")) {
    return false;
  }
  while (!text.empty() && text.front() != '"') {
    auto c = take_char(text);
    if (!c) {
      return false;
    }
    if (out.size() < kMaxStringBytes) {
      out.push_back(*c);
    } else {
      overflow = true;
    }
  }
  return consume(text, "\"");
}

// Appends one `'c' <repeats N times>` segment to `out`.
bool take_repeat(std::string_view& text, std::string& out, bool& overflow) {
  if (!consume(text, "'")) {
    return false;
  }
  auto c = take_char(text);
  if (!c || !consume(text, "'")) {
    return false;
  }
  skip_spaces(text);
  std::uint64_t count = 1;
  if (consume(text, "<repeats ")) {
    auto n = take_magnitude(text);
    if (!n || !consume(text, " times>")) {
      return false;
    }
    count = *n;
  }
  std::size_t room = kMaxStringBytes - std::min(out.size(), kMaxStringBytes);
  if (count > room) {
    overflow = true;
    count = room;
  }
  out.append(static_cast<std::size_t>(count), *c);
  return true;
}

}  // namespace

std::strong_ordering operator<=>(const GdbNumber& a, const GdbNumber& b) {
  if (a.negative != b.negative) {
    return a.negative ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  return a.negative ? b.magnitude <=> a.magnitude : a.magnitude <=> b.magnitude;
}

std::string GdbNumber::to_string() const {
  return negative ? "-" + std::to_string(magnitude) : std::to_string(magnitude);
}

std::optional<GdbNumber> parse_number(std::string_view text) {
  auto number = take_number(text);
  if (!number || !text.empty()) {
    return std::nullopt;
  }
  return number;
}

std::optional<GdbNumber> leading_number(std::string_view value) {
  std::string_view text = trim(value);
  skip_type_prefix(text);
  auto number = take_number(text);
  if (!number || (!text.empty() && !is_space(text.front()))) {
    return std::nullopt;
  }
  return number;
}

std::optional<GdbString> c_string(std::string_view value) {
  std::string_view text = trim(value);
  skip_type_prefix(text);
  if (text.starts_with("0x") || text.starts_with("0X")) {
    // A char pointer: the address, an optional <symbol+offset>, then the string.
    if (!take_magnitude(text)) {
      return std::nullopt;
    }
    skip_spaces(text);
    if (text.starts_with("<")) {
      std::size_t close = text.find('>');
      if (close == std::string_view::npos) {
        return std::nullopt;
      }
      text.remove_prefix(close + 1);
      skip_spaces(text);
    }
  }
  if (text.empty() || (text.front() != '"' && text.front() != '\'')) {
    return std::nullopt;
  }
  GdbString result;
  bool overflow = false;
  while (true) {
    bool ok = text.front() == '"' ? take_quoted(text, result.text, overflow)
                                  : take_repeat(text, result.text, overflow);
    if (!ok) {
      return std::nullopt;
    }
    skip_spaces(text);
    if (text.empty()) {
      break;
    }
    if (consume(text, "...")) {
      skip_spaces(text);
      if (!text.empty()) {
        return std::nullopt;
      }
      result.truncated = true;
      break;
    }
    if (!consume(text, ",")) {
      return std::nullopt;
    }
    skip_spaces(text);
    if (text.empty() || (text.front() != '"' && text.front() != '\'')) {
      return std::nullopt;
    }
  }
  result.truncated = result.truncated || overflow;
  if (std::size_t nul = result.text.find('\0'); nul != std::string::npos) {
    // A C string ends at its NUL; whatever gdb showed after it (a char array's tail) is not part of it.
    result.text.resize(nul);
    result.truncated = false;
  }
  return result;
}

}  // namespace kh::trace
